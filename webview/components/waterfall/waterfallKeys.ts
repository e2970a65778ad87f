/**
 * The waterfall's keys, with focus on its rows: move the selection (arrows,
 * pages, Home, End), fold and unfold (Right, Left, Space; Alt: the whole
 * subtree), open the details (Enter), step through find matches (n, N) and
 * errors (e, E), zoom (z, +, -, 0, Escape).
 */

import { navigationTarget } from '../../model/virtual';
import { childCount, type TraceIndex } from '../../model/traceIndex';
import type { SpanTree } from './useSpanTree';
import type { TimeZoom } from './useTimeZoom';

/** Zoom factor of the `+` and `-` keys. */
const KEY_ZOOM_FACTOR = 0.5;

/** The key and modifiers of a keydown. */
export interface KeyPress {
  key: string;
  altKey: boolean;
  ctrlKey: boolean;
  metaKey: boolean;
}

/** What the keys act on. */
export interface WaterfallKeyTarget {
  index: TraceIndex;
  tree: SpanTree;
  zoom: TimeZoom;
  /** Selected span, or -1. */
  selected: number;
  select(span: number): void;
  /** Moves focus to the selected span's details. */
  activate(span: number): void;
  /** Rows a page key moves. */
  page: number;
  stepMatch(direction: 1 | -1): void;
  stepError(direction: 1 | -1): void;
}

/** Acts on a key press; true when the key was the waterfall's (its default action is then prevented). */
export function onWaterfallKey(press: KeyPress, target: WaterfallKeyTarget): boolean {
  const { index, tree, zoom, selected } = target;
  const { rows } = tree;
  const current = selected >= 0 ? rows.rowOf[selected] : -1;
  const row = navigationTarget(press.key, current, rows.length, target.page);
  if (row !== null) {
    target.select(rows.rows[row]);
    return true;
  }
  const parent = selected >= 0 && childCount(index, selected) > 0;
  switch (press.key) {
    case 'ArrowDown':
    case 'ArrowUp':
    case 'PageDown':
    case 'PageUp':
    case 'Home':
    case 'End':
      // No rows to move through.
      return true;
    case 'ArrowRight':
      if (parent) {
        if (!tree.expanded[selected]) tree.toggle(selected, press.altKey);
        else target.select(index.childList[index.childStart[selected]]);
      }
      return true;
    case 'ArrowLeft':
      if (selected >= 0) {
        if (parent && tree.expanded[selected]) tree.toggle(selected, press.altKey);
        else if (index.parent[selected] >= 0) target.select(index.parent[selected]);
      }
      return true;
    case ' ':
      if (parent) tree.toggle(selected, press.altKey);
      return true;
    case 'Enter':
      if (selected >= 0) target.activate(selected);
      return true;
    case 'n':
    case 'N':
      target.stepMatch(press.key === 'n' ? 1 : -1);
      return true;
    case 'e':
    case 'E':
      target.stepError(press.key === 'e' ? 1 : -1);
      return true;
    case 'z':
      if (press.ctrlKey || press.metaKey || press.altKey) return false;
      zoom.toSpan(selected);
      return true;
    case '+':
    case '=':
      zoom.byFactor(KEY_ZOOM_FACTOR);
      return true;
    case '-':
      zoom.byFactor(1 / KEY_ZOOM_FACTOR);
      return true;
    case '0':
      zoom.reset();
      return true;
    case 'Escape':
      if (!zoom.zoomed) return false;
      zoom.reset();
      return true;
    default:
      return false;
  }
}
