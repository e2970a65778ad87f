// The inspector's service, in core: every request answered from a store, a
// forwarder on fake time and a scripted transport, without sockets.
import { strict as assert } from 'node:assert';
import { Forwarder, type ForwardRequest, type ForwardResponse } from '../../src/core/forward/forwarder';
import { encodeOtlpJson } from '../../src/core/otlp/export';
import { isServiceError, ServiceError, type ServiceErrorReason } from '../../src/core/service/errors';
import { fixedForwarding } from '../../src/core/service/forwarding';
import { InspectorService } from '../../src/core/service/inspectorService';
import { DEFAULT_LEAN_CACHE_BYTES } from '../../src/core/service/leanTraces';
import { TraceStore } from '../../src/core/store';
import { traceDetailJson } from '../../src/protocol/serialize';
import type { ServiceEvent } from '../../src/protocol/service';
import { FakeTime } from '../support/fakeTime';
import { hexId, makeLog, makeSpan } from '../support/spans';
import { nextTurn } from '../../src/server/turns';

const KEY = 'rk_service_SECRET_0a1b2c3d4e';

/** A transport answering from a script, then 200; or never, while `hanging`. */
class Transport {
  readonly requests: ForwardRequest[] = [];
  hanging = false;
  private readonly script: Array<Partial<ForwardResponse>> = [];
  answer(...answers: Array<Partial<ForwardResponse>>): void {
    this.script.push(...answers);
  }
  send = (request: ForwardRequest): Promise<ForwardResponse> => {
    this.requests.push(request);
    if (this.hanging) return new Promise(() => undefined);
    return Promise.resolve({ status: 200, headers: {}, body: '{}', ...this.script.shift() });
  };
}

interface Rig {
  store: TraceStore;
  service: InspectorService;
  time: FakeTime;
  transport: Transport;
  forwarder: Forwarder;
}

/** A store with two traces: `one` (a root and a failed child) and the newer `two`. */
function rig(options: { apiKey?: string; forwarding?: boolean } = {}): Rig {
  const store = new TraceStore({ schedule: () => undefined });
  store.add([
    makeSpan({ trace: 'one', id: 'root', name: 'joke_workflow.workflow', startMs: 1_700_000_000_000 }),
    makeSpan({ trace: 'one', id: 'child', parent: 'root', name: 'openai.chat', error: true, startMs: 1_700_000_000_001 }),
    makeSpan({ trace: 'two', id: 'root', name: 'other', startMs: 1_700_000_001_000 }),
  ]);
  store.flush();
  const time = new FakeTime();
  const transport = new Transport();
  const forwarder = new Forwarder({
    transport: { send: transport.send },
    now: time.now,
    timers: time,
    random: () => 0.5,
    apiKey: 'apiKey' in options ? options.apiKey : KEY,
    baseUrl: 'https://respan.example/api',
    source: { trace: (traceId) => store.get(traceId)?.spans.values(), span: (traceId, spanId) => store.getSpan(traceId, spanId) },
    limits: { batchDelayMs: 10, maxAttempts: 1 },
  });
  const service = new InspectorService({
    store,
    forwarding: options.forwarding === false ? undefined : fixedForwarding(forwarder),
    timers: time,
    yieldTurn: nextTurn,
    maxImportChars: 100_000,
  });
  service.describeProcess(() => ({ version: '9.9.9', pid: 4242, startedBy: 'user', clients: 2, url: 'http://127.0.0.1:4318', endpoints: { http: 'http://127.0.0.1:4318' }, dataDir: null, disk: null, heapUsedBytes: 12_345 }));
  return { store, service, time, transport, forwarder };
}

const ONE = hexId('one', 32);
const TWO = hexId('two', 32);
const UNKNOWN = 'f'.repeat(32);

async function refused(promise: Promise<unknown>, reason: ServiceErrorReason, message: RegExp): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(isServiceError(error), `a ServiceError, got ${String(error)}`);
    assert.equal(error.reason, reason, error.message);
    assert.match(error.message, message);
    return true;
  });
}

