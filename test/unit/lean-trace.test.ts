import assert from 'node:assert/strict';
import { LEAN_FORM_MIN_SPANS, LeanTraceError, LeanTraceReader, decodeLeanTrace, encodeLeanTrace } from '../../src/core/leanTrace';
import { decodeTraceFile } from '../../src/core/importFile';
import type { Span } from '../../src/core/model';
import { InspectorService } from '../../src/core/service/inspectorService';
import { ENCODE_AHEAD_AFTER_MS } from '../../src/core/service/leanTraces';
import { TraceStore } from '../../src/core/store';
import { leanTraceHeadJson, traceDetailJson } from '../../src/protocol/serialize';
import { buildTraceIndex, criticalSegments, leanTraceIndex, type TraceIndex } from '../../webview/model/traceIndex';
import { SpanSearch } from '../../webview/model/search';
import { parseLeanHead } from '../../webview/model/spanDetails';
import { largeTraceRequests } from '../browser/support';
import { randomOtlpRequest, seededRandom } from '../fixtures/otlp';
import { FakeTime } from '../support/fakeTime';
import { hexId, makeSpan } from '../support/spans';
import { nodeTimers } from '../../src/server/forwarding';
import { nextTurn } from '../../src/server/turns';

function storeOf(spans: Span[]): TraceStore {
  const store = new TraceStore({ schedule: () => undefined });
  store.add(spans);
  return store;
}

function leanBytes(store: TraceStore, traceId: string, spansPerChunk?: number): Uint8Array {
  const tree = store.tree(traceId)!;
  return encodeLeanTrace(tree, JSON.stringify(leanTraceHeadJson(tree.entry)), spansPerChunk);
}

/** Everything rows and bars read of span `i`, named by span ids so both forms' orders compare. */
function rowOf(index: TraceIndex, i: number): unknown {
  const id = (j: number) => (j < 0 ? null : index.spanId[j]);
  const kids = Array.from(index.childList.subarray(index.childStart[i], index.childStart[i + 1]), id);
  return {
    parent: id(index.parent[i]),
    kids,
    depth: index.depth[i],
    subtree: index.subtreeSize[i],
    start: index.startMs[i],
    end: index.endMs[i],
    error: index.isError[i],
    critical: index.critical[i],
    segments: criticalSegments(index, i),
    name: index.name[i],
    service: index.service[i],
    model: index.model[i],
    status: index.statusMessage(i),
    kind: index.displayKind[i],
  };
}

/** The lean form's index shows the same tree, rows and bars as the JSON form's, in the same tree order. */
function assertSameRows(store: TraceStore, traceId: string, spansPerChunk?: number): void {
  const detail = JSON.parse(JSON.stringify(traceDetailJson(store.tree(traceId)!))) as ReturnType<typeof traceDetailJson>;
  const fromJson = buildTraceIndex(detail);
  const lean = decodeLeanTrace(leanBytes(store, traceId, spansPerChunk));
  const fromLean = leanTraceIndex(traceId, lean);
  for (const column of ['count', 'originMs', 'totalMs', 'maxDepth', 'errorCount'] as const) assert.equal(fromLean[column], fromJson[column], column);
  const inTreeOrder = (index: TraceIndex) => Array.from(index.preorder, (i) => index.spanId[i]);
  assert.deepEqual(inTreeOrder(fromLean), inTreeOrder(fromJson), 'tree order');
  assert.deepEqual(inTreeOrder(fromLean), lean.spanId, 'the lean form comes in tree order');
  assert.deepEqual(Array.from(fromLean.roots, (i) => fromLean.spanId[i]), Array.from(fromJson.roots, (i) => fromJson.spanId[i]), 'roots');
  const orphans = new Set(detail.spans.filter((span) => span.orphan).map((span) => span.spanId));
  for (let i = 0; i < fromLean.count; i++) {
    const j = fromJson.byId.get(fromLean.spanId[i])!;
    assert.deepEqual(rowOf(fromLean, i), rowOf(fromJson, j), fromLean.spanId[i]);
    assert.equal(lean.orphan[i], orphans.has(fromLean.spanId[i]) ? 1 : 0, 'orphan flag');
  }
  assert.equal(fromLean.details, null);
  const head = parseLeanHead(lean.head);
  assert.deepEqual(head.summary, detail.summary);
  assert.deepEqual(head.logs, detail.logs);
}

