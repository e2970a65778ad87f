/**
 * The waterfall's data structures, built once per trace detail: spans by
 * index, parent and children (compressed arrays), pre-order, depth, subtree
 * sizes, relative times and the critical path, from either wire form (the
 * JSON detail or the lean binary form). The tree is the server's: roots,
 * orphans and loop breakers come decided in the answer. Everything is a typed array so
 * a 100,000-span trace indexes in a few tens of milliseconds and the visible
 * rows can be re-flattened on every expand/collapse. Pure, DOM-free.
 */

import type { LeanTrace } from '../../src/core/leanTrace';
import type { DisplayKind } from '../../src/core/model';
import type { SpanJson, TraceDetailJson } from '../../src/protocol/api';

/** What rows show of each span, by position: the same from either wire form. */
export type SpanColumns = Omit<LeanTrace, 'head' | 'statusMessage'> & {
  /** Read when a row shows it, so a malformed span fails the part that shows it, not the whole trace. */
  statusMessage(span: number): string;
};

/**
 * Indexed form of one trace. Span indices are positions in the wire form's
 * order: start order for the JSON form, tree order for the lean form.
 */
export interface TraceIndex {
  traceId: string;
  /**
   * Every span's details when the trace came as JSON (all of it); null when
   * it came in the lean form, whose details are fetched span by span.
   */
  details: SpanJson[] | null;
  count: number;
  spanId: string[];
  name: string[];
  service: (string | null)[];
  model: (string | null)[];
  /** The span's status message (read when shown: a malformed span fails the part that shows it). */
  statusMessage(span: number): string;
  displayKind: DisplayKind[];
  /** Span id → index (built on first use: opening a trace does not need it). */
  readonly byId: Map<string, number>;
  /** Parent index, or -1 for roots (including orphans and loop breakers: the server's tree). */
  parent: Int32Array;
  /** Children of span `i` are `childList[childStart[i] .. childStart[i + 1])`, by start time. */
  childStart: Int32Array;
  childList: Int32Array;
  /** Root indices by start time. */
  roots: Int32Array;
  depth: Int32Array;
  /** Pre-order position → span index (roots in order, children by start time). */
  preorder: Int32Array;
  /** Span index → pre-order position. */
  preorderPos: Int32Array;
  /** Spans in the subtree of `i`, itself included. */
  subtreeSize: Int32Array;
  maxDepth: number;
  /** Earliest start, epoch ms: the axis origin. */
  originMs: number;
  /** Latest end minus origin, ms (at least a tiny positive number). */
  totalMs: number;
  /** Start of span `i` relative to the origin, ms. */
  startMs: Float64Array;
  /** End of span `i` relative to the origin, ms. */
  endMs: Float64Array;
  /** 1 where the span is an error. */
  isError: Uint8Array;
  /** 1 where the span is on the critical path of its root. */
  critical: Uint8Array;
  /**
   * Critical segments: the parts of a critical span's own time that the path
   * runs through (not covered by a critical child), as `[start, end]` pairs
   * relative to the origin. Those of span `i` are
   * `criticalValues[criticalOffset[i] .. criticalOffset[i] + criticalLength[i])`,
   * latest pair first. Flat arrays, so 100,000 critical spans cost no objects.
   */
  criticalOffset: Int32Array;
  criticalLength: Int32Array;
  criticalValues: Float64Array;
  errorCount: number;
}

