// Listener lifecycle in the real extension host: settings changes restart it
// on the new port (freeing the old one), a taken port is reported without
// breaking the extension, and deactivation frees the port. Runs last: the
// final test deactivates the extension.
import * as assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { connect, createServer, type Server } from 'node:net';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { EXTENSION_ID, extensionApi, inspector, listenerUrl, sendTrace, waitFor } from './support';

function portOf(url: string): number {
  return Number(new URL(url).port);
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

function listen(port = 0): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

async function freePort(): Promise<number> {
  const server = await listen();
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const config = () => vscode.workspace.getConfiguration('respanInspector');

describe('Listener lifecycle', () => {
  it('activation started the listener, which answers on its port', async () => {
    const ext = await inspector();
    const url = await listenerUrl();
    const status = (await (await fetch(`${url}/api/status`)).json()) as { inspector: string };
    assert.equal(status.inspector, 'respan-trace-inspector');
    assert.match(ext.statusBar.text, new RegExp(`Respan :${portOf(url)}\\b`));
    const { activationMs, setupMs } = await extensionApi();
    await ext.keyLoaded;
    // Recorded for bench/vscode-activation.mjs, which prints them.
    const root = vscode.extensions.getExtension(EXTENSION_ID)!.extensionPath;
    mkdirSync(join(root, 'test-results'), { recursive: true });
    writeFileSync(join(root, 'test-results', 'extension-activation.json'), JSON.stringify({ activationMs, setupMs, ...ext.startTimings }, null, 2));
  });

  it('restarts on the new port when the port setting changes, freeing the old one, and keeps the traces', async () => {
    const ext = await inspector();
    const sent = await sendTrace({ name: 'survives_restart' });
    const oldPort = portOf(await listenerUrl());
    const newPort = await freePort();
    await config().update('httpPort', newPort, vscode.ConfigurationTarget.Workspace);
    await waitFor('the listener on the new port', () => ext.listener.state.status === 'running' && ext.listener.state.httpPort === newPort);
    assert.equal(await canConnect(oldPort), false, `port ${oldPort} is free again`);
    assert.equal(await canConnect(newPort), true);
    assert.ok(ext.store.get(sent.traceId), 'traces survive a restart');
    // Senders and terminals follow.
    assert.equal(ext.terminal.current().OTEL_EXPORTER_OTLP_ENDPOINT, `http://127.0.0.1:${newPort}`);
    await sendTrace({ name: 'after_restart' });
  });

  it('reports a taken port by number without breaking the extension, and recovers on another port', async () => {
    const ext = await inspector();
    const blocker = await listen();
    const taken = (blocker.address() as { port: number }).port;
    try {
      await config().update('httpPort', taken, vscode.ConfigurationTarget.Workspace);
      const state = await waitFor('the error state', () => (ext.listener.state.status === 'error' ? ext.listener.state : undefined));
      assert.deepEqual(state.portInUse, { host: '127.0.0.1', port: taken });
      assert.match(ext.statusBar.text, new RegExp(`port ${taken} in use`));
      assert.deepEqual(ext.terminal.current(), {}, 'terminals are not pointed at a port someone else holds');
      // Commands still work.
      const message = await vscode.commands.executeCommand<string>('respanInspector.showVersion');
      assert.match(message, /^Respan Trace Inspector/);
    } finally {
      blocker.close();
    }
    await config().update('httpPort', 0, vscode.ConfigurationTarget.Workspace);
    await waitFor('the listener to run again', () => ext.listener.state.status === 'running');
  });

  it('applies retention limits in place, without a restart', async () => {
    const ext = await inspector();
    const before = ext.listener.state;
    await config().update('maxTraces', 2, vscode.ConfigurationTarget.Workspace);
    try {
      await waitFor('retention to apply', () => ext.store.traceCount <= 2);
      assert.equal(ext.listener.state, before, 'the listener was not restarted');
    } finally {
      await config().update('maxTraces', undefined, vscode.ConfigurationTarget.Workspace);
    }
  });

  it('bounds the store by respanInspector.maxMemoryMB, in place', async () => {
    const ext = await inspector();
    const before = ext.listener.state;
    await config().update('maxMemoryMB', 16, vscode.ConfigurationTarget.Workspace);
    try {
      const port = portOf(await listenerUrl());
      // 40 one-span traces with a 1 MB prompt each: past 16 MB, far under the span and trace bounds.
      const spans = Array.from({ length: 40 }, (_, i) => ({
        traceId: (0xa000 + i).toString(16).padStart(32, '0'),
        spanId: '00000000000000a1',
        name: 'chat',
        startTimeUnixNano: '1700000000000000000',
        endTimeUnixNano: '1700000001000000000',
        attributes: [{ key: 'gen_ai.prompt.0.content', value: { stringValue: 'x'.repeat(1_000_000) } }],
      }));
      const response = await fetch(`http://127.0.0.1:${port}/v1/traces`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ resourceSpans: [{ scopeSpans: [{ spans }] }] }) });
      assert.equal(response.status, 200);
      await waitFor('the byte bound to evict', () => ext.store.traceCount > 0 && ext.store.traceCount <= 16);
      assert.equal(ext.listener.state, before, 'the listener was not restarted');
    } finally {
      await config().update('maxMemoryMB', undefined, vscode.ConfigurationTarget.Workspace);
    }
  });

  it('prices with respanInspector.prices over the price table, in place, from the next span on', async () => {
    const ext = await inspector();
    const before = ext.listener.state;
    const port = portOf(await listenerUrl());
    const send = async (span: string) => {
      const body = [{ trace_unique_id: 'vscode-prices', span_unique_id: span, log_type: 'chat', model: 'gpt-4o', provider_id: 'openai', prompt_tokens: 1_000_000, completion_tokens: 0 }];
      const response = await fetch(`http://127.0.0.1:${port}/api/v1/traces/ingest`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
      assert.equal(response.status, 200);
      return waitFor(`span ${span}`, () => [...ext.store.entries()].flatMap((entry) => [...entry.spans.values()]).find((item) => item.attributes.span_unique_id === span));
    };
    const table = await send('before');
    assert.equal(table.derived.costSource, 'estimate');
    assert.equal(table.derived.cost, 2.5);
    await config().update('prices', { 'gpt-4o': { input: 4, output: 4 } }, vscode.ConfigurationTarget.Workspace);
    try {
      const custom = await waitFor('the custom price to apply', async () => {
        const span = await send(`after-${Date.now()}`);
        return span.derived.costSource === 'custom' ? span : undefined;
      });
      assert.equal(custom.derived.cost, 4);
      assert.equal(custom.derived.pricing!.table, 'respanInspector.prices');
      assert.equal(table.derived.cost, 2.5, 'what was priced keeps its cost');
      assert.equal(ext.listener.state, before, 'the listener was not restarted');
    } finally {
      await config().update('prices', undefined, vscode.ConfigurationTarget.Workspace);
    }
  });

  it('lets the pages of respanInspector.allowedOrigins send spans, restarting the listener, and leaves out entries that are not origins', async () => {
    const ext = await inspector();
    const origin = 'http://localhost:5173';
    const preflight = async (from: string) => {
      const port = portOf(await listenerUrl());
      return fetch(`http://127.0.0.1:${port}/v1/traces`, { method: 'OPTIONS', headers: { Origin: from, 'Access-Control-Request-Method': 'POST' } });
    };
    assert.equal((await preflight(origin)).status, 403, 'no page may send spans by default');
    const before = ext.listener.state;
    await config().update('allowedOrigins', ['http://localhost:*', 'localhost:3000'], vscode.ConfigurationTarget.Workspace);
    try {
      await waitFor('the listener to restart', () => ext.listener.state !== before && ext.listener.state.status === 'running');
      assert.deepEqual(ext.settings.invalidOrigins, ['localhost:3000']);
      const allowed = await preflight(origin);
      assert.equal(allowed.status, 204);
      assert.equal(allowed.headers.get('access-control-allow-origin'), origin);
      assert.equal((await preflight('http://evil.example')).status, 403);
    } finally {
      await config().update('allowedOrigins', undefined, vscode.ConfigurationTarget.Workspace);
    }
  });

  it('stops the listener and frees its port on deactivate', async () => {
    const ext = await inspector();
    const port = portOf(await listenerUrl());
    assert.equal(await canConnect(port), true);
    await (await extensionApi()).deactivate();
    assert.equal(await canConnect(port), false, `port ${port} is free after deactivate`);
    assert.equal(ext.listener.state.status, 'stopped');
    assert.deepEqual(ext.terminal.current(), {}, 'terminals no longer get the variables');
  });
});
