/**
 * The trace waterfall: a tree of spans with duration bars on a shared time
 * axis. Virtualised: only the rows in view (plus overscan) exist in the DOM,
 * drawn from the flattened visible-row array of the trace index, so a
 * 100,000-span trace costs the same per frame as a 100-span one. The time
 * axis zooms (drag a range, Ctrl/Cmd + wheel, `z` on a span); a zoom only
 * re-renders the rows in view, as a scroll does.
 */

import type { JSX, TargetedKeyboardEvent, TargetedPointerEvent } from 'preact';
import { useEffect, useLayoutEffect, useMemo, useRef, useState } from 'preact/hooks';
import { formatDuration, formatTick } from '../model/format';
import { kindInfo } from '../model/kinds';
import { SpanSearch, errorSpans, matchPosition, stepMatch } from '../model/search';
import { windowTicks, type TimeTicks } from '../model/ticks';
import {
  barGeometry,
  clampWindow,
  fullWindow,
  isFullWindow,
  rangeWindow,
  spanWindow,
  timeAt,
  wheelZoomFactor,
  zoomAround,
  type TimeWindow,
} from '../model/timeWindow';
import {
  allExpanded,
  carryExpansion,
  childCount,
  flattenRows,
  revealSpan,
  setExpanded,
  type TraceIndex,
  type VisibleRows,
} from '../model/traceIndex';
import { scrollTopToReveal, virtualWindow } from '../model/virtual';
import { Icon, IconButton } from './common';

/** Row height in px; must match `.wf-row` in styles.css. */
export const ROW_HEIGHT = 22;
/** Rows rendered above and below the viewport. */
const OVERSCAN = 12;
/**
 * Rows are keyed by `row % ROW_POOL` (more than ever fit on screen), so a
 * scroll re-uses the DOM elements of rows that left the window instead of
 * creating new ones.
 */
const ROW_POOL = 512;
/** Indentation per tree level, px, and the deepest level indented further. */
const INDENT = 12;
const MAX_INDENT_LEVELS = 32;
/** Room right of the bars for the last duration label, px; must match `.wf-timeline` margin. */
const LABEL_ROOM = 64;
/** Pointer travel before a press on the time axis becomes a range drag, px. */
const DRAG_THRESHOLD_PX = 4;
/** Zoom factor of the `+` and `-` keys. */
const KEY_ZOOM_FACTOR = 0.5;
/** Tick spacings tried, px, until the widest label fits between two ticks. */
const TICK_SPACINGS = [64, 96, 128, 192];
/** Rough width of a tick label character at the axis font size, px. */
const TICK_CHAR_PX = 7;

/** A zoom of one trace; a different trace starts unzoomed. */
interface Zoom extends TimeWindow {
  traceId: string;
}

export interface WaterfallProps {
  index: TraceIndex;
  /** Selected span index, or -1. */
  selected: number;
  onSelect(span: number): void;
  /** Enter on a row: move focus to the details. */
  onActivate(span: number): void;
}