/** Builds the index of a trace detail (the JSON form), on the server's tree: a span flagged `orphan` is a root. */
export function buildTraceIndex(detail: TraceDetailJson): TraceIndex {
  const spans = sortedByStart(detail.spans);
  const count = spans.length;
  const byId = firstPositions(spans.map((span) => span.spanId));
  const parent = new Int32Array(count).fill(-1);
  const orphan = new Uint8Array(count);
  let originMs = count > 0 ? Infinity : 0;
  for (let i = 0; i < count; i++) {
    const span = spans[i];
    if (span.startTimeMs < originMs) originMs = span.startTimeMs;
    if (!span.parentSpanId) continue;
    const p = span.orphan ? undefined : byId.get(span.parentSpanId);
    if (p === undefined || p === i) orphan[i] = 1;
    else parent[i] = p;
  }
  const columns: SpanColumns = {
    count,
    originMs,
    parent,
    orphan,
    startMs: Float64Array.from(spans, (span) => span.startTimeMs - originMs),
    durationMs: Float64Array.from(spans, (span) => span.durationMs),
    isError: Uint8Array.from(spans, (span) => (span.isError ? 1 : 0)),
    displayKind: spans.map((span) => span.displayKind),
    spanId: spans.map((span) => span.spanId),
    name: spans.map((span) => span.name),
    service: spans.map((span) => span.service),
    model: spans.map((span) => span.model),
    statusMessage: (i) => spans[i].status.message,
  };
  const tree = childrenOf(parent);
  return indexColumns(detail.traceId, columns, spans, () => byId, tree, walkPreorder(parent, tree));
}

/** Builds the index of a trace's lean form (spans in tree order already); its spans' details are fetched on demand. */
export function leanTraceIndex(traceId: string, lean: LeanTrace): TraceIndex {
  const identity = new Int32Array(lean.count);
  for (let i = 0; i < lean.count; i++) identity[i] = i;
  const columns: SpanColumns = { ...lean, statusMessage: (i) => lean.statusMessage[i] };
  return indexColumns(traceId, columns, null, () => firstPositions(lean.spanId), childrenOf(lean.parent), identity);
}

/** Span id → position; a duplicate span id keeps its first occurrence as the parent target. */
function firstPositions(ids: string[]): Map<string, number> {
  const byId = new Map<string, number>();
  for (let i = 0; i < ids.length; i++) if (!byId.has(ids[i])) byId.set(ids[i], i);
  return byId;
}

/** Children lists (compressed, each in position order) and roots, from the parent column. */
interface Children {
  childStart: Int32Array;
  childList: Int32Array;
  roots: Int32Array;
}

function childrenOf(parent: Int32Array): Children {
  const count = parent.length;
  const childStart = new Int32Array(count + 1);
  for (let i = 0; i < count; i++) if (parent[i] >= 0) childStart[parent[i] + 1]++;
  for (let i = 0; i < count; i++) childStart[i + 1] += childStart[i];
  const childList = new Int32Array(Math.max(0, childStart[count]));
  const fill = childStart.slice(0, count);
  let rootCount = 0;
  for (let i = 0; i < count; i++) {
    const p = parent[i];
    if (p >= 0) childList[fill[p]++] = i;
    else rootCount++;
  }
  const roots = new Int32Array(rootCount);
  for (let i = 0, r = 0; i < count; i++) if (parent[i] < 0) roots[r++] = i;
  return { childStart, childList, roots };
}

/** Pre-order position → span; throws when some span hangs off a loop of parents (the server breaks every loop). */
function walkPreorder(parent: Int32Array, { childStart, childList, roots }: Children): Int32Array {
  const count = parent.length;
  const preorder = new Int32Array(count);
  const stack = new Int32Array(count);
  let top = 0;
  let pos = 0;
  for (let r = roots.length - 1; r >= 0; r--) stack[top++] = roots[r];
  while (top > 0) {
    const node = stack[--top];
    preorder[pos++] = node;
    for (let c = childStart[node + 1] - 1; c >= childStart[node]; c--) stack[top++] = childList[c];
  }
  if (pos !== count) throw new Error(`the trace's answer is inconsistent: ${count - pos} of its spans hang off a loop of parents`);
  return preorder;
}

