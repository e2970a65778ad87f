import * as assert from 'node:assert/strict';
import { parsePriceFlag } from '../../src/core/cost/customPrices';
import { CostEstimator } from '../../src/core/cost/estimator';
import { encodeIngestSpan, ingestIdsOf } from '../../src/core/forward/ingestEncode';
import { streamingOf } from '../../src/core/llm/streaming';
import { TraceStore } from '../../src/core/store';
import { summaryJson } from '../../src/protocol/serialize';
import { storeQueryOf } from '../../src/core/service/params';
import { traceQueryFromSearch } from '../../src/protocol/query';
import { bundledPriceTable } from '../../src/server/prices';
import { hexId, makeSpan } from '../support/spans';

const traceOf = (label: string) => hexId(label, 32);

function pricedStore(): TraceStore {
  return new TraceStore({ schedule: () => undefined, costs: new CostEstimator({ loadTable: bundledPriceTable, customPrices: [parsePriceFlag('house-model=10:10')] }) });
}

const llm = (model: string, input: number, output: number, extra: Record<string, string | number> = {}) => ({
  'gen_ai.system': 'openai',
  'gen_ai.request.model': model,
  'gen_ai.usage.input_tokens': input,
  'gen_ai.usage.output_tokens': output,
  ...extra,
});

describe('costs in the store', () => {
  it("sums reported, custom and estimated costs into the trace's total, and says when it includes an estimate", () => {
    const store = pricedStore();
    store.add([
      makeSpan({ trace: 'a', id: 'root' }),
      makeSpan({ trace: 'a', id: 'reported', parent: 'root', attributes: llm('gpt-4o', 10, 10, { 'gen_ai.usage.cost': 0.25 }) }),
      makeSpan({ trace: 'a', id: 'custom', parent: 'root', attributes: llm('house-model', 1_000_000, 0) }),
      makeSpan({ trace: 'b', id: 'only-reported', attributes: llm('gpt-4o', 10, 10, { 'gen_ai.usage.cost': 0.25 }) }),
    ]);
    const a = summaryJson(store.get(traceOf('a'))!);
    assert.equal(a.cost, 10.25);
    assert.equal(a.costEstimated, false);
    store.add([makeSpan({ trace: 'a', id: 'estimated', parent: 'root', attributes: llm('gpt-4o-mini', 1_000_000, 0) })]);
    const withEstimate = summaryJson(store.get(traceOf('a'))!);
    assert.ok(Math.abs(withEstimate.cost! - 10.4) < 1e-9);
    assert.equal(withEstimate.costEstimated, true);
    assert.equal(summaryJson(store.get(traceOf('b'))!).costEstimated, false);
  });

  it('filters by a minimum cost and sorts costliest first', () => {
    const store = pricedStore();
    store.add([
      makeSpan({ trace: 'cheap', id: 'c', startMs: 3, attributes: llm('house-model', 1000, 0) }),
      makeSpan({ trace: 'dear', id: 'd', startMs: 1, attributes: llm('house-model', 1_000_000, 0) }),
      makeSpan({ trace: 'mid', id: 'm', startMs: 2, attributes: llm('house-model', 100_000, 0) }),
      makeSpan({ trace: 'free', id: 'f', startMs: 4 }),
    ]);
    const ids = (query: Parameters<TraceStore['list']>[0]) => store.list(query).traces.map((entry) => entry.traceId);
    assert.deepEqual(ids({}), [traceOf('free'), traceOf('cheap'), traceOf('mid'), traceOf('dear')]);
    assert.deepEqual(ids({ sort: 'cost' }), [traceOf('dear'), traceOf('mid'), traceOf('cheap'), traceOf('free')]);
    assert.deepEqual(ids({ minCost: 0.5 }), [traceOf('mid'), traceOf('dear')]);
    assert.deepEqual(ids(storeQueryOf(traceQueryFromSearch(new URLSearchParams('minCost=0.5&sort=cost&limit=1')))), [traceOf('dear')]);
    assert.throws(() => traceQueryFromSearch(new URLSearchParams('sort=price')), /sort must be newest or cost/);
  });

  it('totals cost per customer, thread and run in the facets, each trace once', () => {
    const store = pricedStore();
    const run = { 'service.name': 'agent', 'process.pid': 4242 };
    const customer = (id: string, thread: string) => ({ 'respan.customer_params.customer_identifier': id, 'respan.threads.thread_identifier': thread });
    store.add([
      makeSpan({ trace: 't1', id: 'r1', resource: run, attributes: customer('cus_a', 'th_1') }),
      makeSpan({ trace: 't1', id: 'l1', parent: 'r1', resource: run, attributes: llm('house-model', 100_000, 0) }),
      makeSpan({ trace: 't2', id: 'r2', resource: run, attributes: customer('cus_a', 'th_2') }),
      makeSpan({ trace: 't2', id: 'l2', parent: 'r2', resource: run, attributes: llm('gpt-4o', 1_000_000, 0) }),
      makeSpan({ trace: 't3', id: 'r3', attributes: { ...customer('cus_b', 'th_2'), ...llm('house-model', 200_000, 0) } }),
    ]);
    const facets = store.facetValues();
    const byValue = (values: typeof facets.customers) => Object.fromEntries(values.map((value) => [value.value, value]));
    const customers = byValue(facets.customers);
    assert.ok(Math.abs(customers.cus_a.cost! - 3.5) < 1e-9);
    assert.equal(customers.cus_a.costEstimated, true);
    assert.equal(customers.cus_a.traces, 2);
    assert.ok(Math.abs(customers.cus_b.cost! - 2) < 1e-9);
    assert.equal(customers.cus_b.costEstimated, undefined);
    assert.ok(Math.abs(byValue(facets.threads).th_2.cost! - 4.5) < 1e-9);
    assert.equal(facets.runs.length, 1);
    assert.equal(facets.runs[0].label, 'agent · pid 4242');
    assert.equal(facets.runs[0].traces, 2);
    assert.ok(Math.abs(facets.runs[0].cost! - 3.5) < 1e-9);
    assert.equal(byValue(facets.models)['gpt-4o'].cost, undefined);
  });
});

