import * as assert from 'node:assert/strict';
import { TraceStore, type StoreChange } from '../../src/core/store';
import { hexId, makeSpan } from '../support/spans';

/** A store whose change events are delivered only when the test flushes. */
function manualStore(options: { maxSpans?: number; maxTraces?: number } = {}) {
  const store = new TraceStore({ ...options, schedule: () => undefined });
  const changes: StoreChange[] = [];
  store.onChange((change) => changes.push(change));
  return { store, changes };
}

const id = (label: string) => hexId(label, 16);
const traceOf = (label: string) => hexId(label, 32);

describe('TraceStore trees', () => {
  it('attaches a child that arrived before its parent when the parent comes', () => {
    const { store } = manualStore();
    store.add([makeSpan({ id: 'child', parent: 'root', startMs: 5 })]);
    let tree = store.tree(traceOf('trace'))!;
    assert.deepEqual(tree.roots, [id('child')]);
    assert.ok(tree.orphans.has(id('child')));
    assert.equal(store.get(traceOf('trace'))!.orphanCount, 1);

    store.add([makeSpan({ id: 'root', startMs: 0 })]);
    tree = store.tree(traceOf('trace'))!;
    assert.deepEqual(tree.roots, [id('root')]);
    assert.deepEqual(tree.children.get(id('root')), [id('child')]);
    assert.equal(tree.orphans.size, 0);
    assert.equal(store.get(traceOf('trace'))!.orphanCount, 0);
  });

  it('flags spans whose parent never arrives as orphan roots', () => {
    const { store } = manualStore();
    store.add([makeSpan({ id: 'root', startMs: 0 }), makeSpan({ id: 'lost', parent: 'missing', startMs: 3 })]);
    const tree = store.tree(traceOf('trace'))!;
    assert.deepEqual(tree.roots, [id('root'), id('lost')]);
    assert.deepEqual([...tree.orphans], [id('lost')]);
  });

  it('replaces a re-sent span instead of duplicating it, and updates aggregates', () => {
    const { store } = manualStore();
    store.add([makeSpan({ id: 'a', error: true, attributes: { 'gen_ai.request.model': 'm1', 'gen_ai.usage.input_tokens': 5 } })]);
    store.add([makeSpan({ id: 'a', name: 'renamed', attributes: { 'gen_ai.request.model': 'm2', 'gen_ai.usage.input_tokens': 7 } })]);
    const entry = store.get(traceOf('trace'))!;
    assert.equal(store.spanCount, 1);
    assert.equal(entry.spans.get(id('a'))!.name, 'renamed');
    assert.equal(entry.errorCount, 0);
    assert.deepEqual([...entry.facets.models.keys()], ['m2']);
    assert.equal(entry.tokens.input, 7);
  });

  it('merges spans of one trace sent in many requests', () => {
    const { store } = manualStore();
    for (let i = 0; i < 10; i++) store.add([makeSpan({ id: `s${i}`, parent: i === 0 ? null : 's0', startMs: i })]);
    assert.equal(store.traceCount, 1);
    const tree = store.tree(traceOf('trace'))!;
    assert.equal(tree.children.get(id('s0'))!.length, 9);
  });

  it('breaks loops of parent links so walking the tree ends and shows every span once', () => {
    const { store } = manualStore();
    store.add([
      makeSpan({ id: 'a', parent: 'b', startMs: 1 }),
      makeSpan({ id: 'b', parent: 'c', startMs: 2 }),
      makeSpan({ id: 'c', parent: 'a', startMs: 3 }),
      makeSpan({ id: 'self', parent: 'self', startMs: 4 }),
      makeSpan({ id: 'kid', parent: 'b', startMs: 5 }),
    ]);
    const tree = store.tree(traceOf('trace'))!;
    const seen: string[] = [];
    const walk = (spanId: string) => {
      seen.push(spanId);
      for (const child of tree.children.get(spanId) ?? []) walk(child);
    };
    for (const root of tree.roots) walk(root);
    assert.equal(seen.length, 5);
    assert.equal(new Set(seen).size, 5);
    assert.deepEqual(tree.roots, [id('a'), id('self')]);
    assert.ok(tree.orphans.has(id('a')) && tree.orphans.has(id('self')));
  });

  it('names a trace by its earliest root, or its earliest span until a root arrives', () => {
    const { store } = manualStore();
    store.add([makeSpan({ id: 'late-child', parent: 'root', startMs: 9 }), makeSpan({ id: 'early-child', parent: 'root', startMs: 2 })]);
    assert.equal(store.get(traceOf('trace'))!.earliestSpan!.name, 'early-child');
    store.add([makeSpan({ id: 'root', startMs: 1, durationMs: 20 })]);
    const entry = store.get(traceOf('trace'))!;
    assert.equal(entry.rootSpan!.name, 'root');
    assert.equal(entry.endTimeMs - entry.startTimeMs, 20);
  });

  it('keeps times, root and earliest span right when re-sent spans move them', () => {
    const { store } = manualStore();
    const first = () => [makeSpan({ id: 'root', startMs: 0, durationMs: 100 }), makeSpan({ id: 'a', parent: 'root', startMs: 10, durationMs: 20 }), makeSpan({ id: 'b', parent: 'root', startMs: 50, durationMs: 80 })];
    store.add(first());
    const entry = store.get(traceOf('trace'))!;
    const base = entry.startTimeMs;
    assert.equal(entry.endTimeMs - base, 130);

    // The same spans again: the stored ones are the new objects, nothing moves.
    const again = first();
    store.add(again);
    assert.equal(entry.rootSpan, again[0]);
    assert.equal(entry.earliestSpan, again[0]);
    assert.deepEqual([entry.startTimeMs - base, entry.endTimeMs - base], [0, 130]);

    // The last-ending span ends earlier: the trace's end comes back to the next latest.
    store.add([makeSpan({ id: 'b', parent: 'root', startMs: 50, durationMs: 10 })]);
    assert.equal(entry.endTimeMs - base, 100);

    // The root starts later: the trace starts with the next earliest span, which the root still names.
    store.add([makeSpan({ id: 'root', startMs: 5, durationMs: 95 })]);
    assert.equal(entry.startTimeMs - base, 5);
    assert.equal(entry.rootSpan!.name, 'root');
    assert.equal(entry.earliestSpan!.name, 'root');

    // A span that was none of these moves before all: it is the earliest, and the start.
    store.add([makeSpan({ id: 'a', parent: 'root', startMs: -5, durationMs: 20 })]);
    assert.equal(entry.startTimeMs - base, -5);
    assert.equal(entry.earliestSpan!.name, 'a');
    assert.equal(entry.rootSpan!.name, 'root');

    // The root gains a parent: no root is left.
    store.add([makeSpan({ id: 'root', parent: 'elsewhere', startMs: 5, durationMs: 95 })]);
    assert.equal(entry.rootSpan, undefined);
  });

  it('adds a large body in steps: journaled once, each step visible to readers, retention applied at the end', () => {
    const { store } = manualStore({ maxSpans: 6000 });
    const journaled: number[] = [];
    store.setJournal({ spansAdded: (spans) => journaled.push(spans.length), pinned: () => undefined, deleted: () => undefined, cleared: () => undefined, evicted: () => undefined });
    store.add([makeSpan({ trace: 'old', id: 'old' })]);
    const spans = Array.from({ length: 6000 }, (_, i) => makeSpan({ trace: 'big', id: `s${i}`, parent: i === 0 ? null : 's0', startMs: i }));
    const steps = store.addInSteps(spans);
    const seen: number[] = [];
    for (let step = steps.next(); !step.done; step = steps.next()) seen.push(store.spanCount);
    assert.ok(seen.length >= 2, `${seen.length} pauses`);
    assert.ok(seen[0] > 1 && seen[0] < 6001, `readers saw ${seen[0]} spans after the first step`);
    assert.deepEqual(journaled, [1, 6000]);
    // Past maxSpans only once the whole body is in: the older trace goes, the new one stays whole.
    assert.equal(store.get(traceOf('old')), undefined);
    assert.equal(store.get(traceOf('big'))!.spans.size, 6000);
  });

  it('takes a trace sent again without a scan of the trace per span', () => {
    const { store } = manualStore();
    const spans = () => Array.from({ length: 1000 }, (_, i) => makeSpan({ id: `s${i}`, parent: i === 0 ? null : 's0', startMs: i, durationMs: 1000 - i }));
    store.add(spans());
    const stored = store.get(traceOf('trace'))!.spans;
    const values = stored.values.bind(stored);
    let scans = 0;
    stored.values = () => {
      scans++;
      return values();
    };
    store.add(spans());
    assert.equal(store.spanCount, 1000);
    assert.equal(scans, 0);
  });
});

