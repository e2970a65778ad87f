/**
 * What a span's cost is made of: the price per million tokens of each token
 * partition and where the prices come from. One object is shared by every span
 * priced alike, so a million priced spans hold a million references, not a
 * million copies.
 */

import type { PricedTokens } from './partition';

/** USD per million tokens of each partition of {@link PricedTokens}. */
export interface TokenRates {
  /** Uncached input. */
  input: number;
  cacheRead: number;
  cacheWrite: number;
  /** Output other than reasoning. */
  output: number;
  reasoning: number;
}

/** How a span's cost was (or could not be) priced. */
export interface PricingInfo {
  /** `estimate`: from the price table; `custom`: from prices the user gave; `unpriced`: no price known ({@link note} says why). */
  source: 'estimate' | 'custom' | 'unpriced';
  /** The provider the price is for, as the table names it. */
  provider?: string;
  /** The model the price is for: the table's model (a dated snapshot prices as its model), or the custom price's pattern. */
  model?: string;
  rates?: TokenRates;
  /** USD charged per call besides tokens. */
  perCall?: number;
  /** The rates depend on the prompt's size (tiered prices): those shown are this call's. */
  tiered?: boolean;
  /** Where the prices come from: `genai-prices 0.1.8 (bundled)`, `--price gpt-4o`, the span's `prompt_unit_price`… */
  table?: string;
  /** Why there is no price, in a sentence. */
  note?: string;
}

/** USD for `tokens` at `pricing`'s rates (zero when it has none). */
export function costAt(pricing: PricingInfo, tokens: PricedTokens): number {
  const rates = pricing.rates;
  if (rates === undefined) return 0;
  const uncached = Math.max(0, tokens.input - tokens.cacheRead - tokens.cacheWrite);
  const plainOutput = Math.max(0, tokens.output - tokens.reasoning);
  const perMillion =
    uncached * rates.input + tokens.cacheRead * rates.cacheRead + tokens.cacheWrite * rates.cacheWrite + plainOutput * rates.output + tokens.reasoning * rates.reasoning;
  return (pricing.perCall ?? 0) + perMillion / 1_000_000;
}

/** A note that a span could not be priced, with no rates; `table` is the table that was asked, if any. */
export function unpriced(note: string, table?: string): PricingInfo {
  return table === undefined ? { source: 'unpriced', note } : { source: 'unpriced', table, note };
}
