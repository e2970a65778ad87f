/**
 * The trace waterfall: a tree of spans with duration bars on a shared time
 * axis. Virtualised: only the rows in view (plus overscan) exist in the DOM,
 * drawn from the flattened visible-row array of the trace index, so a
 * 100,000-span trace costs the same per frame as a 100-span one.
 */

import type { JSX, TargetedKeyboardEvent, TargetedPointerEvent } from 'preact';
import { useEffect, useLayoutEffect, useMemo, useRef, useState } from 'preact/hooks';
import { formatDuration, formatTick } from '../model/format';
import { kindInfo } from '../model/kinds';
import { SpanSearch, errorSpans, matchPosition, stepMatch } from '../model/search';
import { timeTicks } from '../model/ticks';
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
  const ticks = timeTicks(index.totalMs, barsWidth, 64);
  const view = virtualWindow(scrollTop, viewport.height, current.length, ROW_HEIGHT, OVERSCAN);
  const matchAt = matchPosition(index, matches, selected);

  const rendered: JSX.Element[] = [];
  for (let row = view.first; row < view.end; row++) {
    rendered.push(renderRow(row, current.rows[row]));
  }

  function renderRow(row: number, span: number): JSX.Element {
    const data = index.spans[span];
    const depth = index.depth[span];
    const kids = childCount(index, span);
    const open = expanded[span] === 1;
    const info = kindInfo(data.displayKind);
    const error = index.isError[span] === 1;
    const left = (index.startMs[span] / index.totalMs) * 100;
    const width = ((index.endMs[span] - index.startMs[span]) / index.totalMs) * 100;
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
        data-span-id={data.spanId}
        onClick={() => onSelect(span)}
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
          <Icon name={info.icon} class={`wf-kind kind-${data.displayKind}`} />
          <span class="wf-label" title={data.name}>
            {data.name}
          </span>
          {depth > MAX_INDENT_LEVELS && <span class="wf-depth" title="Nesting depth">{depth}</span>}
          {!open && kids > 0 && <span class="wf-hidden-count" title="Hidden descendants">{index.subtreeSize[span] - 1}</span>}
          {error && <Icon name="error" class="wf-error-icon" title={data.status.message || 'Error'} />}
        </div>
        <div class="wf-timeline">
          <div class={`wf-bar kind-${data.displayKind}${error ? ' error' : ''}${critical ? ' critical' : ''}`} style={{ left: `${left}%`, width: `${width}%` }}>
            {critical && renderSegments(index, span, spanMs)}
          </div>
          <span
            class={`wf-duration${labelInside ? ' inside' : ''}`}
            style={labelInside ? { right: `${100 - left - width}%` } : labelOnLeft ? { right: `${100 - left}%` } : { left: `${left + width}%` }}
          >
            {formatDuration(spanMs)}
          </span>
        </div>
      </div>
    );
  }

  return (
    <div class="waterfall">
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
      </div>
      <div class="wf-header">
        <div class="wf-name wf-header-name" style={{ width: `${nameWidth}px` }}>
          <span>Span</span>
          <span class="wf-row-count">{index.count === current.length ? index.count === 1 ? '1 span' : `${index.count} spans` : `${current.length} of ${index.count} spans shown`}</span>
        </div>
        <div class="wf-axis" style={{ width: `${barsWidth}px` }}>
          {ticks.ticks.map((tick) => (
            <span key={tick} class="wf-tick-label" style={{ left: `${(tick / index.totalMs) * 100}%` }}>
              {formatTick(tick, ticks.stepMs)}
            </span>
          ))}
        </div>
        <div class="wf-splitter" style={{ left: `${nameWidth - 3}px` }} onPointerDown={startResize} title="Drag to resize" />
      </div>
      <div class="wf-body">
        <div class="wf-grid" style={{ left: `${nameWidth}px`, width: `${barsWidth}px` }} aria-hidden="true">
          {ticks.ticks.map((tick) => (
            <span key={tick} class="wf-gridline" style={{ left: `${(tick / index.totalMs) * 100}%` }} />
          ))}
        </div>
        <div
          class="wf-scroll"
          ref={scrollRef}
          tabIndex={0}
          role="tree"
          aria-label="Spans"
          onScroll={(event) => setScrollTop(event.currentTarget.scrollTop)}
          onKeyDown={onTreeKey}
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

/** Critical segments as stripes inside a bar, positioned relative to the bar. */
function renderSegments(index: TraceIndex, span: number, spanMs: number): JSX.Element[] {
  const out: JSX.Element[] = [];
  const total = spanMs > 0 ? spanMs : 1;
  const spanStart = index.startMs[span];
  const values = index.criticalValues;
  for (let k = index.criticalOffset[span], end = k + index.criticalLength[span]; k < end; k += 2) {
    const left = ((values[k] - spanStart) / total) * 100;
    const width = ((values[k + 1] - values[k]) / total) * 100;
    out.push(<span key={k} class="wf-critical" style={{ left: `${left}%`, width: `${width}%` }} />);
  }
  return out;
}
