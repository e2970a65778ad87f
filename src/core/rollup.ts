/**
 * Each LLM call's tokens and cost counted once per trace. One call is often
 * traced twice, both spans carrying its usage: the Anthropic SDK's own span
 * under Traceloop's, the Vercel AI SDK's `ai.generateText` over its
 * `doGenerate` steps, LangChain's span beside the OpenAI client's. The
 * innermost span that carries usage wins. A span is not counted when
 *   - a descendant carries usage, or
 *   - it wraps a sibling that reports the same call: a span with the same
 *     parent (or both roots), the same model (but for a snapshot date one of
 *     them leaves out) and the same input and output tokens, whose time lies
 *     within its own (see {@link wraps}). Traceloop's LangChain span is such a
 *     wrapper: its callback handler never makes its span active, so the
 *     client span it encloses becomes its sibling.
 * Two identical calls one after the other do not overlap, so both count.
 *
 * Kept incrementally, whatever order spans arrive in: per span id (arrived or
 * still awaited) the number of usage-carrying spans below it, and per span the
 * number of same-call siblings it wraps, found through an index of the spans
 * that report a call, by parent and call, in start order. A span's arrival or
 * removal walks its ancestors, and those of its same-call siblings that start
 * between its end less the longest of their durations and its own end:
 * O(depth + siblings near it in time), never O(trace).
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
  // The maps below are made when first needed: most traces have no same-call siblings, many no LLM call.
  /** Same-call index: bucket (a hash of parent, model and tokens) → the arrived spans in it that report a call's usage. */
  sameCall: Map<number, Span | SameCallGroup> | undefined;
  /** Span id → same-call siblings it wraps (all carry tokens). Absent means none. */
  tokensBeside: Map<string, number> | undefined;
  /** Span id → same-call siblings it wraps that carry a cost. */
  costBeside: Map<string, number> | undefined;
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
  return { tokensBelow: new Map(), costBelow: new Map(), loopCuts: new Set(), sameCall: undefined, tokensBeside: undefined, costBeside: undefined };
}

/** One quantity rolled up: tokens or cost. */
interface Measure {
  /** Span id → carriers below it. */
  below(rollup: UsageRollup): Map<string, number>;
  /** Span id → same-call siblings it wraps that carry the quantity, if made. */
  beside(rollup: UsageRollup): Map<string, number> | undefined;
  /** The same, made if need be. */
  besideMade(rollup: UsageRollup): Map<string, number>;
  /** A span carries the quantity when it reports a non-zero amount (zero adds nothing, so it never hides an ancestor's). */
  carries(span: Span): boolean;
  /** Adds `sign` × the span's amount to the trace totals. */
  count(trace: RollupTrace, span: Span, sign: number): void;
}

const TOKENS: Measure = {
  below: (rollup) => rollup.tokensBelow,
  beside: (rollup) => rollup.tokensBeside,
  besideMade: (rollup) => (rollup.tokensBeside ??= new Map()),
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
  beside: (rollup) => rollup.costBeside,
  besideMade: (rollup) => (rollup.costBeside ??= new Map()),
  carries: (span) => !!span.derived.cost,
  count(trace, span, sign) {
    trace.cost += sign * span.derived.cost!;
  },
};

const MEASURES = [TOKENS, COST];

