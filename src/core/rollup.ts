/**
 * Each LLM call's tokens and cost counted once per trace. One call is often
 * traced twice, both spans carrying its usage: the Anthropic SDK's own span
 * under Traceloop's, LangChain's span over the OpenAI client's, the Vercel AI
 * SDK's `ai.generateText` over its `doGenerate` steps. The innermost span that
 * carries usage wins: a span whose descendants carry usage is not counted.
 *
 * Kept incrementally, whatever order spans arrive in: per span id (arrived or
 * still awaited) the number of usage-carrying spans below it. A span's arrival
 * or removal walks its ancestors once, so it costs O(depth), never O(trace).
 */

import type { Span } from './model';

/** Roll-up bookkeeping of one trace. */
export interface UsageRollup {
  /** Span id (arrived or awaited) → spans below it whose tokens count. Absent means none. */
  readonly tokensBelow: Map<string, number>;
  /** Span id → spans below it that carry a cost. */
  readonly costBelow: Map<string, number>;
  /**
   * Spans whose parent link would close a loop of parent links when they
   * arrived: the roll-up treats them as roots, so its ancestor walks always end.
   */
  readonly loopCuts: Set<string>;
}

/** What the roll-up reads and updates of a trace. */
export interface RollupTrace {
  readonly spans: ReadonlyMap<string, Span>;
  /** Children present per parent span id. */
  readonly childCounts: ReadonlyMap<string, number>;
  readonly rollup: UsageRollup;
  /** Trace totals, each call counted once. */
  readonly tokens: { input: number; output: number; total: number; cacheRead: number; cacheWrite: number; reasoning: number };
  cost: number;
}

/** Heap bytes charged per roll-up map entry (key pointer, value, hash-table slack). */
export const ROLLUP_ENTRY_BYTES = 48;

/** Empty bookkeeping for a new trace. */
export function emptyRollup(): UsageRollup {
  return { tokensBelow: new Map(), costBelow: new Map(), loopCuts: new Set() };
}

/** One quantity rolled up: tokens or cost. */
interface Measure {
  below(rollup: UsageRollup): Map<string, number>;
  /** A span carries the quantity when it reports a non-zero amount (zero adds nothing, so it never hides an ancestor's). */
  carries(span: Span): boolean;
  /** Adds `sign` × the span's amount to the trace totals. */
  count(trace: RollupTrace, span: Span, sign: number): void;
}

const TOKENS: Measure = {
  below: (rollup) => rollup.tokensBelow,
  carries(span) {
    const tokens = span.derived.tokens;
    return tokens !== undefined && !!(tokens.input || tokens.output || tokens.total || tokens.cacheRead || tokens.cacheWrite || tokens.reasoning);
  },
  count(trace, span, sign) {
    const tokens = span.derived.tokens!;
    const totals = trace.tokens;
    totals.input += sign * (tokens.input ?? 0);
    totals.output += sign * (tokens.output ?? 0);
    totals.total += sign * (tokens.total ?? 0);
    totals.cacheRead += sign * (tokens.cacheRead ?? 0);
    totals.cacheWrite += sign * (tokens.cacheWrite ?? 0);
    totals.reasoning += sign * (tokens.reasoning ?? 0);
  },
};

const COST: Measure = {
  below: (rollup) => rollup.costBelow,
  carries: (span) => !!span.derived.cost,
  count(trace, span, sign) {
    trace.cost += sign * span.derived.cost!;
  },
};

const MEASURES = [TOKENS, COST];

/**
 * Adds (`sign` 1) or removes (`sign` -1) a span's share of the roll-up. A
 * replacement removes the previous span, then adds the new one; `trace.spans`
 * may hold either under their id meanwhile. Returns the change in bytes the
 * bookkeeping holds.
 */
export function rollUp(trace: RollupTrace, span: Span, sign: 1 | -1): number {
  // A span no arrived span names as parent has nothing below it and is on no loop: only its own usage matters.
  // (Its own link to itself is not in `childCounts` yet while a replacement is accounted.)
  const hasChildren = span.parentSpanId === span.spanId || (trace.childCounts.get(span.spanId) ?? 0) > 0;
  if (!hasChildren && !TOKENS.carries(span) && !COST.carries(span)) return 0;
  const cuts = trace.rollup.loopCuts;
  let bytes = 0;
  if (sign === 1) {
    const loop = loopThrough(trace, span, span.spanId);
    if (loop !== undefined) {
      // Cut every loop at its earliest span (as the tree does), whichever span closed it.
      const cut = loop.reduce((first, member) => (startsBefore(member, first) ? member : first), span);
      // Taking the cut span's link out: its carriers and itself no longer count above it.
      if (cut !== span) bytes += propagate(trace, cut, -1, span.spanId);
      cuts.add(cut.spanId);
    }
    countOwn(trace, span, 1);
    bytes += propagate(trace, span, 1, span.spanId);
  } else {
    const top = hasChildren && cuts.size > 0 ? loopCutAbove(trace, span) : undefined;
    countOwn(trace, span, -1);
    bytes += propagate(trace, span, -1, span.spanId);
    cuts.delete(span.spanId);
    // Without this span the loop cut at `top` may be gone: then `top` links to its parent again.
    if (top !== undefined && loopThrough(trace, top, span.spanId) === undefined) {
      cuts.delete(top.spanId);
      bytes += propagate(trace, top, 1, span.spanId);
    }
  }
  return bytes;
}

