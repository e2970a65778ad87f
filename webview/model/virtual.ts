/**
 * Fixed-row-height virtual scrolling with a scaled scroller. Browsers cap an
 * element's height (Chromium near 33.5 million px, Firefox lower), so a list
 * taller than {@link MAX_SCROLL_HEIGHT} gets a shorter scroll area and the
 * scroll position is mapped proportionally onto the real rows. Pure, DOM-free.
 */

/** Tallest scroll area we ask the browser for, px: far below every engine's cap. */
export const MAX_SCROLL_HEIGHT = 8_000_000;

/** What to draw for one scroll position. */
export interface VirtualWindow {
  /** First row to render (overscan included). */
  first: number;
  /** One past the last row to render. */
  end: number;
  /** Top of row `first` in scroll-content coordinates, px. */
  offsetTop: number;
  /** Height of the scroll content, px (capped). */
  contentHeight: number;
}

/** Height of the scroll content for `rowCount` rows. */
export function contentHeight(rowCount: number, rowHeight: number, maxHeight = MAX_SCROLL_HEIGHT): number {
  return Math.min(rowCount * rowHeight, maxHeight);
}

/** The real list's height, the (capped) scroll content's, and how far each scrolls. */
function scrollExtents(viewportHeight: number, rowCount: number, rowHeight: number, maxHeight: number) {
  const real = rowCount * rowHeight;
  const content = Math.min(real, maxHeight);
  return { real, content, maxContent: Math.max(0, content - viewportHeight), maxReal: Math.max(0, real - viewportHeight) };
}

/** Maps a scroll position onto the real (unscaled) list's scroll position. */
export function virtualScrollTop(scrollTop: number, viewportHeight: number, rowCount: number, rowHeight: number, maxHeight = MAX_SCROLL_HEIGHT): number {
  const { real, content, maxContent, maxReal } = scrollExtents(viewportHeight, rowCount, rowHeight, maxHeight);
  if (maxContent <= 0) return 0;
  const clamped = Math.min(Math.max(scrollTop, 0), maxContent);
  return real === content ? clamped : (clamped / maxContent) * maxReal;
}

/** The rows to render at a scroll position, with `overscan` extra rows on each side. */
export function virtualWindow(
  scrollTop: number,
  viewportHeight: number,
  rowCount: number,
  rowHeight: number,
  overscan: number,
  maxHeight = MAX_SCROLL_HEIGHT,
): VirtualWindow {
  const height = contentHeight(rowCount, rowHeight, maxHeight);
  if (rowCount === 0) return { first: 0, end: 0, offsetTop: 0, contentHeight: 0 };
  const top = virtualScrollTop(scrollTop, viewportHeight, rowCount, rowHeight, maxHeight);
  const first = Math.max(0, Math.floor(top / rowHeight) - overscan);
  const end = Math.min(rowCount, Math.ceil((top + Math.max(viewportHeight, 0)) / rowHeight) + overscan);
  // Rows are drawn at their real offset from the viewport's virtual top, anchored to the actual scrollTop.
  const clampedScroll = Math.min(Math.max(scrollTop, 0), Math.max(0, height - viewportHeight));
  return { first, end, offsetTop: clampedScroll + first * rowHeight - top, contentHeight: height };
}

/**
 * The scroll position that shows `row` with the least movement from
 * `scrollTop`, or `scrollTop` itself when the row is already fully visible.
 */
export function scrollTopToReveal(
  row: number,
  scrollTop: number,
  viewportHeight: number,
  rowCount: number,
  rowHeight: number,
  maxHeight = MAX_SCROLL_HEIGHT,
): number {
  const top = virtualScrollTop(scrollTop, viewportHeight, rowCount, rowHeight, maxHeight);
  const rowTop = row * rowHeight;
  let target = top;
  if (rowTop < top) target = rowTop;
  else if (rowTop + rowHeight > top + viewportHeight) target = rowTop + rowHeight - viewportHeight;
  else return scrollTop;
  return scrollTopForVirtualTop(target, viewportHeight, rowCount, rowHeight, maxHeight);
}

/**
 * The scroll position at which the real (unscaled) list shows `realTop` at the
 * top of the viewport, clamped to the list: the inverse of {@link virtualScrollTop}.
 */
export function scrollTopForVirtualTop(realTop: number, viewportHeight: number, rowCount: number, rowHeight: number, maxHeight = MAX_SCROLL_HEIGHT): number {
  const { real, content, maxContent, maxReal } = scrollExtents(viewportHeight, rowCount, rowHeight, maxHeight);
  if (maxReal <= 0) return 0;
  const clamped = Math.min(Math.max(realTop, 0), maxReal);
  return real === content ? clamped : (clamped / maxReal) * maxContent;
}

/** The keys that move a list's current row. */
export type NavigationKey = 'ArrowDown' | 'ArrowUp' | 'PageDown' | 'PageUp' | 'Home' | 'End';

/** Rows one PageUp/PageDown moves: a viewport's worth, less one row that stays in view for context. */
export function pageRows(viewportHeight: number, rowHeight: number): number {
  return Math.max(1, Math.floor(viewportHeight / rowHeight) - 1);
}

/**
 * The row a navigation key moves to from `current`, clamped to the list (so
 * from -1, no current row, ArrowDown and ArrowUp both go to the first row);
 * null when `key` is no navigation key or the list is empty.
 */
export function navigationTarget(key: string, current: number, rowCount: number, page: number): number | null {
  if (rowCount === 0) return null;
  let target: number;
  switch (key as NavigationKey) {
    case 'ArrowDown':
      target = current + 1;
      break;
    case 'ArrowUp':
      target = current - 1;
      break;
    case 'PageDown':
      target = current + page;
      break;
    case 'PageUp':
      target = current - page;
      break;
    case 'Home':
      target = 0;
      break;
    case 'End':
      target = rowCount - 1;
      break;
    default:
      return null;
  }
  return Math.max(0, Math.min(rowCount - 1, target));
}