describe('TraceStore retention', () => {
  it('evicts whole least-recently-updated traces past maxSpans', () => {
    const { store, changes } = manualStore({ maxSpans: 4 });
    store.add([makeSpan({ trace: 'old', id: 'o1' }), makeSpan({ trace: 'old', id: 'o2' })]);
    store.add([makeSpan({ trace: 'mid', id: 'm1' }), makeSpan({ trace: 'mid', id: 'm2' })]);
    store.add([makeSpan({ trace: 'old', id: 'o3', parent: 'o1' })]); // "old" is now the most recently updated
    store.add([makeSpan({ trace: 'new', id: 'n1' })]);
    assert.equal(store.get(traceOf('mid')), undefined, 'the least recently updated trace goes first');
    assert.equal(store.get(traceOf('old'))!.spans.size, 3);
    assert.equal(store.spanCount, 4);
    store.flush();
    assert.deepEqual(changes[0].evicted, [traceOf('mid')]);
  });

  it('evicts past maxTraces and never evicts pinned traces', () => {
    const { store } = manualStore({ maxTraces: 2 });
    store.add([makeSpan({ trace: 't1', id: 'a' })]);
    assert.equal(store.setPinned(traceOf('t1'), true), true);
    store.add([makeSpan({ trace: 't2', id: 'a' })]);
    store.add([makeSpan({ trace: 't3', id: 'a' })]);
    assert.ok(store.get(traceOf('t1')), 'pinned trace kept');
    assert.equal(store.get(traceOf('t2')), undefined);
    assert.ok(store.get(traceOf('t3')));
    assert.equal(store.setPinned(traceOf('nope'), true), false);
  });

  it('clears everything but pinned traces, and deletes single traces', () => {
    const { store } = manualStore();
    store.add([makeSpan({ trace: 't1', id: 'a' }), makeSpan({ trace: 't2', id: 'a' }), makeSpan({ trace: 't3', id: 'a' })]);
    store.setPinned(traceOf('t1'), true);
    assert.equal(store.delete(traceOf('t3')), true);
    assert.equal(store.delete(traceOf('t3')), false);
    store.clear();
    assert.deepEqual([...store.entries()].map((e) => e.traceId), [traceOf('t1')]);
    assert.equal(store.spanCount, 1);
  });

  it('applies lowered limits at once', () => {
    const { store } = manualStore();
    for (let i = 0; i < 5; i++) store.add([makeSpan({ trace: `t${i}`, id: 'a' })]);
    store.setLimits({ maxTraces: 2 });
    assert.deepEqual([...store.entries()].map((e) => e.traceId), [traceOf('t3'), traceOf('t4')]);
  });
});

