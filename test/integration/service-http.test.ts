/**
 * The service over real sockets: each REST route and `POST /api/service/{type}`
 * answer the same for the same operation (they carry one handler), failures
 * map to the same statuses, and the live stream carries the service's events.
 * Forwarding goes to a fake Respan endpoint on loopback.
 */

import { strict as assert } from 'node:assert';
import { encodeOtlpJson } from '../../src/core/otlp/export';
import { TraceStore } from '../../src/core/store';
import type { ForwardTraceJson, TraceListJson } from '../../src/protocol/api';
import { createNodeForwarder, type NodeForwarding } from '../../src/server/forwarding';
import { InspectorServer } from '../../src/server/server';
import { FakeRespan } from '../support/fakeRespan';
import { rawRequest } from '../support/rawHttp';
import { hexId, makeSpan } from '../support/spans';

const KEY = 'rk_service_http_SECRET_77aa';
const ONE = hexId('one', 32);
const TWO = hexId('two', 32);
const UNKNOWN = 'f'.repeat(32);

interface Answer {
  status: number;
  body: unknown;
}

describe('the service over HTTP', function () {
  this.timeout(30_000);
  let fake: FakeRespan;
  let store: TraceStore;
  let forwarding: NodeForwarding;
  let server: InspectorServer;

  async function rest(path: string, method = 'GET', body?: string): Promise<Answer> {
    const response = await fetch(`${server.url}${path}`, { method, body });
    return { status: response.status, body: JSON.parse(await response.text()) };
  }

  async function call(type: string, params: unknown, on = server): Promise<Answer> {
    const response = await fetch(`${on.url}/api/service/${type}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(params) });
    return { status: response.status, body: JSON.parse(await response.text()) };
  }

  beforeEach(async () => {
    fake = new FakeRespan([KEY]);
    await fake.start(0);
    store = new TraceStore({ schedule: (callback) => void setImmediate(callback) });
    store.add([
      makeSpan({ trace: 'one', id: 'root', name: 'joke_workflow.workflow', startMs: 1_700_000_000_000 }),
      makeSpan({ trace: 'one', id: 'child', parent: 'root', name: 'openai.chat', error: true, startMs: 1_700_000_000_001 }),
      makeSpan({ trace: 'two', id: 'root', name: 'other', startMs: 1_700_000_001_000 }),
    ]);
    forwarding = createNodeForwarder({ store, apiKey: KEY, baseUrl: fake.baseUrl, limits: { batchDelayMs: 10 } });
    server = new InspectorServer({ store, port: 0, forwarding: forwarding.forwarder, onSpans: (spans) => forwarding.forwarder.captured(spans) });
    await server.start();
  });

  afterEach(async () => {
    forwarding.dispose();
    await server.stop();
    await fake.stop();
  });

  it('lists, filters, gives facets, a trace and its export the same way on both', async () => {
    assert.deepEqual(await rest('/api/traces'), await call('listTraces', {}));
    assert.deepEqual(await rest('/api/traces?errors=1&q=openai&limit=5'), await call('listTraces', { query: { errors: true, q: 'openai', limit: 5 } }));
    assert.deepEqual(await rest(`/api/traces?ids=${TWO},${ONE}&errors=1`), await call('listTraces', { query: { traceIds: [TWO, ONE], errors: true } }));
    assert.equal(((await rest('/api/traces?errors=1')).body as TraceListJson).total, 1, 'the filter was applied');
    assert.deepEqual(await rest('/api/facets'), await call('getFacets', {}));
    assert.deepEqual(await rest(`/api/traces/${ONE}`), await call('getTrace', { traceId: ONE }));
    const exported = await fetch(`${server.url}/api/traces/${ONE}/otlp`);
    assert.equal(exported.headers.get('content-disposition'), `attachment; filename="trace-${ONE}.json"`);
    const file = (await call('exportTrace', { traceId: ONE })).body as { fileName: string; content: string };
    assert.equal(await exported.text(), file.content);
    assert.equal(file.fileName, `trace-${ONE}.json`);
  });

  it('answers an unknown trace 404 with the same error on both', async () => {
    const viaRest = await rest(`/api/traces/${UNKNOWN}`);
    assert.equal(viaRest.status, 404);
    assert.deepEqual(viaRest, await call('getTrace', { traceId: UNKNOWN }));
    assert.deepEqual(await rest(`/api/traces/${UNKNOWN}/pin`, 'POST'), await call('pinTrace', { traceId: UNKNOWN, pinned: true }));
    assert.deepEqual(await rest(`/api/traces/${UNKNOWN}`, 'DELETE'), await call('deleteTraces', { traceIds: [UNKNOWN] }));
  });

  it('pins, deletes and clears the same way on both', async () => {
    assert.deepEqual(await rest(`/api/traces/${ONE}/pin`, 'POST'), { status: 200, body: { traceId: ONE, pinned: true } });
    assert.deepEqual(await call('pinTrace', { traceId: ONE, pinned: true }), { status: 200, body: { traceId: ONE, pinned: true } });
    assert.deepEqual(await rest(`/api/traces/${ONE}/pin`, 'DELETE'), await call('pinTrace', { traceId: ONE, pinned: false }));
    assert.deepEqual(await rest(`/api/traces/${TWO}`, 'DELETE'), { status: 200, body: { traceId: TWO, deleted: true } });
    assert.equal(store.get(TWO), undefined);
    await call('pinTrace', { traceId: ONE, pinned: true });
    assert.deepEqual(await rest('/api/traces', 'DELETE'), { status: 200, body: { cleared: true, traceCount: 1 } });
    assert.deepEqual(await call('deleteTraces', {}), { status: 200, body: { deleted: [], cleared: true, traceCount: 1 } });
  });

  it('imports a file with the same answer on both, and refuses a file with nothing importable with 400 on both', async () => {
    const content = JSON.stringify(encodeOtlpJson([makeSpan({ trace: 'three', id: 'root' })]));
    const viaRest = await rest('/api/import', 'POST', content);
    assert.deepEqual(viaRest, { status: 200, body: { imported: 1, rejected: 0, traceIds: [hexId('three', 32)] } });
    assert.deepEqual(await call('importTraces', { content }), viaRest);
    const bad = await rest('/api/import', 'POST', '[{"nonsense": true}]');
    assert.equal(bad.status, 400);
    assert.deepEqual(await call('importTraces', { content: '[{"nonsense": true}]' }), bad);
  });

  it('answers status, and pauses capture through the service for every receiver', async () => {
    const viaRest = await rest('/api/status');
    const viaService = await call('status', {});
    // The heap moves between two requests; everything else is the same answer.
    const withoutHeap = (answer: Answer) => ({ ...answer, body: { ...(answer.body as object), memory: { ...(answer.body as { memory: object }).memory, heapUsedBytes: 0 } } });
    assert.deepEqual(withoutHeap(viaRest), withoutHeap(viaService));
    assert.equal((viaRest.body as { url: string }).url, server.url);
    assert.equal((viaRest.body as { inspector: string }).inspector, 'respan-trace-inspector');
    assert.deepEqual(await call('setCapture', { capturing: false }), { status: 200, body: { capturing: false, droppedSpans: 0 } });
    const posted = await fetch(`${server.url}/v1/traces`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(encodeOtlpJson([makeSpan({ trace: 'paused', id: 'root' })])) });
    assert.equal(posted.status, 200, 'senders are still answered while paused');
    assert.equal(store.get(hexId('paused', 32)), undefined);
    const status = (await rest('/api/status')).body as { spanCount: number; traceCount: number; capturing: boolean; droppedSpans: number };
    assert.deepEqual([status.spanCount, status.traceCount, status.capturing, status.droppedSpans], [3, 2, false, 1]);
  });

  it('forwards, previews and reports forwarding state the same way on both', async () => {
    assert.deepEqual(await rest(`/api/traces/${ONE}/forward/preview`), await call('forwardPreview', { traceId: ONE }));
    const viaRest = await rest(`/api/traces/${ONE}/forward?wait=1`, 'POST');
    assert.equal(viaRest.status, 200);
    assert.equal((viaRest.body as ForwardTraceJson).message, 'Sent 2 spans to Respan.');
    const viaService = await call('forwardTrace', { traceId: TWO, waitMs: 10_000 });
    assert.equal((viaService.body as ForwardTraceJson).message, 'Sent 1 span to Respan.');
    assert.deepEqual(await rest(`/api/traces/${ONE}/forward`), await call('traceForwarding', { traceId: ONE }));
    assert.deepEqual(await rest('/api/forwarding/traces'), await call('forwardingTraces', {}));
    assert.deepEqual(await rest('/api/forwarding'), await call('forwardingStatus', {}));
    assert.deepEqual(await rest(`/api/traces/${ONE}/forward`, 'POST'), { status: 202, body: (await call('forwardTrace', { traceId: ONE })).body });
    assert.deepEqual(await rest('/api/forwarding/retry', 'POST', JSON.stringify({ traceIds: [ONE] })), await call('retryForwarding', { traceIds: [ONE] }));
  });

  it('answers forwarding 404 on both in an inspector without a forwarder', async () => {
    const bare = new InspectorServer({ store: new TraceStore(), port: 0 });
    await bare.start();
    try {
      const viaRest = await fetch(`${bare.url}/api/forwarding`);
      const viaService = await call('forwardingStatus', {}, bare);
      assert.equal(viaRest.status, 404);
      assert.deepEqual({ status: viaRest.status, body: await viaRest.json() }, viaService);
    } finally {
      await bare.stop();
    }
  });

  it('refuses what is not a service call: another method, another type, a body that is not JSON, an unknown request', async () => {
    const get = await rawRequest(`${server.url}/api/service/listTraces`);
    assert.equal(get.status, 405);
    assert.equal(get.headers.allow, 'POST');
    const form = await rawRequest(`${server.url}/api/service/listTraces`, { method: 'POST', body: 'query=x', headers: { 'Content-Type': 'application/x-www-form-urlencoded' } });
    assert.equal(form.status, 415);
    const broken = await rawRequest(`${server.url}/api/service/listTraces`, { method: 'POST', body: '{', headers: { 'Content-Type': 'application/json' } });
    assert.equal(broken.status, 400);
    assert.match(JSON.parse(broken.text).error, /not valid JSON/);
    const unknown = await call('dropEverything', {});
    assert.deepEqual(unknown, { status: 400, body: { error: 'there is no service request "dropEverything"' } });
    const wrong = await call('getTrace', { traceId: 7 });
    assert.equal(wrong.status, 400);
    const empty = await rawRequest(`${server.url}/api/service/getFacets`, { method: 'POST' });
    assert.equal(empty.status, 200, 'an empty body is no parameters');
    const crossSite = await rawRequest(`${server.url}/api/service/deleteTraces`, { method: 'POST', body: '{}', headers: { 'Content-Type': 'application/json', Origin: 'https://evil.example' } });
    assert.equal(crossSite.status, 403);
    assert.equal(store.traceCount, 2, 'nothing was deleted');
  });

  it('carries the service’s live events on /api/events, a change after a service call included', async () => {
    const abort = new AbortController();
    const response = await fetch(`${server.url}/api/events`, { signal: abort.signal });
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    let text = '';
    const until = async (pattern: RegExp): Promise<void> => {
      while (!pattern.test(text)) {
        const { value, done } = await reader.read();
        if (done) throw new Error(`the stream ended before ${pattern}: ${text}`);
        text += decoder.decode(value);
      }
    };
    try {
      await until(/event: hello\ndata: \{"spanCount":3,"traceCount":2\}\n\n/);
      await call('deleteTraces', { traceIds: [TWO] });
      await until(/event: change\ndata: .*\n\n/);
      const change = JSON.parse(/event: change\ndata: (.*)\n\n/.exec(text)![1]) as { evicted: string[]; traceCount: number };
      assert.deepEqual(change.evicted, [TWO]);
      assert.equal(change.traceCount, 1);
      await call('forwardTrace', { traceId: ONE });
      await until(/event: forwarding\ndata: .*\n\n/);
    } finally {
      abort.abort();
    }
  });
});
