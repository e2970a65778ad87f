import * as assert from 'node:assert/strict';
import { CustomPriceList, globMatches, parsePriceFlag, parsePriceTable, PriceSpecError } from '../../src/core/cost/customPrices';
import { CostEstimator } from '../../src/core/cost/estimator';
import type { PricedTokens } from '../../src/core/cost/partition';
import { TablePricer, type GenaiPrices, type PriceTableSource } from '../../src/core/cost/priceTable';
import { costAt } from '../../src/core/cost/pricing';
import { priceProviderOf, splitProviderPrefix } from '../../src/core/cost/providers';
import { deriveFields } from '../../src/core/derive';
import type { Attributes, Span } from '../../src/core/model';
import { bundledPriceTable } from '../../src/server/prices';

const tokens = (partial: Partial<PricedTokens>): PricedTokens => ({ input: 0, cacheRead: 0, cacheWrite: 0, output: 0, reasoning: 0, ...partial });
const NOW = Date.UTC(2026, 11, 2, 12, 0, 0);

/** The bundled table, with its `calcPrice` calls counted. */
function countingTable(): { source: PriceTableSource; calls: () => number } {
  const table = bundledPriceTable();
  let calls = 0;
  const prices: GenaiPrices = {
    calcPrice: (...args) => {
      calls++;
      return table.prices.calcPrice(...args);
    },
    findProvider: (options) => table.prices.findProvider(options),
  };
  return { source: { prices, label: table.label }, calls: () => calls };
}

function llmSpan(attributes: Attributes, startTimeMs = NOW, scope = 'test'): Span {
  return {
    traceId: '0'.repeat(31) + '1',
    spanId: '0'.repeat(15) + '1',
    parentSpanId: null,
    name: 'chat',
    kind: 'CLIENT',
    startTimeUnixNano: BigInt(startTimeMs) * 1_000_000n,
    endTimeUnixNano: BigInt(startTimeMs + 1000) * 1_000_000n,
    startTimeMs,
    durationMs: 1000,
    status: { code: 'UNSET', message: '' },
    attributes,
    events: [],
    links: [],
    resource: {},
    scope: { name: scope, attributes: {} },
    origin: 'otlp',
    derived: deriveFields(attributes, {}, 'UNSET', []),
  };
}

