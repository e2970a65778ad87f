/**
 * Eviction order and change notes when consecutive spans go to the same trace
 * (the store skips re-inserting and re-noting the trace it just touched).
 */
import * as assert from 'node:assert/strict';
import { TraceStore, type StoreChange } from '../../src/core/store';
import { hexId, makeSpan } from '../support/spans';

const traceOf = (label: string) => hexId(label, 32);

function storeWithChanges(options: { maxTraces?: number } = {}) {
  const store = new TraceStore({ ...options, schedule: () => undefined });
  const changes: StoreChange[] = [];
  store.onChange((change) => changes.push(change));
  return { store, changes };
}

describe('TraceStore order and notes for runs of one trace', () => {
  it('notes a trace again after a flush even when the next span goes to the same trace', () => {
    const { store, changes } = storeWithChanges();
    store.add([makeSpan({ trace: 't', id: 'a' }), makeSpan({ trace: 't', id: 'b' })]);
    store.flush();
    store.add([makeSpan({ trace: 't', id: 'c' })]);
    store.flush();
    store.add([makeSpan({ trace: 't', id: 'd' })]);
    store.flush();
    assert.deepEqual(
      changes.map((change) => [change.added, change.updated]),
      [
        [[traceOf('t')], []],
        [[], [traceOf('t')]],
        [[], [traceOf('t')]],
      ],
    );
    assert.equal(store.spanCount, 4);
  });

  it('evicts the least recently updated trace, runs of spans and interleaving included', () => {
    const { store } = storeWithChanges({ maxTraces: 2 });
    store.add([makeSpan({ trace: 't', id: 'a' }), makeSpan({ trace: 't', id: 'b' })]);
    store.add([makeSpan({ trace: 'u', id: 'a' })]);
    store.add([makeSpan({ trace: 't', id: 'c' }), makeSpan({ trace: 't', id: 'd' })]);
    store.add([makeSpan({ trace: 'v', id: 'a' })]);
    assert.deepEqual([...store.entries()].map((entry) => entry.traceId), [traceOf('t'), traceOf('v')]);
  });

  it('notes a trace as added again when it comes back after being deleted in the same window', () => {
    const { store, changes } = storeWithChanges();
    store.add([makeSpan({ trace: 't', id: 'a' })]);
    store.delete(traceOf('t'));
    store.add([makeSpan({ trace: 't', id: 'b' })]);
    store.flush();
    assert.deepEqual(changes.map((change) => [change.added, change.evicted]), [[[traceOf('t')], []]]);
    assert.equal(store.get(traceOf('t'))?.spans.size, 1);
  });

  it('keeps the trace id of every span of a trace equal to its entry id across requests', () => {
    const { store } = storeWithChanges();
    store.add([makeSpan({ trace: 't', id: 'a' })]);
    store.add([makeSpan({ trace: 'u', id: 'a' }), makeSpan({ trace: 't', id: 'b', parent: 'a' })]);
    const entry = store.get(traceOf('t'))!;
    for (const span of entry.spans.values()) assert.equal(span.traceId, entry.traceId);
    assert.equal(entry.orphanCount, 0);
  });
});
