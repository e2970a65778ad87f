/**
 * The waterfall's time scale: the header (span column title and count, the
 * tick labels of the shown window, the column splitter) and the gridlines
 * behind the bars, both with the range being dragged.
 */

import type { RefObject, TargetedPointerEvent } from 'preact';
import { formatTick } from '../../model/format';
import { windowTicks, type TimeTicks } from '../../model/ticks';
import type { TimeWindow } from '../../model/timeWindow';
import type { DragRange } from './useTimeZoom';

/** Tick spacings tried, px, until the widest label fits between two ticks. */
const TICK_SPACINGS = [64, 96, 128, 192];
/** Rough width of a tick label character at the axis font size, px. */
const TICK_CHAR_PX = 7;

/** Ticks of the shown window, as dense as the labels allow without overlapping. */
export function axisTicks(shown: TimeWindow, widthPx: number): TimeTicks {
  let ticks = windowTicks(shown.startMs, shown.endMs, widthPx, TICK_SPACINGS[0]);
  for (const spacing of TICK_SPACINGS) {
    ticks = windowTicks(shown.startMs, shown.endMs, widthPx, spacing);
    const windowMs = shown.endMs - shown.startMs;
    const stepPx = windowMs > 0 ? (ticks.stepMs / windowMs) * widthPx : widthPx;
    let widest = 0;
    for (const tick of ticks.ticks) widest = Math.max(widest, formatTick(tick, ticks.stepMs).length);
    // Labels carry a 3 px padding and need a gap before the next tick.
    if (widest * TICK_CHAR_PX + 12 <= stepPx) break;
  }
  return ticks;
}

/** Position of a time on the axis of `shown`, % of its width. */
function percentOf(shown: TimeWindow, ms: number): number {
  const windowMs = shown.endMs - shown.startMs;
  return windowMs > 0 ? ((ms - shown.startMs) / windowMs) * 100 : 0;
}

/** What the header and the gridlines draw. */
export interface AxisView {
  shown: TimeWindow;
  ticks: TimeTicks;
  dragRange: DragRange | null;
}

function ZoomRange({ shown, range }: { shown: TimeWindow; range: DragRange }) {
  const from = Math.max(0, percentOf(shown, Math.min(range.fromMs, range.toMs)));
  const to = Math.min(100, percentOf(shown, Math.max(range.fromMs, range.toMs)));
  return <span class="wf-zoom-range" style={{ left: `${from}%`, width: `${Math.max(0, to - from)}%` }} />;
}

export interface WaterfallHeaderProps {
  axis: AxisView;
  axisRef: RefObject<HTMLDivElement | null>;
  zoomed: boolean;
  nameWidth: number;
  barsWidth: number;
  /** Span count line: all spans, or how many of them have rows. */
  countText: string;
  onAxisPointerDown(event: TargetedPointerEvent<HTMLDivElement>): void;
  onSplitterPointerDown(event: TargetedPointerEvent<HTMLDivElement>): void;
}

export function WaterfallHeader({ axis, axisRef, zoomed, nameWidth, barsWidth, countText, onAxisPointerDown, onSplitterPointerDown }: WaterfallHeaderProps) {
  const { shown, ticks, dragRange } = axis;
  return (
    <div class="wf-header">
      <div class="wf-name wf-header-name" style={{ width: `${nameWidth}px` }}>
        <span>Span</span>
        <span class="wf-row-count">{countText}</span>
      </div>
      <div
        class={`wf-axis${zoomed ? ' zoomed' : ''}`}
        ref={axisRef}
        style={{ width: `${barsWidth}px` }}
        onPointerDown={(event) => {
          // No text selection while dragging a range.
          event.preventDefault();
          onAxisPointerDown(event);
        }}
        title="Drag to zoom to a range; Ctrl/Cmd+wheel zooms; Esc shows the whole trace"
        data-testid="time-axis"
      >
        {ticks.ticks.map((tick) => (
          <span key={tick} class="wf-tick-label" style={{ left: `${percentOf(shown, tick)}%` }}>
            {formatTick(tick, ticks.stepMs)}
          </span>
        ))}
        {dragRange && <ZoomRange shown={shown} range={dragRange} />}
      </div>
      <div class="wf-splitter" style={{ left: `${nameWidth - 3}px` }} onPointerDown={onSplitterPointerDown} title="Drag to resize" />
    </div>
  );
}

/** The tick lines (and the dragged range) behind the bars. */
export function Gridlines({ axis, nameWidth, barsWidth }: { axis: AxisView; nameWidth: number; barsWidth: number }) {
  const { shown, ticks, dragRange } = axis;
  return (
    <div class="wf-grid" style={{ left: `${nameWidth}px`, width: `${barsWidth}px` }} aria-hidden="true">
      {ticks.ticks.map((tick) => (
        <span key={tick} class="wf-gridline" style={{ left: `${percentOf(shown, tick)}%` }} />
      ))}
      {dragRange && <ZoomRange shown={shown} range={dragRange} />}
    </div>
  );
}

/** Drags the column splitter: the name column follows the pointer, within `clamp`. */
export function dragSplitter(event: TargetedPointerEvent<HTMLDivElement>, startWidth: number, clamp: (width: number) => number, setWidth: (width: number) => void): void {
  const handle = event.currentTarget;
  handle.setPointerCapture(event.pointerId);
  const startX = event.clientX;
  const move = (e: PointerEvent) => setWidth(clamp(startWidth + e.clientX - startX));
  const up = () => {
    handle.removeEventListener('pointermove', move);
    handle.removeEventListener('pointerup', up);
  };
  handle.addEventListener('pointermove', move);
  handle.addEventListener('pointerup', up);
}
