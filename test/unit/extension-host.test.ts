// The extension's VS Code-free parts: the listener lifecycle, capture pause,
// the webview requests answered from the store, terminal environment, and the
// tree's presentation (kept equal to the inspector UI's).
import * as assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { formatDuration, traceDescription } from '../../src/extension/presentation';
import { CaptureStore, ListenerController, type ListenerState } from '../../src/extension/listener';
import { answerViewRequest, storeQueryOf, type ViewServices } from '../../src/extension/viewRequests';
import { clientUrl, endpointsOf, environmentText, listenerEnvironment } from '../../src/extension/environment';
import type { ViewRequest, ViewRequestOf, ViewRequestParams } from '../../src/protocol/messages';
import { makeLog, makeSpan } from '../support/spans';
import { encodeOtlpJson } from '../../src/core/otlp/export';

const syncStore = () => new CaptureStore({ schedule: () => undefined });

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
    const controller = new ListenerController({ store: syncStore() });
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
      const controller = new ListenerController({ store: syncStore() });
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
      const controller = new ListenerController({ store: syncStore() });
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
    const controller = new ListenerController({ store: syncStore() });
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

describe('extension: capture pause', () => {
  it('drops and counts spans from receivers while paused, but keeps imports', () => {
    const store = syncStore();
    store.setCapturing(false);
    store.add([makeSpan({ trace: 'a', id: 'root' })]);
    assert.equal(store.spanCount, 0);
    assert.equal(store.dropped, 1);
    store.addImported([makeSpan({ trace: 'b', id: 'root' })]);
    assert.equal(store.spanCount, 1);
    store.setCapturing(true);
    store.add([makeSpan({ trace: 'a', id: 'root' })]);
    assert.equal(store.spanCount, 2);
  });
  it('drops log records from receivers while paused', () => {
    const store = syncStore();
    store.setCapturing(false);
    store.addLogs([makeLog({ trace: 'a', span: 'root' })]);
    assert.equal(store.logRecordCount, 0);
    store.setCapturing(true);
    store.addLogs([makeLog({ trace: 'a', span: 'root' })]);
    assert.equal(store.logRecordCount, 1);
  });
});

