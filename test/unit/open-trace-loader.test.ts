import assert from 'node:assert/strict';
import { InspectorService } from '../../src/core/service/inspectorService';
import { TraceStore } from '../../src/core/store';
import type { ServiceCall, ServiceRequestType } from '../../src/protocol/service';
import { OpenTraceLoader, type TraceLoadOutcome } from '../../webview/model/openTraceLoader';
import { LEAN_FORM_MIN_SPANS } from '../../src/core/leanTrace';
import { hexId, makeSpan } from '../support/spans';
import { nodeTimers } from '../../src/server/forwarding';
import { nextTurn } from '../../src/server/turns';

const SMALL = hexId('small', 32);
const LARGE = hexId('large', 32);

function spansOf(trace: string, count: number) {
  // Short labels: span ids are a label's hex, cut at 16 digits.
  const id = (k: number) => `${trace[0]}${k.toString(36)}`;
  return Array.from({ length: count }, (_, k) => makeSpan({ trace, id: id(k), parent: k === 0 ? undefined : id(Math.floor((k - 1) / 4)), startMs: 1_700_000_000_000 + k }));
}

const HUGE = hexId('huge', 32);

/** A deterministic pseudo-random sequence (the tests must not depend on the run). */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

function rig(options: { knownSpanCount?: (traceId: string) => number | undefined; wanted?: () => string | null; split?: (body: Uint8Array) => Uint8Array[] } = {}) {
  const store = new TraceStore({ schedule: () => undefined });
  store.add([...spansOf('small', 5), ...spansOf('large', LEAN_FORM_MIN_SPANS), ...spansOf('huge', 3 * LEAN_FORM_MIN_SPANS)]);
  const service = new InspectorService({ store, timers: nodeTimers, yieldTurn: nextTurn });
  const requests: ServiceRequestType[] = [];
  const call: ServiceCall = (type, params) => {
    requests.push(type);
    return service.handle(type, params);
  };
  const outcomes: TraceLoadOutcome[] = [];
  const loading: boolean[] = [];
  const details: string[] = [];
  const loader = new OpenTraceLoader({
    call,
    knownSpanCount: options.knownSpanCount ?? (() => undefined),
    wants: (traceId) => (options.wanted ? options.wanted() === traceId : true),
    onOutcome: (outcome) => outcomes.push(outcome),
    onLoading: (on) => loading.push(on),
    onDetails: (_trace, spanId) => details.push(spanId),
    afterPaint: () => new Promise((resolve) => setImmediate(resolve)),
    ...(options.split && {
      streamLean: async function* (traceId: string) {
        const body = await call('getLeanTrace', { traceId });
        for (const slice of options.split!(body)) {
          await new Promise((resolve) => setImmediate(resolve));
          yield slice;
        }
      },
    }),
  });
  return { store, loader, requests, outcomes, loading, details };
}

function loaded(outcome: TraceLoadOutcome | undefined) {
  assert.equal(outcome?.kind, 'loaded');
  return outcome.trace;
}

