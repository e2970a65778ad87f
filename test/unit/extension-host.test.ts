// The extension's VS Code-free parts: the panel's relay of service requests
// to a real inspector listener (carried unread, refused by the process, not
// the host) and its editor requests, the key and settings requests the
// extension sends, terminal environment, the Traces view's outline of a
// trace from the service's answer, and the tree's presentation.
import * as assert from 'node:assert/strict';
import { formatDuration, traceDescription } from '../../src/extension/presentation';
import { TraceOutline } from '../../src/extension/traceOutline';
import type { ServiceRelay } from '../../src/extension/inspectorClient';
import { answerViewRequest, panelCapabilities, type EditorServices } from '../../src/extension/viewRequests';
import { clientUrl, endpointsOf, environmentText, listenerEnvironment } from '../../src/extension/environment';
import { FIRST_RELAY_PIECE_BYTES, HttpInspectorClient, RELAY_PIECE_BYTES } from '../../src/extension/inspectorClient';
import { Forwarder } from '../../src/core/forward/forwarder';
import { TraceStore } from '../../src/core/store';
import type { EditorRequest, ReplyMessage, ReplyPieceMessage, ServiceRequestMessage } from '../../src/protocol/messages';
import { summaryJson, traceDetailJson } from '../../src/protocol/serialize';
import { nodeTimers } from '../../src/server/forwarding';
import { startInspector, type RunningInspector } from '../../src/server/listener';
import { makeSpan } from '../support/spans';

const syncStore = () => new TraceStore({ schedule: () => undefined });
const KEY = 'rk-unit-secret-0123456789abcdef';

/** A real listener on a free port over `store`, and a client of it as the extension host has one. */
async function listening(store: TraceStore, forwarder?: Forwarder): Promise<{ inspector: RunningInspector; client: HttpInspectorClient }> {
  const inspector = await startInspector({ store, host: '127.0.0.1', httpPort: 0, grpcPort: null, forwarding: forwarder });
  return { inspector, client: new HttpInspectorClient(inspector.httpUrl!) };
}

/** What a relayed request brings back, joined into its text. */
async function relayText(client: HttpInspectorClient, type: string, params: unknown = {}): Promise<string> {
  const pieces: Uint8Array[] = [];
  await client.relay(type, params, (piece) => void pieces.push(piece));
  return Buffer.concat(pieces).toString('utf8');
}

/** Answers a view request as the panel does; the posted reply, the result's text, and the pieces it came in. */
async function answer(request: ServiceRequestMessage | EditorRequest, relay: ServiceRelay, editor: EditorServices): Promise<{ reply: ReplyMessage; text: string; pieces: Uint8Array[] }> {
  const posted: Array<ReplyPieceMessage | ReplyMessage> = [];
  await answerViewRequest(request, relay, editor, (message) => void posted.push(message));
  const reply = posted.at(-1) as ReplyMessage;
  const pieces = posted.filter((message): message is ReplyPieceMessage => message.kind === 'replyPiece').map((message) => message.piece);
  assert.ok(posted.slice(0, -1).every((message) => message.kind === 'replyPiece' && message.requestId === request.id), 'pieces, then one reply');
  return { reply, text: Buffer.concat(pieces).toString('utf8'), pieces };
}

