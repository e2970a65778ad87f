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

/**
 * Lower-cased searchable text per span, built on first use or ahead of it in
 * steps ({@link SpanSearch.prepareStep}), so the first find at 1,000,000
 * spans only searches.
 */
export class SpanSearch {
  /** Builds what is still missing, one piece per call. */
  private readonly builders: (() => void)[];
  /** One text per span (the JSON form). */
  private haystacks: string[] = [];
  /** What the rows carry, as columns (the lean form). */
  private readonly columns: SearchColumn[] = [];

  constructor(private readonly index: TraceIndex) {
    const { details } = index;
    this.builders = details ? [() => (this.haystacks = details.map(searchText))] : rowColumnBuilders(index).map((build) => () => this.columns.push(build()));
  }

  /** Builds one more piece of the searchable text; true once all of it is built. */
  prepareStep(): boolean {
    // Dropped once built: a piece that throws (a span it cannot read) throws again at the find that needs it.
    this.builders[0]?.();
    this.builders.shift();
    return this.builders.length === 0;
  }

  /** Spans whose name, ids, status, attributes or events (when in the page) contain `text` (case-insensitive), in tree order. */
  find(text: string): Int32Array {
    const needle = text.trim().toLowerCase();
    if (needle === '') return new Int32Array(0);
    while (!this.prepareStep());
    const { preorder, count, details } = this.index;
    const out: number[] = [];
    if (details) {
      for (let pos = 0; pos < count; pos++) if (this.haystacks[preorder[pos]].includes(needle)) out.push(preorder[pos]);
      return Int32Array.from(out);
    }
    const matched = new Uint8Array(count);
    for (const column of this.columns) column.mark(needle, matched);
    for (let pos = 0; pos < count; pos++) if (matched[preorder[pos]]) out.push(preorder[pos]);
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

/** One field of every span, searchable: marks the spans whose value contains a needle. */
interface SearchColumn {
  mark(needle: string, matched: Uint8Array): void;
}

/**
 * What a lean trace's rows carry (the part of {@link searchText} the page has
 * without the details), as builders of columns made for speed at 1,000,000 spans: names
 * and ids as one lower-cased text each, searched with `indexOf`; fields with
 * few distinct values (status, kind, model, service) matched once per value.
 */
function rowColumnBuilders(index: TraceIndex): (() => SearchColumn)[] {
  const statusMessages = () => {
    const status = new Array<string>(index.count);
    for (let i = 0; i < index.count; i++) status[i] = index.statusMessage(i);
    return status;
  };
  return [
    () => joinedColumn(index.name),
    () => joinedColumn(index.spanId),
    () => valueColumn(statusMessages()),
    () => valueColumn(index.displayKind),
    () => valueColumn(index.model),
    () => valueColumn(index.service),
  ];
}

/** A column as one lower-cased text, values apart by a line break (no needle holds one: it is trimmed of them inside too). */
function joinedColumn(values: readonly string[]): SearchColumn {
  const text = values.join('\n').toLowerCase();
  // Where each value starts in the text (lower-casing keeps the length of everything a span name or id holds in practice; see below).
  const starts = new Int32Array(values.length);
  for (let i = 1; i < values.length; i++) starts[i] = starts[i - 1] + values[i - 1].length + 1;
  const exact = values.length === 0 || text.length === starts[values.length - 1] + values[values.length - 1].length;
  return {
    mark(needle, matched) {
      if (needle.includes('\n')) return;
      if (!exact) {
        // A value whose lower case is longer than itself (rare letters): value by value.
        for (let i = 0; i < values.length; i++) if (values[i].toLowerCase().includes(needle)) matched[i] = 1;
        return;
      }
      for (let at = text.indexOf(needle); at >= 0; at = text.indexOf(needle, at + 1)) {
        let lo = 0;
        let hi = starts.length - 1;
        while (lo < hi) {
          const mid = (lo + hi + 1) >> 1;
          if (starts[mid] <= at) lo = mid;
          else hi = mid - 1;
        }
        matched[lo] = 1;
      }
    },
  };
}

/** A column of few distinct values: each value lower-cased and tested once per find. */
function valueColumn(values: readonly (string | null)[]): SearchColumn {
  const distinct: string[] = [];
  const codeOf = new Map<string | null, number>();
  const codes = new Uint32Array(values.length);
  let previous: string | null | undefined;
  let previousCode = 0;
  for (let i = 0; i < values.length; i++) {
    const value = values[i];
    // Neighbouring rows mostly share a value: no lookup then.
    if (value !== previous) {
      let code = codeOf.get(value);
      if (code === undefined) {
        codeOf.set(value, (code = distinct.length));
        distinct.push(value === null ? '' : value.toLowerCase());
      }
      previous = value;
      previousCode = code;
    }
    codes[i] = previousCode;
  }
  return {
    mark(needle, matched) {
      const hits = Uint8Array.from(distinct, (value) => (value.includes(needle) ? 1 : 0));
      if (!hits.includes(1)) return;
      for (let i = 0; i < codes.length; i++) if (hits[codes[i]]) matched[i] = 1;
    },
  };
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
