/**
 * The trace waterfall: a tree of spans with duration bars on a shared time
 * axis. Its rows are a {@link VirtualList} over the flattened visible-row
 * array of the trace index, so a 100,000-span trace costs the same per frame
 * as a 100-span one. The time axis zooms (drag a range, Ctrl/Cmd + wheel, `z`
 * on a span); a zoom only re-renders the rows in view, as a scroll does.
 * The parts live in `./waterfall/`: rows, time axis, toolbar, find, keys,
 * zoom and tree state.
 */

import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import { formatInteger, formatSpans } from '../model/format';
import { matchPosition, stepMatch } from '../model/search';
import type { TraceIndex } from '../model/traceIndex';
import { pageRows } from '../model/virtual';
import { VirtualList, useVirtualScroll } from './VirtualList';
import { FindBox, useFindShortcut, useSpanFind } from './waterfall/FindBox';
import { SpanRow } from './waterfall/SpanRow';
import { Gridlines, WaterfallHeader, axisTicks, dragSplitter } from './waterfall/TimeAxis';
import { nearestVisible, useSpanTree } from './waterfall/useSpanTree';
import { useTimeZoom } from './waterfall/useTimeZoom';
import { onWaterfallKey } from './waterfall/waterfallKeys';
import { WaterfallToolbar } from './waterfall/WaterfallToolbar';

/** Row height in px; must match `--row-height` in styles.css. */
const ROW_HEIGHT = 22;
/** Rows rendered above and below the viewport. */
const OVERSCAN = 12;
/**
 * Rows are keyed by `row % ROW_POOL` (more than ever fit on screen), so a
 * scroll re-uses the DOM elements of rows that left the window instead of
 * creating new ones.
 */
const ROW_POOL = 512;
/** Room right of the bars for the last duration label, px; must match `.wf-timeline` margin. */
const LABEL_ROOM = 64;
/** Narrowest name column, and the least room it leaves the bars, px. */
const MIN_NAME_WIDTH = 140;
const MIN_BARS_ROOM = 80;

export interface WaterfallProps {
  index: TraceIndex;
  /** Selected span index, or -1. */
  selected: number;
  onSelect(span: number): void;
  /** Enter on a row: move focus to the details. */
  onActivate(span: number): void;
  /** The trace's whole span count while its spans are still arriving (the index holds the first ones). */
  arrivingOf?: number;
}

export function Waterfall({ index, selected, onSelect, onActivate, arrivingOf }: WaterfallProps) {
  const scroll = useVirtualScroll(ROW_HEIGHT, { height: 400, width: 800 });
  const focusTree = () => scroll.ref.current?.focus();
  const findRef = useRef<HTMLInputElement>(null);
  const tree = useSpanTree(index);
  const zoom = useTimeZoom(index, focusTree);
  const find = useSpanFind(index);
  const [nameWidth, setNameWidth] = useState(320);
  const [showCritical, setShowCritical] = useState(true);
  useFindShortcut(findRef);
  const { rows, expanded } = tree;

  // Whatever selected a span (click, keys, find, a reveal from the host), make it visible.
  useLayoutEffect(() => {
    if (selected < 0 || selected >= index.count) return;
    const visible = tree.reveal(selected);
    scroll.reveal(visible.rowOf[selected], visible.length);
  }, [selected, index]);

  // Performance mark for the benchmark: rows of this index are on screen.
  useEffect(() => {
    requestAnimationFrame(() => performance.mark('rti:rows'));
  }, [index]);

  function step(list: Int32Array, direction: 1 | -1): void {
    const next = stepMatch(index, list, selected, direction);
    if (next >= 0) onSelect(next);
  }

  /** Expands or collapses everything; a selection left hidden moves up to its nearest visible ancestor. */
  function setAll(expand: boolean): void {
    const next = tree.setAll(expand);
    if (selected >= 0 && next.rowOf[selected] < 0) {
      const visible = nearestVisible(index, next, selected);
      if (visible >= 0) onSelect(visible);
    }
  }

  // Bars use the timeline minus a right margin that keeps room for duration labels.
  const barsWidth = Math.max(40, scroll.viewport.width - nameWidth - LABEL_ROOM);
  const axis = { shown: zoom.window, ticks: axisTicks(zoom.window, barsWidth), dragRange: zoom.dragRange };
  const countText =
    arrivingOf !== undefined
      ? `${formatInteger(index.count)} of ${formatSpans(arrivingOf)} arrived, loading…`
      : index.count === rows.length ? formatSpans(index.count) : `${formatInteger(rows.length)} of ${formatSpans(index.count)} shown`;

  return (
    <div class={`waterfall${zoom.dragRange ? ' dragging' : ''}`} ref={zoom.rootRef}>
      <WaterfallToolbar
        findBox={<FindBox inputRef={findRef} find={find} matchAt={matchPosition(index, find.matches, selected)} onStep={(direction) => step(find.matches, direction)} onDone={focusTree} />}
        matchCount={find.matches.length}
        errorCount={find.errors.length}
        stepMatch={(direction) => step(find.matches, direction)}
        nextError={() => step(find.errors, 1)}
        showCritical={showCritical}
        onShowCritical={setShowCritical}
        setAll={setAll}
        canZoomToSpan={selected >= 0}
        zoomToSpan={() => zoom.toSpan(selected)}
        zoomWindow={zoom.zoomed ? zoom.window : null}
        totalMs={index.totalMs}
        resetZoom={zoom.reset}
      />
      <WaterfallHeader
        axis={axis}
        axisRef={zoom.axisRef}
        zoomed={zoom.zoomed}
        nameWidth={nameWidth}
        barsWidth={barsWidth}
        countText={countText}
        onAxisPointerDown={zoom.startRangeDrag}
        onSplitterPointerDown={(event) => {
          const widest = scroll.viewport.width - LABEL_ROOM - MIN_BARS_ROOM;
          dragSplitter(event, nameWidth, (width) => Math.max(MIN_NAME_WIDTH, Math.min(widest, width)), setNameWidth);
        }}
      />
      <div class="wf-body">
        <Gridlines axis={axis} nameWidth={nameWidth} barsWidth={barsWidth} />
        <VirtualList
          scroll={scroll}
          rowCount={rows.length}
          overscan={OVERSCAN}
          renderRow={(row) => {
            const span = rows.rows[row];
            return (
              <SpanRow
                key={row % ROW_POOL}
                index={index}
                span={span}
                selected={span === selected}
                expanded={expanded[span] === 1}
                match={find.matchFlags[span] === 1}
                showCritical={showCritical}
                shown={zoom.window}
                nameWidth={nameWidth}
                onClick={(clicked) => {
                  if (!zoom.takeDragClick()) onSelect(clicked);
                }}
                onToggle={tree.toggle}
              />
            );
          }}
          onKeyDown={(event) => {
            const handled = onWaterfallKey(event, {
              index,
              tree,
              zoom,
              selected,
              select: onSelect,
              activate: onActivate,
              page: pageRows(scroll.viewport.height, ROW_HEIGHT),
              stepMatch: (direction) => step(find.matches, direction),
              stepError: (direction) => step(find.errors, direction),
            });
            if (handled) event.preventDefault();
          }}
          onPointerDown={zoom.startRangeDrag}
          class="wf-scroll"
          role="tree"
          label="Spans"
          testId="waterfall"
        />
      </div>
    </div>
  );
}