function indexColumns(traceId: string, columns: SpanColumns, details: SpanJson[] | null, positions: () => Map<string, number>, tree: Children, preorder: Int32Array): TraceIndex {
  let byId: Map<string, number> | undefined;
  const { count, parent } = columns;
  const { childStart, childList, roots } = tree;
  const preorderPos = new Int32Array(count);
  const depth = new Int32Array(count);
  let maxDepth = 0;
  for (let pos = 0; pos < count; pos++) {
    const node = preorder[pos];
    preorderPos[node] = pos;
    const p = parent[node];
    const d = p < 0 ? 0 : depth[p] + 1;
    depth[node] = d;
    if (d > maxDepth) maxDepth = d;
  }

  const subtreeSize = new Int32Array(count).fill(1);
  for (let k = count - 1; k >= 0; k--) {
    const node = preorder[k];
    const p = parent[node];
    if (p >= 0) subtreeSize[p] += subtreeSize[node];
  }

  const { startMs, durationMs, isError } = columns;
  const endMs = new Float64Array(count);
  let lastMs = 0;
  let errorCount = 0;
  for (let i = 0; i < count; i++) {
    endMs[i] = startMs[i] + Math.max(0, durationMs[i]);
    if (endMs[i] > lastMs) lastMs = endMs[i];
    errorCount += isError[i];
  }

  const index: TraceIndex = {
    traceId,
    details,
    count,
    spanId: columns.spanId,
    name: columns.name,
    service: columns.service,
    model: columns.model,
    statusMessage: columns.statusMessage,
    displayKind: columns.displayKind,
    get byId() {
      return (byId ??= positions());
    },
    parent,
    childStart,
    childList,
    roots,
    depth,
    preorder,
    preorderPos,
    subtreeSize,
    maxDepth,
    originMs: columns.originMs,
    totalMs: Math.max(lastMs, 1e-6),
    startMs,
    endMs,
    isError,
    critical: new Uint8Array(count),
    criticalOffset: new Int32Array(count),
    criticalLength: new Int32Array(count),
    criticalValues: new Float64Array(0),
    errorCount,
  };
  const values: number[] = [];
  for (let r = 0; r < roots.length; r++) markCriticalPath(index, roots[r], values);
  index.criticalValues = Float64Array.from(values);
  return index;
}

/** Spans by start time; the API already sends them so, which makes this a cheap check. */
function sortedByStart(spans: SpanJson[]): SpanJson[] {
  for (let i = 1; i < spans.length; i++) {
    if (spans[i].startTimeMs < spans[i - 1].startTimeMs) {
      return spans.map((span, i) => ({ span, i })).sort((a, b) => a.span.startTimeMs - b.span.startTimeMs || a.i - b.i).map((e) => e.span);
    }
  }
  return spans;
}

/**
 * Marks the critical path under `root`: walking back from the span's end, the
 * child that finished last before the cursor is on the path, then the cursor
 * jumps to that child's start; the span's own time between chosen children is
 * on the path too. Iterative, so deep chains do not overflow the stack, and
 * allocation-free for the usual case of children that end in start order.
 */
function markCriticalPath(index: TraceIndex, root: number, values: number[]): void {
  const { childStart, childList, startMs, endMs, critical, criticalOffset, criticalLength } = index;
  const workNode: number[] = [root];
  const workClamp: number[] = [endMs[root]];
  let byEnd: number[] = [];
  while (workNode.length > 0) {
    const node = workNode.pop()!;
    const clampEnd = workClamp.pop()!;
    critical[node] = 1;
    const from = childStart[node];
    const to = childStart[node + 1];
    // Children come by start time; when their ends rise in the same order, walking them backwards is "latest end first".
    let ordered = true;
    for (let c = from + 1; c < to && ordered; c++) if (endMs[childList[c]] < endMs[childList[c - 1]]) ordered = false;
    if (!ordered) byEnd = Array.from(childList.subarray(from, to)).sort((a, b) => endMs[b] - endMs[a]);
    const own = startMs[node];
    let cursor = Math.min(endMs[node], clampEnd);
    criticalOffset[node] = values.length;
    for (let k = 0, n = to - from; k < n; k++) {
      if (cursor <= own) break;
      const child = ordered ? childList[to - 1 - k] : byEnd[k];
      if (startMs[child] >= cursor) continue;
      const childEnd = Math.min(endMs[child], cursor);
      if (childEnd < cursor) values.push(childEnd, cursor);
      workNode.push(child);
      workClamp.push(childEnd);
      cursor = Math.max(startMs[child], own);
    }
    if (cursor > own) values.push(own, cursor);
    criticalLength[node] = values.length - criticalOffset[node];
  }
}

