import assert from 'node:assert/strict';
import {
  allExpanded,
  buildTraceIndex,
  carryExpansion,
  childCount,
  criticalSegments,
  expandedToDepth,
  flattenRows,
  revealSpan,
  setExpanded,
} from '../../webview/model/traceIndex';
import { makeLargeTrace, makeTrace } from '../fixtures/webview-traces';

/** root(0–100) ─ a(0–40) ─ a1(5–20), a2(25–40); b(50–100) ─ b1(50–90, error); orphan x (missing parent). */
function sample() {
  return makeTrace([
    { id: 'r', start: 0, duration: 100, name: 'root' },
    { id: 'a', parent: 'r', start: 0, duration: 40, name: 'a' },
    { id: 'a1', parent: 'a', start: 5, duration: 15, name: 'a1' },
    { id: 'a2', parent: 'a', start: 25, duration: 15, name: 'a2' },
    { id: 'b', parent: 'r', start: 50, duration: 50, name: 'b' },
    { id: 'b1', parent: 'b', start: 50, duration: 40, name: 'b1', error: true },
    { id: 'x', parent: 'missing', start: 10, duration: 5, name: 'orphan x', orphan: true },
  ]);
}

function names(index: ReturnType<typeof buildTraceIndex>, rows: { rows: Int32Array; length: number }): string[] {
  return Array.from(rows.rows.subarray(0, rows.length), (i) => index.name[i]);
}

