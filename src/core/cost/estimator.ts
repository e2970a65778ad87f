/**
 * Gives every span that reports tokens its cost, once, as it enters the store:
 * the cost the SDK reported stays as reported; otherwise custom prices (the
 * span's own `prompt_unit_price` / `completion_unit_price`, then the user's
 * per-model prices) or else the price table give an estimate, marked as one.
 * Listing, filtering and totals then only add up `derived.cost`.
 */

import type { Span, UnitPrices } from '../model';
import { CustomPriceList, type CustomPrice } from './customPrices';
import { pricedTokensOf } from './partition';
import { TablePricer, type PriceTableSource } from './priceTable';
import { costAt, type PricingInfo, unpriced } from './pricing';

/** Settings of a {@link CostEstimator}. */
export interface CostEstimatorOptions {
  /**
   * Loads the price table; called once, when the first span needs a price.
   * Without it only reported costs and custom prices apply.
   */
  loadTable?: () => PriceTableSource;
  /** Per-model prices that add to or override the table, first match first. */
  customPrices?: readonly CustomPrice[];
}

/** Where the span's own unit prices come from, as the details name it. */
const UNIT_PRICE_ORIGIN = "the span's prompt_unit_price / completion_unit_price";

/** Unit-price combinations remembered per base pricing. */
const MAX_UNIT_PRICE_VARIANTS = 64;

const ONLY_TOTAL = unpriced('only a total token count was sent, so input and output cannot be priced apart');
const NO_MODEL = unpriced('no model name to look a price up by');

/** Prices spans; one per store. */
export class CostEstimator {
  private custom: CustomPriceList;
  private table: TablePricer | undefined;
  private tableLoaded: boolean;
  private readonly unitPriced = new WeakMap<PricingInfo, Map<string, PricingInfo>>();
  private readonly unitPricedAlone = new Map<string, PricingInfo>();

  constructor(private readonly options: CostEstimatorOptions = {}) {
    this.custom = new CustomPriceList(options.customPrices);
    this.tableLoaded = options.loadTable === undefined;
  }

  /** Replaces the custom prices; spans that arrive from now on use them. */
  setCustomPrices(prices: readonly CustomPrice[]): void {
    this.custom = new CustomPriceList(prices);
  }

  /** Uses a newer price table from now on (what was priced stays as it was). */
  useTable(source: PriceTableSource): void {
    this.table = new TablePricer(source);
    this.tableLoaded = true;
  }

  /** Where table prices come from: the loaded table's label, `not loaded yet`, or undefined without a table. */
  get tableLabel(): string | undefined {
    if (this.table) return this.table.label;
    return this.options.loadTable ? 'not loaded yet (it loads with the first span that needs a price)' : undefined;
  }

  /** Sets `cost`, `costSource` and `pricing` on a span that reports tokens and no cost of its own. */
  apply(span: Span): void {
    const derived = span.derived;
    if (derived.cost !== undefined || derived.tokens === undefined) return;
    const tokens = pricedTokensOf(derived.tokens, { scope: span.scope.name, attributes: span.attributes, displayKind: derived.displayKind });
    if (tokens === undefined) {
      derived.pricing = ONLY_TOTAL;
      return;
    }
    let pricing = derived.model === undefined ? NO_MODEL : (this.custom.match(derived.model) ?? this.tablePricing(derived.provider, derived.model, span.startTimeMs, tokens.input));
    if (derived.unitPrices) pricing = this.withUnitPrices(pricing, derived.unitPrices);
    if (pricing === undefined) return;
    derived.pricing = pricing;
    if (pricing.rates === undefined) return;
    derived.cost = costAt(pricing, tokens);
    derived.costSource = pricing.source === 'custom' ? 'custom' : 'estimate';
  }

  private tablePricing(provider: string | undefined, model: string, atMs: number, inputTokens: number): PricingInfo | undefined {
    if (!this.tableLoaded) {
      this.tableLoaded = true;
      this.table = new TablePricer(this.options.loadTable!());
    }
    return this.table?.pricing(provider, model, atMs, inputTokens);
  }

  /**
   * The span's own unit prices over `base`: the prompt price for all input,
   * the completion price for all output; a side it does not price keeps
   * `base`'s rates (or none).
   */
  private withUnitPrices(base: PricingInfo | undefined, unit: UnitPrices): PricingInfo {
    const key = `${unit.prompt ?? ''}:${unit.completion ?? ''}`;
    let variants = base === undefined ? this.unitPricedAlone : this.unitPriced.get(base);
    if (variants === undefined) this.unitPriced.set(base!, (variants = new Map()));
    let pricing = variants.get(key);
    if (pricing !== undefined) return pricing;
    const rates = base?.rates;
    const input = unit.prompt ?? rates?.input ?? 0;
    const output = unit.completion ?? rates?.output ?? 0;
    pricing = {
      source: 'custom',
      ...(base?.model !== undefined ? { model: base.model } : {}),
      rates: {
        input,
        cacheRead: unit.prompt ?? rates?.cacheRead ?? 0,
        cacheWrite: unit.prompt ?? rates?.cacheWrite ?? 0,
        output,
        reasoning: unit.completion ?? rates?.reasoning ?? 0,
      },
      table: rates === undefined || (unit.prompt !== undefined && unit.completion !== undefined) ? UNIT_PRICE_ORIGIN : `${UNIT_PRICE_ORIGIN}, the rest from ${base!.table}`,
      ...(rates === undefined && (unit.prompt === undefined || unit.completion === undefined)
        ? { note: `no ${unit.prompt === undefined ? 'prompt' : 'completion'}_unit_price was sent and no other price is known: that side is priced at $0` }
        : {}),
    };
    if (variants.size >= MAX_UNIT_PRICE_VARIANTS) variants.delete(variants.keys().next().value!);
    variants.set(key, pricing);
    return pricing;
  }
}