function fakeForwarder(): Forwarder {
  return new Forwarder({ transport: { send: async () => ({ status: 200, headers: {}, body: '' }) }, now: Date.now, timers: nodeTimers });
}

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
  let running: RunningInspector | undefined;
  let client: HttpInspectorClient;

  beforeEach(async () => {
    const store = syncStore();
    store.add([makeSpan({ trace: 'one', id: 'root', name: 'joke_workflow.workflow' }), makeSpan({ trace: 'one', id: 'child', parent: 'root', name: 'openai.chat', error: true })]);
    ({ inspector: running, client } = await listening(store));
  });
  afterEach(() => running?.stop());

  it('relays a service request to the process and replies with its answer as the process wrote it', async () => {
    const request = service('listTraces', { query: { errors: true } });
    const { reply, text } = await answer(request, (type, params, onPiece) => client.relay(type, params, onPiece), editor());
    const direct = await fetch(`${client.url}/api/service/listTraces`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ query: { errors: true } }) });
    assert.deepEqual(reply, { kind: 'reply', requestId: request.id, ok: true });
    assert.equal(text, await direct.text());
    assert.equal(JSON.parse(text).traces.length, 1);
  });

  it('passes a large answer on in pieces as it arrives, never holding it whole', async () => {
    const store = syncStore();
    const big = makeSpan({ trace: 'big', id: 'root', attributes: { 'input.value': 'x'.repeat(3 * RELAY_PIECE_BYTES) } });
    store.add([big]);
    const other = await listening(store);
    try {
      const { reply, text, pieces } = await answer(service('getTrace', { traceId: big.traceId }), (type, params, onPiece) => other.client.relay(type, params, onPiece), editor());
      assert.equal(reply.ok, true);
      assert.ok(pieces.length >= 3, `${pieces.length} pieces`);
      assert.ok(pieces[0].length >= FIRST_RELAY_PIECE_BYTES && pieces[0].length < RELAY_PIECE_BYTES, `a small first piece: ${pieces[0].length} bytes`);
      assert.ok(pieces.slice(1, -1).every((piece) => piece.length >= RELAY_PIECE_BYTES && piece.length < 2 * RELAY_PIECE_BYTES));
      // Plain typed arrays, which postMessage transfers as bytes (a Buffer would go as its toJSON, a list of numbers).
      assert.ok(pieces.every((piece) => Object.getPrototypeOf(piece) === Uint8Array.prototype));
      assert.equal(JSON.parse(text).spans[0].attributes['input.value'].length, 3 * RELAY_PIECE_BYTES);
      // A slow taker: the next piece comes only once the last was taken.
      let waiting = 0;
      let mostWaiting = 0;
      const slow: Uint8Array[] = [];
      await other.client.relay('getTrace', { traceId: big.traceId }, (piece) => {
        slow.push(piece);
        mostWaiting = Math.max(mostWaiting, ++waiting);
        return new Promise((resolve) => setTimeout(() => resolve(waiting--), 20));
      });
      assert.equal(mostWaiting, 1);
      assert.equal(waiting, 0, 'the relay resolved after the last piece was taken');
      assert.equal(Buffer.concat(slow).toString('utf8'), text);
    } finally {
      await other.inspector.stop();
    }
  });

  it('relays a binary result as its bytes and says so in the reply', async () => {
    const listed = JSON.parse(await relayText(client, 'listTraces', {})) as { traces: Array<{ traceId: string }> };
    const traceId = listed.traces[0].traceId;
    const request = service('getLeanTrace', { traceId });
    const posted: Array<ReplyPieceMessage | ReplyMessage> = [];
    await answerViewRequest(request, (type, params, onPiece) => client.relay(type, params, onPiece), editor(), (message) => void posted.push(message));
    assert.deepEqual(posted.at(-1), { kind: 'reply', requestId: request.id, ok: true, binary: true });
    const bytes = Buffer.concat(posted.filter((message): message is ReplyPieceMessage => message.kind === 'replyPiece').map((message) => message.piece));
    const direct = await fetch(`${client.url}/api/service/getLeanTrace`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ traceId }) });
    assert.deepEqual(new Uint8Array(bytes), new Uint8Array(await direct.arrayBuffer()));
    assert.ok(bytes.length > 0);
  });

  it('carries a request type it does not know to the process, which refuses it; the reply keeps the reason', async () => {
    const unknown = service('getTrace', { traceId: 'f'.repeat(32) });
    const relay: ServiceRelay = (type, params, onPiece) => client.relay(type, params, onPiece);
    assert.deepEqual((await answer(unknown, relay, editor())).reply, {
      kind: 'reply',
      requestId: unknown.id,
      ok: false,
      error: `no trace with id ${'f'.repeat(32)} (never received, deleted, or evicted by retention)`,
      reason: 'not-found',
    });
    const madeUp = service('formatDisk', {});
    assert.deepEqual((await answer(madeUp, relay, editor())).reply, { kind: 'reply', requestId: madeUp.id, ok: false, error: 'there is no service request "formatDisk"', reason: 'invalid' });
    // A type that is not a path segment stays one: it reaches the service's table, which refuses it.
    const traversal = (await answer(service('../traces', {}), relay, editor())).reply;
    assert.equal(traversal.ok === false && traversal.reason, 'invalid');
  });

  it('answers editor requests through the editor, apart from the service', async () => {
    const calls: string[] = [];
    const requests: EditorRequest[] = [
      { kind: 'request', type: 'openSource', id: 1, target: { filePath: 'app.py', line: 3 } },
      { kind: 'request', type: 'copy', id: 2, text: 'abc' },
      { kind: 'request', type: 'saveExport', id: 3, fileName: 'trace.json', content: '{}' },
    ];
    const results = [];
    for (const request of requests) results.push(await answer(request, () => Promise.reject(new Error('not a service request')), editor(calls)));
    assert.deepEqual(results.map(({ reply, text }) => reply.ok && JSON.parse(text)), [true, null, true]);
    assert.deepEqual(calls, ['open app.py:3', 'copy abc', 'save trace.json 2']);
  });

  it('offers forwarding only when the process has a forwarder', async () => {
    assert.equal((await panelCapabilities((type, params, onPiece) => client.relay(type, params, onPiece))).forward, false);
    const forwarder = fakeForwarder();
    const other = await listening(syncStore(), forwarder);
    try {
      assert.deepEqual(await panelCapabilities((type, params, onPiece) => other.client.relay(type, params, onPiece)), { openSource: true, copy: true, exportToFile: true, import: true, pin: true, delete: true, forward: true });
    } finally {
      await other.inspector.stop();
      forwarder.dispose();
    }
  });
});

