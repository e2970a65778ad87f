import assert from 'node:assert/strict';
import type { StoreChangeJson, TraceListJson, TraceSummaryJson } from '../../src/protocol/api';
import type { TraceQuery } from '../../src/protocol/query';
import { compareNewestFirst, groupTraces } from '../../webview/model/traceFilter';
import { anchoredTop, chooseAnchors, groupRowKey, mergeTraceUpdates, rowIndexOf, traceListRows } from '../../webview/model/traceList';
import { TraceListSync, type TraceListState } from '../../webview/model/traceListSync';
import { BASE_MS, makeSummary } from '../fixtures/webview-traces';
import { FakeTime } from '../support/fakeTime';

/** Trace `n`: a 32-hex id, starting `n` seconds after the base (higher is newer). */
const summary = (n: number, fields: Partial<TraceSummaryJson> = {}) => makeSummary({ traceId: n.toString(16).padStart(32, '0'), name: `t${n}`, startTimeMs: BASE_MS + n * 1000, ...fields });
const names = (traces: readonly TraceSummaryJson[]) => traces.map((trace) => trace.name);
/** Traces `from`..`to` (inclusive), newest first. */
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => summary(to - i));

describe('webview trace list rows', () => {
  const traces = [summary(1, { threadIdentifier: 'a' }), summary(2, { threadIdentifier: 'b' }), summary(3, { threadIdentifier: 'a' }), summary(4)];

  it('lists traces newest first without grouping, with their positions for assistive technology', () => {
    const rows = traceListRows(groupTraces(traces, 'none'), 'none', new Set());
    assert.deepEqual(
      rows.map((row) => row.key),
      [4, 3, 2, 1].map((n) => n.toString(16).padStart(32, '0')),
    );
    assert.ok(rows.every((row) => row.kind === 'trace' && !row.grouped));
    assert.deepEqual([rows[0].position, rows[0].setSize, rows[3].position], [1, 4, 4]);
  });

  it('puts a header before each group and hides the traces of a collapsed one', () => {
    const groups = groupTraces(traces, 'thread');
    const open = traceListRows(groups, 'thread', new Set());
    assert.deepEqual(
      open.map((row) => (row.kind === 'group' ? `[${row.group.key}]` : row.trace.name)),
      ['[a]', 't1', 't3', '[b]', 't2', '[null]', 't4'],
    );
    const collapsed = traceListRows(groups, 'thread', new Set([groupRowKey(groups[0])]));
    assert.deepEqual(
      collapsed.map((row) => (row.kind === 'group' ? `[${row.group.key}]${row.collapsed ? '+' : '-'}` : row.trace.name)),
      ['[a]+', '[b]-', 't2', '[null]-', 't4'],
    );
    assert.deepEqual([collapsed[1].position, collapsed[1].setSize], [2, 3]);
  });

  it('keeps group keys apart from trace ids and from each other', () => {
    const groups = groupTraces([summary(1, { threadIdentifier: 'none' }), summary(2)], 'thread');
    const keys = groups.map(groupRowKey);
    assert.equal(new Set(keys).size, 2);
    assert.ok(keys.every((key) => !/^[0-9a-f]{32}$/.test(key)));
  });
});