export function Waterfall({ index, selected, onSelect, onActivate }: WaterfallProps) {
  const scrollRef = useRef<HTMLDivElement>(null);
  const findRef = useRef<HTMLInputElement>(null);
  const model = useRef<RowModel | null>(null);
  if (!model.current || model.current.index !== index) model.current = rowModel(index, model.current);
  const [, setVersion] = useState(0);
  const [scrollTop, setScrollTop] = useState(0);
  const [viewport, setViewport] = useState({ height: 400, width: 800 });
  const [nameWidth, setNameWidth] = useState(320);
  const [showCritical, setShowCritical] = useState(true);
  const [findText, setFindText] = useState('');
  const [zoom, setZoom] = useState<Zoom | null>(null);
  /** The range being dragged on the time axis, ms, shown as an overlay until released. */
  const [dragRange, setDragRange] = useState<{ fromMs: number; toMs: number } | null>(null);
  const rootRef = useRef<HTMLDivElement>(null);
  const axisRef = useRef<HTMLDivElement>(null);
  /** A range drag just ended: the click its release makes is not a row click. */
  const swallowClick = useRef(false);
  const stopDrag = useRef<(() => void) | null>(null);
  const search = useMemo(() => new SpanSearch(index), [index]);
  const errors = useMemo(() => errorSpans(index), [index]);
  const matches = useMemo(() => search.find(findText), [search, findText]);
  const matchFlags = useMemo(() => {
    const flags = new Uint8Array(index.count);
    for (const i of matches) flags[i] = 1;
    return flags;
  }, [index, matches]);

  const current = model.current.rows;
  const expanded = model.current.expanded;
  // A live refresh may have changed the trace's duration: the zoom is re-clamped to it.
  const zoomed = zoom !== null && zoom.traceId === index.traceId;
  const timeWindow = zoomed ? clampWindow(zoom, index.totalMs) : fullWindow(index.totalMs);
  const latest = useRef({ index, timeWindow });
  latest.current = { index, timeWindow };

  /** Shows `next` of the current trace; the whole trace clears the zoom. */
  function applyZoom(next: TimeWindow): void {
    const { index: current } = latest.current;
    setZoom(isFullWindow(next, current.totalMs) ? null : { traceId: current.traceId, ...next });
  }

  function resetZoom(): void {
    setZoom(null);
    scrollRef.current?.focus();
  }

  function zoomToSpan(span: number): void {
    if (span < 0 || span >= index.count) return;
    applyZoom(spanWindow(index.startMs[span], index.endMs[span], index.totalMs));
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
      const { index: shownIndex, timeWindow: shown } = latest.current;
      const anchor = timeAtClientX(event.clientX, shown);
      if (anchor === null) return;
      event.preventDefault();
      // Line-mode deltas (Firefox) count lines, not pixels.
      const delta = event.deltaMode === 1 ? event.deltaY * 20 : event.deltaY;
      applyZoom(zoomAround(shown, shownIndex.totalMs, anchor, wheelZoomFactor(delta)));
    };
    root.addEventListener('wheel', onWheel, { passive: false });
    return () => root.removeEventListener('wheel', onWheel);
  }, []);

  // A drag still in progress when the waterfall goes away leaves no document listeners behind.
  useEffect(() => () => stopDrag.current?.(), []);

  /** A press on the time axis or the bars: past a few px of travel it drags a range to zoom to. */
  function startRangeDrag(event: TargetedPointerEvent<HTMLDivElement>): void {
    swallowClick.current = false;
    if (event.button !== 0 || stopDrag.current) return;
    const shown = timeWindow;
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
      applyZoom(rangeWindow(from, timeOf(e.clientX), latest.current.index.totalMs));
      scrollRef.current?.focus();
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

  function onRowClick(span: number): void {
    if (swallowClick.current) swallowClick.current = false;
    else onSelect(span);
  }

  useLayoutEffect(() => {
    const element = scrollRef.current;
    if (!element) return;
    const measure = () => setViewport({ height: element.clientHeight, width: element.clientWidth });
    measure();
    const observer = new ResizeObserver(measure);
    observer.observe(element);
    return () => observer.disconnect();
  }, []);

  // Performance mark for the benchmark: rows of this index are on screen.
  useEffect(() => {
    requestAnimationFrame(() => performance.mark('rti:rows'));
  }, [index]);

  /** Re-flattens after an expansion change and re-renders. */
  function reflatten(): VisibleRows {
    const state = model.current!;
    state.rows = flattenRows(index, state.expanded, state.rows);
    setVersion((v) => v + 1);
    return state.rows;
  }

  function scrollToSpan(span: number, visible: VisibleRows): void {
    const row = visible.rowOf[span];
    const element = scrollRef.current;
    if (row < 0 || !element) return;
    const target = scrollTopToReveal(row, element.scrollTop, element.clientHeight, visible.length, ROW_HEIGHT);
    if (target !== element.scrollTop) {
      element.scrollTop = target;
      setScrollTop(element.scrollTop);
    }
  }

  // Whatever selected a span (click, keys, find, a reveal from the host), make it visible.
  useLayoutEffect(() => {
    if (selected < 0 || selected >= index.count) return;
    let visible = current;
    if (visible.rowOf[selected] < 0 && revealSpan(index, expanded, selected)) visible = reflatten();
    scrollToSpan(selected, visible);
  }, [selected, index]);

  function toggle(span: number, deep: boolean): void {
    setExpanded(index, expanded, span, !expanded[span], deep);
    reflatten();
  }

  function setAll(value: boolean): void {
    expanded.fill(value ? 1 : 0);
    const next = reflatten();
    if (selected >= 0 && next.rowOf[selected] < 0) {
      let p = selected;
      while (p >= 0 && next.rowOf[p] < 0) p = index.parent[p];
      if (p >= 0) onSelect(p);
    }
  }

  function selectRow(row: number): void {
    if (current.length === 0) return;
    onSelect(current.rows[Math.max(0, Math.min(current.length - 1, row))]);
  }

  function step(list: Int32Array, direction: 1 | -1): void {
    const next = stepMatch(index, list, selected, direction);
    if (next >= 0) onSelect(next);
  }

  function onTreeKey(event: TargetedKeyboardEvent<HTMLDivElement>): void {
    const row = selected >= 0 ? current.rowOf[selected] : -1;
    const page = Math.max(1, Math.floor(viewport.height / ROW_HEIGHT) - 1);
    let handled = true;
    switch (event.key) {
      case 'ArrowDown':
        selectRow(row + 1);
        break;
      case 'ArrowUp':
        selectRow(row < 0 ? 0 : row - 1);
        break;
      case 'PageDown':
        selectRow(row + page);
        break;
      case 'PageUp':
        selectRow(row - page);
        break;
      case 'Home':
        selectRow(0);
        break;
      case 'End':
        selectRow(current.length - 1);
        break;
      case 'ArrowRight':
        if (selected >= 0 && childCount(index, selected) > 0) {
          if (!expanded[selected]) toggle(selected, event.altKey);
          else onSelect(index.childList[index.childStart[selected]]);
        }
        break;
      case 'ArrowLeft':
        if (selected >= 0) {
          if (childCount(index, selected) > 0 && expanded[selected]) toggle(selected, event.altKey);
          else if (index.parent[selected] >= 0) onSelect(index.parent[selected]);
        }
        break;
      case ' ':
        if (selected >= 0 && childCount(index, selected) > 0) toggle(selected, event.altKey);
        break;
      case 'Enter':
        if (selected >= 0) onActivate(selected);
        break;
      case 'n':
        step(matches, 1);
        break;
      case 'N':
        step(matches, -1);
        break;
      case 'e':
        step(errors, 1);
        break;
      case 'E':
        step(errors, -1);
        break;
      case 'z':
        if (event.ctrlKey || event.metaKey || event.altKey) handled = false;
        else zoomToSpan(selected);
        break;
      case '+':
      case '=':
        applyZoom(zoomAround(timeWindow, index.totalMs, (timeWindow.startMs + timeWindow.endMs) / 2, KEY_ZOOM_FACTOR));
        break;
      case '-':
        applyZoom(zoomAround(timeWindow, index.totalMs, (timeWindow.startMs + timeWindow.endMs) / 2, 1 / KEY_ZOOM_FACTOR));
        break;
      case '0':
        resetZoom();
        break;
      case 'Escape':
        if (zoomed) resetZoom();
        else handled = false;
        break;
      default:
        handled = false;
    }
    if (handled) event.preventDefault();
  }

  // `/` anywhere outside a text field jumps to the find box.
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (event.key !== '/' || event.ctrlKey || event.metaKey || event.altKey) return;
      const target = event.target as HTMLElement | null;
      if (target && (target.tagName === 'INPUT' || target.tagName === 'TEXTAREA' || target.tagName === 'SELECT' || target.isContentEditable)) return;
      event.preventDefault();
      findRef.current?.focus();
      findRef.current?.select();
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, []);

  function onFindKey(event: TargetedKeyboardEvent<HTMLInputElement>): void {
    if (event.key === 'Enter') {
      event.preventDefault();
      step(matches, event.shiftKey ? -1 : 1);
    } else if (event.key === 'Escape') {
      event.preventDefault();
      setFindText('');
      scrollRef.current?.focus();
    }
  }

  function startResize(event: TargetedPointerEvent<HTMLDivElement>): void {
    const handle = event.currentTarget;
    handle.setPointerCapture(event.pointerId);
    const startX = event.clientX;
    const startWidth = nameWidth;
    const move = (e: PointerEvent) => setNameWidth(Math.max(140, Math.min(viewport.width - LABEL_ROOM - 80, startWidth + e.clientX - startX)));
    const up = () => {
      handle.removeEventListener('pointermove', move);
      handle.removeEventListener('pointerup', up);
    };
    handle.addEventListener('pointermove', move);
    handle.addEventListener('pointerup', up);
  }

  // Bars use the timeline minus a right margin that keeps room for duration labels.
  const barsWidth = Math.max(40, viewport.width - nameWidth - LABEL_ROOM);
  const ticks = axisTicks(timeWindow, barsWidth);
  const windowMs = timeWindow.endMs - timeWindow.startMs;
  /** Position of a time on the axis, % of its width. */
  const percentOf = (ms: number) => (windowMs > 0 ? ((ms - timeWindow.startMs) / windowMs) * 100 : 0);
  const view = virtualWindow(scrollTop, viewport.height, current.length, ROW_HEIGHT, OVERSCAN);
  const matchAt = matchPosition(index, matches, selected);

  const rendered: JSX.Element[] = [];
  for (let row = view.first; row < view.end; row++) {
    rendered.push(renderRow(row, current.rows[row]));
  }

  function renderRow(row: number, span: number): JSX.Element {
    const depth = index.depth[span];
    const kids = childCount(index, span);
    const open = expanded[span] === 1;
    const displayKind = index.displayKind[span];
    const info = kindInfo(displayKind);
    const error = index.isError[span] === 1;
    const bar = barGeometry(index.startMs[span], index.endMs[span], timeWindow);
    const { left, width } = bar;
    const critical = showCritical && index.critical[span] === 1;
    // Labels go right of the bar; near the right edge they go left of it, or inside when there is no room.
    const labelOnLeft = left + width > 75;
    const labelInside = labelOnLeft && left < 12;
    const spanMs = index.endMs[span] - index.startMs[span];
    let className = 'wf-row';
    if (span === selected) className += ' selected';
    if (error) className += ' error';
    if (matchFlags[span]) className += ' match';
    return (
      <div
        key={row % ROW_POOL}
        class={className}
        role="treeitem"
        aria-level={depth + 1}
        aria-expanded={kids > 0 ? open : undefined}
        aria-selected={span === selected}
        data-span-id={index.spanId[span]}
        onClick={() => onRowClick(span)}
        onDblClick={() => kids > 0 && toggle(span, false)}
      >
        <div class="wf-name" style={{ width: `${nameWidth}px` }}>
          <span class="wf-indent" style={{ width: `${Math.min(depth, MAX_INDENT_LEVELS) * INDENT}px` }} />
          {kids > 0 ? (
            <span
              class={`wf-twisty codicon codicon-${open ? 'chevron-down' : 'chevron-right'}`}
              title={open ? 'Collapse (Alt: whole subtree)' : 'Expand (Alt: whole subtree)'}
              onClick={(event) => {
                event.stopPropagation();
                toggle(span, event.altKey);
              }}
            />
          ) : (
            <span class="wf-twisty" />
          )}
          <Icon name={info.icon} class={`wf-kind kind-${displayKind}`} />
          <span class="wf-label" title={index.name[span]}>
            {index.name[span]}
          </span>
          {depth > MAX_INDENT_LEVELS && <span class="wf-depth" title="Nesting depth">{depth}</span>}
          {!open && kids > 0 && <span class="wf-hidden-count" title="Hidden descendants">{index.subtreeSize[span] - 1}</span>}
          {error && <Icon name="error" class="wf-error-icon" title={index.statusMessage(span) || 'Error'} />}
        </div>
        <div class="wf-timeline">
          {bar.outside ? (
            // Out of the zoomed window: an arrow at the edge it lies beyond, with its duration.
            <span class={`wf-offscreen ${bar.outside}${error ? ' error' : ''}`} title={bar.outside === 'before' ? 'Before the zoomed range' : 'After the zoomed range'}>
              {bar.outside === 'before' ? `◂ ${formatDuration(spanMs)}` : `${formatDuration(spanMs)} ▸`}
            </span>
          ) : (
            <>
              <div
                class={`wf-bar kind-${displayKind}${error ? ' error' : ''}${critical ? ' critical' : ''}${bar.clipStart ? ' clip-start' : ''}${bar.clipEnd ? ' clip-end' : ''}`}
                style={{ left: `${left}%`, width: `${width}%` }}
              >
                {critical && renderSegments(index, span, timeWindow)}
              </div>
              <span
                class={`wf-duration${labelInside ? ' inside' : ''}`}
                style={labelInside ? { right: `${100 - left - width}%` } : labelOnLeft ? { right: `${100 - left}%` } : { left: `${left + width}%` }}
              >
                {formatDuration(spanMs)}
              </span>
            </>
          )}
        </div>
      </div>
    );
  }

  function renderRange(range: { fromMs: number; toMs: number }): JSX.Element {
    const from = Math.max(0, percentOf(Math.min(range.fromMs, range.toMs)));
    const to = Math.min(100, percentOf(Math.max(range.fromMs, range.toMs)));
    return <span class="wf-zoom-range" style={{ left: `${from}%`, width: `${Math.max(0, to - from)}%` }} />;
  }

  return (
    <div class={`waterfall${dragRange ? ' dragging' : ''}`} ref={rootRef}>
      <div class="wf-toolbar">
        <div class="find-box">
          <Icon name="search" />
          <input
            ref={findRef}
            type="text"
            placeholder="Find in trace (/)"
            aria-label="Find in trace"
            value={findText}
            onInput={(event) => setFindText(event.currentTarget.value)}
            onKeyDown={onFindKey}
            data-testid="find-input"
          />
          {findText.trim() !== '' && (
            <span class={`find-count${matches.length === 0 ? ' none' : ''}`} data-testid="find-count">
              {matches.length === 0 ? 'No results' : matchAt >= 0 ? `${matchAt + 1} of ${matches.length}` : `${matches.length} ${matches.length === 1 ? 'match' : 'matches'}`}
            </span>
          )}
        </div>
        <IconButton icon="arrow-up" title="Previous match (Shift+Enter, N)" disabled={matches.length === 0} onClick={() => step(matches, -1)} />
        <IconButton icon="arrow-down" title="Next match (Enter, n)" disabled={matches.length === 0} onClick={() => step(matches, 1)} />
        <span class="toolbar-separator" />
        <IconButton
          icon="error"
          label={errors.length > 0 ? `${errors.length}` : undefined}
          title={errors.length > 0 ? `Next error (e) — ${errors.length} in this trace` : 'No errors in this trace'}
          disabled={errors.length === 0}
          onClick={() => step(errors, 1)}
          class={errors.length > 0 ? 'has-errors' : undefined}
          testId="next-error"
        />
        <IconButton icon="pulse" title="Show the critical path" active={showCritical} onClick={() => setShowCritical(!showCritical)} />
        <IconButton icon="expand-all" title="Expand all" onClick={() => setAll(true)} />
        <IconButton icon="collapse-all" title="Collapse all" onClick={() => setAll(false)} />
        <span class="toolbar-separator" />
        <IconButton icon="zoom-in" title="Zoom to the selected span (z); zoom in and out: + and -, Ctrl/Cmd+wheel, or drag across the time axis" disabled={selected < 0} onClick={() => zoomToSpan(selected)} testId="zoom-to-span" />
        {zoomed && (
          <>
            <IconButton icon="zoom-out" label="Reset zoom" title="Show the whole trace (Esc, 0)" onClick={resetZoom} testId="reset-zoom" />
            <span class="wf-zoom-window muted" data-testid="zoom-window" title="The part of the trace shown">
              {formatDuration(timeWindow.startMs)} – {formatDuration(timeWindow.endMs)} of {formatDuration(index.totalMs)}
            </span>
          </>
        )}
      </div>
      <div class="wf-header">
        <div class="wf-name wf-header-name" style={{ width: `${nameWidth}px` }}>
          <span>Span</span>
          <span class="wf-row-count">{index.count === current.length ? index.count === 1 ? '1 span' : `${index.count} spans` : `${current.length} of ${index.count} spans shown`}</span>
        </div>
        <div
          class={`wf-axis${zoomed ? ' zoomed' : ''}`}
          ref={axisRef}
          style={{ width: `${barsWidth}px` }}
          onPointerDown={(event) => {
            // No text selection while dragging a range.
            event.preventDefault();
            startRangeDrag(event);
          }}
          title="Drag to zoom to a range; Ctrl/Cmd+wheel zooms; Esc shows the whole trace"
          data-testid="time-axis"
        >
          {ticks.ticks.map((tick) => (
            <span key={tick} class="wf-tick-label" style={{ left: `${percentOf(tick)}%` }}>
              {formatTick(tick, ticks.stepMs)}
            </span>
          ))}
          {dragRange && renderRange(dragRange)}
        </div>
        <div class="wf-splitter" style={{ left: `${nameWidth - 3}px` }} onPointerDown={startResize} title="Drag to resize" />
      </div>
      <div class="wf-body">
        <div class="wf-grid" style={{ left: `${nameWidth}px`, width: `${barsWidth}px` }} aria-hidden="true">
          {ticks.ticks.map((tick) => (
            <span key={tick} class="wf-gridline" style={{ left: `${percentOf(tick)}%` }} />
          ))}
          {dragRange && renderRange(dragRange)}
        </div>
        <div
          class="wf-scroll"
          ref={scrollRef}
          tabIndex={0}
          role="tree"
          aria-label="Spans"
          onScroll={(event) => setScrollTop(event.currentTarget.scrollTop)}
          onKeyDown={onTreeKey}
          onPointerDown={startRangeDrag}
          data-testid="waterfall"
        >
          <div class="wf-spacer" style={{ height: `${view.contentHeight}px` }}>
            <div class="wf-rows" style={{ transform: `translateY(${view.offsetTop}px)` }}>
              {rendered}
            </div>
          </div>
        </div>
      </div>
    </div>
  );
}

