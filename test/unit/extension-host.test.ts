// The extension's VS Code-free parts: the listener lifecycle, the panel's
// relay of service requests (unread) and its editor requests, terminal
// environment, and the tree's presentation (kept equal to the inspector UI's).
import * as assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { formatDuration, traceDescription } from '../../src/extension/presentation';
import { ListenerController, type ListenerState } from '../../src/extension/listener';
import { answerViewRequest, panelCapabilities, type EditorServices } from '../../src/extension/viewRequests';
import { clientUrl, endpointsOf, environmentText, listenerEnvironment } from '../../src/extension/environment';
import { Forwarder } from '../../src/core/forward/forwarder';
import { fixedForwarding } from '../../src/core/service/forwarding';
import { InspectorService } from '../../src/core/service/inspectorService';
import { TraceStore } from '../../src/core/store';
import type { EditorRequest, ServiceRequestMessage } from '../../src/protocol/messages';
import { nodeTimers } from '../../src/server/forwarding';
import { makeSpan } from '../support/spans';

const syncStore = () => new TraceStore({ schedule: () => undefined });
const serviceOf = (store = syncStore()) => new InspectorService({ store, timers: nodeTimers });

async function canConnect(port: number): Promise<boolean> {
  const { connect } = await import('node:net');
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

function occupy(): Promise<{ server: Server; port: number }> {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as { port: number }).port }));
  });
}

describe('extension: listener lifecycle', () => {
  it('starts on a free port, reports running with the client URL, and stop frees the port', async () => {
    const controller = new ListenerController({ service: serviceOf() });
    const states: ListenerState['status'][] = [];
    controller.onDidChangeState((state) => states.push(state.status));
    const state = await controller.start({ host: '127.0.0.1', httpPort: 0, grpcEnabled: true, grpcPort: 0 });
    assert.equal(state.status, 'running');
    if (state.status !== 'running') return;
    assert.equal(state.url, `http://127.0.0.1:${state.httpPort}`);
    assert.ok(state.grpcPort && state.grpcPort !== state.httpPort, 'the OTLP/gRPC receiver runs too');
    assert.equal(await canConnect(state.grpcPort), true);
    assert.deepEqual(controller.endpoints, { otlpEndpoint: state.url, respanBaseUrl: `${state.url}/api` });
    assert.equal(await canConnect(state.httpPort), true);
    await controller.stop();
    assert.equal(await canConnect(state.httpPort), false);
    assert.equal(await canConnect(state.grpcPort), false);
    assert.deepEqual(states, ['starting', 'running', 'stopped']);
    assert.equal(controller.endpoints, null);
  });

  it('reports a port in use as an error naming the port, and starts elsewhere afterwards', async () => {
    const { server, port } = await occupy();
    try {
      const controller = new ListenerController({ service: serviceOf() });
      const failed = await controller.start({ host: '127.0.0.1', httpPort: port, grpcEnabled: true, grpcPort: 0 });
      assert.equal(failed.status, 'error');
      if (failed.status !== 'error') return;
      assert.deepEqual(failed.portInUse, { host: '127.0.0.1', port });
      assert.match(failed.message, new RegExp(String(port)));
      const next = await controller.start({ host: '127.0.0.1', httpPort: 0, grpcEnabled: true, grpcPort: 0 });
      assert.equal(next.status, 'running');
      await controller.stop();
    } finally {
      server.close();
    }
  });

  it('runs without gRPC when only the gRPC port is taken, and says why', async () => {
    const { server, port } = await occupy();
    try {
      const controller = new ListenerController({ service: serviceOf() });
      const state = await controller.start({ host: '127.0.0.1', httpPort: 0, grpcEnabled: true, grpcPort: port });
      assert.equal(state.status, 'running');
      if (state.status !== 'running') return;
      assert.equal(state.grpcPort, undefined);
      assert.deepEqual(state.grpcProblem?.portInUse, { host: '127.0.0.1', port });
      await controller.stop();
    } finally {
      server.close();
    }
  });

  it('restarts one operation at a time: the old port is free once the new one listens', async () => {
    const controller = new ListenerController({ service: serviceOf() });
    const first = await controller.start({ host: '127.0.0.1', httpPort: 0, grpcEnabled: true, grpcPort: 0 });
    assert.equal(first.status, 'running');
    const [second, third] = await Promise.all([
      controller.start({ host: '127.0.0.1', httpPort: 0, grpcEnabled: true, grpcPort: 0 }),
      controller.start({ host: '127.0.0.1', httpPort: 0, grpcEnabled: true, grpcPort: 0 }),
    ]);
    assert.equal(second.status, 'running');
    assert.equal(third.status, 'running');
    if (first.status === 'running') assert.equal(await canConnect(first.httpPort), false);
    if (third.status === 'running') assert.equal(await canConnect(third.httpPort), true);
    await controller.stop();
  });
});