describe('webview trace list scroll anchor', () => {
  const rowHeight = 40;
  const viewport = 200;
  const rowsOf = (ns: number[]) => traceListRows(groupTraces(ns.map((n) => summary(n)), 'none'), 'none', new Set());
  const keyOf = (n: number) => n.toString(16).padStart(32, '0');
  const before = rowsOf([10, 9, 8, 7, 6, 5, 4, 3, 2, 1]);

  it('holds the selected trace where it was on screen while traces arrive above it', () => {
    // Viewport at 60px: row 2 (trace 8) is at 20px from the top.
    const anchors = chooseAnchors(before, 60, viewport, rowHeight, keyOf(8));
    assert.deepEqual(anchors[0], { key: keyOf(8), offset: 20 });
    const after = rowsOf([13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1]);
    const top = anchoredTop(after, anchors, rowHeight)!;
    assert.equal(rowIndexOf(after, keyOf(8)) * rowHeight - top, 20, 'same place on screen');
  });

  it('holds the first row in view when the selection is out of view, and follows the newest at the very top', () => {
    const anchors = chooseAnchors(before, 100, viewport, rowHeight, keyOf(1));
    assert.deepEqual(anchors, [{ key: keyOf(8), offset: -20 }]);
    assert.equal(anchoredTop(rowsOf([11, 10, 9, 8, 7]), anchors, rowHeight), 3 * rowHeight + 20);
    assert.deepEqual(chooseAnchors(before, 0, viewport, rowHeight, null), []);
    assert.deepEqual(chooseAnchors(before, 0, viewport, rowHeight, keyOf(1)), [], 'selection below the viewport');
  });

  it('falls back to the next anchor when the selected trace left the list, and to none when every anchor left', () => {
    // Trace 7 is selected; the first row in view is trace 9 (row 1, 20px above the viewport's top).
    const anchors = chooseAnchors(before, 60, viewport, rowHeight, keyOf(7));
    assert.deepEqual(anchors, [
      { key: keyOf(7), offset: 60 },
      { key: keyOf(9), offset: -20 },
    ]);
    assert.equal(anchoredTop(rowsOf([12, 11, 10, 9, 8, 6]), anchors, rowHeight), 3 * rowHeight + 20, 'trace 7 left; trace 9, now row 3, stays put');
    assert.equal(anchoredTop(rowsOf([2, 1]), anchors, rowHeight), null);
  });
});

describe('webview trace list merge', () => {
  it('replaces the traces asked for by their answers, drops those not answered, keeps the order', () => {
    const current = range(1, 6);
    const merged = mergeTraceUpdates(current, [summary(3).traceId, summary(5).traceId, summary(9).traceId], [summary(9), summary(3, { name: 't3 updated' })]);
    assert.deepEqual(names(merged), ['t9', 't6', 't4', 't3 updated', 't2', 't1']);
  });

  it('moves a trace whose start changed (an earlier root arrived) to its new place', () => {
    const merged = mergeTraceUpdates(range(1, 5), [], [summary(4, { startTimeMs: BASE_MS + 1500 })]);
    assert.deepEqual(names(merged), ['t5', 't3', 't2', 't4', 't1']);
    assert.deepEqual([...merged].sort(compareNewestFirst), merged);
  });
});

/** A store behind a fake host: answers with what it holds when asked, delivered after `latencyMs`. */
class FakeHost {
  traces = new Map<string, TraceSummaryJson>();
  readonly queries: TraceQuery[] = [];
  latencyMs = 10;
  failure: string | null = null;
  /** Answers say the store is still restoring what it kept on disk. */
  restoring = false;

  constructor(
    private readonly time: FakeTime,
    initial: TraceSummaryJson[],
  ) {
    for (const trace of initial) this.traces.set(trace.traceId, trace);
  }

  readonly fetch = (query: TraceQuery): Promise<TraceListJson> => {
    this.queries.push(query);
    const failure = this.failure;
    let matches = [...this.traces.values()].filter((trace) => !query.errors || trace.errorCount > 0);
    if (query.traceIds) {
      const ids = new Set(query.traceIds);
      matches = matches.filter((trace) => ids.has(trace.traceId));
    }
    matches.sort((a, b) => b.startTimeMs - a.startTimeMs);
    const answer: TraceListJson = { traces: query.limit !== undefined ? matches.slice(0, query.limit) : matches, total: matches.length, ...(this.restoring ? { loading: true as const } : {}) };
    return new Promise((resolve, reject) => this.time.setTimeout(() => (failure ? reject(new Error(failure)) : resolve(answer)), this.latencyMs));
  };

  add(...traces: TraceSummaryJson[]): StoreChangeJson {
    for (const trace of traces) this.traces.set(trace.traceId, trace);
    return change({ added: traces.map((trace) => trace.traceId) });
  }