/** Expansion and visible rows of one trace index; mutated in place, re-rendered by a version bump. */
interface RowModel {
  index: TraceIndex;
  expanded: Uint8Array;
  rows: VisibleRows;
}

/** The model of a new index, carrying the expansion over by span id when it is the same trace re-fetched. */
function rowModel(index: TraceIndex, previous: RowModel | null): RowModel {
  const expanded = previous && previous.index.traceId === index.traceId ? carryExpansion(previous.index, previous.expanded, index) : allExpanded(index);
  return { index, expanded, rows: flattenRows(index, expanded) };
}

/** Critical segments as stripes inside a bar, positioned relative to the bar's part in the window and cut to it. */
function renderSegments(index: TraceIndex, span: number, shown: TimeWindow): JSX.Element[] {
  const out: JSX.Element[] = [];
  const barStart = Math.max(index.startMs[span], shown.startMs);
  const barEnd = Math.min(index.endMs[span], shown.endMs);
  const total = barEnd > barStart ? barEnd - barStart : 1;
  const values = index.criticalValues;
  for (let k = index.criticalOffset[span], end = k + index.criticalLength[span]; k < end; k += 2) {
    const from = Math.max(values[k], barStart);
    const to = Math.min(values[k + 1], barEnd);
    if (to < from) continue;
    out.push(<span key={k} class="wf-critical" style={{ left: `${((from - barStart) / total) * 100}%`, width: `${((to - from) / total) * 100}%` }} />);
  }
  return out;
}

/** Ticks of the shown window, as dense as the labels allow without overlapping. */
function axisTicks(shown: TimeWindow, widthPx: number): TimeTicks {
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