/** True when the trace counts another span's amount of `measure` instead of `span`'s. */
function countedElsewhere(rollup: UsageRollup, measure: Measure, spanId: string): boolean {
  return measure.below(rollup).has(spanId) || measure.beside(rollup)?.has(spanId) === true;
}

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
      // Taking the cut span's link out: its carriers and itself no longer count above it, and it becomes a root among roots.
      if (cut !== span) bytes += propagate(trace, cut, -1, span.spanId) + leaveSameCall(trace, cut);
      cuts.add(cut.spanId);
      if (cut !== span) bytes += joinSameCall(trace, cut);
    }
    countOwn(trace, span, 1);
    bytes += joinSameCall(trace, span) + propagate(trace, span, 1, span.spanId);
  } else {
    const top = hasChildren && cuts.size > 0 ? loopCutAbove(trace, span) : undefined;
    bytes += leaveSameCall(trace, span);
    countOwn(trace, span, -1);
    bytes += propagate(trace, span, -1, span.spanId);
    cuts.delete(span.spanId);
    // Without this span the loop cut at `top` may be gone: then `top` links to its parent again.
    if (top !== undefined && loopThrough(trace, top, span.spanId) === undefined) {
      bytes += leaveSameCall(trace, top);
      cuts.delete(top.spanId);
      bytes += joinSameCall(trace, top) + propagate(trace, top, 1, span.spanId);
    }
  }
  return bytes;
}

