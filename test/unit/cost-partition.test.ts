import * as assert from 'node:assert/strict';
import { pricedTokensOf, type PartitionFacts } from '../../src/core/cost/partition';

const facts = (overrides: Partial<PartitionFacts> = {}): PartitionFacts => ({ scope: 'any', attributes: {}, displayKind: 'llm', ...overrides });

describe('token partition for pricing', () => {
  it("keeps an input count that includes cache reads (OpenAI's prompt_tokens, OpenInference, OTel GenAI)", () => {
    assert.deepEqual(pricedTokensOf({ input: 1000, output: 50, cacheRead: 600 }, facts({ scope: '@arizeai/openinference-instrumentation-openai' })), {
      input: 1000,
      cacheRead: 600,
      cacheWrite: 0,
      output: 50,
      reasoning: 0,
    });
  });

  it("adds cache reads and writes to Traceloop Anthropic's input count, which is Anthropic's uncached input_tokens", () => {
    assert.deepEqual(pricedTokensOf({ input: 20, output: 10, cacheRead: 5, cacheWrite: 8 }, facts({ scope: '@traceloop/instrumentation-anthropic' })), {
      input: 33,
      cacheRead: 5,
      cacheWrite: 8,
      output: 10,
      reasoning: 0,
    });
  });

  it("adds them for a Respan ingest span carrying Anthropic's usage object", () => {
    const attributes = { usage: { input_tokens: 20, output_tokens: 10, cache_read_input_tokens: 5, cache_creation_input_tokens: 0 } };
    assert.equal(pricedTokensOf({ input: 20, output: 10, cacheRead: 5 }, facts({ scope: 'respan.ingest', attributes }))!.input, 25);
    const openAiShaped = { usage: { prompt_tokens: 20, completion_tokens: 10, prompt_tokens_details: { cached_tokens: 5 } } };
    assert.equal(pricedTokensOf({ input: 20, output: 10, cacheRead: 5 }, facts({ scope: 'respan.ingest', attributes: openAiShaped }))!.input, 20);
  });

  it('treats cache larger than the input count as left out of it, whatever the sender', () => {
    assert.equal(pricedTokensOf({ input: 10, output: 1, cacheWrite: 4000 }, facts())!.input, 4010);
  });

  it('keeps reasoning within output, unless it is larger than output', () => {
    assert.deepEqual(pricedTokensOf({ input: 10, output: 300, reasoning: 256 }, facts()), { input: 10, cacheRead: 0, cacheWrite: 0, output: 300, reasoning: 256 });
    assert.deepEqual(pricedTokensOf({ input: 10, output: 40, reasoning: 256 }, facts()), { input: 10, cacheRead: 0, cacheWrite: 0, output: 296, reasoning: 256 });
  });

  it('prices an embedding that reports only a total as input, and cannot split an LLM total', () => {
    assert.deepEqual(pricedTokensOf({ total: 12 }, facts({ displayKind: 'embedding' })), { input: 12, cacheRead: 0, cacheWrite: 0, output: 0, reasoning: 0 });
    assert.equal(pricedTokensOf({ total: 12 }, facts()), undefined);
  });

  it('reads negative or non-finite counts as none', () => {
    assert.deepEqual(pricedTokensOf({ input: -5, output: Number.NaN, cacheRead: -1 }, facts()), { input: 0, cacheRead: 0, cacheWrite: 0, output: 0, reasoning: 0 });
  });
});