describe('TraceStore change events', () => {
  it('coalesces a burst of 10,000 spans into one event', () => {
    const scheduled: Array<() => void> = [];
    const store = new TraceStore({ schedule: (callback) => scheduled.push(callback) });
    const changes: StoreChange[] = [];
    store.onChange((change) => changes.push(change));
    for (let i = 0; i < 10_000; i++) store.add([makeSpan({ trace: `t${i % 3}`, id: `s${i}` })]);
    assert.equal(scheduled.length, 1, 'one delivery scheduled for the whole burst');
    scheduled[0]();
    assert.equal(changes.length, 1);
    assert.deepEqual(changes[0].added.sort(), [traceOf('t0'), traceOf('t1'), traceOf('t2')].sort());
    assert.deepEqual(changes[0].updated, [], 'traces added in the window are not also reported updated');
    assert.equal(changes[0].spanCount, 10_000);
  });

  it('reports updates, evictions and clears in later windows', () => {
    const { store, changes } = manualStore();
    store.add([makeSpan({ trace: 't1', id: 'a' })]);
    store.flush();
    store.add([makeSpan({ trace: 't1', id: 'b' })]);
    store.flush();
    store.clear();
    store.flush();
    assert.deepEqual(changes.map((c) => [c.added.length, c.updated.length, c.evicted.length, c.cleared]), [
      [1, 0, 0, false],
      [0, 1, 0, false],
      [0, 0, 1, true],
    ]);
  });

  it('stops delivering to an unsubscribed listener', () => {
    const store = new TraceStore({ schedule: () => undefined });
    let calls = 0;
    const unsubscribe = store.onChange(() => calls++);
    store.add([makeSpan({ id: 'a' })]);
    store.flush();
    unsubscribe();
    store.add([makeSpan({ id: 'b' })]);
    store.flush();
    assert.equal(calls, 1);
  });
});

