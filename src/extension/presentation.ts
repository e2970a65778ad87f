/**
 * How traces and spans read in the Traces view and status bar: codicons per
 * display kind (the same as the inspector UI's), durations, and the facts a
 * tooltip lists. Pure, so it is unit-tested outside VS Code.
 */

import type { Span } from '../core/model';
import { kindInfo } from '../protocol/kinds';
import type { TraceEntry } from '../core/store';

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

/** The span that names a trace: its earliest root, else its earliest span. */
export function headSpan(entry: TraceEntry): Span | undefined {
  return entry.rootSpan ?? entry.earliestSpan;
}

/** The one-line description next to a trace's name. */
export function traceDescription(entry: TraceEntry): string {
  // Errors first: the side bar is narrow and truncates the end.
  const parts = entry.errorCount > 0 ? [`${entry.errorCount} error${entry.errorCount === 1 ? '' : 's'}`] : [];
  parts.push(formatDuration(Math.max(0, entry.endTimeMs - entry.startTimeMs)), `${formatCount(entry.spans.size)} span${entry.spans.size === 1 ? '' : 's'}`);
  if (Number.isFinite(entry.startTimeMs)) parts.push(formatTime(entry.startTimeMs));
  return parts.join(' · ');
}

/** The one-line description next to a span's name. */
export function spanDescription(span: Span): string {
  const parts = [formatDuration(span.durationMs)];
  if (span.derived.model) parts.push(span.derived.model);
  const tokens = span.derived.tokens?.total ?? sum(span.derived.tokens?.input, span.derived.tokens?.output);
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
export function traceFacts(entry: TraceEntry): Array<[string, string]> {
  const head = headSpan(entry);
  const facts: Array<[string, string]> = [];
  facts.push(['Started', Number.isFinite(entry.startTimeMs) ? new Date(entry.startTimeMs).toLocaleString() : '–']);
  facts.push(['Duration', formatDuration(Math.max(0, entry.endTimeMs - entry.startTimeMs))]);
  facts.push(['Spans', formatCount(entry.spans.size)]);
  if (entry.errorCount > 0) facts.push(['Errors', formatCount(entry.errorCount)]);
  if (entry.orphanCount > 0) facts.push(['Missing parents', formatCount(entry.orphanCount)]);
  const services = [...entry.facets.services.keys()];
  if (services.length > 0) facts.push(['Service', services.join(', ')]);
  const models = [...entry.facets.models.keys()];
  if (models.length > 0) facts.push(['Models', models.join(', ')]);
  if (entry.tokens.total > 0 || entry.tokens.input + entry.tokens.output > 0) {
    facts.push(['Tokens', `${formatCount(entry.tokens.input)} in · ${formatCount(entry.tokens.output)} out`]);
  }
  if (entry.costedSpans > 0) facts.push(['Cost', costText(entry.cost, entry.estimatedCostSpans > 0)]);
  const customer = head?.derived.respan?.customerIdentifier;
  if (customer) facts.push(['Customer', customer]);
  if (entry.pinned) facts.push(['Pinned', 'kept when older traces are evicted']);
  facts.push(['Trace id', entry.traceId]);
  return facts;
}

/** Label/value rows of a span's tooltip. */
export function spanFacts(span: Span): Array<[string, string]> {
  const derived = span.derived;
  const facts: Array<[string, string]> = [];
  facts.push(['Kind', `${kindIcon(derived.displayKind).label} · ${span.kind.toLowerCase()}`]);
  facts.push(['Duration', formatDuration(span.durationMs)]);
  facts.push(['Status', span.status.code.toLowerCase() + (span.status.message ? ` · ${span.status.message}` : '')]);
  if (derived.model) facts.push(['Model', derived.model]);
  if (derived.provider) facts.push(['Provider', derived.provider]);
  const tokens = derived.tokens;
  if (tokens && (tokens.input !== undefined || tokens.output !== undefined)) {
    facts.push(['Tokens', `${formatCount(tokens.input ?? 0)} in · ${formatCount(tokens.output ?? 0)} out`]);
  }
  if (derived.cost !== undefined) facts.push(['Cost', costText(derived.cost, derived.costSource === 'estimate')]);
  else if (derived.pricing?.note) facts.push(['Cost', derived.pricing.note]);
  if (derived.entityName) facts.push(['Entity', derived.entityName]);
  if (derived.service) facts.push(['Service', derived.service]);
  const source = derived.sourceLocation;
  if (source) facts.push(['Source', `${source.filePath}${source.line !== undefined ? `:${source.line}` : ''}`]);
  facts.push(['Span id', span.spanId]);
  return facts;
}