describe('service: large answers', function () {
  this.timeout(120_000);

  it('makes a 100,000-span trace, and its OTLP export, in steps that give other work turns, the same as made in one go; imports it in steps', async () => {
    const store = new TraceStore({ schedule: () => undefined });
    store.add(Array.from({ length: 100_000 }, (_, i) => makeSpan({ trace: 'big', id: `s${i}`, parent: i === 0 ? null : `s${(i - 1) >> 2}`, startMs: 1_700_000_000_000 + i })));
    let turns = 0;
    const service = new InspectorService({ store, timers: new FakeTime(), yieldTurn: () => (turns++, nextTurn()) });
    const traceId = hexId('big', 32);
    const tree = store.tree(traceId)!;

    const detail = await service.handle('getTrace', { traceId });
    assert.ok(turns > 0, 'the trace was made in one go');
    assert.equal(JSON.stringify(detail), JSON.stringify(traceDetailJson(tree)));

    turns = 0;
    const file = await service.handle('exportTrace', { traceId });
    assert.ok(turns > 0, 'the export was made in one go');
    assert.equal(file.content, JSON.stringify(encodeOtlpJson(tree.spans)));

    // The file imports back into another inspector, decoded in steps too.
    let importTurns = 0;
    const other = new InspectorService({ store: new TraceStore({ schedule: () => undefined }), timers: new FakeTime(), yieldTurn: () => (importTurns++, nextTurn()) });
    assert.equal((await other.handle('importTraces', { content: file.content })).imported, 100_000);
    assert.ok(importTurns > 0, 'the import was decoded in one go');

    // A receiver's large body is stored in steps.
    importTurns = 0;
    const third = new InspectorService({ store: new TraceStore({ schedule: () => undefined }), timers: new FakeTime(), yieldTurn: () => (importTurns++, nextTurn()) });
    assert.equal(await third.ingest(tree.spans), true);
    assert.ok(importTurns > 0, 'the body was stored in one go');
    assert.equal(third.store.spanCount, 100_000);
  });
});