describe('open trace loader', () => {
  it('opens a large trace from its lean form alone, the server\'s tree as it is, details fetched on demand', async () => {
    const { loader, requests, outcomes, loading, details } = rig();
    await loader.load(LARGE, false);
    assert.deepEqual(requests, ['getLeanTrace']);
    assert.equal(outcomes.length, 1);
    const trace = loaded(outcomes[0]);
    assert.equal(trace.index.count, LEAN_FORM_MIN_SPANS);
    assert.equal(trace.index.details, null);
    assert.equal(trace.summary.spanCount, LEAN_FORM_MIN_SPANS);
    assert.deepEqual(Array.from(trace.index.roots), [0]);
    assert.deepEqual(loading, [true, false, false]);

    const child = trace.index.spanId[1];
    trace.details!.load(child);
    assert.equal(trace.details!.lookup(child), 'pending');
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(details, [child]);
    const span = trace.details!.lookup(child);
    assert.ok(span && typeof span === 'object' && 'spanId' in span && span.spanId === child);
    assert.deepEqual(requests, ['getLeanTrace', 'getSpan']);
  });

  it('opens a small trace from its lean form, then takes it whole as JSON', async () => {
    const { loader, requests, outcomes } = rig();
    await loader.load(SMALL, false);
    assert.deepEqual(requests, ['getLeanTrace', 'getTrace']);
    const lean = loaded(outcomes[0]);
    assert.equal(lean.index.details, null);
    assert.equal(lean.details, null, 'no span fetched one by one: they come whole next');
    const whole = loaded(outcomes[1]);
    assert.equal(whole.index.details?.length, 5);
    assert.equal(whole.details, null);
  });

  it('refreshes a trace known to be small with the JSON alone', async () => {
    const { loader, requests, outcomes } = rig({ knownSpanCount: () => 5 });
    await loader.load(SMALL, true);
    assert.deepEqual(requests, ['getTrace']);
    assert.equal(loaded(outcomes[0]).index.details?.length, 5);
  });

  it('tells a trace gone, and drops answers the view no longer wants or a newer load replaced', async () => {
    let wanted: string | null = LARGE;
    const { loader, outcomes } = rig({ wanted: () => wanted });
    await loader.load(hexId('absent', 32), false);
    assert.equal(outcomes.length, 0);
    wanted = hexId('absent', 32);
    await loader.load(wanted, false);
    assert.deepEqual(outcomes[0], { kind: 'gone', traceId: wanted });
    assert.equal(outcomes.length, 1);

    outcomes.length = 0;
    wanted = SMALL;
    const first = loader.load(LARGE, false);
    const second = loader.load(SMALL, false);
    await Promise.all([first, second]);
    assert.deepEqual(
      outcomes.map((outcome) => (outcome.kind === 'loaded' ? outcome.trace.traceId : outcome.kind)),
      [SMALL, SMALL],
    );
  });

  it('shows the first spans of a large trace while the rest arrives, then the whole trace: the same rows however the bytes were split', async () => {
    const whole = rig();
    await whole.loader.load(HUGE, false);
    const expected = loaded(whole.outcomes[0]);
    const next = random(5);
    for (let round = 0; round < 12; round++) {
      const split = (body: Uint8Array) => {
        const slices: Uint8Array[] = [];
        for (let at = 0; at < body.length; ) {
          const size = 1 + Math.floor(next() * (round % 2 === 0 ? 40_000 : 3_000));
          slices.push(body.subarray(at, at + size));
          at += size;
        }
        return slices;
      };
      const streamed = rig({ split });
      await streamed.loader.load(HUGE, false);
      const last = loaded(streamed.outcomes.at(-1));
      assert.equal(last.partial, undefined);
      for (const key of ['spanId', 'name', 'service', 'model', 'displayKind'] as const) assert.deepEqual(last.index[key], expected.index[key]);
      for (const key of ['parent', 'roots', 'depth', 'preorder', 'startMs', 'endMs', 'isError', 'subtreeSize'] as const) assert.deepEqual(Array.from(last.index[key]), Array.from(expected.index[key]));
      assert.equal(last.index.errorCount, expected.index.errorCount);
      // Before it, one outcome: the first spans (slices are far smaller than the rest of the body), marked partial, a prefix of the whole trace's rows.
      assert.equal(streamed.outcomes.length, 2);
      const first = loaded(streamed.outcomes[0]);
      assert.equal(first.partial, true);
      assert.ok(first.index.count >= 2048 && first.index.count < expected.index.count);
      assert.equal(first.summary.spanCount, expected.index.count);
      assert.deepEqual(first.index.spanId, expected.index.spanId.slice(0, first.index.count));
      assert.deepEqual(Array.from(first.index.parent), Array.from(expected.index.parent.subarray(0, first.index.count)));
      assert.deepEqual(streamed.requests, ['getLeanTrace']);
    }
  });
});
