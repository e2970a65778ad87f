/**
 * Prices from the `@pydantic/genai-prices` table. Core does not import the
 * package: the host hands in its `calcPrice`, loaded when the first span needs
 * a price. The library matches providers and models (dated snapshots such as
 * `gpt-4o-2024-08-06` price as their model) and picks prices by the call's
 * time and prompt size; asking it for every span would cost 0.1–0.4 ms each, so
 * it is asked once per model for the rates of each partition, and spans are
 * priced from those rates ({@link costAt}), which is exact because the
 * library's price is linear in each partition within one price period and tier.
 */

import { type PricingInfo, type TokenRates, unpriced } from './pricing';
import { priceProviderOf, splitProviderPrefix } from './providers';

/** The library's usage keys this module reports. */
type UsageKey = 'input_tokens' | 'cache_read_tokens' | 'cache_write_tokens' | 'output_tokens' | 'output_reasoning_tokens';

/** What `calcPrice` answers (the fields read here). */
export interface GenaiPriceCalculation {
  total_price: number;
  provider: { id: string; name: string };
  model: { id: string; name?: string; prices: unknown };
  /** The prices in force for this call (an object of the table's data: its identity is stable). */
  model_price: object;
}

/** The part of `@pydantic/genai-prices` used here. */
export interface GenaiPrices {
  calcPrice(usage: Partial<Record<UsageKey, number>>, modelId: string, options?: { providerId?: string; timestamp?: Date }): GenaiPriceCalculation | null;
  /** The provider the table knows by this id or spelling, if any. */
  findProvider(options: { providerId?: string }): object | undefined;
}

/** A loaded price table and how to name it to the user. */
export interface PriceTableSource {
  prices: GenaiPrices;
  /** `genai-prices 0.1.8 (bundled)`, or `genai-prices data fetched 2026-12-02 10:15 UTC`. */
  label: string;
}

/** A model the table knows, as the table names it. */
interface ResolvedModel {
  /** Provider id to ask the table with. */
  providerId: string;
  /** Model name to ask the table with. */
  model: string;
  providerName: string;
  modelId: string;
  /** Prices change with the date or the time of day. */
  timed: boolean;
  /** Length of a price period bucket: a minute, or a second when some change falls inside a minute. */
  periodMs: number;
  /** The price period last looked up, by `periodMs` bucket (always bucket 0 for prices that never change). */
  period?: PricePeriod;
  /** The periods seen, by the table's price object (a model's prices alternate between a few). */
  periods: WeakMap<object, PricePeriod>;
}

/** One set of a model's prices, with the pricing of each tier as it is needed. */
interface PricePeriod {
  bucket: number;
  /** Prompt sizes above which a higher tier applies, ascending (none for most models). */
  tierStarts: number[];
  /** Pricing per tier. Per model, not per price object: a provider may price another's model (Azure's falls back to OpenAI's) under its own name. */
  cards: Map<number, PricingInfo>;
}

/** Distinct provider/model names remembered; hostile senders inventing names cost misses, not memory. */
const MAX_MODELS = 2000;

/** Longer model names are no model the table knows, and are not looked up. */
const MAX_MODEL_NAME = 256;

/** One million: the rates are probed with this many tokens of a partition. */
const PROBE = 1_000_000;

function tierStartsOf(prices: object): number[] {
  const starts = new Set<number>();
  for (const value of Object.values(prices)) {
    const tiers = (value as { tiers?: unknown } | null)?.tiers;
    if (Array.isArray(tiers)) for (const tier of tiers) if (typeof (tier as { start?: unknown }).start === 'number') starts.add((tier as { start: number }).start);
  }
  return [...starts].sort((a, b) => a - b);
}

/** Times of day in the table's constraints, to check they fall on whole minutes. */
function onWholeMinutes(prices: unknown): boolean {
  if (!Array.isArray(prices)) return true;
  for (const period of prices) {
    const constraint = (period as { constraint?: { start_time?: unknown; end_time?: unknown } }).constraint;
    for (const time of [constraint?.start_time, constraint?.end_time]) {
      if (typeof time === 'string' && !/^\d{2}:\d{2}:00(?:\.0+)?(?:Z|[+-]\d{2}:\d{2})$/.test(time)) return false;
    }
  }
  return true;
}

/** Rounds away binary noise (2.4999999999999996 → 2.5) from rates computed by differences. */
function clean(rate: number): number {
  return Number(rate.toPrecision(12));
}

/** Looks prices up in a genai-prices table, remembering what it found. */
export class TablePricer {
  /** By the sender's provider name ('' for none), then model name. */
  private readonly models = new Map<string, Map<string, ResolvedModel | PricingInfo>>();
  private modelCount = 0;

  constructor(private readonly table: PriceTableSource) {}

  /** Where the prices come from. */
  get label(): string {
    return this.table.label;
  }