describe('extension: the panel relay', () => {
  const editor = (calls: string[] = []): EditorServices => ({
    openSource: async (target) => {
      calls.push(`open ${target.filePath}:${target.line}`);
      return true;
    },
    copy: async (text) => void calls.push(`copy ${text}`),
    saveExport: async (name, content) => {
      calls.push(`save ${name} ${content.length}`);
      return true;
    },
  });
  let nextId = 1;
  const service = (type: string, params: unknown) => ({ kind: 'service', id: nextId++, type, params }) as ServiceRequestMessage;

  function seeded(): InspectorService {
    const store = syncStore();
    store.add([makeSpan({ trace: 'one', id: 'root', name: 'joke_workflow.workflow' }), makeSpan({ trace: 'one', id: 'child', parent: 'root', name: 'openai.chat', error: true })]);
    return serviceOf(store);
  }

  it('relays a service request unread and replies with the service’s answer', async () => {
    const inspector = seeded();
    const request = service('listTraces', { query: { errors: true } });
    const reply = await answerViewRequest(request, inspector, editor());
    assert.deepEqual(reply, { kind: 'reply', requestId: request.id, ok: true, result: await inspector.handle('listTraces', { query: { errors: true } }) });
  });

  it('replies to a refused request with the message and the service’s reason', async () => {
    const inspector = seeded();
    const unknown = service('getTrace', { traceId: 'f'.repeat(32) });
    assert.deepEqual(await answerViewRequest(unknown, inspector, editor()), {
      kind: 'reply',
      requestId: unknown.id,
      ok: false,
      error: `no trace with id ${'f'.repeat(32)} (never received, deleted, or evicted by retention)`,
      reason: 'not-found',
    });
    const madeUp = service('formatDisk', {});
    const reply = await answerViewRequest(madeUp, inspector, editor());
    assert.equal(reply.ok, false);
    assert.equal(reply.ok === false && reply.reason, 'invalid');
  });

  it('answers editor requests through the editor, apart from the service', async () => {
    const calls: string[] = [];
    const inspector = seeded();
    const requests: EditorRequest[] = [
      { kind: 'request', type: 'openSource', id: 1, target: { filePath: 'app.py', line: 3 } },
      { kind: 'request', type: 'copy', id: 2, text: 'abc' },
      { kind: 'request', type: 'saveExport', id: 3, fileName: 'trace.json', content: '{}' },
    ];
    const results = [];
    for (const request of requests) results.push(await answerViewRequest(request, inspector, editor(calls)));
    assert.deepEqual(results.map((reply) => reply.ok && reply.result), [true, null, true]);
    assert.deepEqual(calls, ['open app.py:3', 'copy abc', 'save trace.json 2']);
  });

  it('offers forwarding only when the service has a forwarder', async () => {
    assert.equal((await panelCapabilities(seeded())).forward, false);
    const store = syncStore();
    const forwarder = new Forwarder({ transport: { send: async () => ({ status: 200, headers: {}, body: '' }) }, now: Date.now, timers: nodeTimers });
    try {
      const withForwarding = new InspectorService({ store, timers: nodeTimers, forwarding: fixedForwarding(forwarder) });
      assert.deepEqual(await panelCapabilities(withForwarding), { openSource: true, copy: true, exportToFile: true, import: true, pin: true, delete: true, forward: true });
    } finally {
      forwarder.dispose();
    }
  });
});

describe('extension: terminal environment', () => {
  it('points OTLP and Respan SDKs at the listener, loopback for a wildcard bind', () => {
    assert.equal(clientUrl('0.0.0.0', 4318), 'http://127.0.0.1:4318');
    assert.equal(clientUrl('::1', 4318), 'http://[::1]:4318');
    const endpoints = endpointsOf(clientUrl('127.0.0.1', 4400));
    assert.deepEqual(listenerEnvironment(endpoints), {
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4400',
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
      RESPAN_BASE_URL: 'http://127.0.0.1:4400/api',
    });
    assert.match(environmentText(endpoints, 'posix'), /^export OTEL_EXPORTER_OTLP_ENDPOINT=http:\/\/127\.0\.0\.1:4400$/m);
    assert.match(environmentText(endpoints, 'powershell'), /^\$env:RESPAN_BASE_URL="http:\/\/127\.0\.0\.1:4400\/api"$/m);
    assert.match(environmentText(endpoints, 'dotenv'), /^OTEL_EXPORTER_OTLP_PROTOCOL=http\/protobuf$/m);
  });
});

describe('extension: one RESPAN_BASE_URL for both Respan SDKs', () => {
  it('takes spans where the Python SDK (base + /v2/traces) and the JS SDK (base + /api/v1/traces) send them', async () => {
    const store = syncStore();
    const controller = new ListenerController({ service: serviceOf(store) });
    const state = await controller.start({ host: '127.0.0.1', httpPort: 0, grpcEnabled: false, grpcPort: 0 });
    try {
      assert.equal(state.status, 'running');
      const base = listenerEnvironment(controller.endpoints!).RESPAN_BASE_URL;
      const body = (trace: string) =>
        JSON.stringify({ resourceSpans: [{ scopeSpans: [{ spans: [{ traceId: trace.repeat(32), spanId: '1'.repeat(16), name: 'x', startTimeUnixNano: '1', endTimeUnixNano: '2' }] }] }] });
      for (const [path, trace] of [['/v2/traces', 'a'], ['/v1/traces', 'b'], ['/api/v1/traces', 'c']] as const) {
        const response = await fetch(`${base}${path}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: body(trace) });
        assert.equal(response.status, 200, `${base}${path}`);
      }
      store.flush();
      assert.equal(store.traceCount, 3);
    } finally {
      await controller.stop();
    }
  });
});

describe('extension: tree presentation', () => {
  it('describes a trace by duration, spans, errors and start time', () => {
    const store = syncStore();
    store.add([
      makeSpan({ trace: 't', id: 'root', durationMs: 1500 }),
      makeSpan({ trace: 't', id: 'kid', parent: 'root', durationMs: 20, error: true }),
    ]);
    assert.match(traceDescription(store.list().traces[0]), /^1 error · 1\.5 s · 2 spans · \d\d:\d\d:\d\d$/);
    assert.equal(formatDuration(0.5), '0.5 ms');
    assert.equal(formatDuration(125_000), '2 m 05 s');
  });
});