/** Counts or uncounts the span's own amounts where no other span's are counted instead. */
function countOwn(trace: RollupTrace, span: Span, sign: 1 | -1): void {
  for (const measure of MEASURES) {
    if (measure.carries(span) && !countedElsewhere(trace.rollup, measure, span.spanId)) measure.count(trace, span, sign);
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
    if ((before === 0) !== (after === 0) && measure.carries(ancestor) && measure.beside(trace.rollup)?.has(id) !== true) measure.count(trace, ancestor, before === 0 ? -1 : 1);
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

/** A model name's trailing snapshot date: OpenAI's `-2024-07-18`, Anthropic's `-20250929`. */
const SNAPSHOT_DATE = /-(?:\d{4}-\d{2}-\d{2}|\d{8})$/;

/**
 * Length of the model name without its snapshot date: a framework's span may
 * name the model asked for (`gpt-4o-mini`), the client's span the snapshot
 * that answered (`gpt-4o-mini-2024-07-18`).
 */
function undatedLength(model: string): number {
  return SNAPSHOT_DATE.exec(model)?.index ?? model.length;
}

/** The span's parent as the roll-up follows it: none for a root or a loop cut. */
function linkedParent(rollup: UsageRollup, span: Span): string | null {
  return rollup.loopCuts.has(span.spanId) ? null : span.parentSpanId;
}

/** True when the span reports one call's usage the way {@link reportsSameCall} compares. */
function reportsCall(span: Span): boolean {
  const { model, tokens } = span.derived;
  return model !== undefined && tokens?.input !== undefined && tokens.output !== undefined && TOKENS.carries(span);
}

/**
 * True when two spans that {@link reportsCall} report the same call: the same
 * parent (or both roots), the same model (one may name it with the snapshot
 * date the other leaves out), and the same input and output tokens.
 */
function reportsSameCall(rollup: UsageRollup, a: Span, b: Span): boolean {
  const aTokens = a.derived.tokens!;
  const bTokens = b.derived.tokens!;
  if (linkedParent(rollup, a) !== linkedParent(rollup, b) || aTokens.input !== bTokens.input || aTokens.output !== bTokens.output) return false;
  const aModel = a.derived.model!;
  const bModel = b.derived.model!;
  return aModel === bModel || (aModel.length < bModel.length ? isUndated(aModel, bModel) : isUndated(bModel, aModel));
}

/** True when `alias` is `model` without its snapshot date. */
function isUndated(alias: string, model: string): boolean {
  return undatedLength(model) === alias.length && model.startsWith(alias);
}

/**
 * Index bucket of a span that {@link reportsCall}: a hash (FNV-1a) of what
 * {@link reportsSameCall} compares (the model without its snapshot date), so
 * a span is compared only with the spans of its bucket, and no key string is
 * kept per span.
 */
function sameCallBucket(rollup: UsageRollup, span: Span): number {
  const { model, tokens } = span.derived;
  let hash = 0x811c9dc5;
  const mix = (code: number) => {
    hash = Math.imul(hash ^ code, 0x01000193);
  };
  const parent = linkedParent(rollup, span) ?? '';
  for (let i = 0; i < parent.length; i++) mix(parent.charCodeAt(i));
  mix(0);
  const length = undatedLength(model!);
  for (let i = 0; i < length; i++) mix(model!.charCodeAt(i));
  mix(tokens!.input! | 0);
  mix(tokens!.output! | 0);
  return hash;
}

/**
 * The spans of one same-call bucket, in start order, and the longest duration
 * any has had while the group lived: it bounds how long before a span a
 * wrapper of it can start, so a span meets only the spans near it in time.
 */
interface SameCallGroup {
  readonly spans: Span[];
  longestNanos: bigint;
}

function durationNanos(span: Span): bigint {
  return span.endTimeUnixNano - span.startTimeUnixNano;
}

/** Index of the first span of `spans` (in start order) that starts at or after `start`. */
function firstStartingFrom(spans: readonly Span[], start: bigint): number {
  let low = 0;
  let high = spans.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (spans[middle].startTimeUnixNano < start) low = middle + 1;
    else high = middle;
  }
  return low;
}

/**
 * Adds an arrived span to the same-call index, and records which of the
 * same call's siblings it wraps or is wrapped by.
 */
function joinSameCall(trace: RollupTrace, span: Span): number {
  if (!reportsCall(span)) return 0;
  const rollup = trace.rollup;
  const bucket = sameCallBucket(rollup, span);
  const index = (rollup.sameCall ??= new Map());
  const present = index.get(bucket);
  if (present === undefined) {
    index.set(bucket, span);
    return ROLLUP_ENTRY_BYTES;
  }
  let group: SameCallGroup;
  if ('spans' in present) group = present;
  else index.set(bucket, (group = { spans: [present], longestNanos: durationNanos(present) }));
  const bytes = ROLLUP_ENTRY_BYTES + relateNearby(trace, group, span, 1);
  // After any spans with the same start: in-order arrivals append.
  let at = firstStartingFrom(group.spans, span.startTimeUnixNano);
  while (at < group.spans.length && group.spans[at].startTimeUnixNano === span.startTimeUnixNano) at++;
  group.spans.splice(at, 0, span);
  const duration = durationNanos(span);
  if (duration > group.longestNanos) group.longestNanos = duration;
  return bytes;
}

/** Takes an arrived span out of the same-call index, undoing what {@link joinSameCall} recorded. */
function leaveSameCall(trace: RollupTrace, span: Span): number {
  if (!reportsCall(span)) return 0;
  const rollup = trace.rollup;
  const bucket = sameCallBucket(rollup, span);
  const index = rollup.sameCall!;
  const present = index.get(bucket)!;
  if (!('spans' in present)) {
    index.delete(bucket);
    return -ROLLUP_ENTRY_BYTES;
  }
  const spans = present.spans;
  let at = firstStartingFrom(spans, span.startTimeUnixNano);
  while (spans[at] !== span) at++;
  spans.splice(at, 1);
  const bytes = relateNearby(trace, present, span, -1) - ROLLUP_ENTRY_BYTES;
  if (spans.length === 1) index.set(bucket, spans[0]);
  return bytes;
}

/**
 * Adds (or removes) the wrappings between `span` and the spans of its group
 * (which it is not in) that it may wrap or be wrapped by: those starting
 * from the earliest start a wrapper of it can have (its end, less the clock
 * resolution and the group's longest duration) until it ends.
 */
function relateNearby(trace: RollupTrace, group: SameCallGroup, span: Span, sign: 1 | -1): number {
  const spans = group.spans;
  let bytes = 0;
  const earliest = span.endTimeUnixNano - CLOCK_RESOLUTION_NANOS - group.longestNanos;
  for (let at = firstStartingFrom(spans, earliest < span.startTimeUnixNano ? earliest : span.startTimeUnixNano); at < spans.length; at++) {
    const other = spans[at];
    if (other.startTimeUnixNano > span.startTimeUnixNano && other.startTimeUnixNano >= span.endTimeUnixNano) break;
    bytes += relate(trace, span, other, sign);
  }
  return bytes;
}

/** Adds (or removes) the wrapping between two spans of one bucket, if they report the same call and one wraps the other. */
function relate(trace: RollupTrace, a: Span, b: Span, sign: 1 | -1): number {
  if (!reportsSameCall(trace.rollup, a, b)) return 0;
  if (wraps(a, b)) return addBeside(trace, a, b, sign);
  if (wraps(b, a)) return addBeside(trace, b, a, sign);
  return 0;
}

/**
 * Adds `sign` to what `outer` wraps of `inner`'s amounts: `outer` stops or
 * starts counting a quantity as its count of wrapped carriers leaves or
 * reaches zero (unless a descendant's is counted instead anyway).
 */
function addBeside(trace: RollupTrace, outer: Span, inner: Span, sign: 1 | -1): number {
  let bytes = 0;
  for (const measure of MEASURES) {
    if (!measure.carries(inner)) continue;
    const besideMap = measure.besideMade(trace.rollup);
    const before = besideMap.get(outer.spanId) ?? 0;
    const after = before + sign;
    if (after === 0) {
      besideMap.delete(outer.spanId);
      bytes -= ROLLUP_ENTRY_BYTES;
    } else {
      if (before === 0) bytes += ROLLUP_ENTRY_BYTES;
      besideMap.set(outer.spanId, after);
    }
    if ((before === 0) !== (after === 0) && measure.carries(outer) && !measure.below(trace.rollup).has(outer.spanId)) measure.count(trace, outer, before === 0 ? -1 : 1);
  }
  return bytes;
}

/**
 * How much later than its wrapper an inner span may be recorded ending.
 * OpenTelemetry JS takes a span's start from `Date.now()` (whole
 * milliseconds, so start order holds) and its end as that start plus the
 * exact duration: a wrapper ending just after its inner span may be recorded
 * ending up to a millisecond before it.
 */
const CLOCK_RESOLUTION_NANOS = 1_000_000n;

/**
 * True when `outer`'s time encloses `inner`'s, so `outer` is the wrapper of
 * the two: `outer` comes first (starts first; at the same start, ends last;
 * at the same times, has the lower span id), `inner` starts before `outer`
 * ends and ends no later than {@link CLOCK_RESOLUTION_NANOS} after it. As the
 * wrapper must come first, no spans wrap each other round in a circle: of one
 * call's spans, at least one is counted.
 */
function wraps(outer: Span, inner: Span): boolean {
  const outerFirst =
    outer.startTimeUnixNano !== inner.startTimeUnixNano
      ? outer.startTimeUnixNano < inner.startTimeUnixNano
      : outer.endTimeUnixNano !== inner.endTimeUnixNano
        ? outer.endTimeUnixNano > inner.endTimeUnixNano
        : outer.spanId < inner.spanId;
  return outerFirst && inner.startTimeUnixNano < outer.endTimeUnixNano && inner.endTimeUnixNano <= outer.endTimeUnixNano + CLOCK_RESOLUTION_NANOS;
}

/** Start-time order, span id breaking ties: which span of a loop is its cut. */
function startsBefore(a: Span, b: Span): boolean {
  return a.startTimeUnixNano < b.startTimeUnixNano || (a.startTimeUnixNano === b.startTimeUnixNano && a.spanId < b.spanId);
}

/** True when `span` carries tokens but the trace counts another span's for the same call: a descendant's, or a sibling's it wraps. */
export function tokensCountedElsewhere(trace: RollupTrace, span: Span): boolean {
  return TOKENS.carries(span) && countedElsewhere(trace.rollup, TOKENS, span.spanId);
}

/** True when `span` carries a cost but the trace counts another span's instead (as {@link tokensCountedElsewhere}). */
export function costCountedElsewhere(trace: RollupTrace, span: Span): boolean {
  return COST.carries(span) && countedElsewhere(trace.rollup, COST, span.spanId);
}