  /**
   * The pricing of `model` from `provider` (a sender's spelling, or undefined)
   * for a call at `atMs` with `inputTokens` of prompt.
   */
  pricing(provider: string | undefined, model: string, atMs: number, inputTokens: number): PricingInfo {
    if (model.length > MAX_MODEL_NAME) return unpriced(`no price known for a model name of ${model.length} characters`, this.label);
    let byModel = this.models.get(provider ?? '');
    let resolved = byModel?.get(model);
    if (resolved === undefined) {
      if (this.modelCount >= MAX_MODELS) {
        this.models.clear();
        this.modelCount = 0;
      }
      if (byModel === undefined || this.modelCount === 0) this.models.set(provider ?? '', (byModel = new Map()));
      resolved = this.resolve(provider, model, atMs);
      byModel.set(model, resolved);
      this.modelCount++;
    }
    if (!('providerId' in resolved)) return resolved;
    try {
      return this.card(resolved, atMs, inputTokens);
    } catch (error) {
      return unpriced(`the price table's entry for ${resolved.modelId} could not be used: ${(error as Error).message}`, this.label);
    }
  }

  /**
   * Finds the table's provider and model: by the sender's provider when the
   * table knows it (then a model it does not price has no price), else by a
   * `provider/` prefix of the model name, else by the model name alone.
   */
  private resolve(provider: string | undefined, model: string, atMs: number): ResolvedModel | PricingInfo {
    const prices = this.table.prices;
    const named = priceProviderOf(provider) ?? provider?.trim().toLowerCase();
    const known = named !== undefined && named !== '' && prices.findProvider({ providerId: named }) !== undefined;
    const ask = known ? { provider: named, model } : (splitProviderPrefix(model) ?? { provider: undefined, model });
    let found: GenaiPriceCalculation | null;
    try {
      found = prices.calcPrice({}, ask.model, { providerId: ask.provider, timestamp: new Date(atMs) });
    } catch (error) {
      return unpriced(`the price table could not look up model "${model}": ${(error as Error).message}`, this.label);
    }
    if (found === null) {
      const from = provider === undefined ? '' : ` (provider "${provider}"${known ? '' : ', unknown to the table'})`;
      return unpriced(`no price known for model "${model}"${from}`, this.label);
    }
    return {
      providerId: found.provider.id,
      model: ask.model,
      providerName: found.provider.name,
      modelId: found.model.id,
      timed: Array.isArray(found.model.prices),
      periodMs: onWholeMinutes(found.model.prices) ? 60_000 : 1000,
      periods: new WeakMap(),
    };
  }

  private calc(resolved: ResolvedModel, usage: Partial<Record<UsageKey, number>>, at: Date): GenaiPriceCalculation {
    const result = this.table.prices.calcPrice(usage, resolved.model, { providerId: resolved.providerId, timestamp: at });
    if (result === null) throw new Error('the table no longer prices it');
    return result;
  }

  /** The prices in force at `atMs`: looked up once per price period bucket when they change with time, else once. */
  private periodAt(resolved: ResolvedModel, atMs: number): PricePeriod {
    const bucket = resolved.timed ? Math.floor(atMs / resolved.periodMs) : 0;
    let period = resolved.period;
    if (period === undefined || period.bucket !== bucket) {
      const prices = this.calc(resolved, {}, new Date(atMs)).model_price;
      period = resolved.periods.get(prices);
      if (period === undefined) resolved.periods.set(prices, (period = { bucket, tierStarts: tierStartsOf(prices), cards: new Map() }));
      period.bucket = bucket;
      resolved.period = period;
    }
    return period;
  }

  private card(resolved: ResolvedModel, atMs: number, inputTokens: number): PricingInfo {
    const period = this.periodAt(resolved, atMs);
    const starts = period.tierStarts;
    // The library applies a tier when the prompt is larger than its start; the probes use a prompt inside the same tier.
    const prompt = Math.max(1, inputTokens);
    let tier = 0;
    while (tier < starts.length && prompt > starts[tier]) tier++;
    let card = period.cards.get(tier);
    if (card === undefined) period.cards.set(tier, (card = this.probe(resolved, new Date(atMs), prompt, starts.length > 0)));
    return card;
  }

  /**
   * Asks the table what one million tokens of each partition cost, each added
   * to the same prompt so the same tier applies: the differences are the rates.
   */
  private probe(resolved: ResolvedModel, at: Date, prompt: number, tiered: boolean): PricingInfo {
    const price = (usage: Partial<Record<UsageKey, number>>) => this.calc(resolved, usage, at).total_price;
    const perCall = price({});
    const promptOnly = price({ input_tokens: prompt });
    const perInput = (usage: Partial<Record<UsageKey, number>>) => clean(((price({ input_tokens: prompt, ...usage }) - perCall) / prompt) * PROBE);
    const perOutput = (usage: Partial<Record<UsageKey, number>>) => clean(price({ input_tokens: prompt, ...usage }) - promptOnly);
    const rates: TokenRates = {
      input: clean(((promptOnly - perCall) / prompt) * PROBE),
      cacheRead: perInput({ cache_read_tokens: prompt }),
      cacheWrite: perInput({ cache_write_tokens: prompt }),
      output: perOutput({ output_tokens: PROBE }),
      reasoning: perOutput({ output_tokens: PROBE, output_reasoning_tokens: PROBE }),
    };
    return {
      source: 'estimate',
      provider: resolved.providerName,
      model: resolved.modelId,
      rates,
      ...(perCall > 0 ? { perCall } : {}),
      ...(tiered ? { tiered } : {}),
      table: this.label,
    };
  }
}
