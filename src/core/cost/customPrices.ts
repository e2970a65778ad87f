/**
 * Prices the user gives per model, in USD per million tokens: for fine-tuned
 * and self-hosted models the table does not know, or to override it. From
 * `--price model=input:output[:cacheRead[:cacheWrite]]`, a JSON file
 * (`--prices <file>`), or the `respanInspector.prices` setting, all read here.
 */

import { isRecord } from '../llm/values';
import type { PricingInfo, TokenRates } from './pricing';

/** One model's custom price. */
export interface CustomPrice {
  /** Model name, matched ignoring case; `*` matches any run of characters (`ft:gpt-4o-mini:*`). */
  model: string;
  rates: TokenRates;
  /** Where it was given (`--price`, a file path, a setting), shown with every cost it prices. */
  origin: string;
}

/** A price the user wrote that cannot be used; the message says why. */
export class PriceSpecError extends Error {
  override readonly name = 'PriceSpecError';
}

/** Every partition's rate from the four a user gives: cache rates default to the input rate, reasoning is billed as output. */
function ratesOf(input: number, output: number, cacheRead = input, cacheWrite = input): TokenRates {
  return { input, cacheRead, cacheWrite, output, reasoning: output };
}

function rate(text: string, what: string, spec: string): number {
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value) || value < 0) throw new PriceSpecError(`${what} in "${spec}" must be a number of USD per million tokens, got "${text}"`);
  return value;
}

/** Parses `model=input:output[:cacheRead[:cacheWrite]]` (USD per million tokens). */
export function parsePriceFlag(spec: string, origin = '--price'): CustomPrice {
  const equals = spec.lastIndexOf('=');
  const model = equals > 0 ? spec.slice(0, equals).trim() : '';
  const parts = equals > 0 ? spec.slice(equals + 1).split(':') : [];
  if (model === '' || parts.length < 2 || parts.length > 4) {
    throw new PriceSpecError(`a price is model=input:output[:cacheRead[:cacheWrite]] in USD per million tokens (e.g. gpt-4o=2.5:10:1.25), got "${spec}"`);
  }
  const [input, output, cacheRead, cacheWrite] = parts.map((part, index) => rate(part, ['input', 'output', 'cacheRead', 'cacheWrite'][index], spec));
  return { model, rates: ratesOf(input, output, cacheRead, cacheWrite), origin };
}

/**
 * Parses a price table the user wrote: `{"<model>": {"input": 2.5, "output": 10,
 * "cacheRead": 1.25, "cacheWrite": 3.75}}` (USD per million tokens; the cache
 * rates are optional). Entries that cannot be used are left out and listed in
 * `errors`; the others still apply.
 */
export function parsePriceTable(value: unknown, origin: string): { prices: CustomPrice[]; errors: string[] } {
  const prices: CustomPrice[] = [];
  const errors: string[] = [];
  if (!isRecord(value)) return { prices, errors: [`${origin}: prices must be an object of model name → {"input": …, "output": …}`] };
  for (const [model, entry] of Object.entries(value)) {
    const problem = entryProblem(model, entry);
    if (problem !== undefined) {
      errors.push(`${origin}: ${problem}`);
      continue;
    }
    const { input, output, cacheRead, cacheWrite } = entry as Record<string, number | undefined>;
    prices.push({ model, rates: ratesOf(input!, output!, cacheRead, cacheWrite), origin });
  }
  return { prices, errors };
}

const PRICE_FIELDS = ['input', 'output', 'cacheRead', 'cacheWrite'];

function entryProblem(model: string, entry: unknown): string | undefined {
  if (model.trim() === '') return 'a price needs a model name';
  if (!isRecord(entry)) return `the price of "${model}" must be an object like {"input": 2.5, "output": 10}`;
  for (const key of Object.keys(entry)) if (!PRICE_FIELDS.includes(key)) return `the price of "${model}" has an unknown field "${key}" (allowed: ${PRICE_FIELDS.join(', ')})`;
  for (const key of PRICE_FIELDS) {
    const value = entry[key];
    const required = key === 'input' || key === 'output';
    if (value === undefined && !required) continue;
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) return `"${model}".${key} must be a number of USD per million tokens`;
  }
  return undefined;
}

/**
 * Whether `text` matches `pattern`, where `*` matches any run of characters
 * (both lowercase). Linear backtracking to the last star: a model name of any
 * length costs at most pattern × name steps.
 */
export function globMatches(pattern: string, text: string): boolean {
  let p = 0;
  let t = 0;
  let star = -1;
  let resume = 0;
  while (t < text.length) {
    if (p < pattern.length && pattern[p] !== '*' && pattern[p] === text[t]) {
      p++;
      t++;
    } else if (p < pattern.length && pattern[p] === '*') {
      star = p++;
      resume = t;
    } else if (star >= 0) {
      p = star + 1;
      t = ++resume;
    } else {
      return false;
    }
  }
  while (p < pattern.length && pattern[p] === '*') p++;
  return p === pattern.length;
}

/** The custom prices in force: the first whose model matches wins. */
export class CustomPriceList {
  private readonly entries: Array<{ pattern: string; pricing: PricingInfo }>;

  constructor(prices: readonly CustomPrice[] = []) {
    this.entries = prices.map((price) => ({
      pattern: price.model.toLowerCase(),
      pricing: { source: 'custom', model: price.model, rates: price.rates, table: price.origin },
    }));
  }

  /** True when no custom price is set. */
  get empty(): boolean {
    return this.entries.length === 0;
  }

  /** The pricing for `model`, or undefined when no custom price names it. */
  match(model: string): PricingInfo | undefined {
    const name = model.toLowerCase();
    for (const entry of this.entries) if (globMatches(entry.pattern, name)) return entry.pricing;
    return undefined;
  }
}