  evict(...ns: number[]): StoreChangeJson {
    const ids = ns.map((n) => summary(n).traceId);
    for (const id of ids) this.traces.delete(id);
    return change({ evicted: ids });
  }
}

function change(fields: Partial<StoreChangeJson>): StoreChangeJson {
  return { added: [], updated: [], evicted: [], cleared: false, spanCount: 0, traceCount: 0, ...fields };
}

describe('webview trace list sync', () => {
  function setup(initial: TraceSummaryJson[], options: { limit?: number; maxRefreshIds?: number } = {}) {
    const time = new FakeTime(0);
    const host = new FakeHost(time, initial);
    const states: TraceListState[] = [];
    const errors: Array<string | null> = [];
    const sync = new TraceListSync({ fetch: host.fetch, onState: (state) => states.push(state), onError: (error) => errors.push(error), timers: time, ...options });
    const last = () => states[states.length - 1];
    return { time, host, sync, states, errors, last };
  }

  it('fetches the whole list for the filters, then only the traces a change named', async () => {
    const { time, host, sync, last, errors } = setup(range(1, 5));
    sync.setQuery({ errors: false, q: 'x' });
    await time.advance(10);
    assert.deepEqual(host.queries, [{ errors: false, q: 'x', limit: 20_000, traceIds: undefined }]);
    assert.deepEqual(names(last().traces), ['t5', 't4', 't3', 't2', 't1']);
    assert.equal(last().total, 5);
    assert.deepEqual(last().fetchedWith, { errors: false, q: 'x', limit: undefined, traceIds: undefined });
    assert.deepEqual(errors, [null]);

    sync.noteChange(host.add(summary(6)));
    sync.noteChange(change({ updated: [summary(2).traceId] }));
    await time.advance(300);
    assert.deepEqual(host.queries[1].traceIds, [summary(6).traceId, summary(2).traceId], 'one request for both changes, after the spacing');
    assert.equal(host.queries[1].limit, undefined);
    await time.advance(10);
    assert.deepEqual(names(last().traces), ['t6', 't5', 't4', 't3', 't2', 't1']);
    assert.equal(last().total, 6);
    assert.equal(host.queries.length, 2);
  });

  it('says while the inspector restores its traces, and asks again until an answer says the restore ended', async () => {
    const { time, host, sync, last } = setup(range(1, 2));
    host.restoring = true;
    sync.setQuery({});
    await time.advance(10);
    assert.equal(last().restoring, true);
    assert.deepEqual(names(last().traces), ['t2', 't1']);
    // The restore brings more traces; no change event names them.
    host.add(summary(3), summary(4));
    await time.advance(310);
    assert.equal(host.queries.length, 2, 'asked again after the spacing');
    assert.equal(host.queries[1].limit, 20_000, 'the whole list');
    assert.deepEqual(names(last().traces), ['t4', 't3', 't2', 't1']);
    assert.equal(last().restoring, true);
    host.restoring = false;
    await time.advance(310);
    assert.equal(last().restoring, false);
    await time.runAll();
    assert.equal(host.queries.length, 3, 'no more requests once restored');
  });

  it('drops evicted traces at once, without a request', async () => {
    const { time, host, sync, last } = setup(range(1, 5));
    sync.setQuery({});
    await time.advance(10);
    sync.noteChange(host.evict(1, 2));
    assert.deepEqual(names(last().traces), ['t5', 't4', 't3']);
    assert.equal(last().total, 3);
    await time.runAll();
    assert.equal(host.queries.length, 1);
  });

  it('asks again for a trace evicted while an answer was on its way', async () => {
    const { time, host, sync, last } = setup(range(1, 3));
    sync.setQuery({});
    await time.advance(10);
    sync.noteChange(change({ updated: [summary(2).traceId] }));
    await time.advance(300);
    assert.equal(host.queries.length, 2, 'the refresh of trace 2 is on its way');
    // The answer was written before the eviction reached the view.
    sync.noteChange(host.evict(2));
    await time.runAll();
    assert.deepEqual(host.queries[2].traceIds, [summary(2).traceId]);
    assert.deepEqual(names(last().traces), ['t3', 't1']);
  });

  it('fetches the whole list again after a burst too large for one partial request, or a clear', async () => {
    const { time, host, sync, last } = setup(range(1, 2), { maxRefreshIds: 3 });
    sync.setQuery({});
    await time.advance(10);
    sync.noteChange(host.add(...range(3, 6)));
    await time.runAll();
    assert.equal(host.queries[1].traceIds, undefined);
    assert.equal(host.queries[1].limit, 20_000);
    assert.equal(last().traces.length, 6);
    sync.noteChange(change({ cleared: true }));
    await time.runAll();
    assert.equal(host.queries[2].limit, 20_000);
  });

  it('holds the newest traces up to its limit, counts the rest, and then refreshes by whole lists', async () => {
    const { time, host, sync, last } = setup(range(1, 5), { limit: 3 });
    sync.setQuery({});
    await time.advance(10);
    assert.deepEqual(names(last().traces), ['t5', 't4', 't3']);
    assert.equal(last().total, 5);
    sync.noteChange(host.add(summary(6)));
    await time.runAll();
    assert.equal(host.queries[1].limit, 3, 'a partial answer could not tell what falls off the end');
    assert.deepEqual(names(last().traces), ['t6', 't5', 't4']);
    assert.equal(last().total, 6);
  });

  it('crosses its limit through partial refreshes and counts what no longer fits', async () => {
    const { time, host, sync, last } = setup(range(1, 3), { limit: 4 });
    sync.setQuery({});
    await time.advance(10);
    sync.noteChange(host.add(summary(4), summary(5)));
    await time.runAll();
    assert.deepEqual(host.queries[1].traceIds?.length, 2);
    assert.deepEqual(names(last().traces), ['t5', 't4', 't3', 't2']);
    assert.equal(last().total, 5);
  });

  it('drops an answer for filters that changed while it was on its way and fetches for the new ones at once', async () => {
    const { time, host, sync, states, last } = setup([summary(1), summary(2, { errorCount: 1 })]);
    host.latencyMs = 50;
    sync.setQuery({});
    await time.advance(20);
    sync.setQuery({ errors: true });
    await time.runAll();
    assert.deepEqual(
      host.queries.map((query) => query.errors),
      [undefined, true],
    );
    assert.equal(states.length, 1, 'the answer for the old filters was never shown');
    assert.deepEqual(names(last().traces), ['t2']);
  });

  it('spaces refreshes by a multiple of what the last one cost', async () => {
    const { time, host, sync } = setup(range(1, 2));
    host.latencyMs = 200;
    sync.setQuery({});
    await time.advance(200);
    sync.noteChange(host.add(summary(3)));
    await time.advance(799);
    assert.equal(host.queries.length, 1, 'a 200 ms fetch waits four times as long before the next');
    await time.advance(1);
    assert.equal(host.queries.length, 2);
  });

  it('reports a failed fetch, does not retry on its own, and resyncs the whole list on the next change', async () => {
    const { time, host, sync, errors, last } = setup(range(1, 2));
    sync.setQuery({});
    await time.advance(10);
    host.failure = 'The listener did not answer';
    sync.noteChange(host.add(summary(3)));
    await time.runAll();
    assert.equal(errors.at(-1), 'The listener did not answer');
    assert.equal(host.queries.length, 2);
    host.failure = null;
    sync.noteChange(change({ updated: [summary(1).traceId] }));
    await time.runAll();
    assert.equal(host.queries[2].limit, 20_000);
    assert.deepEqual(names(last().traces), ['t3', 't2', 't1']);
    assert.equal(errors.at(-1), null);
  });

  it('stops fetching once disposed', async () => {
    const { time, host, sync, states } = setup(range(1, 2));
    sync.setQuery({});
    sync.dispose();
    await time.runAll();
    assert.equal(host.queries.length, 0);
    assert.equal(states.length, 0);
  });
});