/** The critical segments of span `i` as ascending `[start, end, …]` pairs (empty when it has none). */
export function criticalSegments(index: TraceIndex, i: number): number[] {
  const out: number[] = [];
  const offset = index.criticalOffset[i];
  for (let k = offset + index.criticalLength[i] - 2; k >= offset; k -= 2) out.push(index.criticalValues[k], index.criticalValues[k + 1]);
  return out;
}

// ---------------------------------------------------------------------------
// Visible rows
// ---------------------------------------------------------------------------

/** The flattened visible rows of a trace under an expansion state. */
export interface VisibleRows {
  /** Row → span index. Only `length` entries are meaningful. */
  rows: Int32Array;
  length: number;
  /** Span index → row, or -1 when hidden under a collapsed ancestor. */
  rowOf: Int32Array;
}

/** Expansion state: 1 where a span shows its children. Starts fully expanded. */
export function allExpanded(index: TraceIndex): Uint8Array {
  return new Uint8Array(index.count).fill(1);
}

/**
 * Flattens the visible rows: a walk along the pre-order that jumps over the
 * subtree of every collapsed span, so it costs O(visible rows).
 */
export function flattenRows(index: TraceIndex, expanded: Uint8Array, reuse?: VisibleRows): VisibleRows {
  const { count, preorder, subtreeSize } = index;
  const rows = reuse && reuse.rows.length === count ? reuse.rows : new Int32Array(count);
  const rowOf = reuse && reuse.rowOf.length === count ? reuse.rowOf : new Int32Array(count);
  rowOf.fill(-1);
  let length = 0;
  let pos = 0;
  while (pos < count) {
    const node = preorder[pos];
    rowOf[node] = length;
    rows[length++] = node;
    pos += expanded[node] ? 1 : subtreeSize[node];
  }
  return { rows, length, rowOf };
}

/** Number of children of span `i`. */
export function childCount(index: TraceIndex, i: number): number {
  return index.childStart[i + 1] - index.childStart[i];
}

/** Expands every ancestor of `i` so it becomes visible. Returns whether anything changed. */
export function revealSpan(index: TraceIndex, expanded: Uint8Array, i: number): boolean {
  let changed = false;
  for (let p = index.parent[i]; p >= 0; p = index.parent[p]) {
    if (!expanded[p]) {
      expanded[p] = 1;
      changed = true;
    }
  }
  return changed;
}

/** Sets the expansion of `i` and, when `deep`, of its whole subtree. */
export function setExpanded(index: TraceIndex, expanded: Uint8Array, i: number, value: boolean, deep = false): void {
  if (!deep) {
    expanded[i] = value ? 1 : 0;
    return;
  }
  const from = index.preorderPos[i];
  for (let pos = from, end = from + index.subtreeSize[i]; pos < end; pos++) expanded[index.preorder[pos]] = value ? 1 : 0;
}

/**
 * Expansion state that shows the spans down to `maxDepth` (roots are depth 0)
 * and keeps the rest collapsed.
 */
export function expandedToDepth(index: TraceIndex, maxDepth: number): Uint8Array {
  const expanded = new Uint8Array(index.count);
  for (let i = 0; i < index.count; i++) expanded[i] = index.depth[i] < maxDepth ? 1 : 0;
  return expanded;
}

/** Carries expansion over to a re-indexed trace (live updates) by span id; new spans start expanded. */
export function carryExpansion(previous: TraceIndex, previousExpanded: Uint8Array, next: TraceIndex): Uint8Array {
  const expanded = allExpanded(next);
  for (let i = 0; i < previous.count; i++) {
    if (previousExpanded[i]) continue;
    const j = next.byId.get(previous.spanId[i]);
    if (j !== undefined) expanded[j] = 0;
  }
  return expanded;
}