describe('lean trace form', () => {
  it('gives the same rows as the JSON form for a generated 5,000-span trace, across chunks', () => {
    const traceId = 'ab'.repeat(16);
    const spans = largeTraceRequests(traceId, 5_000).flatMap((request) => decodeTraceFile(JSON.stringify(request)).spans);
    const store = storeOf(spans);
    assertSameRows(store, traceId);
    assertSameRows(store, traceId, 7);
  });

  it('gives the same rows as the JSON form for random OTLP traces', () => {
    const random = seededRandom(13);
    for (let round = 0; round < 20; round++) {
      const spans = decodeTraceFile(JSON.stringify(randomOtlpRequest(random, 12))).spans;
      const store = storeOf(spans);
      for (const traceId of new Set(spans.map((span) => span.traceId))) assertSameRows(store, traceId, 3);
    }
  });

  it('keeps orphans, parent loops, errors, models, services and non-ASCII names', () => {
    const spans = [
      makeSpan({ id: 'root', name: 'agent run ✓', durationMs: 100, resource: { 'service.name': 'svc-α' } }),
      makeSpan({ id: 'llm', parent: 'root', startMs: 1_700_000_000_001, attributes: { 'gen_ai.request.model': 'gpt-4o', 'gen_ai.system': 'openai' } }),
      makeSpan({ id: 'bad', parent: 'llm', startMs: 1_700_000_000_002, error: true }),
      makeSpan({ id: 'lost', parent: 'nowhere', startMs: 1_700_000_000_003 }),
      makeSpan({ id: 'loopA', parent: 'loopB', startMs: 1_700_000_000_004 }),
      makeSpan({ id: 'loopB', parent: 'loopA', startMs: 1_700_000_000_005 }),
    ];
    const store = storeOf(spans);
    const traceId = spans[0].traceId;
    assertSameRows(store, traceId, 2);
    const index = leanTraceIndex(traceId, decodeLeanTrace(leanBytes(store, traceId)));
    const at = (label: string) => index.byId.get(hexId(label, 16))!;
    assert.equal(index.model[at('llm')], 'gpt-4o');
    assert.equal(index.isError[at('bad')], 1);
    assert.equal(index.parent[at('lost')], -1);
    assert.equal(index.parent[at('loopA')], -1);
    assert.equal(index.parent[at('loopB')], at('loopA'));
    const lean = decodeLeanTrace(leanBytes(store, traceId));
    assert.deepEqual([at('root'), at('lost'), at('loopA'), at('loopB')].map((i) => lean.orphan[i]), [0, 1, 1, 0]);
  });

  it('answers the lean form through the service: encoded once per revision, kept within its bound, dropped on eviction', async () => {
    const tracesOf = (label: string, n: number) =>
      Array.from({ length: n }, (_, k) => makeSpan({ trace: label, id: `${label}${k}`, parent: k === 0 ? undefined : `${label}0`, startMs: 1_700_000_000_000 + k }));
    const store = storeOf([...tracesOf('one', 50), ...tracesOf('two', 50)]);
    const service = new InspectorService({ store, timers: nodeTimers, yieldTurn: nextTurn, leanCacheBytes: 6_000 });
    const one = hexId('one', 32);
    const two = hexId('two', 32);
    const cache = async () => {
      const facts = { version: 't', pid: 1, startedBy: 'user' as const, clients: 0, url: 'http://127.0.0.1:1', endpoints: [], heapUsedBytes: 0 };
      service.describeProcess(() => facts as never);
      return (await service.handle('status', {})).memory.leanTraceCache;
    };

    const first = await service.handle('getLeanTrace', { traceId: one });
    assert.deepEqual(first, leanBytes(store, one));
    assert.deepEqual(await service.handle('getLeanTrace', { traceId: one.toUpperCase() }), first);
    assert.deepEqual(await cache(), { traces: 1, bytes: (await cache()).bytes, maxBytes: 6_000, hits: 1, misses: 1 });

    // A new span is a new revision: encoded again, and the answer has it.
    store.add([makeSpan({ trace: 'one', id: 'late', parent: 'one0', startMs: 1_700_000_000_100 })]);
    assert.equal(decodeLeanTrace(await service.handle('getLeanTrace', { traceId: one })).count, 51);
    assert.equal((await cache()).misses, 2);

    // A pin changes the head, not the spans: no new encoding.
    store.setPinned(one, true);
    assert.equal(parseLeanHead(decodeLeanTrace(await service.handle('getLeanTrace', { traceId: one })).head).summary.pinned, true);
    assert.equal((await cache()).misses, 2);

    // Two traces' encodings do not fit the bound: the least recently asked goes.
    await service.handle('getLeanTrace', { traceId: two });
    const bounded = await cache();
    assert.equal(bounded.traces, 1);
    assert.ok(bounded.bytes <= 6_000);

    // A deleted trace's encoding is dropped and the trace is not found.
    store.delete(two);
    store.flush();
    assert.deepEqual(await cache(), { ...bounded, traces: 0, bytes: 0 });
    await assert.rejects(service.handle('getLeanTrace', { traceId: two }), /no trace with id/);
  });

  it('encodes a large trace ahead once the store is quiet, and one revision once however many ask for it at once', async () => {
    const spansOf = (label: string, n: number, from = 0) =>
      Array.from({ length: n }, (_, k) => makeSpan({ trace: label, id: `${label}${from + k}`, parent: from + k === 0 ? undefined : `${label}0`, startMs: 1_700_000_000_000 + from + k }));
    const store = storeOf([...spansOf('big', LEAN_FORM_MIN_SPANS), ...spansOf('small', 10)]);
    const time = new FakeTime();
    const service = new InspectorService({ store, timers: time, yieldTurn: nextTurn });
    const big = hexId('big', 32);
    const expected = leanBytes(store, big);
    let encodings = 0;
    const treeInSteps = store.treeInSteps.bind(store);
    store.treeInSteps = (id) => (encodings++, treeInSteps(id));
    const cache = async () => {
      service.describeProcess(() => ({ version: 't', pid: 1, startedBy: 'user', clients: 0, url: 'http://127.0.0.1:1', endpoints: [], heapUsedBytes: 0 }) as never);
      return (await service.handle('status', {})).memory.leanTraceCache;
    };
    const encoded = async (count: number) => {
      for (let turns = 0; encodings < count || (await cache()).traces === 0; turns++) {
        assert.ok(turns < 100_000, `not encoded ahead: ${encodings} encodings`);
        await nextTurn();
      }
    };

    store.flush();
    await time.advance(ENCODE_AHEAD_AFTER_MS - 1);
    assert.equal(encodings, 0, 'encoded before the store was quiet');
    await time.advance(1);
    await encoded(1);
    // The click that opens it finds it ready.
    assert.deepEqual(await service.handle('getLeanTrace', { traceId: big }), expected);
    assert.deepEqual(await cache(), { ...(await cache()), traces: 1, hits: 1, misses: 0 });
    assert.equal(encodings, 1);

    // A new revision asked for by three at once (two windows and the browser): encoded once.
    store.add(spansOf('big', 1, LEAN_FORM_MIN_SPANS));
    const answers = await Promise.all([1, 2, 3].map(() => service.handle('getLeanTrace', { traceId: big })));
    assert.equal(encodings, 2);
    for (const answer of answers) assert.equal(decodeLeanTrace(answer).count, LEAN_FORM_MIN_SPANS + 1);

    // A small trace is not encoded ahead: it opens from its JSON.
    store.add(spansOf('small', 1, 10));
    store.flush();
    await time.advance(10 * ENCODE_AHEAD_AFTER_MS);
    await time.advance(0);
    assert.equal(encodings, 2);
  });

  it('answers one span (getSpan) as the JSON form has it, orphans and loop breakers included, without building the tree', async () => {
    const spans = [
      makeSpan({ id: 'root' }),
      makeSpan({ id: 'kid', parent: 'root', startMs: 1_700_000_000_001, attributes: { k: 'v' } }),
      makeSpan({ id: 'lost', parent: 'nowhere', startMs: 1_700_000_000_002 }),
      makeSpan({ id: 'self', parent: 'self', startMs: 1_700_000_000_003 }),
      makeSpan({ id: 'loopA', parent: 'loopB', startMs: 1_700_000_000_004 }),
      makeSpan({ id: 'loopB', parent: 'loopA', startMs: 1_700_000_000_005 }),
      makeSpan({ id: 'underA', parent: 'loopA', startMs: 1_700_000_000_006 }),
    ];
    const store = storeOf(spans);
    const traceId = spans[0].traceId;
    const service = new InspectorService({ store, timers: nodeTimers, yieldTurn: nextTurn });
    const detail = JSON.parse(JSON.stringify(traceDetailJson(store.tree(traceId)!))) as ReturnType<typeof traceDetailJson>;
    assert.deepEqual(detail.spans.filter((span) => span.orphan).map((span) => span.spanId), ['lost', 'self', 'loopA'].map((label) => hexId(label, 16)));
    let trees = 0;
    const tree = store.tree.bind(store);
    store.tree = (id) => (trees++, tree(id));
    for (const span of detail.spans) assert.deepEqual(JSON.parse(JSON.stringify(await service.handle('getSpan', { traceId, spanId: span.spanId }))), span, span.name);
    assert.equal(trees, 3, 'the tree is built only for the spans whose ancestors loop');
    await assert.rejects(service.handle('getSpan', { traceId, spanId: 'f'.repeat(16) }), /has no span f{16}/);
  });

  it('finds spans of a lean trace by what its rows carry, case-insensitively, in tree order, never across two values', () => {
    const spans = [
      makeSpan({ id: 'root', name: 'Agent Run', resource: { 'service.name': 'Billing-API' } }),
      makeSpan({ id: 'llm', name: 'chat', parent: 'root', startMs: 1_700_000_000_001, attributes: { 'gen_ai.request.model': 'GPT-4o', 'gen_ai.system': 'openai' } }),
      makeSpan({ id: 'bad', name: 'tool call', parent: 'root', startMs: 1_700_000_000_002, error: true }),
      makeSpan({ id: 'late', name: 'agent run again', parent: 'llm', startMs: 1_700_000_000_003 }),
    ];
    const store = storeOf(spans);
    const traceId = spans[0].traceId;
    const index = leanTraceIndex(traceId, decodeLeanTrace(leanBytes(store, traceId, 2)));
    const search = new SpanSearch(index);
    const names = (text: string) => Array.from(search.find(text), (i) => index.name[i]);
    assert.deepEqual(names('AGENT RUN'), ['Agent Run', 'agent run again']);
    assert.deepEqual(names('gpt-4O'), ['chat']);
    assert.deepEqual(names(hexId('bad', 16)), ['tool call']);
    assert.deepEqual(names('billing-api'), ['Agent Run']);
    assert.deepEqual(names('llm'), ['chat']);
    assert.deepEqual(names('chat\ntool'), []);
    assert.deepEqual(names('run\nchat'), []);
    assert.deepEqual(names('nothing like it'), []);
  });

  it('finds the same once its columns were built ahead in steps, and the steps end', () => {
    const spans = [
      makeSpan({ id: 'root', name: 'Agent Run', resource: { 'service.name': 'Billing-API' } }),
      makeSpan({ id: 'llm', name: 'chat', parent: 'root', startMs: 1_700_000_000_001, attributes: { 'gen_ai.request.model': 'GPT-4o', 'gen_ai.system': 'openai' } }),
    ];
    const store = storeOf(spans);
    const traceId = spans[0].traceId;
    const index = leanTraceIndex(traceId, decodeLeanTrace(leanBytes(store, traceId, 2)));
    const stepped = new SpanSearch(index);
    let steps = 1;
    while (!stepped.prepareStep()) steps++;
    assert.ok(steps > 1 && steps < 10, `columns built in ${steps} steps`);
    assert.equal(stepped.prepareStep(), true, 'nothing left to build');
    const onDemand = new SpanSearch(index);
    for (const text of ['agent', 'GPT-4O', 'billing', hexId('llm', 16), 'absent']) assert.deepEqual(Array.from(stepped.find(text)), Array.from(onDemand.find(text)), text);
    assert.deepEqual(Array.from(stepped.find('gpt'), (i) => index.name[i]), ['chat']);
  });

  describe('hostile bodies', () => {
    const spans = [makeSpan({ id: 'root' }), makeSpan({ id: 'kid', parent: 'root', startMs: 1_700_000_000_001 })];
    const store = storeOf(spans);
    const good = leanBytes(store, spans[0].traceId);
    const edited = (edit: (view: DataView, bytes: Uint8Array) => void) => {
      const bytes = Uint8Array.from(good);
      edit(new DataView(bytes.buffer), bytes);
      return bytes;
    };
    const padded = (n: number) => (n + 7) & ~7;
    const view = new DataView(good.buffer, good.byteOffset);
    /** Offset of the first chunk: after the header and head (padded). */
    const chunk = padded(24 + view.getUint32(12, true));
    /** Offset of its columns: span count, text length, the text (padded). */
    const columns = padded(chunk + 8 + view.getUint32(chunk + 4, true));
    // Two spans: start ×2, duration ×2 (f64), parent ×2 (i32), name, service, model, status refs ×2 each (u32), kind ×2, flags ×2.
    const parentAt = columns + 32;
    const nameRefAt = columns + 40;
    const kindAt = columns + 72;

    it('decodes the unedited body', () => {
      assert.equal(decodeLeanTrace(good).count, 2);
      assert.deepEqual(Array.from(decodeLeanTrace(good).parent), [-1, 0]);
    });

    it('refuses every truncation with a clear error', () => {
      for (let length = 0; length < good.length; length++) {
        assert.throws(() => decodeLeanTrace(good.subarray(0, length)), LeanTraceError, `cut at ${length}`);
      }
    });

    it('reads a body at any offset of its buffer', () => {
      const shifted = new Uint8Array(good.length + 3);
      shifted.set(good, 3);
      assert.deepEqual(decodeLeanTrace(shifted.subarray(3)).spanId, decodeLeanTrace(good).spanId);
    });

    it('refuses a wrong magic number, another version, trailing bytes', () => {
      assert.throws(() => decodeLeanTrace(edited((view) => view.setUint32(0, 0x7b227472, true))), /wrong magic number/);
      assert.throws(() => decodeLeanTrace(edited((view) => view.setUint16(4, 1, true))), /version 1, this inspector reads version 2/);
      assert.throws(() => decodeLeanTrace(Buffer.concat([good, Buffer.alloc(8)])), /8 bytes after the last span/);
    });

    it('refuses a span count the body cannot hold before allocating for it', () => {
      assert.throws(() => decodeLeanTrace(edited((view) => view.setUint32(8, 0xffffffff, true))), /claims 4294967295 spans/);
    });

    it('refuses references to strings not sent, unknown kinds, a chunk text that is not a list of strings', () => {
      assert.throws(() => decodeLeanTrace(edited((view) => view.setUint32(nameRefAt, 99, true))), /span 0 name refers to string 99/);
      assert.throws(() => decodeLeanTrace(edited((view) => view.setUint8(kindAt, 200))), /display kind 200/);
      assert.throws(() => decodeLeanTrace(edited((_view, bytes) => (bytes[chunk + 8] = 0x7b))), /text is not JSON/);
      assert.throws(() => decodeLeanTrace(edited((v) => v.setUint32(chunk, 1, true))), LeanTraceError);
    });

    it('refuses a parent that is not sent before its child, so a hostile body cannot make a loop', () => {
      assert.throws(() => decodeLeanTrace(edited((view) => view.setInt32(parentAt, 1, true))), /span 0 has parent 1/);
      assert.throws(() => decodeLeanTrace(edited((view) => view.setInt32(parentAt + 4, 1, true))), /span 1 has parent 1/);
      assert.throws(() => decodeLeanTrace(edited((view) => view.setInt32(parentAt, -2, true))), /span 0 has parent -2/);
    });

    it('refuses a head that is not the trace head', () => {
      assert.throws(() => parseLeanHead('[1'), /head is not JSON/);
      assert.throws(() => parseLeanHead('{"traceId":"x"}'), /lacks the trace id, summary or logs/);
    });
  });
});