describe('price table (genai-prices)', () => {
  const pricer = new TablePricer(bundledPriceTable());

  it('names the bundled table by its version', () => {
    assert.match(pricer.label, /^genai-prices \d+\.\d+\.\d+ \(bundled\)$/);
  });

  it("prices a dated OpenAI snapshot as its model, at OpenAI's published rates, cached input at its own rate", () => {
    // OpenAI's published prices for gpt-4o (https://openai.com/api/pricing/): input $2.50, cached input $1.25, output $10.00 per 1M tokens.
    const pricing = pricer.pricing('openai', 'gpt-4o-2024-08-06', NOW, 1000);
    assert.equal(pricing.source, 'estimate');
    assert.equal(pricing.model, 'gpt-4o');
    assert.deepEqual(pricing.rates, { input: 2.5, cacheRead: 1.25, cacheWrite: 2.5, output: 10, reasoning: 10 });
    const cost = costAt(pricing, tokens({ input: 1000, cacheRead: 400, output: 100 }));
    assert.ok(Math.abs(cost - (600 * 2.5 + 400 * 1.25 + 100 * 10) / 1e6) < 1e-15);
  });

  it("prices Anthropic cache writes and reads at Anthropic's published rates", () => {
    // Anthropic's published prices for Claude Sonnet 4 (https://www.anthropic.com/pricing#api): input $3, cache write (5 min) $3.75, cache read $0.30, output $15 per 1M tokens.
    const pricing = pricer.pricing('Anthropic', 'claude-sonnet-4-20250514', NOW, 5000);
    assert.deepEqual(pricing.rates, { input: 3, cacheRead: 0.3, cacheWrite: 3.75, output: 15, reasoning: 15 });
    assert.equal(pricing.provider, 'Anthropic');
  });

  it('gives the rates of the tier the prompt falls in, as the library does', () => {
    const table = bundledPriceTable();
    const small = pricer.pricing('anthropic', 'claude-sonnet-4-5', NOW, 10_000);
    const large = pricer.pricing('anthropic', 'claude-sonnet-4-5', NOW, 300_000);
    assert.equal(small.tiered, true);
    assert.notDeepEqual(small.rates, large.rates);
    for (const [input, pricing] of [
      [10_000, small],
      [300_000, large],
    ] as const) {
      const usage = tokens({ input, cacheRead: 1000, output: 500 });
      const expected = table.prices.calcPrice({ input_tokens: input, cache_read_tokens: 1000, output_tokens: 500 }, 'claude-sonnet-4-5', { providerId: 'anthropic', timestamp: new Date(NOW) })!;
      assert.ok(Math.abs(costAt(pricing, usage) - expected.total_price) < 1e-12);
    }
  });

  it('gives the prices in force at the call’s time (DeepSeek’s off-peak hours)', () => {
    const table = bundledPriceTable();
    const peak = Date.UTC(2025, 5, 2, 18, 0);
    const offPeak = Date.UTC(2025, 5, 2, 17, 0) + 9 * 3600_000; // 02:00 UTC the next day
    const atPeak = pricer.pricing('deepseek', 'deepseek-chat', peak, 100);
    const atOffPeak = pricer.pricing('deepseek', 'deepseek-chat', offPeak, 100);
    assert.notDeepEqual(atPeak.rates, atOffPeak.rates);
    for (const at of [peak, offPeak]) {
      const expected = table.prices.calcPrice({ input_tokens: 100, output_tokens: 50 }, 'deepseek-chat', { providerId: 'deepseek', timestamp: new Date(at) })!;
      assert.ok(Math.abs(costAt(pricer.pricing('deepseek', 'deepseek-chat', at, 100), tokens({ input: 100, output: 50 })) - expected.total_price) < 1e-15);
    }
  });

  it('matches the library to the cent for every OpenAI, Anthropic and Google model', () => {
    const table = bundledPriceTable();
    let compared = 0;
    for (const providerId of ['openai', 'anthropic', 'google']) {
      const provider = table.prices.findProvider({ providerId }) as { models: Array<{ id: string }> };
      for (const [index, { id }] of provider.models.entries()) {
        const usage = { input_tokens: 1000 + index * 997, cache_read_tokens: 300, cache_write_tokens: index % 2 ? 200 : 0, output_tokens: 400, output_reasoning_tokens: 100 };
        let expected;
        try {
          expected = table.prices.calcPrice(usage, id, { providerId, timestamp: new Date(NOW) });
        } catch {
          continue; // a model the library cannot price with this usage (e.g. no cache price at all)
        }
        if (expected === null) continue;
        const pricing = pricer.pricing(providerId, id, NOW, usage.input_tokens);
        const cost = costAt(pricing, { input: usage.input_tokens, cacheRead: 300, cacheWrite: usage.cache_write_tokens, output: 400, reasoning: 100 });
        assert.ok(Math.abs(cost - expected.total_price) <= 1e-9 * Math.max(1, expected.total_price), `${providerId} ${id}: ${cost} vs ${expected.total_price}`);
        compared++;
      }
    }
    assert.ok(compared > 100, `compared ${compared} models`);
  });

  it('asks the library once per model, price period and tier, not once per span', () => {
    const { source, calls } = countingTable();
    const counted = new TablePricer(source);
    counted.pricing('openai', 'gpt-4o-mini', NOW, 100);
    const afterFirst = calls();
    for (let i = 0; i < 1000; i++) counted.pricing('openai', 'gpt-4o-mini', NOW + i * 1000, 100 + i);
    assert.equal(calls(), afterFirst);
  });

  it('reads provider names in every spelling, and infers the provider from the model without one', () => {
    assert.equal(priceProviderOf('azure.ai.openai'), 'azure');
    assert.equal(priceProviderOf('gcp.vertex_ai'), 'google');
    assert.equal(priceProviderOf('Anthropic'), 'anthropic');
    assert.equal(priceProviderOf('openai.chat'), 'openai');
    assert.equal(priceProviderOf('aws.bedrock'), 'aws');
    assert.equal(priceProviderOf('constructor'), undefined);
    assert.deepEqual(splitProviderPrefix('openai/gpt-4o'), { provider: 'openai', model: 'gpt-4o' });
    assert.equal(pricer.pricing(undefined, 'gpt-4o', NOW, 10).model, 'gpt-4o');
    assert.equal(pricer.pricing(undefined, 'openai/gpt-4o-mini', NOW, 10).model, 'gpt-4o-mini');
    assert.equal(pricer.pricing('ollama', 'claude-3-5-haiku-20241022', NOW, 10).provider, 'Anthropic');
    assert.equal(pricer.pricing('azure.ai.openai', 'gpt-4o', NOW, 10).provider, 'Microsoft Azure');
  });

  it('says when no price is known, naming the model', () => {
    const unknown = pricer.pricing('openai', 'my-finetune-v3', NOW, 10);
    assert.equal(unknown.source, 'unpriced');
    assert.equal(unknown.rates, undefined);
    assert.match(unknown.note!, /no price known for model "my-finetune-v3" \(provider "openai"\)/);
    assert.match(pricer.pricing('ollama', 'llama3.1:8b', NOW, 10).note!, /no price known for model "llama3.1:8b" \(provider "ollama", unknown to the table\)/);
    assert.match(pricer.pricing(undefined, 'x'.repeat(5000), NOW, 10).note!, /no price known for a model name of 5000 characters/);
  });
});

