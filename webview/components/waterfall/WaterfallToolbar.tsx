/** The waterfall's toolbar: find, next error, critical path, expand/collapse all, zoom. */

import type { ComponentChildren } from 'preact';
import { formatDuration } from '../../model/format';
import type { TimeWindow } from '../../model/timeWindow';
import { IconButton } from '../common';

export interface WaterfallToolbarProps {
  /** The find box, first in the bar. */
  findBox: ComponentChildren;
  matchCount: number;
  errorCount: number;
  stepMatch(direction: 1 | -1): void;
  nextError(): void;
  showCritical: boolean;
  onShowCritical(show: boolean): void;
  setAll(expand: boolean): void;
  /** A span is selected, so there is one to zoom to. */
  canZoomToSpan: boolean;
  zoomToSpan(): void;
  /** The zoomed window, or null when the whole trace shows. */
  zoomWindow: TimeWindow | null;
  totalMs: number;
  resetZoom(): void;
}

export function WaterfallToolbar(props: WaterfallToolbarProps) {
  const { matchCount, errorCount, zoomWindow } = props;
  return (
    <div class="wf-toolbar">
      {props.findBox}
      <IconButton icon="arrow-up" title="Previous match (Shift+Enter, N)" disabled={matchCount === 0} onClick={() => props.stepMatch(-1)} />
      <IconButton icon="arrow-down" title="Next match (Enter, n)" disabled={matchCount === 0} onClick={() => props.stepMatch(1)} />
      <span class="toolbar-separator" />
      <IconButton
        icon="error"
        label={errorCount > 0 ? `${errorCount}` : undefined}
        title={errorCount > 0 ? `Next error (e) — ${errorCount} in this trace` : 'No errors in this trace'}
        disabled={errorCount === 0}
        onClick={props.nextError}
        class={errorCount > 0 ? 'has-errors' : undefined}
        testId="next-error"
      />
      <IconButton icon="pulse" title="Show the critical path" active={props.showCritical} onClick={() => props.onShowCritical(!props.showCritical)} />
      <IconButton icon="expand-all" title="Expand all" onClick={() => props.setAll(true)} />
      <IconButton icon="collapse-all" title="Collapse all" onClick={() => props.setAll(false)} />
      <span class="toolbar-separator" />
      <IconButton
        icon="zoom-in"
        title="Zoom to the selected span (z); zoom in and out: + and -, Ctrl/Cmd+wheel, or drag across the time axis"
        disabled={!props.canZoomToSpan}
        onClick={props.zoomToSpan}
        testId="zoom-to-span"
      />
      {zoomWindow && (
        <>
          <IconButton icon="zoom-out" label="Reset zoom" title="Show the whole trace (Esc, 0)" onClick={props.resetZoom} testId="reset-zoom" />
          <span class="wf-zoom-window muted" data-testid="zoom-window" title="The part of the trace shown">
            {formatDuration(zoomWindow.startMs)} – {formatDuration(zoomWindow.endMs)} of {formatDuration(props.totalMs)}
          </span>
        </>
      )}
    </div>
  );
}
