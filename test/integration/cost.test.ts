/**
 * Cost for every LLM call, end to end: real client libraries and real
 * instrumentations (child processes) call the fake provider, which reports
 * cached, cache-write and reasoning tokens, and trace to a real listener. The
 * estimates are checked against each provider's published per-million prices.
 */
import * as assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parsePriceFlag } from '../../src/core/cost/customPrices';
import { TraceStore } from '../../src/core/store';
import type { FacetsJson, SpanJson, TraceDetailJson, TraceListJson } from '../../src/protocol/api';
import { createCostEstimator, updatePriceTable } from '../../src/server/prices';
import { InspectorServer } from '../../src/server/server';
import { startFakeProvider, type FakeProvider, type FakeUsage } from '../support/fakeProvider';
import { runSender } from '../support/senders';

/** USD of `tokens` at `usdPerMillion`. */
const usd = (tokens: number, usdPerMillion: number) => (tokens * usdPerMillion) / 1_000_000;

function assertCost(actual: number | null, expected: number, what: string): void {
  assert.ok(actual !== null, `${what}: no cost`);
  assert.ok(Math.abs(actual - expected) <= 1e-12 + expected * 1e-9, `${what}: ${actual} instead of ${expected}`);
}

describe('cost of every LLM call, with real senders', function () {
  this.timeout(90_000);
  let provider: FakeProvider;
  let store: TraceStore;
  let server: InspectorServer;
  let base: string;

  before(async () => {
    provider = await startFakeProvider();
    store = new TraceStore({ schedule: (flush) => setTimeout(flush, 5), costs: createCostEstimator([parsePriceFlag('gpt-4o-mini=1:4')]) });
    server = new InspectorServer({ store, port: 0 });
    await server.start();
    base = server.url;
  });
  after(async () => {
    await server.stop();
    await provider.close();
  });

  async function getJson<T>(path: string): Promise<T> {
    const response = await fetch(`${base}${path}`);
    assert.equal(response.status, 200, path);
    return (await response.json()) as T;
  }

  /** Runs a sender scenario against the fake provider answering with `usage`; returns its trace once stored. */
  async function send(scenario: string, model: string, usage: FakeUsage, spanCount = 2): Promise<TraceDetailJson> {
    provider.setScript(() => ({ text: 'Why did the span cross the road? To reach the other trace.', usage }));
    const stdout = await runSender('test/support/costSender.ts', [scenario, base, provider.url, model]);
    const traceId = stdout.trim();
    assert.match(traceId, /^[0-9a-f]{32}$/);
    for (let attempt = 0; attempt < 200; attempt++) {
      const response = await fetch(`${base}/api/traces/${traceId}`);
      if (response.status === 200) {
        const detail = (await response.json()) as TraceDetailJson;
        if (detail.spans.length >= spanCount) return detail;
      }
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    throw new Error(`trace ${traceId} of ${scenario} never arrived whole`);
  }

  function llmSpan(detail: TraceDetailJson): SpanJson {
    const spans = detail.spans.filter((span) => span.tokens !== null);
    assert.equal(spans.length, 1, `spans with tokens: ${detail.spans.map((span) => span.name).join(', ')}`);
    return spans[0];
  }

  it('estimates an OpenAI chat call with cached input at OpenAI’s published prices (OpenInference)', async () => {
    const detail = await send('openinference-chat', 'gpt-4o-2024-08-06', { prompt: 2000, completion: 120, cacheRead: 1536 });
    const span = llmSpan(detail);
    assert.deepEqual({ input: span.tokens!.input, cacheRead: span.tokens!.cacheRead, output: span.tokens!.output }, { input: 2000, cacheRead: 1536, output: 120 });
    // https://openai.com/api/pricing/ — gpt-4o: input $2.50, cached input $1.25, output $10.00 per 1M tokens.
    const expected = usd(2000 - 1536, 2.5) + usd(1536, 1.25) + usd(120, 10);
    assertCost(span.cost, expected, 'span');
    assert.equal(span.costSource, 'estimate');
    assert.equal(span.pricing!.model, 'gpt-4o');
    assert.match(span.pricing!.table!, /^genai-prices \d+\.\d+\.\d+ \(bundled\)$/);
    assertCost(detail.summary.cost, expected, 'trace');
    assert.equal(detail.summary.costEstimated, true);
    const { traces } = await getJson<TraceListJson>(`/api/traces?ids=${detail.traceId}`);
    assertCost(traces[0].cost, expected, 'list');
    assert.equal(traces[0].costEstimated, true);
    assert.match(traces[0].run!.label, /^openinference-sender · pid \d+$/);
  });

  it('estimates an Anthropic call with cache writes and reads at Anthropic’s published prices (Traceloop)', async () => {
    // More uncached input than cache, so only the sender's rule (not the part-larger-than-whole one) can tell.
    const detail = await send('traceloop-anthropic', 'claude-sonnet-4-20250514', { prompt: 5000, completion: 25, cacheWrite: 3000, cacheRead: 500 });
    const span = llmSpan(detail);
    // Traceloop writes Anthropic's input_tokens, which leave the cache out.
    assert.deepEqual({ input: span.tokens!.input, cacheWrite: span.tokens!.cacheWrite, cacheRead: span.tokens!.cacheRead }, { input: 5000, cacheWrite: 3000, cacheRead: 500 });
    // https://www.anthropic.com/pricing#api — Claude Sonnet 4: input $3, prompt caching write $3.75, read $0.30, output $15 per 1M tokens.
    const expected = usd(5000, 3) + usd(3000, 3.75) + usd(500, 0.3) + usd(25, 15);
    assertCost(span.cost, expected, 'span');
    assert.equal(span.costSource, 'estimate');
    assertCost(detail.summary.cost, expected, 'trace');
  });

  it('estimates a reasoning model’s call, reasoning billed as output (o4-mini, OpenInference)', async () => {
    const detail = await send('openinference-chat', 'o4-mini', { prompt: 300, completion: 900, reasoning: 768 });
    const span = llmSpan(detail);
    assert.equal(span.tokens!.reasoning, 768);
    // https://platform.openai.com/docs/pricing — o4-mini: input $1.10, output $4.40 per 1M tokens; reasoning tokens are billed as output tokens.
    assertCost(span.cost, usd(300, 1.1) + usd(900, 4.4), 'span');
    assert.equal(span.pricing!.rates!.reasoning, 4.4);
  });

  it('estimates an embedding (@opentelemetry/instrumentation-openai)', async () => {
    const detail = await send('otel-embedding', 'text-embedding-3-small', { prompt: 0, completion: 0 });
    const span = llmSpan(detail);
    assert.equal(span.displayKind, 'embedding');
    // The fake counts the input's nine words as its tokens.
    assert.equal(span.tokens!.input, 9);
    // https://openai.com/api/pricing/ — text-embedding-3-small: $0.02 per 1M tokens.
    assertCost(span.cost, usd(9, 0.02), 'span');
  });

  it('prices with a custom price over the table', async () => {
    const detail = await send('openinference-chat', 'gpt-4o-mini', { prompt: 1000, completion: 200 });
    const span = llmSpan(detail);
    assert.equal(span.costSource, 'custom');
    assert.equal(span.pricing!.table, '--price');
    assertCost(span.cost, usd(1000, 1) + usd(200, 4), 'span');
    assert.equal(detail.summary.costEstimated, false);
  });

  it('says an unknown model has no known price', async () => {
    const detail = await send('openinference-chat', 'acme-llm-1', { prompt: 10, completion: 5 });
    const span = llmSpan(detail);
    assert.equal(span.cost, null);
    assert.equal(span.costSource, null);
    assert.match(span.pricing!.note!, /no price known for model "acme-llm-1"/);
    assert.equal(detail.summary.cost, null);
  });

  it('shows time to first token and tokens per second of a streamed call (Vercel AI SDK)', async () => {
    const detail = await send('vercel-stream', 'gpt-4o', { prompt: 12, completion: 14 }, 3);
    const streamed = detail.spans.find((span) => span.name === 'ai.streamText.doStream');
    assert.ok(streamed, detail.spans.map((span) => span.name).join(', '));
    assert.ok(streamed.streaming!.timeToFirstTokenMs! > 0);
    assert.ok(streamed.streaming!.timeToFirstTokenMs! <= streamed.durationMs);
    assert.ok(streamed.streaming!.tokensPerSecond! > 0);
    assert.equal(streamed.streaming!.tokensPerSecondSource, 'reported');
    // The AI SDK names the provider `openai.chat`; the call is priced as OpenAI's gpt-4o.
    assert.equal(streamed.provider, 'openai.chat');
    assert.equal(streamed.pricing!.provider, 'OpenAI');
    assertCost(streamed.cost, usd(12, 2.5) + usd(14, 10), 'streamed span');
  });

  it('keeps the cost a Respan ingest span reports, and prices its unit prices over the table', async () => {
    const trace = `ingest-${Date.now()}`;
    const items = [
      { trace_unique_id: trace, span_unique_id: 'root', span_name: 'agent', log_type: 'workflow', customer_identifier: 'cus_cost', thread_identifier: 'th_cost' },
      { trace_unique_id: trace, span_unique_id: 'reported', span_parent_id: 'root', log_type: 'chat', model: 'gpt-4o', usage: { prompt_tokens: 1000, completion_tokens: 100 }, cost: 0.1234 },
      { trace_unique_id: trace, span_unique_id: 'unit', span_parent_id: 'root', log_type: 'chat', model: 'gpt-4o', prompt_tokens: 1_000_000, completion_tokens: 0, prompt_unit_price: 7 },
    ];
    const response = await fetch(`${base}/api/v1/traces/ingest`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(items) });
    assert.equal(response.status, 200);
    const { traces } = await getJson<TraceListJson>('/api/traces?customer=cus_cost');
    const detail = await getJson<TraceDetailJson>(`/api/traces/${traces[0].traceId}`);
    const reported = detail.spans.find((span) => span.attributes.span_unique_id === 'reported')!;
    assert.equal(reported.cost, 0.1234);
    assert.equal(reported.costSource, 'reported');
    const unit = detail.spans.find((span) => span.attributes.span_unique_id === 'unit')!;
    assert.equal(unit.costSource, 'custom');
    assertCost(unit.cost, 7, 'unit-priced span');
    assertCost(detail.summary.cost, 7.1234, 'trace');

    const facets = await getJson<FacetsJson>('/api/facets');
    assertCost(facets.customers.find((value) => value.value === 'cus_cost')!.cost!, 7.1234, 'customer');
    assertCost(facets.threads.find((value) => value.value === 'th_cost')!.cost!, 7.1234, 'thread');
    const costly = await getJson<TraceListJson>('/api/traces?minCost=7&sort=cost');
    assert.deepEqual(
      costly.traces.map((summary) => summary.traceId),
      [detail.traceId],
    );
  });

  it('tells each sending process apart as a run, with its cost', async () => {
    const facets = await getJson<FacetsJson>('/api/facets');
    const openInference = facets.runs.filter((value) => value.label!.startsWith('openinference-sender · pid '));
    // Every openinference-chat call above was its own process.
    assert.ok(openInference.length >= 4, JSON.stringify(facets.runs));
    assert.ok(facets.runs.some((value) => value.label!.startsWith('traceloop-anthropic-sender · pid ') && value.cost! > 0));
    const { traces } = await getJson<TraceListJson>(`/api/traces?run=${encodeURIComponent(openInference[0].value)}`);
    assert.equal(traces.length, 1);
  });
});