describe('custom prices', () => {
  it('parses --price model=input:output[:cacheRead[:cacheWrite]]', () => {
    assert.deepEqual(parsePriceFlag('my-model=3:12').rates, { input: 3, cacheRead: 3, cacheWrite: 3, output: 12, reasoning: 12 });
    assert.deepEqual(parsePriceFlag('ft:gpt-4o-mini:acme::abc=0.3:1.2:0.15:0.4').rates, { input: 0.3, cacheRead: 0.15, cacheWrite: 0.4, output: 1.2, reasoning: 1.2 });
    assert.equal(parsePriceFlag('ft:gpt-4o-mini:acme::abc=0.3:1.2').model, 'ft:gpt-4o-mini:acme::abc');
    for (const bad of ['gpt-4o', 'gpt-4o=1', '=1:2', 'gpt-4o=1:x', 'gpt-4o=-1:2', 'gpt-4o=1:2:3:4:5']) assert.throws(() => parsePriceFlag(bad), PriceSpecError, bad);
  });

  it('parses a price table, listing the entries it leaves out', () => {
    const { prices, errors } = parsePriceTable({ good: { input: 1, output: 2, cacheRead: 0.5 }, noOutput: { input: 1 }, extra: { input: 1, output: 2, typo: 3 }, text: 'x' }, 'prices.json');
    assert.deepEqual(
      prices.map((price) => [price.model, price.rates.cacheRead, price.origin]),
      [['good', 0.5, 'prices.json']],
    );
    assert.equal(errors.length, 3);
    assert.match(errors.join('\n'), /"noOutput".output must be a number/);
    assert.match(errors.join('\n'), /unknown field "typo"/);
    assert.deepEqual(parsePriceTable([1], 'setting').errors, ['setting: prices must be an object of model name → {"input": …, "output": …}']);
  });

  it('matches model names ignoring case, with * for any run of characters, in linear time', () => {
    assert.ok(globMatches('ft:gpt-4o-mini:*', 'ft:gpt-4o-mini:acme::x1'));
    assert.ok(globMatches('*-mini', 'o4-mini'));
    assert.ok(!globMatches('*-mini', 'o4-mini-high'));
    assert.ok(globMatches('a*b*c', 'axxbyyc'));
    assert.ok(!globMatches('a*a*a*a*a*b', 'a'.repeat(20_000)));
    const list = new CustomPriceList([parsePriceFlag('My-Model=1:2'), parsePriceFlag('my-*=5:5')]);
    assert.equal(list.match('my-model')!.rates!.input, 1);
    assert.equal(list.match('my-other')!.rates!.input, 5);
    assert.equal(list.match('gpt-4o'), undefined);
  });
});