describe('forwarding costs', () => {
  it('forwards only a cost the sender reported: Respan prices calls itself', () => {
    const store = pricedStore();
    const reported = makeSpan({ trace: 'f', id: 'reported', attributes: llm('gpt-4o', 10, 10, { 'gen_ai.usage.cost': 0.25 }) });
    const estimated = makeSpan({ trace: 'f', id: 'estimated', attributes: llm('gpt-4o', 10, 10) });
    const custom = makeSpan({ trace: 'f', id: 'custom', attributes: llm('house-model', 10, 10) });
    store.add([reported, estimated, custom]);
    assert.equal(encodeIngestSpan(reported, ingestIdsOf(reported)).cost, 0.25);
    assert.equal(estimated.derived.costSource, 'estimate');
    assert.equal('cost' in encodeIngestSpan(estimated, ingestIdsOf(estimated)), false);
    assert.equal(custom.derived.costSource, 'custom');
    assert.equal('cost' in encodeIngestSpan(custom, ingestIdsOf(custom)), false);
  });
});

describe('runs', () => {
  it("tells runs apart by service.instance.id, else by service, pid and the first span's start", () => {
    const store = new TraceStore({ schedule: () => undefined });
    store.add([
      makeSpan({ trace: 'x', id: 'a', startMs: 1_000, resource: { 'service.name': 'api', 'process.pid': 10 } }),
      makeSpan({ trace: 'y', id: 'b', startMs: 2_000, resource: { 'service.name': 'api', 'process.pid': 10 } }),
      makeSpan({ trace: 'z', id: 'c', startMs: 3_000, resource: { 'service.name': 'api', 'process.pid': 11 } }),
      makeSpan({ trace: 'w', id: 'd', startMs: 4_000, resource: { 'service.name': 'api', 'process.pid': 10, 'service.instance.id': 'pod-7' } }),
      makeSpan({ trace: 'v', id: 'e', startMs: 5_000, resource: { 'service.name': 'api' } }),
    ]);
    const runOf = (trace: string) => summaryJson(store.get(traceOf(trace))!).run;
    assert.deepEqual(runOf('x'), { id: 'api:10:1000', label: 'api · pid 10', firstSeenMs: 1000 });
    assert.deepEqual(runOf('y'), runOf('x'));
    assert.equal(runOf('z')!.id, 'api:11:3000');
    assert.deepEqual(runOf('w'), { id: 'pod-7', label: 'api · pod-7', firstSeenMs: 4000 });
    assert.equal(runOf('v'), null);
    assert.deepEqual(
      store.list({ run: 'api:10:1000' }).traces.map((entry) => entry.traceId),
      [traceOf('y'), traceOf('x')],
    );
  });

  it('sums each run over its traces: traces, its spans, errors, tokens, cost, last seen (most recent first, then by id); a trace of two runs counts toward both', () => {
    const store = pricedStore();
    const api = { 'service.name': 'api', 'process.pid': 10 };
    const worker = { 'service.name': 'worker', 'service.instance.id': 'w-1' };
    store.add([
      makeSpan({ trace: 'x', id: 'a', startMs: 1_000, durationMs: 100, resource: api, attributes: llm('house-model', 100_000, 0) }),
      makeSpan({ trace: 'x', id: 'b', parent: 'a', startMs: 1_010, durationMs: 50, resource: api, error: true }),
      makeSpan({ trace: 'y', id: 'c', startMs: 2_000, durationMs: 500, resource: api }),
      makeSpan({ trace: 'y', id: 'd', parent: 'c', startMs: 2_100, durationMs: 1_000, resource: worker, attributes: llm('house-model', 0, 200_000) }),
      makeSpan({ trace: 'z', id: 'e', startMs: 9_000, resource: { 'service.name': 'no-run' } }),
    ]);
    const summaries = store.runSummaries().map((summary) => ({ ...summary, run: summary.run.id }));
    assert.deepEqual(summaries, [
      {
        run: 'api:10:1000',
        traceCount: 2,
        spanCount: 3,
        errorCount: 1,
        tokens: { input: 100_000, output: 200_000, total: 300_000, cacheRead: 0, cacheWrite: 0, reasoning: 0 },
        cost: 3,
        costEstimated: false,
        lastSeenMs: 3_100,
      },
      {
        run: 'w-1',
        traceCount: 1,
        spanCount: 1,
        errorCount: 0,
        tokens: { input: 0, output: 200_000, total: 200_000, cacheRead: 0, cacheWrite: 0, reasoning: 0 },
        cost: 2,
        costEstimated: false,
        lastSeenMs: 3_100,
      },
    ]);
    assert.equal(store.runSummaries()[0].run.service, 'api');
  });

  it('keeps long service names and instance ids short in run labels', () => {
    const store = new TraceStore({ schedule: () => undefined });
    store.add([makeSpan({ id: 'a', resource: { 'service.name': 's'.repeat(100_000), 'service.instance.id': 'i'.repeat(100_000) } })]);
    const run = summaryJson(store.get(traceOf('trace'))!).run!;
    assert.ok(run.label.length < 600 && run.id.length < 300);
  });
});