describe('TraceStore queries', () => {
  function populated() {
    const { store } = manualStore();
    store.add([
      makeSpan({ trace: 'chat', id: 'r', startMs: 100, durationMs: 50, attributes: { 'gen_ai.request.model': 'gpt-4o', 'respan.customer_params.customer_identifier': 'cus_1', 'respan.threads.thread_identifier': 'th_1' } }),
      makeSpan({ trace: 'chat', id: 'c', parent: 'r', startMs: 110, attributes: { 'gen_ai.prompt.0.content': 'Tell me about the Eiffel Tower' } }),
      makeSpan({ trace: 'fail', id: 'r', startMs: 200, durationMs: 5000, error: true, attributes: { 'respan.trace.trace_group_identifier': 'g1' }, resource: { 'service.name': 'other' } }),
      makeSpan({ trace: 'plain', id: 'r', startMs: 50, name: 'GET /health' }),
    ]);
    return store;
  }
  const names = (result: { traces: Array<{ traceId: string }> }) => result.traces.map((t) => t.traceId);

  it('lists newest first', () => {
    assert.deepEqual(names(populated().list()), [traceOf('fail'), traceOf('chat'), traceOf('plain')]);
  });

  it('filters by errors, model, customer, thread, group, service, name and duration', () => {
    const store = populated();
    assert.deepEqual(names(store.list({ errorsOnly: true })), [traceOf('fail')]);
    assert.deepEqual(names(store.list({ model: 'gpt-4o' })), [traceOf('chat')]);
    assert.deepEqual(names(store.list({ customer: 'cus_1' })), [traceOf('chat')]);
    assert.deepEqual(names(store.list({ thread: 'th_1' })), [traceOf('chat')]);
    assert.deepEqual(names(store.list({ traceGroup: 'g1' })), [traceOf('fail')]);
    assert.deepEqual(names(store.list({ service: 'other' })), [traceOf('fail')]);
    assert.deepEqual(names(store.list({ name: 'GET /health' })), [traceOf('plain')]);
    assert.deepEqual(names(store.list({ minDurationMs: 1000 })), [traceOf('fail')]);
    assert.deepEqual(names(store.list({ maxDurationMs: 20 })), [traceOf('plain')]);
    assert.deepEqual(names(store.list({ model: 'gpt-4o', errorsOnly: true })), []);
  });

  it('searches span names and attribute values case-insensitively, with regex characters taken literally', () => {
    const store = populated();
    assert.deepEqual(names(store.list({ text: 'eiffel' })), [traceOf('chat')]);
    assert.deepEqual(names(store.list({ text: '/HEALTH' })), [traceOf('plain')]);
    assert.deepEqual(names(store.list({ text: '.*' })), []);
  });

  it('matches only the traces asked for by id, in any case, skipping unknown ones', () => {
    const store = populated();
    assert.deepEqual(names(store.list({ traceIds: [traceOf('plain').toUpperCase(), traceOf('chat'), traceOf('chat'), 'f'.repeat(32)] })), [traceOf('chat'), traceOf('plain')]);
    assert.deepEqual(names(store.list({ traceIds: [traceOf('plain'), traceOf('fail')], errorsOnly: true })), [traceOf('fail')]);
    assert.deepEqual(store.list({ traceIds: [] }), { traces: [], total: 0 });
  });

  it('limits the list but reports the total', () => {
    const result = populated().list({ limit: 1 });
    assert.equal(result.traces.length, 1);
    assert.equal(result.total, 3);
  });

  it('collects facet values with trace counts', () => {
    const facets = populated().facetValues();
    assert.deepEqual(facets.models, [{ value: 'gpt-4o', traces: 1 }]);
    assert.deepEqual(facets.services, [
      { value: 'test-service', traces: 2 },
      { value: 'other', traces: 1 },
    ]);
  });
});
