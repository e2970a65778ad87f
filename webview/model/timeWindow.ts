/**
 * The waterfall's zoom: the window of the trace's time axis on screen, and
 * the arithmetic of every zoom gesture (drag a range, wheel around the
 * pointer, zoom to a span). Pure, DOM-free; times are ms from the trace start.
 */

/** A window of the time axis, ms from the trace start; `startMs < endMs` unless the trace has no duration. */
export interface TimeWindow {
  startMs: number;
  endMs: number;
}

/** Narrowest window, ms (10 µs): below it bars and ticks stop meaning anything. */
export const MIN_WINDOW_MS = 0.01;
/** Margin either side of a span zoomed to, as a fraction of its duration. */
export const SPAN_MARGIN = 0.08;

/** The whole trace. */
export function fullWindow(totalMs: number): TimeWindow {
  return { startMs: 0, endMs: Math.max(0, totalMs) };
}

/** Narrowest window allowed for a trace of `totalMs`. */
export function minWindowMs(totalMs: number): number {
  return Math.min(Math.max(0, totalMs), MIN_WINDOW_MS);
}

/** True when `window` shows the whole trace. */
export function isFullWindow(window: TimeWindow, totalMs: number): boolean {
  return window.startMs <= 0 && window.endMs >= totalMs;
}

/**
 * `window` made valid for a trace of `totalMs`: at least the minimum width,
 * at most the trace, shifted (not shrunk) to stay inside it.
 */
export function clampWindow(window: TimeWindow, totalMs: number): TimeWindow {
  const total = Math.max(0, totalMs);
  let start = Math.min(window.startMs, window.endMs);
  let end = Math.max(window.startMs, window.endMs);
  if (!Number.isFinite(start) || !Number.isFinite(end)) return fullWindow(total);
  const min = minWindowMs(total);
  if (end - start < min) {
    const middle = (start + end) / 2;
    start = middle - min / 2;
    end = middle + min / 2;
  }
  if (end - start >= total) return fullWindow(total);
  if (start < 0) {
    end -= start;
    start = 0;
  }
  if (end > total) {
    start -= end - total;
    end = total;
  }
  return { startMs: Math.max(0, start), endMs: end };
}

/**
 * Zooms by `factor` (below 1 zooms in) keeping the time at `anchorMs` where
 * it is on screen, as the wheel does around the pointer.
 */
export function zoomAround(window: TimeWindow, totalMs: number, anchorMs: number, factor: number): TimeWindow {
  const width = window.endMs - window.startMs;
  const anchor = Math.min(Math.max(anchorMs, window.startMs), window.endMs);
  const fraction = width > 0 ? (anchor - window.startMs) / width : 0.5;
  const newWidth = Math.min(Math.max(width * factor, minWindowMs(totalMs)), totalMs);
  const start = anchor - fraction * newWidth;
  return clampWindow({ startMs: start, endMs: start + newWidth }, totalMs);
}

/** Zoom factor of one wheel event: each 100 px of `deltaY` zooms out by about 22%, negative zooms in. */
export function wheelZoomFactor(deltaY: number): number {
  return Math.exp(Math.max(-500, Math.min(500, deltaY)) * 0.002);
}

/** The window of a range dragged between two times, in either direction; a drag past an end of the trace stops there. */
export function rangeWindow(fromMs: number, toMs: number, totalMs: number): TimeWindow {
  const inside = (ms: number) => Math.min(Math.max(ms, 0), totalMs);
  return clampWindow({ startMs: inside(Math.min(fromMs, toMs)), endMs: inside(Math.max(fromMs, toMs)) }, totalMs);
}

/** The window showing a span with {@link SPAN_MARGIN} of its duration either side. */
export function spanWindow(spanStartMs: number, spanEndMs: number, totalMs: number, margin = SPAN_MARGIN): TimeWindow {
  const width = Math.max(spanEndMs - spanStartMs, minWindowMs(totalMs));
  const middle = (spanStartMs + spanEndMs) / 2;
  const half = (width * (1 + 2 * margin)) / 2;
  return clampWindow({ startMs: middle - half, endMs: middle + half }, totalMs);
}

/** The time at `fraction` (0 left edge, 1 right edge) of the window. */
export function timeAt(window: TimeWindow, fraction: number): number {
  return window.startMs + Math.min(Math.max(fraction, 0), 1) * (window.endMs - window.startMs);
}

/** Where a span's bar goes in a window: percentages of the window, and which ends are cut off. */
export interface BarGeometry {
  /** Left edge of the visible part, % of the window. */
  left: number;
  /** Width of the visible part, % of the window (0 for a span outside it). */
  width: number;
  /** The span starts before the window. */
  clipStart: boolean;
  /** The span ends after the window. */
  clipEnd: boolean;
  /** Entirely outside the window: `'before'` or `'after'` it, else null. */
  outside: 'before' | 'after' | null;
}

/** The visible part of the bar of a span from `startMs` to `endMs` in `window`. */
export function barGeometry(startMs: number, endMs: number, window: TimeWindow): BarGeometry {
  const width = window.endMs - window.startMs;
  if (!(width > 0)) return { left: 0, width: 0, clipStart: false, clipEnd: false, outside: null };
  // A zero-length span on an edge is still in the window.
  if (endMs < window.startMs) return { left: 0, width: 0, clipStart: true, clipEnd: false, outside: 'before' };
  if (startMs > window.endMs) return { left: 100, width: 0, clipStart: false, clipEnd: true, outside: 'after' };
  const visibleStart = Math.max(startMs, window.startMs);
  const visibleEnd = Math.min(endMs, window.endMs);
  return {
    left: ((visibleStart - window.startMs) / width) * 100,
    width: ((visibleEnd - visibleStart) / width) * 100,
    clipStart: startMs < window.startMs,
    clipEnd: endMs > window.endMs,
    outside: null,
  };
}
