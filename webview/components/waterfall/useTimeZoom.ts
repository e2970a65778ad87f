/**
 * The waterfall's time zoom: the window of the trace the axis and the bars
 * show, changed by Ctrl/Cmd + wheel around the pointer, by dragging a range
 * across the axis or the bars, and by the keys and buttons.
 */

import type { RefObject, TargetedPointerEvent } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { clampWindow, fullWindow, isFullWindow, rangeWindow, spanWindow, timeAt, wheelZoomFactor, zoomAround, type TimeWindow } from '../../model/timeWindow';
import type { TraceIndex } from '../../model/traceIndex';

/** Pointer travel before a press on the time axis becomes a range drag, px. */
const DRAG_THRESHOLD_PX = 4;

/** A zoom of one trace; a different trace starts unzoomed. */
interface Zoom extends TimeWindow {
  traceId: string;
}

/** A range of the trace, ms, in the order it was dragged. */
export interface DragRange {
  fromMs: number;
  toMs: number;
}

export interface TimeZoom {
  /** The part of the trace shown. */
  window: TimeWindow;
  zoomed: boolean;
  /** The range being dragged, shown as an overlay until released. */
  dragRange: DragRange | null;
  /** The whole waterfall: Ctrl/Cmd + wheel below the axis's top zooms. */
  rootRef: RefObject<HTMLDivElement | null>;
  /** The time axis: pointer x to time. */
  axisRef: RefObject<HTMLDivElement | null>;
  reset(): void;
  toSpan(span: number): void;
  /** Zooms around the middle of the shown window; a factor below 1 zooms in. */
  byFactor(factor: number): void;
  /** A press on the time axis or the bars: past a few px of travel it drags a range to zoom to. */
  startRangeDrag(event: TargetedPointerEvent<HTMLDivElement>): void;
  /** True (once) for the click that ends a range drag, which is no row click. */
  takeDragClick(): boolean;
}

/** Zoom state of the waterfall of `index`; `focusTree` gets focus back to the rows after a reset or a drag. */
export function useTimeZoom(index: TraceIndex, focusTree: () => void): TimeZoom {
  const [zoom, setZoom] = useState<Zoom | null>(null);
  const [dragRange, setDragRange] = useState<DragRange | null>(null);
  const rootRef = useRef<HTMLDivElement>(null);
  const axisRef = useRef<HTMLDivElement>(null);
  const swallowClick = useRef(false);
  const stopDrag = useRef<(() => void) | null>(null);

  // A live refresh may have changed the trace's duration: the zoom is re-clamped to it.
  const zoomed = zoom !== null && zoom.traceId === index.traceId;
  const shownWindow = zoomed ? clampWindow(zoom, index.totalMs) : fullWindow(index.totalMs);
  /** For the listeners that outlive a render. */
  const latest = useRef({ index, shownWindow });
  latest.current = { index, shownWindow };

  /** Shows `next` of the current trace; the whole trace clears the zoom. */
  function apply(next: TimeWindow): void {
    const { index: current } = latest.current;
    setZoom(isFullWindow(next, current.totalMs) ? null : { traceId: current.traceId, ...next });
  }

  /** The time under a pointer's x, or null when it is left or right of the time axis. */
  function timeAtClientX(clientX: number, shown: TimeWindow): number | null {
    const axis = axisRef.current;
    if (!axis) return null;
    const rect = axis.getBoundingClientRect();
    if (rect.width <= 0 || clientX < rect.left || clientX > rect.right) return null;
    return timeAt(shown, (clientX - rect.left) / rect.width);
  }

  // Ctrl/Cmd + wheel over the time axis or the bars zooms around the pointer. Not passive: it replaces the page zoom.
  useEffect(() => {
    const root = rootRef.current;
    if (!root) return;
    const onWheel = (event: WheelEvent) => {
      if (!event.ctrlKey && !event.metaKey) return;
      const axis = axisRef.current;
      if (!axis || event.clientY < axis.getBoundingClientRect().top) return;
      const { index: shownIndex, shownWindow: shown } = latest.current;
      const anchor = timeAtClientX(event.clientX, shown);
      if (anchor === null) return;
      event.preventDefault();
      // Line-mode deltas (Firefox) count lines, not pixels.
      const delta = event.deltaMode === 1 ? event.deltaY * 20 : event.deltaY;
      apply(zoomAround(shown, shownIndex.totalMs, anchor, wheelZoomFactor(delta)));
    };
    root.addEventListener('wheel', onWheel, { passive: false });
    return () => root.removeEventListener('wheel', onWheel);
  }, []);

  // A drag still in progress when the waterfall goes away leaves no document listeners behind.
  useEffect(() => () => stopDrag.current?.(), []);

  function startRangeDrag(event: TargetedPointerEvent<HTMLDivElement>): void {
    swallowClick.current = false;
    if (event.button !== 0 || stopDrag.current) return;
    const shown = shownWindow;
    const from = timeAtClientX(event.clientX, shown);
    if (from === null) return;
    const startX = event.clientX;
    let dragging = false;
    const timeOf = (clientX: number) => timeAtClientX(clientX, shown) ?? (clientX < startX ? shown.startMs : shown.endMs);
    const move = (e: PointerEvent) => {
      if (!dragging && Math.abs(e.clientX - startX) < DRAG_THRESHOLD_PX) return;
      dragging = true;
      setDragRange({ fromMs: from, toMs: timeOf(e.clientX) });
    };
    const up = (e: PointerEvent) => {
      stop();
      if (!dragging) return;
      swallowClick.current = true;
      setDragRange(null);
      apply(rangeWindow(from, timeOf(e.clientX), latest.current.index.totalMs));
      focusTree();
    };
    const cancel = () => {
      stop();
      setDragRange(null);
    };
    const stop = () => {
      document.removeEventListener('pointermove', move);
      document.removeEventListener('pointerup', up);
      document.removeEventListener('pointercancel', cancel);
      stopDrag.current = null;
    };
    document.addEventListener('pointermove', move);
    document.addEventListener('pointerup', up);
    document.addEventListener('pointercancel', cancel);
    stopDrag.current = stop;
  }

  return {
    window: shownWindow,
    zoomed,
    dragRange,
    rootRef,
    axisRef,
    reset() {
      setZoom(null);
      focusTree();
    },
    toSpan(span) {
      if (span < 0 || span >= index.count) return;
      apply(spanWindow(index.startMs[span], index.endMs[span], index.totalMs));
    },
    byFactor(factor) {
      apply(zoomAround(shownWindow, index.totalMs, (shownWindow.startMs + shownWindow.endMs) / 2, factor));
    },
    startRangeDrag,
    takeDragClick() {
      if (!swallowClick.current) return false;
      swallowClick.current = false;
      return true;
    },
  };
}