describe('extension: the key and settings it hands the process', () => {
  it('sets and forgets the Respan API key, which no answer, status or refusal repeats', async () => {
    const forwarder = fakeForwarder();
    const { inspector, client } = await listening(syncStore(), forwarder);
    try {
      const set = await relayText(client, 'setApiKey', { apiKey: ` ${KEY} ` });
      assert.equal(JSON.parse(set).hasApiKey, true);
      assert.equal(forwarder.hasApiKey, true);
      for (const type of ['status', 'forwardingStatus', 'forwardingTraces']) assert.ok(!(await relayText(client, type)).includes(KEY), type);
      assert.ok(!set.includes(KEY));
      await assert.rejects(client.call('setApiKey', { apiKey: `${KEY} with space` }), (error: Error & { reason?: string }) => {
        assert.equal(error.reason, 'invalid');
        assert.ok(!error.message.includes(KEY), error.message);
        return true;
      });
      assert.equal((await client.call('setApiKey', { apiKey: null })).hasApiKey, false);
      assert.equal(forwarder.hasApiKey, false);
    } finally {
      await inspector.stop();
      forwarder.dispose();
    }
  });

  it('applies retention, prices and forwarding settings at once; a wrong request changes nothing', async () => {
    const store = syncStore();
    const forwarder = fakeForwarder();
    const { inspector, client } = await listening(store, forwarder);
    try {
      store.add([1, 2, 3].map((n) => makeSpan({ trace: `t${n}`, id: 'root' })));
      await assert.rejects(client.call('configure', { retention: { maxSpans: 0, maxTraces: 1, maxMemoryMb: 64 } }), /retention.maxSpans/);
      assert.equal(store.traceCount, 3);
      const result = await client.call('configure', {
        retention: { maxSpans: 100, maxTraces: 1, maxMemoryMb: 64 },
        prices: { 'my-model': { input: 1, output: 2 }, broken: { input: 'x' } },
        forwarding: { baseUrl: 'http://127.0.0.1:9/api', autoForward: false, api: 'ingest', filter: 'sdk', redact: ['secret.*'] },
      });
      store.flush();
      assert.equal(store.traceCount, 1);
      assert.equal(result.priceErrors.length, 1);
      assert.equal(result.forwardingProblem, null);
      assert.equal(forwarder.baseUrl, 'http://127.0.0.1:9/api');
      assert.deepEqual(forwarder.settings, { api: 'ingest', filter: 'sdk', redact: ['secret.*'] });
      const unsafe = await client.call('configure', { forwarding: { baseUrl: 'http://example.com/api', autoForward: false, api: 'otlp', filter: 'all', redact: [] } });
      assert.match(unsafe.forwardingProblem ?? '', /http/);
      assert.equal(forwarder.baseUrl, 'http://127.0.0.1:9/api');
    } finally {
      await inspector.stop();
      forwarder.dispose();
    }
  });

  it('keeps auto-forward as configured without a key, and starts it when the key arrives; a refused configure leaves it as it was', async () => {
    const forwarder = fakeForwarder();
    const { inspector, client } = await listening(syncStore(), forwarder);
    const forwarding = (autoForward: boolean, baseUrl = 'http://127.0.0.1:9/api') => ({ forwarding: { baseUrl, autoForward, api: 'otlp' as const, filter: 'all' as const, redact: [] } });
    try {
      await client.call('configure', forwarding(true));
      assert.equal(forwarder.autoForward, false, 'no key yet: nothing to send with');
      // Refused (not https beyond loopback): the wish stays as configured before.
      assert.notEqual((await client.call('configure', forwarding(false, 'http://example.com/api'))).forwardingProblem, null);
      assert.equal((await client.call('setApiKey', { apiKey: KEY })).autoForward, true);
      assert.equal(forwarder.autoForward, true);
      await client.call('setApiKey', { apiKey: null });
      await client.call('configure', forwarding(false));
      assert.equal((await client.call('setApiKey', { apiKey: KEY })).autoForward, false, 'configured off: a key does not start it');
    } finally {
      await inspector.stop();
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
    const { inspector, client } = await listening(store);
    try {
      const base = listenerEnvironment(endpointsOf(client.url)).RESPAN_BASE_URL;
      const body = (trace: string) =>
        JSON.stringify({ resourceSpans: [{ scopeSpans: [{ spans: [{ traceId: trace.repeat(32), spanId: '1'.repeat(16), name: 'x', startTimeUnixNano: '1', endTimeUnixNano: '2' }] }] }] });
      for (const [path, trace] of [['/v2/traces', 'a'], ['/v1/traces', 'b'], ['/api/v1/traces', 'c']] as const) {
        const response = await fetch(`${base}${path}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: body(trace) });
        assert.equal(response.status, 200, `${base}${path}`);
      }
      store.flush();
      assert.equal(store.traceCount, 3);
    } finally {
      await inspector.stop();
    }
  });
});

describe('extension: the Traces view’s outline of a trace', () => {
  it('lists roots and orphans at the top and children under their parents, in start order, from the service’s answer', () => {
    const store = syncStore();
    store.add([
      makeSpan({ trace: 't', id: 'root', startMs: 0 }),
      makeSpan({ trace: 't', id: 'late', parent: 'root', startMs: 20 }),
      makeSpan({ trace: 't', id: 'early', parent: 'root', startMs: 10 }),
      makeSpan({ trace: 't', id: 'leaf', parent: 'early', startMs: 11 }),
      makeSpan({ trace: 't', id: 'lost', parent: 'gone', startMs: 5 }),
      // A parent cycle: the service breaks it and marks a span orphan; the outline follows its flags.
      makeSpan({ trace: 't', id: 'cycleA', parent: 'cycleB', startMs: 30 }),
      makeSpan({ trace: 't', id: 'cycleB', parent: 'cycleA', startMs: 31 }),
    ]);
    const detail = traceDetailJson(store.tree(store.list().traces[0].traceId)!);
    const outline = new TraceOutline(detail);
    const id = (name: string) => makeSpan({ trace: 't', id: name }).spanId;
    assert.deepEqual(outline.roots, detail.roots);
    assert.ok(outline.roots.includes(id('root')) && outline.roots.includes(id('lost')));
    assert.deepEqual(outline.childrenOf(id('root')), [id('early'), id('late')]);
    assert.deepEqual(outline.pathTo(id('leaf')), [id('root'), id('early'), id('leaf')]);
    assert.deepEqual(outline.pathTo('0'.repeat(16)), []);
    // Every span is listed exactly once, cycle included.
    const seen: string[] = [];
    const walk = (ids: readonly string[]) => ids.forEach((span) => (seen.push(span), walk(outline.childrenOf(span))));
    walk(outline.roots);
    assert.deepEqual([...seen].sort(), detail.spans.map((span) => span.spanId).sort());
  });
});

describe('extension: tree presentation', () => {
  it('describes a trace by duration, spans, errors and start time', () => {
    const store = syncStore();
    store.add([
      makeSpan({ trace: 't', id: 'root', durationMs: 1500 }),
      makeSpan({ trace: 't', id: 'kid', parent: 'root', durationMs: 20, error: true }),
    ]);
    assert.match(traceDescription(summaryJson(store.list().traces[0])), /^1 error · 1\.5 s · 2 spans · \d\d:\d\d:\d\d$/);
    assert.equal(formatDuration(0.5), '0.5 ms');
    assert.equal(formatDuration(125_000), '2 m 05 s');
  });
});
