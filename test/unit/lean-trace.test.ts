import assert from 'node:assert/strict';
import { LeanTraceError, decodeLeanTrace, encodeLeanTrace } from '../../src/core/leanTrace';
import { decodeTraceFile } from '../../src/core/importFile';
import type { Span } from '../../src/core/model';
import { TraceStore } from '../../src/core/store';
import { leanTraceHeadJson, spanDetailJson, traceDetailJson } from '../../src/protocol/serialize';
import { buildTraceIndex, leanTraceIndex, type TraceIndex } from '../../webview/model/traceIndex';
import { parseLeanHead } from '../../webview/model/spanDetails';
import { largeTraceRequests } from '../browser/support';
import { randomOtlpRequest, seededRandom } from '../fixtures/otlp';
import { hexId, makeSpan } from '../support/spans';

function storeOf(spans: Span[]): TraceStore {
  const store = new TraceStore({ schedule: () => undefined });
  store.add(spans);
  return store;
}

function leanBytes(store: TraceStore, traceId: string, spansPerChunk?: number): Uint8Array {
  const tree = store.tree(traceId)!;
  return Buffer.concat([...encodeLeanTrace(tree, JSON.stringify(leanTraceHeadJson(tree)), spansPerChunk)]);
}

/** Every column rows and bars read, from the JSON form's index and the lean form's. */
function assertSameRows(store: TraceStore, traceId: string, spansPerChunk?: number): void {
  const fromJson = buildTraceIndex(JSON.parse(JSON.stringify(traceDetailJson(store.tree(traceId)!))));
  const lean = decodeLeanTrace(leanBytes(store, traceId, spansPerChunk));
  const fromLean = leanTraceIndex(traceId, lean);
  const columns: (keyof TraceIndex)[] = ['count', 'originMs', 'totalMs', 'maxDepth', 'errorCount', 'spanId', 'name', 'service', 'model', 'statusMessage', 'displayKind'];
  for (const column of columns) assert.deepEqual(fromLean[column], fromJson[column], column);
  const arrays: (keyof TraceIndex)[] = ['parent', 'roots', 'depth', 'preorder', 'subtreeSize', 'startMs', 'endMs', 'isError', 'critical', 'criticalValues'];
  for (const column of arrays) assert.deepEqual(Array.from(fromLean[column] as ArrayLike<number>), Array.from(fromJson[column] as ArrayLike<number>), column);
  assert.equal(fromLean.details, null);
  const head = parseLeanHead(lean.head);
  const detail = traceDetailJson(store.tree(traceId)!);
  assert.deepEqual(head.summary, JSON.parse(JSON.stringify(detail.summary)));
  assert.deepEqual(head.logs, JSON.parse(JSON.stringify(detail.logs)));
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
  });

  it('answers one span as the JSON form has it, orphans and loop breakers included', () => {
    const spans = [
      makeSpan({ id: 'root' }),
      makeSpan({ id: 'kid', parent: 'root', startMs: 1_700_000_000_001, attributes: { k: 'v' } }),
      makeSpan({ id: 'lost', parent: 'nowhere', startMs: 1_700_000_000_002 }),
      makeSpan({ id: 'loopA', parent: 'loopB', startMs: 1_700_000_000_003 }),
      makeSpan({ id: 'loopB', parent: 'loopA', startMs: 1_700_000_000_004 }),
    ];
    const store = storeOf(spans);
    const traceId = spans[0].traceId;
    const detail = traceDetailJson(store.tree(traceId)!);
    for (const span of detail.spans) assert.deepEqual(spanDetailJson(store, traceId, span.spanId), span, span.name);
    assert.equal(spanDetailJson(store, traceId, 'f'.repeat(16)), null);
    assert.equal(spanDetailJson(store, 'f'.repeat(32), spans[0].spanId), null);
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
    const headLength = new DataView(good.buffer, good.byteOffset).getUint32(12, true);
    /** Offset of the first record: header, head, new-string count, the strings, chunk span count. */
    const firstRecord = (() => {
      const view = new DataView(good.buffer, good.byteOffset);
      let at = 24 + headLength;
      const strings = view.getUint32(at, true);
      at += 4;
      for (let s = 0; s < strings; s++) at += 4 + view.getUint32(at, true);
      return at + 4;
    })();

    it('decodes the unedited body', () => {
      assert.equal(decodeLeanTrace(good).count, 2);
    });

    it('refuses every truncation with a clear error', () => {
      for (let length = 0; length < good.length; length++) {
        assert.throws(() => decodeLeanTrace(good.subarray(0, length)), LeanTraceError, `cut at ${length}`);
      }
    });

    it('refuses a wrong magic number, another version, trailing bytes', () => {
      assert.throws(() => decodeLeanTrace(edited((view) => view.setUint32(0, 0x7b227472, true))), /wrong magic number/);
      assert.throws(() => decodeLeanTrace(edited((view) => view.setUint16(4, 2, true))), /version 2, this inspector reads version 1/);
      assert.throws(() => decodeLeanTrace(Buffer.concat([good, Buffer.from([0])])), /1 bytes after the last span/);
    });

    it('refuses a span count the body cannot hold before allocating for it', () => {
      assert.throws(() => decodeLeanTrace(edited((view) => view.setUint32(8, 0xffffffff, true))), /claims 4294967295 spans/);
    });

    it('refuses references to strings not sent, parents out of range, unknown kinds', () => {
      assert.throws(() => decodeLeanTrace(edited((view) => view.setUint32(firstRecord + 8, 99, true))), /span name refers to string 99/);
      assert.throws(() => decodeLeanTrace(edited((view) => view.setInt32(firstRecord, 5, true))), /span 0 has parent 5/);
      assert.throws(() => decodeLeanTrace(edited((view) => view.setInt32(firstRecord, 0, true))), /span 0 has parent 0/);
      assert.throws(() => decodeLeanTrace(edited((view) => view.setUint8(firstRecord + 40, 200))), /display kind 200/);
    });

    it('turns a parent loop sent by a hostile body into a root', () => {
      const looped = edited((view) => {
        view.setInt32(firstRecord, 1, true);
        view.setInt32(firstRecord + 44, 0, true);
      });
      const index = leanTraceIndex(spans[0].traceId, decodeLeanTrace(looped));
      assert.equal(index.roots.length, 1);
      assert.equal(index.preorder.length, 2);
    });

    it('refuses a head that is not the trace head', () => {
      assert.throws(() => parseLeanHead('[1'), /head is not JSON/);
      assert.throws(() => parseLeanHead('{"traceId":"x"}'), /lacks the trace id, summary or logs/);
    });
  });
});
