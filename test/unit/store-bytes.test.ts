/**
 * The store's byte bound: span counts alone do not bound memory when spans
 * carry megabytes of prompts, so retention also evicts by approximate size.
 */
import * as assert from 'node:assert/strict';
import { TraceStore, approxSpanBytes, resourceBytes, scopeBytes } from '../../src/core/store';
import { InspectorServer } from '../../src/server/server';
import { fullGc } from '../support/gc';
import { hexId, makeSpan } from '../support/spans';

const traceOf = (label: string) => hexId(label, 32);
const MB = 1024 * 1024;

describe('TraceStore byte bound', () => {
  it('charges a span for its strings, nested values included', () => {
    const small = approxSpanBytes(makeSpan({ id: 'a' }));
    const big = approxSpanBytes(makeSpan({ id: 'a', attributes: { prompt: 'x'.repeat(100_000), nested: { list: ['y'.repeat(50_000)] } } }));
    assert.ok(small > 300 && small < 600, `a bare span costs ${small}`);
    assert.ok(big - small >= 150_000 && big - small < 151_000, `the strings cost ${big - small}`);
  });

  it('does not charge every span for the resource and scope its request shares', () => {
    const resource = { 'service.name': 'svc', 'host.description': 'h'.repeat(10_000) };
    const withResource = approxSpanBytes(makeSpan({ id: 'a', resource }));
    assert.equal(withResource, approxSpanBytes(makeSpan({ id: 'a' })));
  });

  it('charges a shared resource and scope once, whatever number of spans and traces hold them, until the last one goes', () => {
    const store = new TraceStore({ schedule: () => undefined });
    const resource = { 'service.name': 'svc', 'host.description': 'h'.repeat(100_000) };
    const scope = { name: 's'.repeat(50_000), version: 'v'.repeat(20_000), attributes: { 'scope.blob': 'b'.repeat(30_000) } };
    const spans = Array.from({ length: 5 }, (_, i) => ({ ...makeSpan({ trace: `t${i}`, id: 'a', resource }), scope }));
    store.add(spans);
    const shared = resourceBytes(resource) + scopeBytes(scope);
    assert.ok(shared > 200_000);
    assert.equal(store.approxBytes, spans.reduce((sum, span) => sum + approxSpanBytes(span), 0) + shared);
    for (let i = 0; i < 4; i++) store.delete(traceOf(`t${i}`));
    assert.equal(store.approxBytes, approxSpanBytes(spans[4]) + shared, 'the last trace holding them keeps them charged');
    const moved = { ...makeSpan({ trace: 't4', id: 'a' }), scope: { name: 'other', attributes: {} } };
    store.add([moved]);
    assert.equal(store.approxBytes, approxSpanBytes(moved) + resourceBytes(moved.resource) + scopeBytes(moved.scope), 'a replaced span releases what it held');
    store.clear();
    assert.equal(store.approxBytes, 0);
  });

  it('evicts traces whose requests share megabytes of resource, though each span is small', () => {
    const store = new TraceStore({ maxBytes: 3 * MB, schedule: () => undefined });
    for (let r = 0; r < 10; r++) {
      const resource = { 'service.name': 'svc', blob: `${r}`.padEnd(MB, 'r') };
      store.add(Array.from({ length: 16 }, (_, i) => makeSpan({ trace: `r${r}s${i}`, id: 'a', resource })));
    }
    assert.ok(store.approxBytes <= 3 * MB, `charged ${store.approxBytes}`);
    assert.ok(store.traceCount <= 3 * 16, `${store.traceCount} traces kept of 160`);
  });

  it('charges traceStates, link ids and Respan parameters parsed from JSON text', () => {
    const bare = approxSpanBytes(makeSpan({ id: 'a' }));
    const withState = { ...makeSpan({ id: 'a' }), traceState: 't'.repeat(500) };
    assert.equal(approxSpanBytes(withState) - bare, 500);
    const withLink = { ...makeSpan({ id: 'a' }), links: [{ traceId: traceOf('x'), spanId: 'b'.repeat(16), traceState: 'l'.repeat(300), attributes: {} }] };
    assert.ok(approxSpanBytes(withLink) - bare >= 300 + 48);
    const metadata = makeSpan({ id: 'a', attributes: { 'respan.metadata': JSON.stringify({ notes: 'm'.repeat(50_000) }) } });
    assert.ok(approxSpanBytes(metadata) - bare >= 2 * 50_000, 'the attribute, and the metadata parsed from it');
  });

  it('charges a typical 12-attribute span near what it measures on the heap (about 880 bytes)', () => {
    const attributes = Object.fromEntries(Array.from({ length: 12 }, (_, i) => [`gen_ai.attribute_${i}`, `value-${i}-abcdef`]));
    const charged = approxSpanBytes(makeSpan({ id: 'a', name: 'openai.chat', attributes }));
    assert.ok(charged > 880 && charged < 1_400, `a typical span is charged ${charged}`);
  });

  it('evicts the least recently updated traces past maxBytes, even under the span bound', () => {
    const store = new TraceStore({ maxBytes: 3 * MB, schedule: () => undefined });
    for (let i = 0; i < 5; i++) store.add([makeSpan({ trace: `t${i}`, id: 'a', attributes: { document: 'd'.repeat(MB) } })]);
    assert.deepEqual([...store.entries()].map((entry) => entry.traceId), [traceOf('t3'), traceOf('t4')]);
    assert.ok(store.approxBytes <= 3 * MB);
    assert.equal(store.spanCount, 2);
  });

  it('keeps its count exact through replacement, deletion, clearing and pinning', () => {
    const store = new TraceStore({ maxBytes: 10 * MB, schedule: () => undefined });
    const span = makeSpan({ trace: 't', id: 'a', attributes: { v: 'x'.repeat(1_000) } });
    store.add([span]);
    const once = store.approxBytes;
    store.add([makeSpan({ trace: 't', id: 'a', attributes: { v: 'x'.repeat(1_000) } })]);
    assert.equal(store.approxBytes, once, 'a re-sent span replaces, it is not charged twice');
    store.add([makeSpan({ trace: 't', id: 'a', attributes: { v: 'x'.repeat(5_000) } })]);
    assert.equal(store.approxBytes, once + 4_000);
    store.add([makeSpan({ trace: 'u', id: 'a' })]);
    store.setPinned(traceOf('u'), true);
    assert.equal(store.delete(traceOf('t')), true);
    const left = makeSpan({ trace: 'u', id: 'a' });
    assert.equal(store.approxBytes, approxSpanBytes(left) + resourceBytes(left.resource) + scopeBytes(left.scope));
    store.clear();
    assert.ok(store.approxBytes > 0, 'the pinned trace stays charged');
    store.setPinned(traceOf('u'), false);
    store.clear();
    assert.equal(store.approxBytes, 0);
  });

  it('applies a lowered byte bound at once', () => {
    const store = new TraceStore({ schedule: () => undefined });
    for (let i = 0; i < 4; i++) store.add([makeSpan({ trace: `t${i}`, id: 'a', attributes: { d: 'd'.repeat(100_000) } })]);
    store.setLimits({ maxBytes: 250_000 });
    assert.equal(store.traceCount, 2);
  });

  it('bounds the heap of a listener receiving many requests of huge spans', async function () {
    this.timeout(60_000);
    const store = new TraceStore({ maxBytes: 32 * MB });
    const server = new InspectorServer({ store, port: 0, maxBodyBytes: 8 * MB });
    await server.start();
    try {
      fullGc();
      const before = process.memoryUsage().heapUsed;
      for (let i = 0; i < 40; i++) {
        const attributes = Array.from({ length: 4 }, (_, k) => ({ key: `doc${k}`, value: { stringValue: `${i}`.padEnd(1_000_000, 'x') } }));
        const body = JSON.stringify({ resourceSpans: [{ scopeSpans: [{ spans: [{ traceId: (i + 1).toString(16).padStart(32, '0'), spanId: '00000000000000aa', startTimeUnixNano: '1', attributes }] }] }] });
        const response = await fetch(`${server.url}/v1/traces`, { method: 'POST', body, headers: { 'Content-Type': 'application/json' } });
        assert.equal(response.status, 200);
      }
      assert.ok(store.approxBytes <= 32 * MB, `store charged ${store.approxBytes} bytes`);
      assert.ok(store.traceCount >= 7 && store.traceCount <= 8, `${store.traceCount} traces kept of 40 × 4 MB`);
      fullGc();
      const grownMb = (process.memoryUsage().heapUsed - before) / 1e6;
      assert.ok(grownMb < 60, `heap retained ${grownMb.toFixed(0)} MB after receiving 160 MB`);
    } finally {
      await server.stop();
    }
  });
});
