import * as assert from 'node:assert/strict';
import type { Attributes, Span } from '../../src/core/model';
import { costCountedElsewhere, tokensCountedElsewhere } from '../../src/core/rollup';
import { TraceStore, approxSpanBytes, type TraceEntry } from '../../src/core/store';
import { hexId, makeSpan } from '../support/spans';

const TRACE = hexId('trace', 32);
const id = (label: string) => hexId(label, 16);

function usage(input: number, output: number, cost?: number): Attributes {
  return { 'gen_ai.usage.input_tokens': input, 'gen_ai.usage.output_tokens': output, ...(cost !== undefined ? { cost } : {}) };
}

/** A chat span's attributes: the model and its usage. */
function chat(model: string, input: number, output: number, cost?: number): Attributes {
  return { 'gen_ai.request.model': model, ...usage(input, output, cost) };
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

/** Which spans the trace does not count because another span's usage for the same call is counted instead. */
function hidden(entry: TraceEntry): string[] {
  return [...entry.spans.values()].filter((span) => tokensCountedElsewhere(entry, span)).map((span) => span.name).sort();
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
        assert.equal(costCountedElsewhere(entry, entry.spans.get(id('outer'))!), true, label);
        assert.equal(costCountedElsewhere(entry, entry.spans.get(id('inner'))!), false, label);
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
      assert.equal(tokensCountedElsewhere(entry, entry.spans.get(id(`c${depth - 1}`))!), false);
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

  describe('a sibling that encloses another span of the same call', () => {
    // Traceloop's LangChain span beside the OpenAI client span it encloses (the handler never makes its span active):
    // the client span answers with the dated model. A second, singly traced call follows in the same task.
    const task = makeSpan({ id: 'task', name: 'task', startMs: 1000, durationMs: 500 });
    const langchain = makeSpan({ id: 'langchain', parent: 'task', name: 'langchain', startMs: 1010, durationMs: 120, attributes: chat('gpt-4o-mini', 31, 12, 0.0002) });
    const client = makeSpan({ id: 'client', parent: 'task', name: 'client', startMs: 1027, durationMs: 100.5, attributes: chat('gpt-4o-mini-2024-07-18', 31, 12, 0.0002) });
    const next = makeSpan({ id: 'next', parent: 'task', name: 'next', startMs: 1200, durationMs: 80, attributes: chat('gpt-4o-mini', 31, 12, 0.0002) });

    it('counts the call once, at the enclosed span, in every arrival order', () => {
      for (const order of permutations([task, langchain, client, next])) {
        for (const batches of ['one', 'each'] as const) {
          const { entry } = storeOf(order, batches);
          const label = `${order.map((span) => span.name).join(' → ')} (${batches})`;
          assert.deepEqual(totals(entry), { input: 62, output: 24, total: 86, cost: 0.0004 }, label);
          assert.deepEqual(hidden(entry), ['langchain'], label);
          assert.equal(costCountedElsewhere(entry, entry.spans.get(id('langchain'))!), true, label);
          assert.equal(costCountedElsewhere(entry, entry.spans.get(id('client'))!), false, label);
        }
      }
    });

    it('treats roots alike', () => {
      const roots = [
        makeSpan({ id: 'outer', name: 'outer', startMs: 0, durationMs: 50, attributes: chat('m', 5, 5) }),
        makeSpan({ id: 'inner', name: 'inner', startMs: 10, durationMs: 20, attributes: chat('m', 5, 5) }),
      ];
      for (const order of permutations(roots)) {
        const { entry } = storeOf(order);
        assert.deepEqual(totals(entry), { input: 5, output: 5, total: 10, cost: 0 });
        assert.deepEqual(hidden(entry), ['outer']);
      }
    });

    it('leaves a wrapper out while a descendant or an enclosed sibling reports usage', () => {
      const step = (attributes: Attributes) => makeSpan({ id: 'step', parent: 'outer', name: 'step', startMs: 5, durationMs: 5, attributes });
      const inner = (output: number) => makeSpan({ id: 'inner', parent: 'task', name: 'inner', startMs: 10, durationMs: 20, attributes: chat('m', 5, output) });
      const { store, entry } = storeOf([makeSpan({ id: 'outer', parent: 'task', name: 'outer', startMs: 0, durationMs: 50, attributes: chat('m', 5, 5) }), inner(5), step(chat('m', 2, 2))]);
      assert.deepEqual([totals(entry).input, hidden(entry)], [7, ['outer']]);
      store.add([step({})]);
      assert.deepEqual([totals(entry).input, hidden(entry)], [5, ['outer']]);
      store.add([inner(6)]);
      assert.deepEqual([totals(entry).input, hidden(entry)], [10, []]);
      store.add([step(chat('m', 2, 2))]);
      assert.deepEqual([totals(entry).input, hidden(entry)], [7, ['outer']]);
      store.add([inner(5)]);
      assert.deepEqual([totals(entry).input, hidden(entry)], [7, ['outer']]);
    });

    it('counts one span of three that report the same call, and one of two with the same times', () => {
      const three = [
        makeSpan({ id: 'a', parent: 'task', name: 'a', startMs: 0, durationMs: 30, attributes: chat('m', 5, 5) }),
        makeSpan({ id: 'b', parent: 'task', name: 'b', startMs: 1, durationMs: 28, attributes: chat('m', 5, 5) }),
        makeSpan({ id: 'c', parent: 'task', name: 'c', startMs: 2, durationMs: 26, attributes: chat('m', 5, 5) }),
      ];
      for (const order of permutations(three)) assert.deepEqual([totals(storeOf(order).entry).input, hidden(storeOf(order).entry)], [5, ['a', 'b']]);
      const twins = [
        makeSpan({ id: 'x', parent: 'task', name: 'x', startMs: 0, durationMs: 30, attributes: chat('m', 5, 5) }),
        makeSpan({ id: 'y', parent: 'task', name: 'y', startMs: 0, durationMs: 30, attributes: chat('m', 5, 5) }),
      ];
      for (const order of permutations(twins)) assert.deepEqual([totals(storeOf(order).entry).input, hidden(storeOf(order).entry).length], [5, 1]);
    });

    it('allows the enclosed span to be recorded ending within a millisecond after the wrapper (OpenTelemetry JS clocks)', () => {
      const wrapper = makeSpan({ id: 'w', parent: 'task', name: 'w', startMs: 0, durationMs: 100, attributes: chat('m', 5, 5) });
      const within = makeSpan({ id: 'i', parent: 'task', name: 'i', startMs: 3, durationMs: 97.9, attributes: chat('m', 5, 5) });
      const beyond = makeSpan({ id: 'i', parent: 'task', name: 'i', startMs: 3, durationMs: 98.1, attributes: chat('m', 5, 5) });
      assert.deepEqual(hidden(storeOf([wrapper, within]).entry), ['w']);
      assert.deepEqual(hidden(storeOf([wrapper, beyond]).entry), []);
    });

    it('counts both of two spans that are not one call traced twice', () => {
      const cases: Record<string, Span[]> = {
        'identical calls one after the other': [
          makeSpan({ id: 'first', parent: 'task', startMs: 0, durationMs: 100, attributes: chat('m', 5, 5) }),
          makeSpan({ id: 'second', parent: 'task', startMs: 100, durationMs: 100, attributes: chat('m', 5, 5) }),
        ],
        'identical calls with a gap': [
          makeSpan({ id: 'first', parent: 'task', startMs: 0, durationMs: 0.5, attributes: chat('m', 5, 5) }),
          makeSpan({ id: 'second', parent: 'task', startMs: 0.75, durationMs: 0.5, attributes: chat('m', 5, 5) }),
        ],
        'overlapping, neither enclosing the other': [
          makeSpan({ id: 'first', parent: 'task', startMs: 0, durationMs: 100, attributes: chat('m', 5, 5) }),
          makeSpan({ id: 'second', parent: 'task', startMs: 50, durationMs: 100, attributes: chat('m', 5, 5) }),
        ],
        'different models': [
          makeSpan({ id: 'first', parent: 'task', startMs: 0, durationMs: 100, attributes: chat('gpt-4o', 5, 5) }),
          makeSpan({ id: 'second', parent: 'task', startMs: 10, durationMs: 50, attributes: chat('gpt-4o-mini', 5, 5) }),
        ],
        'different snapshots of a model': [
          makeSpan({ id: 'first', parent: 'task', startMs: 0, durationMs: 100, attributes: chat('gpt-4o-2024-05-13', 5, 5) }),
          makeSpan({ id: 'second', parent: 'task', startMs: 10, durationMs: 50, attributes: chat('gpt-4o-2024-08-06', 5, 5) }),
        ],
        'different output tokens': [
          makeSpan({ id: 'first', parent: 'task', startMs: 0, durationMs: 100, attributes: chat('m', 5, 5) }),
          makeSpan({ id: 'second', parent: 'task', startMs: 10, durationMs: 50, attributes: chat('m', 5, 6) }),
        ],
        'different parents': [
          makeSpan({ id: 'first', parent: 'task', startMs: 0, durationMs: 100, attributes: chat('m', 5, 5) }),
          makeSpan({ id: 'second', parent: 'other', startMs: 10, durationMs: 50, attributes: chat('m', 5, 5) }),
        ],
        'a root and a child': [
          makeSpan({ id: 'first', startMs: 0, durationMs: 100, attributes: chat('m', 5, 5) }),
          makeSpan({ id: 'second', parent: 'task', startMs: 10, durationMs: 50, attributes: chat('m', 5, 5) }),
        ],
        'no model': [
          makeSpan({ id: 'first', parent: 'task', startMs: 0, durationMs: 100, attributes: usage(5, 5) }),
          makeSpan({ id: 'second', parent: 'task', startMs: 10, durationMs: 50, attributes: usage(5, 5) }),
        ],
      };
      for (const [label, pair] of Object.entries(cases)) {
        for (const order of permutations(pair)) {
          const { entry } = storeOf(order);
          assert.deepEqual([totals(entry).input, hidden(entry)], [10, []], label);
        }
      }
    });

    it('tells apart many identical calls one after another, in any arrival order, and finds the one a wrapper encloses', () => {
      const calls = Array.from({ length: 2000 }, (_, i) => makeSpan({ id: `call${i}`, parent: 'task', name: `call${i}`, startMs: i * 100, durationMs: 90, attributes: chat('m', 31, 12) }));
      const wrapper = makeSpan({ id: 'wrapper', parent: 'task', name: 'wrapper', startMs: 1234 * 100 - 5, durationMs: 100, attributes: chat('m', 31, 12) });
      const interleaved = calls.filter((_, i) => i % 2 === 1).concat(calls.filter((_, i) => i % 2 === 0).reverse());
      for (const order of [[...calls, wrapper], [wrapper, ...calls].reverse(), [...interleaved.slice(0, 1000), wrapper, ...interleaved.slice(1000)]]) {
        const { entry } = storeOf(order, 'one');
        assert.deepEqual([totals(entry).input, hidden(entry)], [2000 * 31, ['wrapper']]);
      }
    });

    it('follows replacements that make or unmake the pair', () => {
      const { store, entry } = storeOf([task, langchain, client, next]);
      // The client span re-sent with other figures: no longer the same call.
      store.add([makeSpan({ id: 'client', parent: 'task', name: 'client', startMs: 1027, durationMs: 100.5, attributes: chat('gpt-4o-mini', 31, 13) })]);
      assert.deepEqual(totals(entry), { input: 93, output: 37, total: 130, cost: 0.0004 });
      assert.deepEqual(hidden(entry), []);
      store.add([client]);
      assert.deepEqual(totals(entry), { input: 62, output: 24, total: 86, cost: 0.0004 });
      // The wrapper moved to another parent: no longer a sibling.
      store.add([makeSpan({ id: 'langchain', parent: 'next', name: 'langchain', startMs: 1010, durationMs: 120, attributes: chat('gpt-4o-mini', 31, 12, 0.0002) })]);
      assert.deepEqual(totals(entry), { input: 62, output: 24, total: 86, cost: 0.0004 });
      assert.deepEqual(hidden(entry), ['next']);
      store.add([langchain]);
      assert.deepEqual(hidden(entry), ['langchain']);
      assert.equal(store.approxBytes, storeOf([task, langchain, client, next]).store.approxBytes);
    });
  });

  it('agrees with a from-scratch count after every step of random arrivals and replacements, loops and same-call siblings included', () => {
    // Deterministic pseudo-random numbers (a linear congruential generator), so a failure can be replayed.
    let seed = 12345;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)];
    const labels = Array.from({ length: 12 }, (_, i) => `r${i}`);
    const nameOf = new Map([...labels, 'missing1', 'missing2'].map((label) => [id(label), label]));
    /** Usage of one of a few calls, so spans often report the same one; mostly with a model, dated or not. */
    const randomUsage = (): Attributes =>
      random() < 0.6
        ? { ...usage(pick([5, 7]), pick([1, 2]), random() < 0.5 ? 0.01 : undefined), ...(random() < 0.8 ? { 'gen_ai.request.model': pick(['m', 'm-2024-01-01', 'm-2024-02-02', 'n']) } : {}) }
        : {};
    // Trees with loops and missing parents, spans starting within a few milliseconds.
    const treeSpan = (label: string) =>
      makeSpan({
        id: label,
        name: label,
        parent: random() < 0.2 ? null : pick([...labels, 'missing1', 'missing2']),
        startMs: pick([1, 2, 3]),
        // Durations a millisecond apart and a fraction of one, so spans enclose each other, nearly, or not at all.
        durationMs: pick([0.5, 1, 2, 2.5, 3]),
        attributes: randomUsage(),
      });
    // Mostly siblings under one parent, spread in time: groups of same-call siblings of every size and overlap.
    const siblingSpan = (label: string) =>
      makeSpan({
        id: label,
        name: label,
        parent: random() < 0.15 ? null : random() < 0.1 ? pick(labels) : 'missing1',
        startMs: Math.floor(random() * 40) / 2,
        durationMs: pick([0, 0.5, 1, 1.5, 3, 8, 20]),
        attributes: randomUsage(),
      });

    /**
     * The roll-up's rule computed over the whole trace at once: loops cut at
     * their earliest span; hidden, every span with a carrier below it, and
     * every span that wraps a sibling (by the links the roll-up follows)
     * reporting the same call.
     */
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
      const parentOf = (span: Span) => (cuts.has(span.spanId) ? null : span.parentSpanId);
      const undated = (model: string) => model.replace(/-\d{4}-\d{2}-\d{2}$/, '');
      const sameCall = (a: Span, b: Span) =>
        a !== b &&
        parentOf(a) === parentOf(b) &&
        a.derived.model !== undefined &&
        b.derived.model !== undefined &&
        (a.derived.model === b.derived.model || undated(a.derived.model) === b.derived.model || undated(b.derived.model) === a.derived.model) &&
        a.derived.tokens?.input === b.derived.tokens?.input &&
        a.derived.tokens?.output === b.derived.tokens?.output;
      const starts = (a: Span, b: Span) =>
        a.startTimeUnixNano < b.startTimeUnixNano ||
        (a.startTimeUnixNano === b.startTimeUnixNano && (a.endTimeUnixNano > b.endTimeUnixNano || (a.endTimeUnixNano === b.endTimeUnixNano && a.spanId < b.spanId)));
      const wraps = (outer: Span, inner: Span) => starts(outer, inner) && inner.startTimeUnixNano < outer.endTimeUnixNano && inner.endTimeUnixNano <= outer.endTimeUnixNano + 1_000_000n;
      for (const outer of spans) {
        for (const inner of spans) {
          if (!outer.derived.tokens || !inner.derived.tokens || !sameCall(outer, inner) || !wraps(outer, inner)) continue;
          hiddenTokens.add(outer.spanId);
          if (inner.derived.cost) hiddenCost.add(outer.spanId);
        }
      }
      const counted = spans.filter((span) => span.derived.tokens && !hiddenTokens.has(span.spanId));
      return {
        input: counted.reduce((sum, span) => sum + span.derived.tokens!.input!, 0),
        cost: Math.round(spans.filter((span) => span.derived.cost && !hiddenCost.has(span.spanId)).reduce((sum, span) => sum + span.derived.cost!, 0) * 1e9) / 1e9,
        hidden: spans.filter((span) => span.derived.tokens && hiddenTokens.has(span.spanId)).map((span) => span.name).sort(),
      };
    };

    for (let round = 0; round < 600; round++) {
      const randomSpan = round % 3 === 2 ? siblingSpan : treeSpan;
      const store = new TraceStore({ schedule: () => undefined });
      const present = new Map<string, Span>();
      for (let step = 0; step < 16; step++) {
        // One to three spans per request; a later one may replace an earlier one of the same request.
        const batch = Array.from({ length: 1 + Math.floor(random() * 3) }, () => randomSpan(pick(labels)));
        store.add(batch);
        for (const span of batch) present.set(span.name, span);
        const entry = store.get(TRACE)!;
        const expected = reference([...present.values()]);
        const label = `round ${round}, step ${step}: ${[...present.values()].map((span) => `${span.name}→${span.parentSpanId === null ? '-' : nameOf.get(span.parentSpanId)} ${span.derived.model ?? ''} ${span.derived.tokens?.input ?? ''} ${span.startTimeMs}+${span.durationMs}`).join(', ')}`;
        assert.deepEqual({ input: entry.tokens.input, cost: totals(entry).cost, hidden: hidden(entry) }, expected, label);
        assert.equal(store.approxBytes, storeOf([...present.values()]).store.approxBytes, label);
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
