/**
 * A span's cost in the details: how it was obtained, and for a custom or
 * estimated cost what it is made of: each token partition's count, price per
 * million tokens and share, and where the prices come from.
 */

import type { ComponentChildren } from 'preact';
import { pricedTokensOf, type PricedTokens } from '../../src/core/cost/partition';
import type { SpanJson } from '../../src/protocol/api';
import { formatCost, formatInteger, formatRate } from '../model/format';
import { Fact } from './common';

const SOURCE_TEXT: Record<NonNullable<SpanJson['costSource']>, string> = {
  reported: 'reported by the sender',
  custom: 'custom price',
  estimate: 'estimate from the price table',
};

/** The "Cost" fact: the cost and how it was obtained, or why there is none. */
export function CostFact({ span, children }: { span: SpanJson; children?: ComponentChildren }) {
  if (span.cost !== null) {
    return (
      <Fact label="Cost">
        <span data-testid="span-cost">{formatCost(span.cost, span.costSource === 'estimate')}</span>
        {span.costSource && <span class="muted"> · {SOURCE_TEXT[span.costSource]}</span>}
        {children}
      </Fact>
    );
  }
  if (span.pricing?.note) {
    return (
      <Fact label="Cost">
        <span class="muted" data-testid="span-cost-note">
          {span.pricing.note}
        </span>
      </Fact>
    );
  }
  return null;
}

type Partition = keyof PricedTokens;

const PARTITIONS: Array<{ key: Partition; label: string; count(tokens: PricedTokens): number }> = [
  { key: 'input', label: 'Input, uncached', count: (t) => Math.max(0, t.input - t.cacheRead - t.cacheWrite) },
  { key: 'cacheRead', label: 'Cache read', count: (t) => t.cacheRead },
  { key: 'cacheWrite', label: 'Cache write', count: (t) => t.cacheWrite },
  { key: 'output', label: 'Output', count: (t) => Math.max(0, t.output - t.reasoning) },
  { key: 'reasoning', label: 'Reasoning', count: (t) => t.reasoning },
];

/** The partitions of a custom or estimated cost, with their prices per million tokens. */
export function CostBreakdown({ span }: { span: SpanJson }) {
  const pricing = span.pricing;
  const rates = pricing?.rates;
  if (!pricing || !rates || !span.tokens) return null;
  const tokens = pricedTokensOf(span.tokens, { scope: span.scope.name, attributes: span.attributes, displayKind: span.displayKind });
  if (!tokens) return null;
  const what = [pricing.provider, pricing.model].filter(Boolean).join(' ');
  return (
    <div class="cost-breakdown" data-testid="cost-breakdown">
      <table class="cost-table">
        <thead>
          <tr>
            <th>Tokens</th>
            <th class="number">Count</th>
            <th class="number">Per 1M</th>
            <th class="number">Cost</th>
          </tr>
        </thead>
        <tbody>
          {PARTITIONS.filter(({ key, count }) => count(tokens) > 0 || key === 'input').map(({ key, label, count }) => (
            <tr key={key} data-testid={`cost-row-${key}`}>
              <td>{label}</td>
              <td class="number">{formatInteger(count(tokens))}</td>
              <td class="number">{formatRate(rates[key])}</td>
              <td class="number">{formatCost((count(tokens) * rates[key]) / 1_000_000)}</td>
            </tr>
          ))}
          {pricing.perCall !== undefined && (
            <tr>
              <td>Per call</td>
              <td class="number" />
              <td class="number" />
              <td class="number">{formatCost(pricing.perCall)}</td>
            </tr>
          )}
        </tbody>
      </table>
      <div class="muted cost-source" data-testid="cost-source">
        {pricing.source === 'estimate' ? 'Estimated' : 'Priced'} with {pricing.table}
        {what && ` · ${what}`}
        {pricing.tiered && ' · tiered prices: these are the rates for a prompt of this size'}
        {pricing.note && ` · ${pricing.note}`}
      </div>
    </div>
  );
}
