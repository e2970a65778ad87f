/**
 * Token counts in the partition the price table prices: input counts every
 * input token (uncached, cache reads and cache writes), output counts every
 * output token (reasoning included). Senders do not agree on what their input
 * count holds; the rules are here, in one table, and in the README's "Cost"
 * section.
 */

import type { Attributes, DisplayKind, TokenUsage } from '../model';
import { isRecord } from '../llm/values';

/** Token counts as the price table partitions them. */
export interface PricedTokens {
  /** Every input token: uncached, cache reads and cache writes. */
  input: number;
  cacheRead: number;
  cacheWrite: number;
  /** Every output token, reasoning included. */
  output: number;
  reasoning: number;
}

/** What the partition rules look at besides the token counts. */
export interface PartitionFacts {
  /** Instrumentation scope name. */
  scope: string;
  attributes: Readonly<Attributes> | Readonly<Record<string, unknown>>;
  displayKind: DisplayKind;
}

/**
 * Senders whose input count leaves cache reads and writes out, as Anthropic's
 * own `input_tokens` does; every other sender's input count includes them
 * (OpenAI's `prompt_tokens`, OpenInference's `llm.token_count.prompt`, the OTel
 * GenAI conventions' `gen_ai.usage.input_tokens`, the Vercel AI SDK's total).
 */
export const INPUT_EXCLUDES_CACHE: ReadonlyArray<{ sender: string; applies(facts: PartitionFacts): boolean }> = [
  {
    sender: 'Traceloop Anthropic instrumentation (JS): gen_ai.usage.input_tokens is Anthropic\'s input_tokens',
    applies: (facts) => facts.scope === '@traceloop/instrumentation-anthropic',
  },
  {
    sender: 'Respan ingest with Anthropic\'s usage object: usage.input_tokens beside usage.cache_read_input_tokens / cache_creation_input_tokens',
    applies: (facts) => isAnthropicUsage(facts.attributes.usage),
  },
];

function isAnthropicUsage(usage: unknown): boolean {
  return isRecord(usage) && 'input_tokens' in usage && !('prompt_tokens' in usage) && ('cache_read_input_tokens' in usage || 'cache_creation_input_tokens' in usage);
}

function count(value: number | undefined): number {
  return value !== undefined && Number.isFinite(value) && value > 0 ? value : 0;
}

/**
 * The priced partition of a span's tokens, or undefined when it cannot be
 * priced apart (an LLM span that reports only a total). A part larger than its
 * whole (cache reads and writes beyond the input count, reasoning beyond the
 * output count) means the whole left it out, whatever the sender.
 */
export function pricedTokensOf(tokens: TokenUsage, facts: PartitionFacts): PricedTokens | undefined {
  let input = tokens.input;
  const output = count(tokens.output);
  if (input === undefined && tokens.output === undefined) {
    // Embeddings often report only a total, and every token of an embedding is input.
    if (facts.displayKind !== 'embedding' || tokens.total === undefined) return undefined;
    input = tokens.total;
  }
  const cacheRead = count(tokens.cacheRead);
  const cacheWrite = count(tokens.cacheWrite);
  const reasoning = count(tokens.reasoning);
  let inputTotal = count(input);
  if (cacheRead + cacheWrite > inputTotal || INPUT_EXCLUDES_CACHE.some((rule) => rule.applies(facts))) inputTotal += cacheRead + cacheWrite;
  return { input: inputTotal, cacheRead, cacheWrite, output: reasoning > output ? output + reasoning : output, reasoning };
}