describe('extension: webview requests', () => {
  const services = (calls: string[] = []): ViewServices => ({
    openSource: async (target) => {
      calls.push(`open ${target.filePath}:${target.line}`);
      return true;
    },
    copy: async (text) => void calls.push(`copy ${text}`),
    saveExport: async (name, content) => {
      calls.push(`save ${name} ${JSON.parse(content).resourceSpans.length}`);
      return true;
    },
    forwardTrace: async () => ({ ok: false, message: 'not available' }),
    canForward: () => false,
  });
  let nextId = 1;
  const request = <T extends ViewRequest['type']>(type: T, params: ViewRequestParams<T>): ViewRequestOf<T> =>
    ({ kind: 'request', type, id: nextId++, ...params }) as ViewRequestOf<T>;

  function seeded(): CaptureStore {
    const store = syncStore();
    store.add([
      makeSpan({ trace: 'one', id: 'root', name: 'joke_workflow.workflow', startMs: 1_700_000_000_000 }),
      makeSpan({ trace: 'one', id: 'child', parent: 'root', name: 'openai.chat', error: true, startMs: 1_700_000_000_001 }),
      makeSpan({ trace: 'two', id: 'root', name: 'other', startMs: 1_700_000_001_000 }),
    ]);
    return store;
  }

  it('lists traces newest first with the same filters as the query API', async () => {
    const store = seeded();
    const all = await answerViewRequest(request('listTraces', { query: {} }), store, services());
    assert.deepEqual(all.traces.map((trace) => trace.name), ['other', 'joke_workflow.workflow']);
    const errors = await answerViewRequest(request('listTraces', { query: { errors: true } }), store, services());
    assert.deepEqual(errors.traces.map((trace) => trace.name), ['joke_workflow.workflow']);
    assert.deepEqual(storeQueryOf({ q: 'x', pinned: true, limit: 5 }), { ...storeQueryOf({}), text: 'x', pinnedOnly: true, limit: 5 });
  });

  it('refreshes only the traces asked for by id, with the same filters', async () => {
    const store = seeded();
    const [newest, oldest] = store.list().traces.map((trace) => trace.traceId);
    const both = await answerViewRequest(request('listTraces', { query: { traceIds: [oldest, newest] } }), store, services());
    assert.deepEqual(both.traces.map((trace) => trace.traceId), [newest, oldest]);
    const failing = await answerViewRequest(request('listTraces', { query: { traceIds: [oldest, newest], errors: true } }), store, services());
    assert.deepEqual(failing.traces.map((trace) => trace.traceId), [oldest]);
    assert.deepEqual(await answerViewRequest(request('listTraces', { query: { traceIds: [] } }), store, services()), { traces: [], total: 0 });
  });

  it('answers getFacets with every value in the store, as GET /api/facets does', async () => {
    const store = seeded();
    store.add([makeSpan({ trace: 'three', id: 'root', name: 'chat', startMs: 1_700_000_002_000, attributes: { 'respan.threads.thread_identifier': 'th-1', 'gen_ai.request.model': 'gpt-4o' } })]);
    const facets = await answerViewRequest(request('getFacets', {}), store, services());
    assert.deepEqual(facets, store.facetValues());
    assert.deepEqual(facets.threads, [{ value: 'th-1', traces: 1 }]);
    assert.deepEqual(facets.models, [{ value: 'gpt-4o', traces: 1 }]);
    assert.deepEqual(facets.services, [{ value: 'test-service', traces: 3 }]);
  });

  it('answers getTrace with the detail JSON, null for an unknown trace', async () => {
    const store = seeded();
    const traceId = store.list().traces[1].traceId;
    const detail = await answerViewRequest(request('getTrace', { traceId }), store, services());
    assert.equal(detail?.spans.length, 2);
    assert.equal(detail?.spans.find((span) => span.name === 'openai.chat')?.isError, true);
    assert.equal(await answerViewRequest(request('getTrace', { traceId: 'f'.repeat(32) }), store, services()), null);
  });

  it('pins, deletes, clears, and refuses to pin an unknown trace', async () => {
    const store = seeded();
    const [newest, oldest] = store.list().traces.map((trace) => trace.traceId);
    await answerViewRequest(request('pinTrace', { traceId: oldest, pinned: true }), store, services());
    assert.equal(store.get(oldest)?.pinned, true);
    await answerViewRequest(request('deleteTraces', { traceIds: [newest] }), store, services());
    assert.equal(store.get(newest), undefined);
    await answerViewRequest(request('deleteTraces', {}), store, services());
    assert.equal(store.traceCount, 1, 'clearing keeps pinned traces');
    await assert.rejects(answerViewRequest(request('pinTrace', { traceId: 'a'.repeat(32), pinned: true }), store, services()), /no longer/);
  });

  it('exports through the save service and imports the export back, even while paused', async () => {
    const store = seeded();
    const calls: string[] = [];
    const traceId = store.list().traces[1].traceId;
    assert.equal(await answerViewRequest(request('exportTrace', { traceId }), store, services(calls)), true);
    assert.deepEqual(calls, [`save trace-${traceId}.json 1`]);

    const target = syncStore();
    target.setCapturing(false);
    const content = JSON.stringify(encodeOtlpJson(store.tree(traceId)!.spans));
    const result = await answerViewRequest(request('importTraces', { fileName: 'x.json', format: 'otlp-json', content }), target, services());
    assert.deepEqual(result, { accepted: 2, rejected: 0, traceIds: [traceId] });
    assert.equal(target.spanCount, 2);
    await assert.rejects(answerViewRequest(request('importTraces', { fileName: 'bad.json', format: 'respan-ingest', content: '[{"nonsense": true}]' }), target, services()), /bad\.json/);
  });

  it('passes open-source and copy requests to the editor services', async () => {
    const calls: string[] = [];
    const store = seeded();
    assert.equal(await answerViewRequest(request('openSource', { target: { filePath: 'app.py', line: 3 } }), store, services(calls)), true);
    assert.equal(await answerViewRequest(request('copy', { text: 'abc' }), store, services(calls)), null);
    assert.deepEqual(calls, ['open app.py:3', 'copy abc']);
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
    const controller = new ListenerController({ store });
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
