import * as assert from 'node:assert/strict';
import type { Attributes, Span } from '../../src/core/model';
import { costCountedBelow, tokensCountedBelow } from '../../src/core/rollup';
import { TraceStore, approxSpanBytes, type TraceEntry } from '../../src/core/store';
import { hexId, makeSpan } from '../support/spans';

const TRACE = hexId('trace', 32);
const id = (label: string) => hexId(label, 16);

function usage(input: number, output: number, cost?: number): Attributes {
  return { 'gen_ai.usage.input_tokens': input, 'gen_ai.usage.output_tokens': output, ...(cost !== undefined ? { cost } : {}) };
}

/** Every order of `items` (for the small lists these tests use). */
function permutations<T>(items: readonly T[]): T[][] {
  if (items.length <= 1) return [[...items]];
  return items.flatMap((item, i) => permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [item, ...rest]));
}

function storeOf(spans: readonly Span[], batches: 'one' | 'each' = 'each'): { store: TraceStore; entry: TraceEntry } {
  const store = new TraceStore({ schedule: () => undefined });
  if (batches === 'one') store.add(spans);
  else for (const span of spans) store.add([span]);
  return { store, entry: store.get(TRACE)! };
}

function totals(entry: TraceEntry) {
  // `+ 0` turns the -0 of a rounded float residue into 0.
  return { input: entry.tokens.input, output: entry.tokens.output, total: entry.tokens.total, cost: Math.round(entry.cost * 1e9) / 1e9 + 0 };
}

/** Which spans the trace does not count because a descendant's usage is counted instead. */
function hidden(entry: TraceEntry): string[] {
  return [...entry.spans.values()].filter((span) => tokensCountedBelow(entry, span)).map((span) => span.name).sort();
}