describe('webview trace index', () => {
  it('builds parent, children, depth and pre-order with orphans as roots', () => {
    const index = buildTraceIndex(sample());
    const at = (id: string) => index.byId.get(id)!;
    assert.equal(index.count, 7);
    assert.deepEqual(Array.from(index.roots, (i) => index.name[i]), ['root', 'orphan x']);
    assert.equal(index.parent[at('a1')], at('a'));
    assert.equal(index.depth[at('a1')], 2);
    assert.equal(index.subtreeSize[at('r')], 6);
    assert.equal(childCount(index, at('a')), 2);
    assert.deepEqual(Array.from(index.preorder, (i) => index.name[i]), ['root', 'a', 'a1', 'a2', 'b', 'b1', 'orphan x']);
    assert.equal(index.errorCount, 1);
    assert.equal(index.totalMs, 100);
  });

  it('flattens visible rows and skips collapsed subtrees', () => {
    const index = buildTraceIndex(sample());
    const expanded = allExpanded(index);
    assert.deepEqual(names(index, flattenRows(index, expanded)), ['root', 'a', 'a1', 'a2', 'b', 'b1', 'orphan x']);
    setExpanded(index, expanded, index.byId.get('a')!, false);
    const rows = flattenRows(index, expanded);
    assert.deepEqual(names(index, rows), ['root', 'a', 'b', 'b1', 'orphan x']);
    assert.equal(rows.rowOf[index.byId.get('a1')!], -1);
    assert.equal(rows.rowOf[index.byId.get('b1')!], 3);
    setExpanded(index, expanded, index.byId.get('r')!, false, true);
    assert.deepEqual(names(index, flattenRows(index, expanded)), ['root', 'orphan x']);
    assert.equal(revealSpan(index, expanded, index.byId.get('a2')!), true);
    assert.deepEqual(names(index, flattenRows(index, expanded)), ['root', 'a', 'a1', 'a2', 'b', 'orphan x']);
  });

  it('limits the initial expansion by depth', () => {
    const index = buildTraceIndex(sample());
    assert.deepEqual(names(index, flattenRows(index, expandedToDepth(index, 1))), ['root', 'a', 'b', 'orphan x']);
  });

  it('marks the critical path: the last-finishing chain and its gaps', () => {
    const index = buildTraceIndex(sample());
    const on = (id: string) => index.critical[index.byId.get(id)!] === 1;
    assert.ok(on('r') && on('b') && on('b1') && on('a') && on('a2') && on('a1'));
    assert.ok(on('x'), 'an orphan is the root of its own path');
    // a runs 0–40 with sequential children 5–20 and 25–40: a owns the gaps.
    assert.deepEqual(criticalSegments(index, index.byId.get('a')!), [0, 5, 20, 25]);
    // b covers 50–100; b1 covers 50–90, so b owns 90–100 on the path.
    assert.deepEqual(criticalSegments(index, index.byId.get('b')!), [90, 100]);
    // The root owns the gap between a (ends 40) and b (starts 50).
    assert.deepEqual(criticalSegments(index, index.byId.get('r')!), [40, 50]);
  });

  it('leaves a parallel child that finishes early off the critical path', () => {
    const index = buildTraceIndex(
      makeTrace([
        { id: 'p', start: 0, duration: 30 },
        { id: 'fast', parent: 'p', start: 0, duration: 10 },
        { id: 'slow', parent: 'p', start: 1, duration: 29 },
      ]),
    );
    assert.equal(index.critical[index.byId.get('slow')!], 1);
    assert.equal(index.critical[index.byId.get('fast')!], 1, 'fast covers 0–1 before slow starts');
    const late = buildTraceIndex(
      makeTrace([
        { id: 'p', start: 0, duration: 30 },
        { id: 'early', parent: 'p', start: 0, duration: 30 },
        { id: 'inner', parent: 'p', start: 5, duration: 10 },
      ]),
    );
    assert.equal(late.critical[late.byId.get('early')!], 1);
    assert.equal(late.critical[late.byId.get('inner')!], 0);
  });

  it('takes the server\'s tree: a loop of parents is shown as the server broke it (its orphan flag)', () => {
    const trace = makeTrace([
      { id: 'p', parent: 'q', start: 0, duration: 10, orphan: true },
      { id: 'q', parent: 'p', start: 1, duration: 5 },
      { id: 'c', parent: 'q', start: 2, duration: 1 },
    ]);
    const index = buildTraceIndex(trace);
    const rows = flattenRows(index, allExpanded(index));
    assert.equal(rows.length, 3);
    assert.deepEqual(Array.from(index.roots, (i) => index.spanId[i]), ['p']);
    assert.equal(index.spanId[index.parent[index.byId.get('q')!]], 'p');
  });

  it('refuses an answer whose parents loop with no span flagged to break it, instead of hiding spans', () => {
    const trace = makeTrace([
      { id: 'p', parent: 'q', start: 0, duration: 10 },
      { id: 'q', parent: 'p', start: 1, duration: 5 },
    ]);
    assert.throws(() => buildTraceIndex(trace), /2 of its spans hang off a loop of parents/);
  });

  it('sorts spans that arrive out of start order', () => {
    const trace = makeTrace([{ id: 'r', start: 0, duration: 10 }]);
    trace.spans.unshift({ ...trace.spans[0], spanId: 'late', parentSpanId: 'r', name: 'late', startTimeMs: trace.spans[0].startTimeMs + 5 });
    const index = buildTraceIndex(trace);
    assert.deepEqual(Array.from(index.preorder, (i) => index.name[i]), ['span r', 'late']);
  });

  it('carries collapsed spans over to a re-indexed trace', () => {
    const first = buildTraceIndex(sample());
    const expanded = allExpanded(first);
    setExpanded(first, expanded, first.byId.get('b')!, false);
    const next = buildTraceIndex(sample());
    const carried = carryExpansion(first, expanded, next);
    assert.equal(carried[next.byId.get('b')!], 0);
    assert.equal(carried[next.byId.get('a')!], 1);
  });

  it('indexes 100,000 spans and re-flattens after collapsing a 10,000-span subtree', function () {
    this.timeout(20000);
    const trace = makeLargeTrace(100_000);
    const index = buildTraceIndex(trace);
    const expanded = allExpanded(index);
    let rows = flattenRows(index, expanded);
    assert.equal(rows.length, 100_000);
    const branch = index.childList[index.childStart[index.roots[0]]];
    assert.ok(index.subtreeSize[branch] >= 9_999);
    setExpanded(index, expanded, branch, false);
    rows = flattenRows(index, expanded, rows);
    assert.equal(rows.length, 100_000 - index.subtreeSize[branch] + 1);
  });
});