describe('prices on the command line', function () {
  this.timeout(60_000);
  let dataServer: Server;
  let dataUrl: string;
  let cli: ChildProcess | undefined;

  before(async () => {
    // Newer price data, as the genai-prices repository publishes it: the bundled OpenAI provider with gpt-4o at $100 in.
    const { findProvider } = require('@pydantic/genai-prices') as typeof import('@pydantic/genai-prices');
    const openai = structuredClone(findProvider({ providerId: 'openai' })!);
    const gpt4o = openai.models.find((model) => model.id === 'gpt-4o')!;
    gpt4o.prices = { input_mtok: 100, output_mtok: 100 };
    const body = JSON.stringify([openai]);
    dataServer = createServer((request, response) => {
      if (request.url === '/broken') response.writeHead(500).end('upstream trouble');
      else if (request.url === '/not-prices') response.writeHead(200, { 'Content-Type': 'application/json' }).end('{"prices": "soon"}');
      else response.writeHead(200, { 'Content-Type': 'application/json' }).end(body);
    });
    await new Promise<void>((resolve) => dataServer.listen(0, '127.0.0.1', resolve));
    dataUrl = `http://127.0.0.1:${(dataServer.address() as AddressInfo).port}/data.json`;
  });
  after(async () => {
    cli?.kill('SIGINT');
    if (cli && cli.exitCode === null) await once(cli, 'exit');
    await new Promise((resolve) => dataServer.close(resolve));
  });

  it('takes --price and --prices, and --update-prices fetches newer prices in the background', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'respan-prices-'));
    const file = join(folder, 'prices.json');
    writeFileSync(file, JSON.stringify({ 'house-*': { input: 2, output: 3 }, 'flag-model': { input: 9, output: 9 } }));
    let output = '';
    cli = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', '--no-open', '--no-persist', '--no-grpc', '--port', '0', '--price', 'flag-model=1:1', '--prices', file, `--update-prices=${dataUrl}`], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    cli.stdout!.on('data', (chunk) => (output += chunk));
    cli.stderr!.on('data', (chunk) => (output += chunk));
    const waitFor = async (pattern: RegExp) => {
      for (let attempt = 0; attempt < 400 && !pattern.test(output); attempt++) await new Promise((resolve) => setTimeout(resolve, 50));
      const match = pattern.exec(output);
      assert.ok(match, output);
      return match;
    };
    const url = (await waitFor(/listening on (http:\/\/127\.0\.0\.1:\d+)/))[1];
    await waitFor(/Prices: now from genai-prices data fetched .* from 127\.0\.0\.1:\d+\./);
    const status = (await (await fetch(`${url}/api/status`)).json()) as { priceTable: string };
    assert.match(status.priceTable, /^genai-prices data fetched/);

    const span = (id: string, model: string) => ({ trace_unique_id: 'cli-prices', span_unique_id: id, log_type: 'chat', model, provider_id: 'openai', prompt_tokens: 1_000_000, completion_tokens: 1_000_000 });
    await fetch(`${url}/api/v1/traces/ingest`, { method: 'POST', body: JSON.stringify([span('file', 'house-llm'), span('flag', 'flag-model'), span('table', 'gpt-4o')]) });
    const { traces } = (await (await fetch(`${url}/api/traces`)).json()) as TraceListJson;
    const detail = (await (await fetch(`${url}/api/traces/${traces[0].traceId}`)).json()) as TraceDetailJson;
    const cost = (id: string) => detail.spans.find((item) => item.attributes.span_unique_id === id)!;
    assert.equal(cost('file').cost, 5);
    assert.equal(cost('file').pricing!.table, file);
    // --price wins over the same model in a --prices file.
    assert.equal(cost('flag').cost, 2);
    assert.equal(cost('table').cost, 200);
    assert.equal(cost('table').costSource, 'estimate');
  });

  it('keeps the bundled table when newer prices cannot be fetched or read', async () => {
    const estimator = createCostEstimator();
    const origin = new URL(dataUrl).origin;
    await assert.rejects(updatePriceTable(estimator, `${origin}/broken`), /answered 500/);
    await assert.rejects(updatePriceTable(estimator, `${origin}/not-prices`), /not a list of providers/);
    assert.match(estimator.tableLabel!, /not loaded yet/);
  });

  it('refuses a price it cannot read, naming it', async () => {
    const refused = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', '--no-open', '--no-persist', '--price', 'gpt-4o=cheap:1'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let errors = '';
    refused.stderr!.on('data', (chunk) => (errors += chunk));
    const [code] = await once(refused, 'exit');
    assert.equal(code, 2);
    assert.match(errors, /--price: input in "gpt-4o=cheap:1" must be a number of USD per million tokens, got "cheap"/);
  });
});
