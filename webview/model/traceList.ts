/**
 * The trace list as fixed-height rows for the virtual scroller: group headers
 * and traces flattened into one array, the anchor that keeps a row in place
 * while traces arrive above it, and the merge of a partial refresh into the
 * list. Pure, DOM-free.
 */

import type { TraceSummaryJson } from '../../src/protocol/api';
import { compareNewestFirst, type TraceGroup, type TraceGrouping } from './traceFilter';

/** Where a row stands among its siblings, for assistive technology (most rows are not in the DOM). */
interface RowPosition {
  /** 1-based position among its siblings (groups, or the traces of its group or list). */
  position: number;
  /** Number of those siblings. */
  setSize: number;
}

/** One row of the list: a group header or a trace. */
export type TraceListRow =
  | (RowPosition & {
      kind: 'group';
      /** Stable identity of the row ({@link groupRowKey}). */
      key: string;
      group: TraceGroup;
      collapsed: boolean;
    })
  | (RowPosition & {
      kind: 'trace';
      /** The trace id. */
      key: string;
      trace: TraceSummaryJson;
      /** Inside a group (indented). */
      grouped: boolean;
    });

/**
 * The key of a group's header row and of its collapsed state. Trace ids are
 * hex, so the prefix keeps group keys apart from trace keys; the group of
 * traces without an identifier gets its own key.
 */
export function groupRowKey(group: TraceGroup): string {
  return group.key === null ? 'group:none' : `group:=${group.key}`;
}

/** Flattens groups into rows; a collapsed group keeps its header and hides its traces. */
export function traceListRows(groups: TraceGroup[], grouping: TraceGrouping, collapsed: ReadonlySet<string>): TraceListRow[] {
  const rows: TraceListRow[] = [];
  const pushTraces = (traces: TraceSummaryJson[], grouped: boolean) => {
    for (let i = 0; i < traces.length; i++) rows.push({ kind: 'trace', key: traces[i].traceId, trace: traces[i], grouped, position: i + 1, setSize: traces.length });
  };
  if (grouping === 'none') {
    for (const group of groups) pushTraces(group.traces, false);
    return rows;
  }
  groups.forEach((group, i) => {
    const key = groupRowKey(group);
    const isCollapsed = collapsed.has(key);
    rows.push({ kind: 'group', key, group, collapsed: isCollapsed, position: i + 1, setSize: groups.length });
    if (!isCollapsed) pushTraces(group.traces, true);
  });
  return rows;
}

/** Index of the row with `key`, or -1. */
export function rowIndexOf(rows: readonly TraceListRow[], key: string | null): number {
  if (key === null) return -1;
  for (let i = 0; i < rows.length; i++) if (rows[i].key === key) return i;
  return -1;
}

/** A row held at the same place in the viewport while rows come and go above it. */
export interface ScrollAnchor {
  key: string;
  /** Row top minus viewport top, px (negative when the row is partly scrolled out above). */
  offset: number;
}

/**
 * The rows to hold in place across a change of the rows, best first, from
 * the rows as they are on screen: the preferred row (the selected trace) when
 * it is in view, then the first row in view (in case the preferred one
 * leaves the list). None at the very top with the preferred row out of view:
 * there the list follows the newest traces.
 *
 * @param top viewport top in real (unscaled) list coordinates, px
 */
export function chooseAnchors(rows: readonly TraceListRow[], top: number, viewportHeight: number, rowHeight: number, preferredKey: string | null): ScrollAnchor[] {
  const anchors: ScrollAnchor[] = [];
  if (rows.length === 0) return anchors;
  const preferred = rowIndexOf(rows, preferredKey);
  if (preferred >= 0) {
    const rowTop = preferred * rowHeight;
    if (rowTop + rowHeight > top && rowTop < top + viewportHeight) anchors.push({ key: rows[preferred].key, offset: rowTop - top });
  }
  if (top > 0) {
    const first = Math.min(rows.length - 1, Math.floor(top / rowHeight));
    anchors.push({ key: rows[first].key, offset: first * rowHeight - top });
  }
  return anchors;
}

/** The viewport top (real list coordinates, px) that puts the first anchor still listed back where it was; null when none is. */
export function anchoredTop(rows: readonly TraceListRow[], anchors: readonly ScrollAnchor[], rowHeight: number): number | null {
  for (const anchor of anchors) {
    const row = rowIndexOf(rows, anchor.key);
    if (row >= 0) return Math.max(0, row * rowHeight - anchor.offset);
  }
  return null;
}

/**
 * Applies a partial refresh to a list in list order ({@link compareNewestFirst}):
 * the traces `asked` for are replaced by those `answered` (an asked trace not
 * answered no longer matches or no longer exists). Linear in the list's size.
 */
export function mergeTraceUpdates(current: readonly TraceSummaryJson[], asked: Iterable<string>, answered: readonly TraceSummaryJson[]): TraceSummaryJson[] {
  const replaced = new Set(asked);
  for (const trace of answered) replaced.add(trace.traceId);
  const kept = current.filter((trace) => !replaced.has(trace.traceId));
  const incoming = [...answered].sort(compareNewestFirst);
  const merged: TraceSummaryJson[] = [];
  let i = 0;
  let j = 0;
  while (i < kept.length && j < incoming.length) merged.push(compareNewestFirst(kept[i], incoming[j]) <= 0 ? kept[i++] : incoming[j++]);
  while (i < kept.length) merged.push(kept[i++]);
  while (j < incoming.length) merged.push(incoming[j++]);
  return merged;
}
