/**
 * The waterfall's tree state: which spans are expanded and the visible rows
 * that follow from it, kept across live refreshes of the same trace.
 */

import { useRef, useState } from 'preact/hooks';
import { allExpanded, carryExpansion, flattenRows, revealSpan, setExpanded, type TraceIndex, type VisibleRows } from '../../model/traceIndex';

/** Expansion and visible rows of one trace index; mutated in place, re-rendered by a version bump. */
interface RowModel {
  index: TraceIndex;
  expanded: Uint8Array;
  rows: VisibleRows;
}

/** The visible rows of a trace and the operations that fold and unfold them. */
export interface SpanTree {
  rows: VisibleRows;
  /** 1 at each expanded span. */
  expanded: Uint8Array;
  /** Expands or collapses `span`; `deep` does its whole subtree alike. */
  toggle(span: number, deep: boolean): void;
  /** Expands or collapses every span; returns the rows that leaves. */
  setAll(expand: boolean): VisibleRows;
  /** Expands the ancestors of `span` when it is hidden; returns the rows it is on. */
  reveal(span: number): VisibleRows;
}

export function useSpanTree(index: TraceIndex): SpanTree {
  const model = useRef<RowModel | null>(null);
  if (!model.current || model.current.index !== index) model.current = rowModel(index, model.current);
  const state = model.current;
  const [, setVersion] = useState(0);

  /** Re-flattens after an expansion change and re-renders. */
  function reflatten(): VisibleRows {
    state.rows = flattenRows(index, state.expanded, state.rows);
    setVersion((v) => v + 1);
    return state.rows;
  }

  return {
    rows: state.rows,
    expanded: state.expanded,
    toggle(span, deep) {
      setExpanded(index, state.expanded, span, !state.expanded[span], deep);
      reflatten();
    },
    setAll(expand) {
      state.expanded.fill(expand ? 1 : 0);
      return reflatten();
    },
    reveal(span) {
      return state.rows.rowOf[span] < 0 && revealSpan(index, state.expanded, span) ? reflatten() : state.rows;
    },
  };
}

/** The model of a new index, carrying the expansion over by span id when it is the same trace re-fetched. */
function rowModel(index: TraceIndex, previous: RowModel | null): RowModel {
  const expanded = previous && previous.index.traceId === index.traceId ? carryExpansion(previous.index, previous.expanded, index) : allExpanded(index);
  return { index, expanded, rows: flattenRows(index, expanded) };
}

/** `span` when it has a row, else its nearest ancestor that has one, else -1. */
export function nearestVisible(index: TraceIndex, rows: VisibleRows, span: number): number {
  let p = span;
  while (p >= 0 && rows.rowOf[p] < 0) p = index.parent[p];
  return p;
}