describe('service: traces', () => {
  it('lists traces newest first, filtered as asked, and refreshes only the ids asked for', async () => {
    const { service } = rig();
    const all = await service.handle('listTraces', { query: {} });
    assert.deepEqual(all.traces.map((trace) => trace.name), ['other', 'joke_workflow.workflow']);
    assert.equal(all.total, 2);
    assert.deepEqual((await service.handle('listTraces', { query: { errors: true } })).traces.map((trace) => trace.traceId), [ONE]);
    assert.deepEqual((await service.handle('listTraces', { query: { q: '  OPENAI ' } })).traces.map((trace) => trace.traceId), [ONE], 'free text, trimmed, any case');
    assert.deepEqual((await service.handle('listTraces', { query: { traceIds: [ONE, TWO], errors: true } })).traces.map((trace) => trace.traceId), [ONE]);
    assert.deepEqual(await service.handle('listTraces', { query: { traceIds: [] } }), { traces: [], total: 0 });
    assert.deepEqual((await service.handle('listTraces', {})).total, 2, 'no query is every trace');
  });

  it('answers the facets of the whole store', async () => {
    const { store, service } = rig();
    assert.deepEqual(await service.handle('getFacets', {}), store.facetValues());
  });

  it('answers one trace, one span with its orphan flag, and not-found for what it does not hold', async () => {
    const { store, service } = rig();
    store.add([makeSpan({ trace: 'two', id: 'lost', parent: 'ghost', startMs: 1_700_000_001_001 })]);
    const detail = await service.handle('getTrace', { traceId: ONE.toUpperCase() });
    assert.equal(detail.traceId, ONE);
    assert.equal(detail.spans.length, 2);
    const span = await service.handle('getSpan', { traceId: ONE, spanId: hexId('child', 16) });
    assert.equal(span.name, 'openai.chat');
    assert.equal(span.isError, true);
    assert.equal(span.orphan, false);
    assert.equal((await service.handle('getSpan', { traceId: TWO, spanId: hexId('lost', 16) })).orphan, true);
    await refused(service.handle('getTrace', { traceId: UNKNOWN }), 'not-found', /no trace with id f{32}/);
    await refused(service.handle('getSpan', { traceId: ONE, spanId: 'e'.repeat(16) }), 'not-found', /has no span e{16}/);
  });

  it('pins, deletes, clears (pinned traces stay) and says not-found for a trace it does not hold', async () => {
    const { store, service } = rig();
    assert.deepEqual(await service.handle('pinTrace', { traceId: ONE, pinned: true }), { traceId: ONE, pinned: true });
    assert.equal(store.get(ONE)?.pinned, true);
    assert.deepEqual(await service.handle('deleteTraces', { traceIds: [TWO, UNKNOWN] }), { deleted: [TWO], cleared: false, traceCount: 1 });
    await refused(service.handle('deleteTraces', { traceIds: [UNKNOWN] }), 'not-found', /no trace with id/);
    store.add([makeSpan({ trace: 'three', id: 'root' })]);
    assert.deepEqual(await service.handle('deleteTraces', {}), { deleted: [], cleared: true, traceCount: 1 });
    assert.ok(store.get(ONE), 'the pinned trace survives a clear');
    await refused(service.handle('pinTrace', { traceId: UNKNOWN, pinned: true }), 'not-found', /no trace with id/);
  });

  it('exports a trace as an OTLP/JSON file that imports back, even while capture is paused', async () => {
    const { service } = rig();
    const file = await service.handle('exportTrace', { traceId: ONE });
    assert.equal(file.fileName, `trace-${ONE}.json`);
    const parsed = JSON.parse(file.content) as { resourceSpans: unknown[] };
    assert.ok(Array.isArray(parsed.resourceSpans));

    const target = rig().service;
    await target.handle('deleteTraces', {});
    await target.handle('setCapture', { capturing: false });
    const result = await target.handle('importTraces', { content: file.content, fileName: 'x.json' });
    assert.deepEqual(result, { imported: 2, rejected: 0, traceIds: [ONE] });
    assert.equal((await target.handle('status', {})).spanCount, 2);
  });

  it('imports what it can, says what it refused, and refuses a file with nothing importable, naming it', async () => {
    const { service, store } = rig();
    const good = encodeOtlpJson([makeSpan({ trace: 'four', id: 'root' })]) as { resourceSpans: Array<{ scopeSpans: Array<{ spans: unknown[] }> }> };
    good.resourceSpans[0].scopeSpans[0].spans.push({ traceId: 'zz', spanId: '1', name: 'bad' });
    const partial = await service.handle('importTraces', { content: JSON.stringify(good) });
    assert.equal(partial.imported, 1);
    assert.equal(partial.rejected, 1);
    assert.match(partial.message ?? '', /1 span rejected/);
    assert.ok(store.get(hexId('four', 32)));
    await refused(service.handle('importTraces', { content: '[{"nonsense": true}]', fileName: 'bad.json' }), 'invalid', /^nothing could be imported from bad\.json: /);
    await refused(service.handle('importTraces', { content: '{not json' }), 'invalid', /^nothing could be imported: /);
    await refused(service.handle('importTraces', { content: ' '.repeat(100_001) }), 'too-large', /larger than/);
  });
});

describe('service: capture and status', () => {
  it('drops and counts receivers’ spans while paused, and reports it in status', async () => {
    const { service, store } = rig();
    assert.deepEqual(await service.handle('setCapture', { capturing: false }), { capturing: false, droppedSpans: 0 });
    assert.equal(await service.ingest([makeSpan({ trace: 'five', id: 'root' })]), false);
    assert.equal(store.get(hexId('five', 32)), undefined);
    const status = await service.handle('status', {});
    assert.deepEqual(
      { inspector: status.inspector, pid: status.pid, url: status.url, spanCount: status.spanCount, traceCount: status.traceCount, capturing: status.capturing, droppedSpans: status.droppedSpans },
      { inspector: 'respan-trace-inspector', pid: 4242, url: 'http://127.0.0.1:4318', spanCount: 3, traceCount: 2, capturing: false, droppedSpans: 1 },
      'the process describes itself, the service the rest',
    );
    assert.deepEqual(
      status.memory,
      { storeBytes: store.approxBytes, maxStoreBytes: store.maxApproxBytes, heapUsedBytes: 12_345, leanTraceCache: { traces: 0, bytes: 0, maxBytes: DEFAULT_LEAN_CACHE_BYTES, hits: 0, misses: 0 } },
      'the heap as the process reports it',
    );
    await service.handle('setCapture', { capturing: true });
    assert.equal(await service.ingest([makeSpan({ trace: 'five', id: 'root' })]), true);
    assert.ok(store.get(hexId('five', 32)));
  });

  it('drops receivers’ log records while paused, and answers the logs it keeps', async () => {
    const { service, store } = rig();
    await service.handle('setCapture', { capturing: false });
    service.ingestLogs([makeLog({ trace: 'one', span: 'root' })]);
    assert.equal(store.logRecordCount, 0);
    await service.handle('setCapture', { capturing: true });
    service.ingestLogs([makeLog({ trace: 'one', span: 'root' })]);
    assert.equal(store.logRecordCount, 1);
    assert.equal((await service.handle('traceLogs', { traceId: ONE })).logs.length, 1);
    await refused(service.handle('traceLogs', { traceId: UNKNOWN }), 'not-found', /no trace with id/);
    assert.deepEqual(await service.handle('untracedLogs', {}), { logs: [], received: 0 });
    service.countMetrics(7);
    assert.deepEqual((await service.handle('status', {})).metrics, { exportRequests: 1, dataPoints: 7 });
  });
});