describe('TraceStore: each LLM call counted once', () => {
  // Traceloop's span over the Anthropic SDK's own span of the same call, under a workflow; a second, singly traced call beside it.
  const spans = [
    makeSpan({ id: 'workflow', name: 'workflow' }),
    makeSpan({ id: 'outer', parent: 'workflow', name: 'outer', attributes: usage(100, 47, 0.002) }),
    makeSpan({ id: 'inner', parent: 'outer', name: 'inner', attributes: usage(100, 47, 0.002) }),
    makeSpan({ id: 'single', parent: 'workflow', name: 'single', attributes: usage(10, 5, 0.0005) }),
  ];

  it('counts the innermost span that carries usage, in every arrival order', () => {
    for (const order of permutations(spans)) {
      for (const batches of ['one', 'each'] as const) {
        const { entry } = storeOf(order, batches);
        const label = `${order.map((span) => span.name).join(' → ')} (${batches})`;
        assert.deepEqual(totals(entry), { input: 110, output: 52, total: 162, cost: 0.0025 }, label);
        assert.deepEqual(hidden(entry), ['outer'], label);
        assert.equal(costCountedBelow(entry, entry.spans.get(id('outer'))!), true, label);
        assert.equal(costCountedBelow(entry, entry.spans.get(id('inner'))!), false, label);
        assert.equal(entry.costedSpans, 3, label);
      }
    }
  });

  it('counts only the innermost of a deep chain, wherever the chain starts arriving', () => {
    const depth = 30;
    const chain = Array.from({ length: depth }, (_, i) => makeSpan({ id: `c${i}`, parent: i === 0 ? null : `c${i - 1}`, name: `c${i}`, attributes: usage(7, 3) }));
    const orders = [chain, [...chain].reverse(), [...chain.filter((_, i) => i % 2 === 0), ...chain.filter((_, i) => i % 2 === 1)], [...chain.slice(15), ...chain.slice(0, 15)]];
    for (const order of orders) {
      const { entry } = storeOf(order);
      assert.deepEqual(totals(entry), { input: 7, output: 3, total: 10, cost: 0 });
      assert.equal(hidden(entry).length, depth - 1);
      assert.equal(tokensCountedBelow(entry, entry.spans.get(id(`c${depth - 1}`))!), false);
    }
  });

  it('counts every leaf call under a span that reports their sum', () => {
    // The Vercel AI SDK's ai.generateText (usage of both steps) over its two doGenerate steps and a tool call.
    const steps = [
      makeSpan({ id: 'generate', name: 'ai.generateText', attributes: usage(70, 20) }),
      makeSpan({ id: 'step1', parent: 'generate', name: 'step1', attributes: usage(30, 8) }),
      makeSpan({ id: 'tool', parent: 'generate', name: 'ai.toolCall' }),
      makeSpan({ id: 'step2', parent: 'generate', name: 'step2', attributes: usage(40, 12) }),
    ];
    for (const order of permutations(steps)) {
      const { entry } = storeOf(order);
      assert.deepEqual(totals(entry), { input: 70, output: 20, total: 90, cost: 0 });
      assert.deepEqual(hidden(entry), ['ai.generateText']);
    }
  });

  it('counts an ancestor again when a replacement takes the usage away from its only descendant', () => {
    const { store, entry } = storeOf(spans);
    store.add([makeSpan({ id: 'inner', parent: 'outer', name: 'inner' })]);
    assert.deepEqual(totals(entry), { input: 110, output: 52, total: 162, cost: 0.0025 });
    assert.deepEqual(hidden(entry), []);
    store.add([makeSpan({ id: 'inner', parent: 'outer', name: 'inner', attributes: usage(1, 1, 0.0001) })]);
    assert.deepEqual(totals(entry), { input: 11, output: 6, total: 17, cost: 0.0006 });
    assert.deepEqual(hidden(entry), ['outer']);
  });

  it('follows a replacement that moves a subtree to another parent', () => {
    const { store, entry } = storeOf([
      makeSpan({ id: 'a', name: 'a', attributes: usage(50, 50) }),
      makeSpan({ id: 'b', name: 'b', attributes: usage(20, 20) }),
      makeSpan({ id: 'mid', parent: 'a', name: 'mid' }),
      makeSpan({ id: 'leaf', parent: 'mid', name: 'leaf', attributes: usage(1, 1) }),
    ]);
    assert.deepEqual(totals(entry), { input: 21, output: 21, total: 42, cost: 0 });
    store.add([makeSpan({ id: 'mid', parent: 'b', name: 'mid' })]);
    assert.deepEqual(totals(entry), { input: 51, output: 51, total: 102, cost: 0 });
    assert.deepEqual(hidden(entry), ['b']);
    store.add([makeSpan({ id: 'mid', parent: null, name: 'mid' })]);
    assert.deepEqual(totals(entry), { input: 71, output: 71, total: 142, cost: 0 });
    assert.deepEqual(hidden(entry), []);
  });

  it('counts a replaced span once, with its new figures', () => {
    const { store, entry } = storeOf(spans);
    store.add([makeSpan({ id: 'single', parent: 'workflow', name: 'single', attributes: usage(20, 10, 0.001) })]);
    store.add([makeSpan({ id: 'single', parent: 'workflow', name: 'single', attributes: usage(20, 10, 0.001) })]);
    assert.deepEqual(totals(entry), { input: 120, output: 57, total: 177, cost: 0.003 });
  });

  it('lets a zero-usage descendant (a failed call) leave its ancestor counted', () => {
    const { entry } = storeOf([makeSpan({ id: 'outer', name: 'outer', attributes: usage(9, 4) }), makeSpan({ id: 'inner', parent: 'outer', name: 'inner', attributes: usage(0, 0) })]);
    assert.deepEqual(totals(entry), { input: 9, output: 4, total: 13, cost: 0 });
    assert.deepEqual(hidden(entry), []);
  });

  it('cuts each loop of parent links at its earliest span, whichever span closes it, and heals the cut when a replacement breaks the loop', () => {
    // Equal start times: the span id decides which span is earliest (x).
    const loop = [
      makeSpan({ id: 'x', parent: 'y', name: 'x', attributes: usage(1, 0) }),
      makeSpan({ id: 'y', parent: 'z', name: 'y', attributes: usage(10, 0) }),
      makeSpan({ id: 'z', parent: 'x', name: 'z', attributes: usage(100, 0) }),
      makeSpan({ id: 'self', parent: 'self', name: 'self', attributes: usage(1000, 0) }),
    ];
    const broken = [loop[0], makeSpan({ id: 'y', parent: null, name: 'y', attributes: usage(10, 0) }), loop[2], makeSpan({ id: 'self', parent: null, name: 'self', attributes: usage(1000, 0) })];
    for (const order of permutations(loop)) {
      const label = order.map((span) => span.name).join(' → ');
      const { store, entry } = storeOf(order);
      // Cut at x, the loop reads y → z → x: y is the innermost.
      assert.deepEqual(totals(entry), { input: 1010, output: 0, total: 1010, cost: 0 }, label);
      assert.deepEqual(hidden(entry), ['x', 'z'], label);
      store.add([broken[1]]);
      // Now z → x → y: z is the innermost.
      assert.deepEqual(totals(entry), { input: 1100, output: 0, total: 1100, cost: 0 }, label);
      assert.deepEqual(hidden(entry), ['x', 'y'], label);
      store.add([broken[3]]);
      assert.deepEqual(totals(entry), totals(storeOf(broken).entry), label);
      assert.deepEqual(hidden(entry), hidden(storeOf(broken).entry), label);
      assert.equal(entry.rollup.loopCuts.size, 0, label);
      // Closing the loop again by replacement cuts it at x again.
      store.add([loop[1]]);
      assert.deepEqual(totals(entry), { input: 1010, output: 0, total: 1010, cost: 0 }, label);
    }
  });

  it('agrees with a from-scratch count after every step of random arrivals and replacements, loops included', () => {
    // Deterministic pseudo-random numbers (a linear congruential generator), so a failure can be replayed.
    let seed = 12345;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)];
    const labels = Array.from({ length: 9 }, (_, i) => `r${i}`);
    const nameOf = new Map([...labels, 'missing1', 'missing2'].map((label) => [id(label), label]));
    const randomSpan = (label: string) =>
      makeSpan({
        id: label,
        name: label,
        parent: random() < 0.2 ? null : pick([...labels, 'missing1', 'missing2']),
        startMs: pick([1, 2, 3]),
        attributes: random() < 0.5 ? usage(Math.ceil(random() * 50), 1, random() < 0.5 ? 0.01 : undefined) : {},
      });

    /** The roll-up's rule computed over the whole trace at once: loops cut at their earliest span, then every span with a carrier below it hidden. */
    const reference = (spans: readonly Span[]) => {
      const byId = new Map(spans.map((span) => [span.spanId, span]));
      const earliest = (a: Span, b: Span) => (a.startTimeUnixNano < b.startTimeUnixNano || (a.startTimeUnixNano === b.startTimeUnixNano && a.spanId < b.spanId) ? a : b);
      const cuts = new Set<string>();
      for (const span of spans) {
        const path: Span[] = [];
        for (let at: Span | undefined = span; at !== undefined && !path.includes(at); at = at.parentSpanId === null ? undefined : byId.get(at.parentSpanId)) path.push(at);
        const last = path[path.length - 1];
        const next = last.parentSpanId === null ? undefined : byId.get(last.parentSpanId);
        if (next !== undefined && path.includes(next)) cuts.add(path.slice(path.indexOf(next)).reduce(earliest).spanId);
      }
      const hiddenTokens = new Set<string>();
      const hiddenCost = new Set<string>();
      for (const span of spans) {
        for (let id = cuts.has(span.spanId) ? null : span.parentSpanId; id !== null && byId.has(id); id = cuts.has(id) ? null : byId.get(id)!.parentSpanId) {
          if (span.derived.tokens) hiddenTokens.add(id);
          if (span.derived.cost) hiddenCost.add(id);
        }
      }
      const counted = spans.filter((span) => span.derived.tokens && !hiddenTokens.has(span.spanId));
      return {
        input: counted.reduce((sum, span) => sum + span.derived.tokens!.input!, 0),
        cost: Math.round(spans.filter((span) => span.derived.cost && !hiddenCost.has(span.spanId)).reduce((sum, span) => sum + span.derived.cost!, 0) * 1e9) / 1e9,
        hidden: spans.filter((span) => span.derived.tokens && hiddenTokens.has(span.spanId)).map((span) => span.name).sort(),
      };
    };

    for (let round = 0; round < 400; round++) {
      const store = new TraceStore({ schedule: () => undefined });
      const present = new Map<string, Span>();
      for (let step = 0; step < 16; step++) {
        // One to three spans per request; a later one may replace an earlier one of the same request.
        const batch = Array.from({ length: 1 + Math.floor(random() * 3) }, () => randomSpan(pick(labels)));
        store.add(batch);
        for (const span of batch) present.set(span.name, span);
        const entry = store.get(TRACE)!;
        const expected = reference([...present.values()]);
        const label = `round ${round}, step ${step}: ${[...present.values()].map((span) => `${span.name}→${span.parentSpanId === null ? '-' : nameOf.get(span.parentSpanId)}`).join(' ')}`;
        assert.deepEqual({ input: entry.tokens.input, cost: totals(entry).cost, hidden: hidden(entry) }, expected, label);
      }
    }
  });

  it('charges its bookkeeping to the memory bound and frees it with the trace', () => {
    const chain = Array.from({ length: 10 }, (_, i) => makeSpan({ id: `c${i}`, parent: i === 0 ? null : `c${i - 1}`, attributes: usage(1, 1, 0.1) }));
    const { store } = storeOf(chain);
    const spanBytes = chain.reduce((sum, span) => sum + approxSpanBytes(span), 0);
    assert.ok(store.approxBytes > spanBytes, 'the per-ancestor counts are charged');
    store.add([makeSpan({ id: 'c9', parent: 'c8' })]);
    store.add([makeSpan({ id: 'c9', parent: 'c8', attributes: usage(1, 1, 0.1) })]);
    const { store: fresh } = storeOf(chain);
    assert.equal(store.approxBytes, fresh.approxBytes, 'replacement charges exactly what a fresh build does');
    store.delete(TRACE);
    assert.equal(store.approxBytes, 0);
  });
});
