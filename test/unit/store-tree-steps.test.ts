import * as assert from 'node:assert/strict';
import { treeOrderInSteps } from '../../src/core/leanTrace';
import { TraceStore, TREE_STEP_SPANS } from '../../src/core/store';
import { hexId, makeSpan } from '../support/spans';

const traceId = hexId('trace', 32);
/** Labels of at most 8 characters: span ids are a label's hex, cut at 16 digits. */
const label = (k: number) => `s${k.toString(36)}`;

/** A deterministic pseudo-random sequence (the tests must not depend on the run). */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

const notInLoop = (k: number) => (k === 1 || k === 2 ? 0 : k);

/** A trace of `count` spans added in shuffled order, with equal start times, missing parents and a loop of parents. */
function bigTrace(count: number) {
  const next = random(7);
  const specs = Array.from({ length: count }, (_, k) => ({
    id: label(k),
    // Span 1 and span 2 are each other's parent: a loop no root reaches (and no other span hangs off). Every 97th span has a parent that never comes.
    parent: k === 0 ? undefined : k === 1 ? label(2) : k === 2 ? label(1) : k % 97 === 0 ? 'missing' : label(notInLoop(Math.floor(next() * k))),
    // Few distinct start times, so order between equal starts (by id) is exercised.
    startMs: 1_700_000_000_000 + Math.floor(next() * 50),
  }));
  for (let i = specs.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [specs[i], specs[j]] = [specs[j], specs[i]];
  }
  const store = new TraceStore({ schedule: () => undefined, maxSpans: count * 2 });
  store.add(specs.map(makeSpan));
  return store;
}

describe('TraceStore tree in steps', () => {
  it('builds the same tree as a plain sort and walk, pausing many times on a large trace', () => {
    const count = 5 * TREE_STEP_SPANS + 123;
    const store = bigTrace(count);
    const steps = store.treeInSteps(traceId);
    let pauses = 0;
    let step = steps.next();
    while (!step.done) {
      pauses++;
      step = steps.next();
    }
    const tree = step.value!;
    assert.ok(pauses >= 5, `paused ${pauses} times`);

    const expected = [...store.get(traceId)!.spans.values()].sort((a, b) => a.startTimeMs - b.startTimeMs || (a.spanId < b.spanId ? -1 : a.spanId > b.spanId ? 1 : 0));
    assert.deepEqual(
      tree.spans.map((span) => span.spanId),
      expected.map((span) => span.spanId),
    );
    const missingParent = expected.filter((span) => span.parentSpanId === hexId('missing', 16)).map((span) => span.spanId);
    for (const spanId of missingParent) assert.ok(tree.orphans.has(spanId));
    // The loop is broken at its earlier span, which becomes an orphan root.
    const loop = expected.filter((span) => span.spanId === hexId(label(1), 16) || span.spanId === hexId(label(2), 16));
    assert.ok(tree.orphans.has(loop[0].spanId) && !tree.orphans.has(loop[1].spanId));
    assert.equal(tree.orphans.size, missingParent.length + 1);
    // Every span is reached exactly once from the roots, children in start order.
    const position = new Map(tree.spans.map((span, i) => [span.spanId, i]));
    const seen = new Set<string>();
    const stack = [...tree.roots];
    while (stack.length > 0) {
      const id = stack.pop()!;
      assert.ok(!seen.has(id));
      seen.add(id);
      const kids = tree.children.get(id) ?? [];
      for (let i = 1; i < kids.length; i++) assert.ok(position.get(kids[i - 1])! < position.get(kids[i])!);
      stack.push(...kids);
    }
    assert.equal(seen.size, count);
    assert.deepEqual(store.tree(traceId), tree);

    // Tree order, in steps too: every span once, each parent before its children.
    const ordering = treeOrderInSteps(tree);
    let orderPauses = 0;
    let ordered = ordering.next();
    while (!ordered.done) {
      orderPauses++;
      ordered = ordering.next();
    }
    assert.ok(orderPauses >= 5, `paused ${orderPauses} times`);
    const { order, parent } = ordered.value;
    assert.equal(new Set(order.map((span) => span.spanId)).size, count);
    order.forEach((span, i) => {
      assert.ok(parent[i] < i);
      assert.equal(parent[i] === -1 ? null : order[parent[i]].spanId, tree.orphans.has(span.spanId) ? null : span.parentSpanId);
    });
  });

  it('takes the spans of the trace when it starts: a parent that arrives between steps leaves its children orphans, all reached once', () => {
    const store = new TraceStore({ schedule: () => undefined });
    store.add(Array.from({ length: 3 * TREE_STEP_SPANS }, (_, k) => makeSpan({ id: label(k), parent: k === 0 ? undefined : k % 2 === 0 ? 'late' : label(0), startMs: 1_700_000_000_000 + k })));
    const steps = store.treeInSteps(traceId);
    steps.next();
    store.add([makeSpan({ id: 'late', parent: label(0), startMs: 1_700_000_000_000 })]);
    let step = steps.next();
    while (!step.done) step = steps.next();
    const tree = step.value!;
    assert.equal(tree.spans.length, 3 * TREE_STEP_SPANS);
    const reached = new Set<string>();
    const stack = [...tree.roots];
    while (stack.length > 0) {
      const id = stack.pop()!;
      reached.add(id);
      stack.push(...(tree.children.get(id) ?? []));
    }
    assert.equal(reached.size, tree.spans.length);
    assert.equal(tree.orphans.size, 3 * TREE_STEP_SPANS / 2 - 1);
  });
});