describe('service: status without a listener', () => {
  it('is unavailable until a listening process describes itself, and again after it stops', async () => {
    const store = new TraceStore();
    const service = new InspectorService({ store, timers: new FakeTime(), yieldTurn: nextTurn });
    await refused(service.handle('status', {}), 'unavailable', /not listening/);
    const stop = service.describeProcess(() => ({ version: '1', pid: 1, startedBy: 'extension', clients: 0, url: 'http://127.0.0.1:1', endpoints: { http: 'http://127.0.0.1:1' }, dataDir: null, disk: null, heapUsedBytes: 1 }));
    assert.equal((await service.handle('status', {})).startedBy, 'extension');
    stop();
    await refused(service.handle('status', {}), 'unavailable', /not listening/);
  });
});

describe('service: forwarding', () => {
  it('says forwarding is not there in an inspector without a forwarder', async () => {
    const { service } = rig({ forwarding: false });
    for (const type of ['forwardingStatus', 'forwardingTraces'] as const) await refused(service.handle(type, {}), 'not-found', /forwarding to Respan is not available/);
    await refused(service.handle('forwardTrace', { traceId: ONE }), 'not-found', /not available/);
  });

  it('says how to set the key when there is none', async () => {
    const { service, transport } = rig({ apiKey: undefined });
    await refused(service.handle('forwardTrace', { traceId: ONE }), 'unavailable', /^no Respan API key is set; in VS Code run "Respan Trace Inspector: Set Respan API Key", or start the inspector with RESPAN_API_KEY/);
    await refused(service.handle('retryForwarding', {}), 'unavailable', /no Respan API key is set/);
    assert.equal(transport.requests.length, 0);
  });

  it('queues a trace and says so without waiting; waits for Respan when asked, and tells what happened', async () => {
    const { service, time, transport } = rig();
    const queued = await service.handle('forwardTrace', { traceId: ONE });
    assert.equal(queued.ok, true);
    assert.equal(queued.message, 'Forwarding 2 spans to https://respan.example/api/v2/traces.');
    assert.equal(queued.queued, 2);
    await time.runAll();
    assert.equal(transport.requests.length, 1);
    assert.equal((await service.handle('traceForwarding', { traceId: ONE })).state, 'sent');

    const again = await service.handle('forwardTrace', { traceId: ONE, waitMs: 5000 });
    assert.deepEqual({ ok: again.ok, message: again.message, alreadySent: again.alreadySent }, { ok: true, message: 'Respan already has this trace (2 spans).', alreadySent: 2 });

    const waiting = service.handle('forwardTrace', { traceId: TWO, waitMs: 5000 });
    await time.advance(1000);
    const sent = await waiting;
    assert.equal(sent.message, 'Sent 1 span to Respan.');
    assert.equal(sent.trace.state, 'sent');
    assert.deepEqual(await service.handle('forwardingTraces', {}), { traces: { [ONE]: 'sent', [TWO]: 'sent' } });
  });

  it('reports a refusal as not ok with Respan’s reason, and retries it on request', async () => {
    const { service, time, transport } = rig();
    transport.answer({ status: 400, body: '{"error":"span attribute limit exceeded"}' });
    const waiting = service.handle('forwardTrace', { traceId: ONE, waitMs: 5000, resend: true });
    await time.advance(1000);
    const result = await waiting;
    assert.equal(result.ok, false);
    assert.match(result.message, /^2 spans not forwarded: Respan answered 400/);
    assert.equal((await service.handle('forwardingStatus', {})).counts.failed, 2);
    assert.equal((await service.handle('retryForwarding', { traceIds: [ONE] })).queued, 2);
    await time.runAll();
    assert.equal((await service.handle('traceForwarding', { traceId: ONE })).state, 'sent');
  });

  it('says a wait ran out while spans are still on their way, without calling that a failure', async () => {
    const { service, time, transport } = rig();
    transport.hanging = true;
    const waiting = service.handle('forwardTrace', { traceId: TWO, waitMs: 200 });
    await time.advance(300);
    assert.deepEqual(await waiting.then(({ ok, message }) => ({ ok, message })), { ok: true, message: 'Still sending 1 span to Respan.' });
  });

  it('previews exactly what would be sent, and says not-found for a trace it does not hold', async () => {
    const { service } = rig();
    const preview = await service.handle('forwardPreview', { traceId: ONE });
    assert.equal(preview.spanCount, 2);
    assert.equal(preview.headers.authorization ?? preview.headers.Authorization, 'Bearer [api key hidden]');
    assert.ok(!JSON.stringify(preview).includes(KEY));
    await refused(service.handle('forwardPreview', { traceId: UNKNOWN }), 'not-found', /no trace with id/);
    await refused(service.handle('forwardTrace', { traceId: UNKNOWN }), 'not-found', /no trace with id/);
  });
});