describe('lean trace read as it arrives', () => {
  /** A deterministic pseudo-random sequence (the tests must not depend on the run). */
  function random(seed: number): () => number {
    let state = seed;
    return () => {
      state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
      return state / 2 ** 31;
    };
  }

  it('decodes a body split anywhere to exactly the trace of the whole body, each chunk readable as it completes', () => {
    const traceId = hexId('split', 32);
    const store = new TraceStore({ schedule: () => undefined });
    store.add(Array.from({ length: 700 }, (_, k) => makeSpan({ trace: 'split', id: `s${k.toString(36)}`, parent: k === 0 ? undefined : k % 50 === 0 ? 'gone' : `s${Math.floor((k - 1) / 3).toString(36)}`, startMs: 1_700_000_000_000 + (k % 37), name: `step ${k % 11}`, error: k % 13 === 0 })));
    const body = leanBytes(store, traceId, 64);
    const whole = decodeLeanTrace(body);
    const next = random(11);
    for (let round = 0; round < 40; round++) {
      const reader = new LeanTraceReader();
      let at = 0;
      while (at < body.length) {
        // Slices from one byte to a few chunks, at odd offsets too.
        const size = round === 0 ? 1 : 1 + Math.floor(next() * (round % 2 === 0 ? 64 : 8192));
        const slice = body.subarray(at, Math.min(body.length, at + size));
        reader.push(round % 3 === 0 ? new Uint8Array(slice) : slice);
        at += slice.length;
        // Whatever arrived so far is the start of the whole trace, parents included.
        if (reader.trace && reader.spans > 0) {
          for (const i of [0, reader.spans - 1]) {
            assert.equal(reader.trace.spanId[i], whole.spanId[i]);
            assert.ok(reader.trace.parent[i] < i);
          }
        }
      }
      assert.deepEqual(reader.finish(), whole);
    }
  });

  it('refuses a body that ends early or goes on past its last span, and allocates for spans only as they arrive', () => {
    const traceId = hexId('short', 32);
    const store = new TraceStore({ schedule: () => undefined });
    store.add(Array.from({ length: 10 }, (_, k) => makeSpan({ trace: 'short', id: `s${k}`, parent: k === 0 ? undefined : 's0' })));
    const body = leanBytes(store, traceId);
    const cut = new LeanTraceReader();
    cut.push(body.subarray(0, body.length - 8));
    assert.equal(cut.spans, 0);
    assert.throws(() => cut.finish(), /truncated/);
    const long = new LeanTraceReader();
    long.push(body);
    long.push(new Uint8Array(8));
    assert.throws(() => long.finish(), /8 bytes after the last span/);
    // A header claiming four billion spans: nothing that size is allocated before spans arrive.
    const claim = new Uint8Array(body);
    new DataView(claim.buffer).setUint32(8, 0xffffffff, true);
    const hostile = new LeanTraceReader();
    hostile.push(claim);
    assert.ok(hostile.trace!.parent.length < 100_000);
    assert.throws(() => hostile.finish(), /truncated/);
  });
});
