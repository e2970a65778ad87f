/**
 * The extension's side of the shared inspector process, outside VS Code: the
 * launcher starts a real detached CLI process (or attaches to the one already
 * listening), and the typed client reads it and follows its live stream.
 */
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtempSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isServiceError } from '../../src/core/service/errors';
import { HttpInspectorClient, type InspectorEvent } from '../../src/extension/inspectorClient';
import { InspectorConnection, type ConnectionState } from '../../src/extension/connection';
import { attachOrStart, PortTakenError, processArgs, type ProcessSettings } from '../../src/extension/inspectorProcess';
import { processAlive, sendTrace, settingsOnFreePorts } from '../support/processes';

const COMMAND = { execPath: process.execPath, args: ['--import', 'tsx', 'src/cli/main.ts'] };
const KEY = 'rk-test-secret-0123456789';

async function waitUntil(probe: () => boolean | Promise<boolean>): Promise<void> {
  while (!(await probe())) await new Promise((resolve) => setTimeout(resolve, 100));
}

describe('the inspector process, from the extension side', function () {
  this.timeout(60_000);
  const started: number[] = [];
  const logFile = join(mkdtempSync(join(tmpdir(), 'inspector-process-')), 'logs', 'inspector.log');
  afterEach(() => {
    for (const pid of started.splice(0)) if (processAlive(pid)) process.kill(pid, 'SIGKILL');
  });

  it('turns settings into flags and keeps the key off the command line', async () => {
    const args = processArgs(await settingsOnFreePorts(KEY), 5000);
    assert.deepEqual(args.slice(0, 5), ['--no-open', '--started-by', 'extension', '--exit-when-idle', '60']);
    assert.ok(args.includes('--max-memory-mb'));
    assert.ok(!args.some((arg) => arg.includes(KEY)));
  });

  it('passes the persistence settings: off, a data folder, or the process default', async () => {
    const settings = await settingsOnFreePorts(KEY);
    const persistFlags = (args: string[]) => args.filter((arg, i) => arg === '--no-persist' || arg === '--data-dir' || args[i - 1] === '--data-dir');
    assert.deepEqual(persistFlags(processArgs({ ...settings, persist: false, dataDir: '/ignored' }, 5000)), ['--no-persist']);
    assert.deepEqual(persistFlags(processArgs({ ...settings, persist: true, dataDir: '/var/traces' }, 5000)), ['--data-dir', '/var/traces']);
    assert.deepEqual(persistFlags(processArgs({ ...settings, persist: true }, 5000)), []);
  });

  it('starts a detached process when none listens, and a second window attaches to it', async () => {
    const settings = await settingsOnFreePorts(KEY);
    const first = await attachOrStart({ settings, command: COMMAND, logFile });
    started.push(first.status.pid);
    assert.equal(first.started, true);
    assert.equal(first.status.startedBy, 'extension');
    assert.notEqual(first.status.pid, process.pid);
    // The key reached the process through its environment, not its command line.
    const client = new HttpInspectorClient(first.url);
    assert.equal((await client.call('forwardingStatus', {})).hasApiKey, true);
    const commandLine = readFileSync(`/proc/${first.status.pid}/cmdline`, 'utf8');
    assert.ok(commandLine.includes('--started-by'), commandLine);
    assert.ok(!commandLine.includes(KEY));
    assert.match(readFileSync(logFile, 'utf8'), /listening on/);
    assert.doesNotMatch(readFileSync(logFile, 'utf8'), new RegExp(KEY));

    const second = await attachOrStart({ settings, command: COMMAND, logFile });
    assert.equal(second.started, false);
    assert.equal(second.status.pid, first.status.pid);
  });

  it('two windows starting at once share one process', async () => {
    const settings = await settingsOnFreePorts(KEY);
    const [a, b] = await Promise.all([attachOrStart({ settings, command: COMMAND, logFile }), attachOrStart({ settings, command: COMMAND, logFile })]);
    started.push(a.status.pid, b.status.pid);
    assert.equal(a.status.pid, b.status.pid);
    assert.equal([a.started, b.started].filter(Boolean).length, 1);
  });

  it('reports a port held by another program, and starts nothing', async () => {
    const other: Server = createServer((_request, response) => response.end('not an inspector'));
    await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
    try {
      const settings = await settingsOnFreePorts(KEY);
      settings.listener.httpPort = (other.address() as { port: number }).port;
      await assert.rejects(attachOrStart({ settings, command: COMMAND, logFile }), (error) => error instanceof PortTakenError && error.port === settings.listener.httpPort);
    } finally {
      other.close();
    }
  });

  it('the client lists, reads, pins, exports and deletes through the process, and follows its live stream', async () => {
    const settings = await settingsOnFreePorts(KEY);
    const inspector = await attachOrStart({ settings, command: COMMAND, logFile });
    started.push(inspector.status.pid);
    const client = new HttpInspectorClient(inspector.url);
    const events: InspectorEvent[] = [];
    const stream = client.events((event) => events.push(event));
    await waitUntil(async () => (await client.call('status', {})).clients === 1);
    const traceId = await sendTrace(inspector.url, 'one');
    await waitUntil(() => events.some((event) => event.type === 'change' && event.data.added.includes(traceId)));
    assert.equal(events[0].type, 'hello');
    assert.deepEqual((await client.call('listTraces', { query: { q: 'one-root' } })).traces.map((trace) => trace.traceId), [traceId]);
    assert.equal((await client.call('getTrace', { traceId })).spans[0].name, 'one-root');
    await assert.rejects(client.call('getTrace', { traceId: 'f'.repeat(32) }), (error) => isServiceError(error, 'not-found'));
    assert.deepEqual(await client.call('pinTrace', { traceId, pinned: true }), { traceId, pinned: true });
    assert.match((await client.call('exportTrace', { traceId })).content, /"resourceSpans"/);
    assert.deepEqual((await client.call('deleteTraces', { traceIds: [traceId] })).deleted, [traceId]);
    assert.equal((await client.call('listTraces', {})).total, 0);
    stream.close();
    await stream.ended;
  });

  it('the live stream ends when the process dies, and the next attach starts a new one that keeps serving', async () => {
    const settings = await settingsOnFreePorts(KEY);
    const inspector = await attachOrStart({ settings, command: COMMAND, logFile });
    started.push(inspector.status.pid);
    const stream = new HttpInspectorClient(inspector.url).events(() => undefined);
    await waitUntil(async () => (await new HttpInspectorClient(inspector.url).call('status', {})).clients === 1);
    process.kill(inspector.status.pid, 'SIGKILL');
    await stream.ended;
    const again = await attachOrStart({ settings, command: COMMAND, logFile });
    started.push(again.status.pid);
    assert.equal(again.started, true);
    assert.notEqual(again.status.pid, inspector.status.pid);
    await sendTrace(again.url, 'two');
    assert.equal((await new HttpInspectorClient(again.url).call('listTraces', {})).total, 1);
  });

  /** A window's connection to the process, as the extension builds it. */
  function windowConnection(settings: ProcessSettings): InspectorConnection {
    return new InspectorConnection({ settings: async () => settings, command: COMMAND, logFile, backoffMs: [200] });
  }

  function runningPid(state: ConnectionState): number | undefined {
    return state.status === 'running' ? state.process.pid : undefined;
  }

  it('a request made while the window attaches waits for the attachment (a panel restored at start-up asks that early)', async () => {
    const connection = windowConnection(await settingsOnFreePorts(KEY));
    try {
      assert.equal(await connection.attachedClient(), undefined, 'nothing to wait for before a start');
      const starting = connection.start();
      const client = await connection.attachedClient();
      assert.ok(client);
      started.push(runningPid(await starting)!);
      assert.equal(client, connection.client);
      assert.equal((await client.call('listTraces', {})).total, 0);
    } finally {
      connection.dispose();
    }
  });

  it('a window attaches again by itself when its process is killed: it says so, then runs on a new process', async () => {
    const connection = windowConnection(await settingsOnFreePorts(KEY));
    const states: ConnectionState[] = [];
    connection.onDidChangeState((state) => states.push(state));
    try {
      const first = runningPid(await connection.start());
      assert.ok(first !== undefined);
      started.push(first);
      await waitUntil(async () => (await connection.client!.call('status', {})).clients === 1);
      process.kill(first, 'SIGKILL');
      await waitUntil(() => states.some((state) => state.status === 'starting' && state.lost !== undefined));
      await waitUntil(() => runningPid(connection.state) !== undefined && runningPid(connection.state) !== first);
      const second = runningPid(connection.state)!;
      started.push(second);
      assert.equal(connection.state.status === 'running' && connection.state.started, true);
      await sendTrace(connection.client!.url, 'after');
      assert.equal((await connection.client!.call('listTraces', {})).total, 1);
    } finally {
      connection.dispose();
    }
  });

  it('two windows share one process and see the same traces live; it outlives the window that started it while another is attached, and ends once idle', async () => {
    const settings = { ...(await settingsOnFreePorts(KEY)), exitWhenIdleSeconds: 2 };
    const a = windowConnection(settings);
    const b = windowConnection(settings);
    try {
      const pid = runningPid(await a.start())!;
      started.push(pid);
      assert.equal(runningPid(await b.start()), pid);
      assert.equal(a.state.status === 'running' && a.state.started, true);
      assert.equal(b.state.status === 'running' && b.state.started, false);
      const seen = { a: new Set<string>(), b: new Set<string>() };
      a.onEvent((event) => event.type === 'change' && event.data.added.forEach((id) => seen.a.add(id)));
      b.onEvent((event) => event.type === 'change' && event.data.added.forEach((id) => seen.b.add(id)));
      await waitUntil(async () => (await a.client!.call('status', {})).clients === 2);
      const traceId = await sendTrace(a.client!.url, 'shared');
      await waitUntil(() => seen.a.has(traceId) && seen.b.has(traceId));
      // The starter cannot stop a process another window uses: it only leaves.
      assert.equal(await a.stopProcess(), false);
      a.dispose();
      await waitUntil(async () => (await b.client!.call('status', {})).clients === 1);
      // Longer than the idle time, and the process still serves the remaining window.
      await new Promise((resolve) => setTimeout(resolve, 3000));
      assert.ok(processAlive(pid));
      assert.deepEqual((await b.client!.call('listTraces', {})).traces.map((trace) => trace.traceId), [traceId]);
      b.dispose();
      await waitUntil(() => !processAlive(pid));
    } finally {
      a.dispose();
      b.dispose();
    }
  });

  it('beyond loopback the process requires the token it was given through its environment, and the client sends it', async () => {
    const settings = { ...(await settingsOnFreePorts(KEY)), apiToken: 'token-for-this-user-0123456789' };
    settings.listener = { ...settings.listener, host: '0.0.0.0' };
    const inspector = await attachOrStart({ settings, command: COMMAND, logFile });
    started.push(inspector.status.pid);
    assert.ok(!readFileSync(`/proc/${inspector.status.pid}/cmdline`, 'utf8').includes(settings.apiToken));
    assert.equal((await fetch(`${inspector.url}/api/traces`)).status, 401);
    assert.equal((await new HttpInspectorClient(inspector.url, settings.apiToken).call('listTraces', {})).total, 0);
  });
});