describe('service: requests from outside', () => {
  it('refuses unknown request types and wrong parameters, naming what is wrong', async () => {
    const { service } = rig();
    await refused(service.dispatch('dropDatabase', {}), 'invalid', /there is no service request "dropDatabase"/);
    await refused(service.dispatch('toString', {}), 'invalid', /no service request/);
    await refused(service.dispatch('getTrace', { traceId: 42 }), 'invalid', /traceId must be a trace id of 32 hex digits, got number/);
    await refused(service.dispatch('getTrace', []), 'invalid', /parameters must be a JSON object/);
    await refused(service.dispatch('pinTrace', { traceId: ONE }), 'invalid', /pinned must be true or false/);
    await refused(service.dispatch('listTraces', { query: { limit: '5' } }), 'invalid', /query\.limit must be a number, got string/);
    await refused(service.dispatch('deleteTraces', { traceIds: [ONE, 'x'] }), 'invalid', /traceIds\[1\] must be a trace id/);
    await refused(service.dispatch('importTraces', {}), 'invalid', /content must be a string/);
    assert.deepEqual(await service.dispatch('pinTrace', { traceId: ONE, pinned: true }), { traceId: ONE, pinned: true });
  });

  it('sends store changes and forwarding changes as live events, until unsubscribed', async () => {
    const { service, store, time } = rig();
    const events: ServiceEvent[] = [];
    const unsubscribe = service.subscribe((event) => events.push(event));
    store.add([makeSpan({ trace: 'six', id: 'root' })]);
    store.flush();
    await service.handle('forwardTrace', { traceId: ONE });
    await time.runAll();
    assert.deepEqual(events[0], { type: 'change', data: { added: [hexId('six', 32)], updated: [], evicted: [], cleared: false, spanCount: 4, traceCount: 3 } });
    assert.ok(events.some((event) => event.type === 'forwarding' && event.data.traceIds.includes(ONE)));
    unsubscribe();
    const seen = events.length;
    store.add([makeSpan({ trace: 'seven', id: 'root' })]);
    store.flush();
    assert.equal(events.length, seen);
  });

  it('is one error class for every refusal', () => {
    const error = new ServiceError('invalid', 'x');
    assert.ok(error instanceof Error);
    assert.equal(isServiceError(error, 'invalid'), true);
    assert.equal(isServiceError(error, 'not-found'), false);
    assert.equal(isServiceError(new Error('x')), false);
  });
});
