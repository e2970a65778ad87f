/**
 * How traces and spans read in the Traces view and status bar, from the
 * service's answers (trace summaries and span details): codicons per display
 * kind (the same as the inspector UI's), durations, and the facts a tooltip
 * lists. Pure, so it is unit-tested outside VS Code.
 */

import type { SpanJson, TraceSummaryJson } from '../protocol/api';
import { kindInfo } from '../protocol/kinds';

/** Icon and label of a kind: the inspector UI's table. */
export const kindIcon = kindInfo;

/** A duration in ms, short: `0.42 ms`, `12 ms`, `1.25 s`, `2 m 05 s`. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '–';
  if (ms < 1) return `${Number(ms.toFixed(2))} ms`;
  if (ms < 1000) return `${Number(ms.toFixed(ms < 10 ? 1 : 0))} ms`;
  const seconds = ms / 1000;
  if (seconds < 60) return `${Number(seconds.toFixed(seconds < 10 ? 2 : 1))} s`;
  const whole = Math.round(seconds);
  return `${Math.floor(whole / 60)} m ${String(whole % 60).padStart(2, '0')} s`;
}

/** A count with thousands separators: `12,345`. */
export function formatCount(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/** Local time of day: `14:03:07`. */
export function formatTime(epochMs: number): string {
  const date = new Date(epochMs);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
}

/** The one-line description next to a trace's name. */
export function traceDescription(trace: TraceSummaryJson): string {
  // Errors first: the side bar is narrow and truncates the end.
  const parts = trace.errorCount > 0 ? [`${trace.errorCount} error${trace.errorCount === 1 ? '' : 's'}`] : [];
  parts.push(formatDuration(Math.max(0, trace.durationMs)), `${formatCount(trace.spanCount)} span${trace.spanCount === 1 ? '' : 's'}`);
  if (Number.isFinite(trace.startTimeMs)) parts.push(formatTime(trace.startTimeMs));
  return parts.join(' · ');
}

/** The one-line description next to a span's name. */
export function spanDescription(span: SpanJson): string {
  const parts = [formatDuration(span.durationMs)];
  if (span.model) parts.push(span.model);
  const tokens = span.tokens?.total ?? sum(span.tokens?.input, span.tokens?.output);
  if (tokens !== undefined && tokens > 0) parts.push(`${formatCount(tokens)} tok`);
  return parts.join(' · ');
}

function sum(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined && b === undefined ? undefined : (a ?? 0) + (b ?? 0);
}

/** USD as the tooltips show it; an estimate from the price table is marked `≈ … (estimate)`. */
function costText(usd: number, estimated: boolean): string {
  const text = `$${usd.toFixed(usd < 0.01 ? 5 : 4)}`;
  return estimated ? `≈${text} (estimate)` : text;
}

/** Label/value rows of a trace's tooltip. */
export function traceFacts(trace: TraceSummaryJson): Array<[string, string]> {
  const facts: Array<[string, string]> = [];
  facts.push(['Started', Number.isFinite(trace.startTimeMs) ? new Date(trace.startTimeMs).toLocaleString() : '–']);
  facts.push(['Duration', formatDuration(Math.max(0, trace.durationMs))]);
  facts.push(['Spans', formatCount(trace.spanCount)]);
  if (trace.errorCount > 0) facts.push(['Errors', formatCount(trace.errorCount)]);
  if (trace.orphanCount > 0) facts.push(['Missing parents', formatCount(trace.orphanCount)]);
  if (trace.services.length > 0) facts.push(['Service', trace.services.join(', ')]);
  if (trace.models.length > 0) facts.push(['Models', trace.models.join(', ')]);
  const tokens = trace.tokens;
  if ((tokens.total ?? 0) > 0 || (tokens.input ?? 0) + (tokens.output ?? 0) > 0) {
    facts.push(['Tokens', `${formatCount(tokens.input ?? 0)} in · ${formatCount(tokens.output ?? 0)} out`]);
  }
  if (trace.cost !== null) facts.push(['Cost', costText(trace.cost, trace.costEstimated)]);
  if (trace.customerIdentifier) facts.push(['Customer', trace.customerIdentifier]);
  if (trace.pinned) facts.push(['Pinned', 'kept when older traces are evicted']);
  facts.push(['Trace id', trace.traceId]);
  return facts;
}

/** Label/value rows of a span's tooltip. */
export function spanFacts(span: SpanJson): Array<[string, string]> {
  const facts: Array<[string, string]> = [];
  facts.push(['Kind', `${kindIcon(span.displayKind).label} · ${span.kind.toLowerCase()}`]);
  facts.push(['Duration', formatDuration(span.durationMs)]);
  facts.push(['Status', span.status.code.toLowerCase() + (span.status.message ? ` · ${span.status.message}` : '')]);
  if (span.model) facts.push(['Model', span.model]);
  if (span.provider) facts.push(['Provider', span.provider]);
  const tokens = span.tokens;
  if (tokens && (tokens.input !== undefined || tokens.output !== undefined)) {
    facts.push(['Tokens', `${formatCount(tokens.input ?? 0)} in · ${formatCount(tokens.output ?? 0)} out`]);
  }
  if (span.cost !== null) facts.push(['Cost', costText(span.cost, span.costSource === 'estimate')]);
  else if (span.pricing?.note) facts.push(['Cost', span.pricing.note]);
  if (span.entityName) facts.push(['Entity', span.entityName]);
  if (span.service) facts.push(['Service', span.service]);
  const source = span.sourceLocation;
  if (source) facts.push(['Source', `${source.filePath}${source.line !== undefined ? `:${source.line}` : ''}`]);
  facts.push(['Span id', span.spanId]);
  return facts;
}