describe('streaming figures', () => {
  it('reads what the Vercel AI SDK and Respan ingest report', () => {
    const vercel = makeSpan({ id: 'v', durationMs: 2000, attributes: { 'gen_ai.system': 'openai', 'ai.response.msToFirstChunk': 240, 'ai.response.avgOutputTokensPerSecond': 55.5 } });
    assert.deepEqual(vercel.derived.streaming, { timeToFirstTokenMs: 240, tokensPerSecond: 55.5, tokensPerSecondSource: 'reported' });
    const ingest = makeSpan({ id: 'i', attributes: { log_type: 'chat', time_to_first_token: 0.31, tokens_per_second: 80 } });
    assert.deepEqual(ingest.derived.streaming, { timeToFirstTokenMs: 310, tokensPerSecond: 80, tokensPerSecondSource: 'reported' });
  });

  it('works out time to first token from a first-token event, and tokens per second from it', () => {
    const start = 1_700_000_000_000n * 1_000_000n;
    const span = makeSpan({
      id: 's',
      startMs: 1_700_000_000_000,
      durationMs: 1500,
      attributes: { 'gen_ai.system': 'openai', 'gen_ai.usage.output_tokens': 100 },
      events: [{ name: 'ai.stream.firstChunk', timeUnixNano: start + 500_000_000n, attributes: {} }],
    });
    assert.deepEqual(span.derived.streaming, { timeToFirstTokenMs: 500, tokensPerSecond: 100, tokensPerSecondSource: 'computed' });
  });

  it('shows none for a call that did not stream, or a zero an exporter sent for nothing measured, or a span that is no LLM call', () => {
    assert.equal(streamingOf({ stream: false, time_to_first_token: 2 }, [], 0n, 10, undefined), undefined);
    assert.equal(makeSpan({ id: 'z', attributes: { log_type: 'chat', time_to_first_token: 0 } }).derived.streaming, undefined);
    assert.equal(makeSpan({ id: 't', attributes: { 'traceloop.span.kind': 'task', time_to_first_token: 1 } }).derived.streaming, undefined);
  });
});
