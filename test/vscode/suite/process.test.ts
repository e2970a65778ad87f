// One inspector process behind every window: a second window (a second
// extension-side client, attached the way the extension attaches) shares the
// process and sees the same traces live; a window reload keeps every trace
// because the process kept them; closing the window that started the process
// leaves it to the other client, and it ends once idle.
import * as assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import * as vscode from 'vscode';
import { HttpInspectorClient, type EventSubscription } from '../../../src/extension/inspectorClient';
import { attachOrStart, freePort, type ProcessSettings } from '../../../src/extension/inspectorProcess';
import { processSettingsOf, readSettings } from '../../../src/extension/settings';
import { EXTENSION_ID, extensionApi, inspector, listenerUrl, processClient, sendTrace, waitFor } from './support';
import { processAlive } from '../../support/processes';

const config = () => vscode.workspace.getConfiguration('respanInspector');
const IDLE_SECONDS = 2;

async function runningPid(): Promise<number> {
  const ext = await inspector();
  return waitFor('the window attached', () => (ext.connection.state.status === 'running' ? ext.connection.state.process.pid : undefined));
}

/** Another VS Code window: attaches exactly as the extension does, with the same settings, and follows the live stream. */
async function secondWindow(): Promise<{ client: HttpInspectorClient; added: Set<string>; stream: EventSubscription; started: boolean; pid: number }> {
  const settings: ProcessSettings = processSettingsOf(readSettings(), []);
  const extensionPath = vscode.extensions.getExtension(EXTENSION_ID)!.extensionPath;
  const found = await attachOrStart({
    settings,
    command: { execPath: process.execPath, args: [join(extensionPath, 'dist', 'cli.js')] },
    logFile: join(mkdtempSync(join(tmpdir(), 'second-window-')), 'inspector.log'),
  });
  const client = new HttpInspectorClient(found.url);
  const added = new Set<string>();
  const stream = client.events((event) => {
    if (event.type === 'change') for (const id of event.data.added) added.add(id);
  });
  return { client, added, stream, started: found.started, pid: found.status.pid };
}

describe('One inspector process for every window', function () {
  this.timeout(60_000);
  let second: Awaited<ReturnType<typeof secondWindow>> | undefined;

  before(async () => {
    // A fixed port, as every window but the suite's uses (port 0 means a process per window), and a short idle time.
    const ext = await inspector();
    await config().update('exitWhenIdleSeconds', IDLE_SECONDS, vscode.ConfigurationTarget.Workspace);
    const port = await freePort('127.0.0.1');
    await config().update('httpPort', port, vscode.ConfigurationTarget.Workspace);
    await waitFor('the window on the fixed port', () => ext.connection.state.status === 'running' && ext.connection.state.httpPort === port);
  });

  after(async () => {
    second?.stream.close();
    await config().update('httpPort', undefined, vscode.ConfigurationTarget.Workspace);
    await config().update('exitWhenIdleSeconds', undefined, vscode.ConfigurationTarget.Workspace);
    const ext = await inspector();
    await waitFor('the window back on a free port', () => ext.connection.state.status === 'running' && ext.connection.state.httpPort !== 0);
  });

  it('a second window attaches to the same process, and both see a new trace live', async () => {
    const ext = await inspector();
    const pid = await runningPid();
    second = await secondWindow();
    assert.equal(second.started, false, 'the second window started nothing');
    assert.equal(second.pid, pid);
    const status = await waitFor('two clients', async () => {
      const now = await second!.client.call('status', {});
      return now.clients === 2 ? now : undefined;
    });
    assert.equal(status.pid, pid);
    const sent = await sendTrace({ name: 'seen_by_both_windows' });
    await waitFor('the second window to hear of it', () => second!.added.has(sent.traceId));
    await waitFor('the first window’s tree to list it', async () => (await ext.traces.tree.getChildren()).some((node) => node.kind === 'trace' && node.traceId === sent.traceId));
    assert.deepEqual((await second.client.call('listTraces', { query: { traceIds: [sent.traceId] } })).traces.map((trace) => trace.name), ['seen_by_both_windows']);
  });

  it('a window reload keeps every trace: the reloaded window attaches to the process that kept them', async () => {
    const pid = await runningPid();
    const sent = await sendTrace({ name: 'survives_reload' });
    const before = (await (await processClient()).call('listTraces', {})).total;
    await (await extensionApi()).reactivate();
    assert.equal(await runningPid(), pid, 'the same process');
    const client = await processClient();
    assert.equal((await client.call('listTraces', {})).total, before);
    const ext = await inspector();
    await waitFor('the reloaded tree to list the trace', async () => (await ext.traces.tree.getChildren()).some((node) => node.kind === 'trace' && node.traceId === sent.traceId));
  });

  it('closing the window leaves the process to the other window; once no client is left it ends after the idle time', async () => {
    assert.ok(second, 'the second window of the first test');
    const pid = await runningPid();
    const url = await listenerUrl();
    await (await extensionApi()).deactivate();
    await waitFor('only the second window left', async () => (await second!.client.call('status', {})).clients === 1);
    // Past the idle time the process still serves the remaining window.
    await sleep((IDLE_SECONDS + 1) * 1000);
    assert.ok(processAlive(pid), 'the process outlived the window that started it');
    assert.ok((await second.client.call('listTraces', {})).total > 0);
    second.stream.close();
    await second.stream.ended;
    second = undefined;
    await waitFor('the idle process to end', () => !processAlive(pid), 20_000);
    assert.equal((await fetch(`${url}/api/status`).then(() => 'answered', () => 'gone')), 'gone');
    // The window comes back, and with no process left it starts one.
    await (await extensionApi()).reactivate();
    const ext = await inspector();
    await waitFor('a new process', () => ext.connection.state.status === 'running' && ext.connection.state.started && ext.connection.state.process.pid !== pid);
  });
});