/** Counts or uncounts the span's own amounts where no descendant's are counted instead. */
function countOwn(trace: RollupTrace, span: Span, sign: 1 | -1): void {
  for (const measure of MEASURES) {
    if (measure.carries(span) && !measure.below(trace.rollup).has(span.spanId)) measure.count(trace, span, sign);
  }
}

/**
 * Adds (or removes) the carriers at and below `span` to every ancestor its link
 * leads to. `absent` is an id treated as not arrived (the span being added or
 * removed, which `trace.spans` may still hold).
 */
function propagate(trace: RollupTrace, span: Span, sign: 1 | -1, absent: string): number {
  const parent = span.parentSpanId;
  if (parent === null || trace.rollup.loopCuts.has(span.spanId)) return 0;
  let bytes = 0;
  for (const measure of MEASURES) {
    const carriers = (measure.below(trace.rollup).get(span.spanId) ?? 0) + (measure.carries(span) ? 1 : 0);
    if (carriers > 0) bytes += addToAncestors(trace, measure, parent, sign * carriers, absent);
  }
  return bytes;
}

/**
 * Adds `delta` carriers below every ancestor from `first` up: each arrived
 * ancestor that carries the quantity stops or starts counting as its count
 * leaves or reaches zero. The walk ends at a root, a loop cut, or an id that has
 * not arrived (which keeps the count for when it does).
 */
function addToAncestors(trace: RollupTrace, measure: Measure, first: string, delta: number, absent: string): number {
  const belowMap = measure.below(trace.rollup);
  let bytes = 0;
  let id: string | null = first;
  // The links the roll-up follows never loop (see rollUp); the bound only backs that up.
  for (let steps = 0; id !== null && steps <= trace.spans.size; steps++) {
    const before = belowMap.get(id) ?? 0;
    const after = before + delta;
    if (after === 0) {
      belowMap.delete(id);
      bytes -= ROLLUP_ENTRY_BYTES;
    } else {
      if (before === 0) bytes += ROLLUP_ENTRY_BYTES;
      belowMap.set(id, after);
    }
    const ancestor: Span | undefined = id === absent ? undefined : trace.spans.get(id);
    if (ancestor === undefined) break;
    if ((before === 0) !== (after === 0) && measure.carries(ancestor)) measure.count(trace, ancestor, before === 0 ? -1 : 1);
    id = trace.rollup.loopCuts.has(id) ? null : ancestor.parentSpanId;
  }
  return bytes;
}

/**
 * The other spans of the loop `span`'s parent link closes, following the links
 * the roll-up uses (`absent` not arrived), or undefined when it closes none.
 * Only a span that an arrived span names as parent can close a loop, so the
 * walk is skipped for all others (every span arriving before its children).
 */
function loopThrough(trace: RollupTrace, span: Span, absent: string): Span[] | undefined {
  const parent = span.parentSpanId;
  if (parent === null) return undefined;
  if (parent === span.spanId) return [];
  if (!((trace.childCounts.get(span.spanId) ?? 0) > 0)) return undefined;
  const members: Span[] = [];
  let id: string | null = parent;
  for (let steps = 0; id !== null && steps <= trace.spans.size; steps++) {
    if (id === span.spanId) return members;
    const ancestor: Span | undefined = id === absent ? undefined : trace.spans.get(id);
    if (ancestor === undefined || trace.rollup.loopCuts.has(id)) return undefined;
    members.push(ancestor);
    id = ancestor.parentSpanId;
  }
  return undefined;
}

/** The loop cut that ends the links above `span`, if they end at one. */
function loopCutAbove(trace: RollupTrace, span: Span): Span | undefined {
  if (trace.rollup.loopCuts.has(span.spanId)) return undefined;
  let id = span.parentSpanId;
  for (let steps = 0; id !== null && id !== span.spanId && steps <= trace.spans.size; steps++) {
    const ancestor: Span | undefined = trace.spans.get(id);
    if (ancestor === undefined) return undefined;
    if (trace.rollup.loopCuts.has(id)) return ancestor;
    id = ancestor.parentSpanId;
  }
  return undefined;
}

/** Start-time order, span id breaking ties: which span of a loop is its cut. */
function startsBefore(a: Span, b: Span): boolean {
  return a.startTimeUnixNano < b.startTimeUnixNano || (a.startTimeUnixNano === b.startTimeUnixNano && a.spanId < b.spanId);
}

/** True when `span` carries tokens but the trace counts a descendant's instead. */
export function tokensCountedBelow(trace: RollupTrace, span: Span): boolean {
  return TOKENS.carries(span) && trace.rollup.tokensBelow.has(span.spanId);
}

/** True when `span` carries a cost but the trace counts a descendant's instead. */
export function costCountedBelow(trace: RollupTrace, span: Span): boolean {
  return COST.carries(span) && trace.rollup.costBelow.has(span.spanId);
}
