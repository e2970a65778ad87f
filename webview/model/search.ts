/**
 * Find-in-trace: which spans match a text, and stepping through matches and
 * errors in tree order. The searchable text of each span is built lazily on
 * the first search and cached, so typing stays fast on 100,000 spans. A trace
 * that came in the lean form has no attributes or events in the page: find
 * then searches what its rows carry (name, id, status message, kind, service,
 * model).
 * Pure, DOM-free.
 */

import type { SpanJson } from '../../src/protocol/api';
import type { TraceIndex } from './traceIndex';

/** Lower-cased searchable text per span, built on first use. */
export class SpanSearch {
  private haystacks: string[] | undefined;

  constructor(private readonly index: TraceIndex) {}

  /** Spans whose name, ids, status, attributes or events (when in the page) contain `text` (case-insensitive), in tree order. */
  find(text: string): Int32Array {
    const needle = text.trim().toLowerCase();
    if (needle === '') return new Int32Array(0);
    const haystacks = (this.haystacks ??= this.index.details ? this.index.details.map(searchText) : rowSearchTexts(this.index));
    const { preorder, count } = this.index;
    const out: number[] = [];
    for (let pos = 0; pos < count; pos++) {
      const i = preorder[pos];
      if (haystacks[i].includes(needle)) out.push(i);
    }
    return Int32Array.from(out);
  }
}

/** Everything a user may search a span by, lower-cased. */
export function searchText(span: SpanJson): string {
  const parts: string[] = [span.name, span.spanId, span.status.message, span.displayKind];
  if (span.model) parts.push(span.model);
  if (span.service) parts.push(span.service);
  appendValues(parts, span.attributes);
  for (const event of span.events) {
    parts.push(event.name);
    appendValues(parts, event.attributes);
  }
  return parts.join('\n').toLowerCase();
}

/** What a lean trace's rows carry, lower-cased: the part of {@link searchText} the page has without the details. */
function rowSearchTexts(index: TraceIndex): string[] {
  const out = new Array<string>(index.count);
  for (let i = 0; i < index.count; i++) {
    const parts = [index.name[i], index.spanId[i], index.statusMessage(i), index.displayKind[i]];
    if (index.model[i]) parts.push(index.model[i]!);
    if (index.service[i]) parts.push(index.service[i]!);
    out[i] = parts.join('\n').toLowerCase();
  }
  return out;
}

function appendValues(parts: string[], attributes: Record<string, unknown>): void {
  for (const key in attributes) {
    parts.push(key);
    const value = attributes[key];
    parts.push(typeof value === 'string' ? value : JSON.stringify(value) ?? '');
  }
}

/** Spans that are errors, in tree order. */
export function errorSpans(index: TraceIndex): Int32Array {
  const out: number[] = [];
  for (let pos = 0; pos < index.count; pos++) {
    const i = index.preorder[pos];
    if (index.isError[i]) out.push(i);
  }
  return Int32Array.from(out);
}

/** Index of the first of `matches` (in tree order) at or after tree position `pos`; `matches.length` if none. */
function firstMatchAtOrAfter(index: TraceIndex, matches: Int32Array, pos: number): number {
  let lo = 0;
  let hi = matches.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (index.preorderPos[matches[mid]] < pos) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * The next (or previous) span of `matches` (tree order) after `current`,
 * wrapping around; the first (or last) match when there is no current span.
 * Returns -1 when there are no matches.
 */
export function stepMatch(index: TraceIndex, matches: Int32Array, current: number, direction: 1 | -1): number {
  if (matches.length === 0) return -1;
  if (current < 0) return direction === 1 ? matches[0] : matches[matches.length - 1];
  const lo = firstMatchAtOrAfter(index, matches, index.preorderPos[current]);
  if (direction === 1) {
    const k = lo < matches.length && matches[lo] === current ? lo + 1 : lo;
    return matches[k % matches.length];
  }
  return matches[(lo - 1 + matches.length) % matches.length];
}

/** Position (0-based) of `span` among `matches`, or -1. */
export function matchPosition(index: TraceIndex, matches: Int32Array, span: number): number {
  if (span < 0) return -1;
  const lo = firstMatchAtOrAfter(index, matches, index.preorderPos[span]);
  return lo < matches.length && matches[lo] === span ? lo : -1;
}
