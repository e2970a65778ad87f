/**
 * The one virtual scroller of the UI (trace list and waterfall): fixed-height
 * rows of which only those in view (plus overscan) are in the DOM, so
 * thousands of rows cost what a screenful does. The window arithmetic is
 * the pure model in `../model/virtual`; this is its DOM side.
 */

import type { JSX, RefObject, TargetedKeyboardEvent, TargetedPointerEvent } from 'preact';
import { useLayoutEffect, useRef, useState } from 'preact/hooks';
import { scrollTopToReveal, virtualWindow } from '../model/virtual';

/** Size of the scroller's client area, px. */
export interface Viewport {
  width: number;
  height: number;
}

/**
 * The scroll state of one virtual list, held by the component that draws it
 * (so keys, selection and anchoring can read and move it).
 */
export interface VirtualScroll {
  /** The scroller element (focus target; read its live `scrollTop` and `clientHeight`). */
  ref: RefObject<HTMLDivElement | null>;
  /** Scroll position the rows are drawn for, px. */
  scrollTop: number;
  /** The scroller's measured client size. */
  viewport: Viewport;
  rowHeight: number;
  /** Scrolls to `target` (scroll-content px) and draws the rows there. */
  scrollTo(target: number): void;
  /** Scrolls the least that shows `row` of `rowCount` whole; no move when it already is. */
  reveal(row: number, rowCount: number): void;
  /** The scroller moved (the user scrolled, or `scrollTo`). */
  scrolled(scrollTop: number): void;
}

/** Scroll state for a {@link VirtualList} of `rowHeight`-px rows, measured on mount and on every resize. */
export function useVirtualScroll(rowHeight: number, initialViewport: Viewport): VirtualScroll {
  const ref = useRef<HTMLDivElement>(null);
  const [scrollTop, setScrollTop] = useState(0);
  const [viewport, setViewport] = useState(initialViewport);

  useLayoutEffect(() => {
    const element = ref.current;
    if (!element) return;
    const measure = () => {
      const { clientHeight: height, clientWidth: width } = element;
      setViewport((shown) => (shown.height === height && shown.width === width ? shown : { height, width }));
    };
    measure();
    const observer = new ResizeObserver(measure);
    observer.observe(element);
    return () => observer.disconnect();
  }, []);

  function scrollTo(target: number): void {
    const element = ref.current;
    if (!element) return;
    // Sub-pixel moves are not worth a scroll event (and the browser rounds them anyway).
    if (Math.abs(element.scrollTop - target) >= 1) element.scrollTop = target;
    setScrollTop(element.scrollTop);
  }

  function reveal(row: number, rowCount: number): void {
    const element = ref.current;
    if (!element || row < 0) return;
    scrollTo(scrollTopToReveal(row, element.scrollTop, element.clientHeight, rowCount, rowHeight));
  }

  return { ref, scrollTop, viewport, rowHeight, scrollTo, reveal, scrolled: setScrollTop };
}

/** The row assistive technology is told is current, by `aria-activedescendant` while it is drawn. */
export interface ActiveRow {
  row: number;
  /** Element id of a row; the row's element must carry it. */
  id(row: number): string;
}

export interface VirtualListProps {
  scroll: VirtualScroll;
  rowCount: number;
  /** Rows drawn above and below the viewport. */
  overscan: number;
  /** One row's element, keyed by the caller (a stable row identity, or a pool slot for reuse). */
  renderRow(row: number): JSX.Element;
  activeRow?: ActiveRow;
  /** After the scroller moved, with its scroll position. */
  onScroll?(scrollTop: number): void;
  onKeyDown?(event: TargetedKeyboardEvent<HTMLDivElement>): void;
  onPointerDown?(event: TargetedPointerEvent<HTMLDivElement>): void;
  /** Class of the scroller (its size and layout in the page). */
  class: string;
  role: 'tree' | 'listbox';
  label: string;
  testId: string;
}

/** A focusable scroller drawing the rows of its window at their place in a full-height spacer. */
export function VirtualList({ scroll, rowCount, overscan, renderRow, activeRow, onScroll, onKeyDown, onPointerDown, class: className, role, label, testId }: VirtualListProps) {
  const view = virtualWindow(scroll.scrollTop, scroll.viewport.height, rowCount, scroll.rowHeight, overscan);
  const rendered: JSX.Element[] = [];
  for (let row = view.first; row < view.end; row++) rendered.push(renderRow(row));
  const activeDrawn = activeRow !== undefined && activeRow.row >= view.first && activeRow.row < view.end;
  return (
    <div
      class={className}
      ref={scroll.ref}
      tabIndex={0}
      role={role}
      aria-label={label}
      aria-activedescendant={activeDrawn ? activeRow.id(activeRow.row) : undefined}
      onScroll={(event) => {
        const top = event.currentTarget.scrollTop;
        onScroll?.(top);
        scroll.scrolled(top);
      }}
      onKeyDown={onKeyDown}
      onPointerDown={onPointerDown}
      data-testid={testId}
    >
      <div class="vlist-spacer" style={{ height: `${view.contentHeight}px` }}>
        <div class="vlist-rows" style={{ transform: `translateY(${view.offsetTop}px)` }}>
          {rendered}
        </div>
      </div>
    </div>
  );
}