describe('cost estimator', () => {
  const usage = { 'gen_ai.system': 'openai', 'gen_ai.request.model': 'gpt-4o', 'gen_ai.usage.input_tokens': 1000, 'gen_ai.usage.output_tokens': 100 };

  it('estimates from the table and marks the cost as an estimate', () => {
    const estimator = new CostEstimator({ loadTable: bundledPriceTable });
    const span = llmSpan(usage);
    estimator.apply(span);
    assert.equal(span.derived.costSource, 'estimate');
    assert.ok(Math.abs(span.derived.cost! - (1000 * 2.5 + 100 * 10) / 1e6) < 1e-15);
    assert.equal(span.derived.pricing!.model, 'gpt-4o');
  });

  it('keeps a reported cost as reported', () => {
    const estimator = new CostEstimator({ loadTable: bundledPriceTable });
    const span = llmSpan({ ...usage, 'gen_ai.usage.cost': 0.5 });
    estimator.apply(span);
    assert.equal(span.derived.cost, 0.5);
    assert.equal(span.derived.costSource, 'reported');
    assert.equal(span.derived.pricing, undefined);
  });

  it("prices with the span's own unit prices over custom prices, and custom prices over the table", () => {
    const estimator = new CostEstimator({ loadTable: bundledPriceTable, customPrices: [parsePriceFlag('gpt-4o=1:2')] });
    const custom = llmSpan(usage);
    estimator.apply(custom);
    assert.equal(custom.derived.costSource, 'custom');
    assert.ok(Math.abs(custom.derived.cost! - (1000 * 1 + 100 * 2) / 1e6) < 1e-15);
    assert.equal(custom.derived.pricing!.table, '--price');

    const unit = llmSpan({ ...usage, prompt_unit_price: 10 });
    estimator.apply(unit);
    assert.equal(unit.derived.costSource, 'custom');
    // The span's prompt price, the completion side from the custom price.
    assert.ok(Math.abs(unit.derived.cost! - (1000 * 10 + 100 * 2) / 1e6) < 1e-15);
    assert.match(unit.derived.pricing!.table!, /prompt_unit_price.*the rest from --price/);
  });

  it('prices unit prices over an unknown model, saying what it could not price', () => {
    const estimator = new CostEstimator({ loadTable: bundledPriceTable });
    const span = llmSpan({ 'gen_ai.request.model': 'in-house-7b', 'gen_ai.usage.input_tokens': 100, 'gen_ai.usage.output_tokens': 10, prompt_unit_price: 2 });
    estimator.apply(span);
    assert.equal(span.derived.cost, 200 / 1e6);
    assert.match(span.derived.pricing!.note!, /no completion_unit_price was sent/);
  });

  it('says why an unknown model has no cost', () => {
    const estimator = new CostEstimator({ loadTable: bundledPriceTable });
    const span = llmSpan({ 'gen_ai.request.model': 'in-house-7b', 'gen_ai.usage.input_tokens': 100 });
    estimator.apply(span);
    assert.equal(span.derived.cost, undefined);
    assert.equal(span.derived.costSource, undefined);
    assert.match(span.derived.pricing!.note!, /no price known for model "in-house-7b"/);
  });

  it('loads the table once, when the first span needs a price', () => {
    let loads = 0;
    const estimator = new CostEstimator({
      loadTable: () => {
        loads++;
        return bundledPriceTable();
      },
    });
    estimator.apply(llmSpan({ 'gen_ai.usage.cost': 1, 'gen_ai.request.model': 'gpt-4o', 'gen_ai.usage.input_tokens': 5 }));
    estimator.apply(llmSpan({ 'http.method': 'GET' }));
    assert.equal(loads, 0);
    assert.match(estimator.tableLabel!, /not loaded yet/);
    estimator.apply(llmSpan(usage));
    estimator.apply(llmSpan(usage));
    assert.equal(loads, 1);
    assert.match(estimator.tableLabel!, /^genai-prices/);
  });

  it('without a table, prices only what custom prices cover', () => {
    const estimator = new CostEstimator({ customPrices: [parsePriceFlag('gpt-4o=1:1')] });
    const known = llmSpan(usage);
    const other = llmSpan({ ...usage, 'gen_ai.request.model': 'gpt-4o-mini' });
    estimator.apply(known);
    estimator.apply(other);
    assert.equal(known.derived.costSource, 'custom');
    assert.equal(other.derived.cost, undefined);
    assert.equal(other.derived.pricing, undefined);
    assert.equal(estimator.tableLabel, undefined);
  });

  it('shares one pricing object between spans priced alike', () => {
    const estimator = new CostEstimator({ loadTable: bundledPriceTable });
    const a = llmSpan(usage);
    const b = llmSpan({ ...usage, 'gen_ai.usage.input_tokens': 7 });
    estimator.apply(a);
    estimator.apply(b);
    assert.equal(a.derived.pricing, b.derived.pricing);
  });
});
