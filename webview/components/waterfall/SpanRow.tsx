/**
 * One row of the waterfall: the span's name column (indentation, twisty,
 * kind, name, depth and hidden-descendant counts, error icon) and its bar on
 * the shown time window.
 */

import type { JSX } from 'preact';
import { formatDuration } from '../../model/format';
import { kindInfo } from '../../model/kinds';
import { barGeometry, type TimeWindow } from '../../model/timeWindow';
import { childCount, type TraceIndex } from '../../model/traceIndex';
import { Icon } from '../common';

/** Indentation per tree level, px, and the deepest level indented further. */
const INDENT = 12;
const MAX_INDENT_LEVELS = 32;

export interface SpanRowProps {
  index: TraceIndex;
  span: number;
  selected: boolean;
  expanded: boolean;
  /** Matches the find text. */
  match: boolean;
  /** Draw the span's critical-path segments. */
  showCritical: boolean;
  shown: TimeWindow;
  nameWidth: number;
  onClick(span: number): void;
  /** Expands or collapses the span; `deep`: its whole subtree. */
  onToggle(span: number, deep: boolean): void;
}

export function SpanRow({ index, span, selected, expanded, match, showCritical, shown, nameWidth, onClick, onToggle }: SpanRowProps) {
  const displayKind = index.displayKind[span];
  const depth = index.depth[span];
  const kids = childCount(index, span);
  const error = index.isError[span] === 1;
  let className = 'wf-row';
  if (selected) className += ' selected';
  if (error) className += ' error';
  if (match) className += ' match';
  return (
    <div
      class={className}
      role="treeitem"
      aria-level={depth + 1}
      aria-expanded={kids > 0 ? expanded : undefined}
      aria-selected={selected}
      data-span-id={index.spanId[span]}
      onClick={() => onClick(span)}
      onDblClick={() => kids > 0 && onToggle(span, false)}
    >
      <div class="wf-name" style={{ width: `${nameWidth}px` }}>
        <span class="wf-indent" style={{ width: `${Math.min(depth, MAX_INDENT_LEVELS) * INDENT}px` }} />
        {kids > 0 ? (
          <span
            class={`wf-twisty codicon codicon-${expanded ? 'chevron-down' : 'chevron-right'}`}
            title={expanded ? 'Collapse (Alt: whole subtree)' : 'Expand (Alt: whole subtree)'}
            onClick={(event) => {
              event.stopPropagation();
              onToggle(span, event.altKey);
            }}
          />
        ) : (
          <span class="wf-twisty" />
        )}
        <Icon name={kindInfo(displayKind).icon} class={`wf-kind kind-${displayKind}`} />
        <span class="wf-label" title={index.name[span]}>
          {index.name[span]}
        </span>
        {depth > MAX_INDENT_LEVELS && <span class="wf-depth" title="Nesting depth">{depth}</span>}
        {!expanded && kids > 0 && <span class="wf-hidden-count" title="Hidden descendants">{index.subtreeSize[span] - 1}</span>}
        {error && <Icon name="error" class="wf-error-icon" title={index.statusMessage(span) || 'Error'} />}
      </div>
      <SpanBar index={index} span={span} critical={showCritical && index.critical[span] === 1} shown={shown} />
    </div>
  );
}

/** The span's bar and duration on the shown window, or an arrow at the edge it lies beyond. */
function SpanBar({ index, span, critical, shown }: { index: TraceIndex; span: number; critical: boolean; shown: TimeWindow }) {
  const error = index.isError[span] === 1;
  const bar = barGeometry(index.startMs[span], index.endMs[span], shown);
  const { left, width } = bar;
  const spanMs = index.endMs[span] - index.startMs[span];
  // Labels go right of the bar; near the right edge they go left of it, or inside when there is no room.
  const labelOnLeft = left + width > 75;
  const labelInside = labelOnLeft && left < 12;
  return (
    <div class="wf-timeline">
      {bar.outside ? (
        <span class={`wf-offscreen ${bar.outside}${error ? ' error' : ''}`} title={bar.outside === 'before' ? 'Before the zoomed range' : 'After the zoomed range'}>
          {bar.outside === 'before' ? `◂ ${formatDuration(spanMs)}` : `${formatDuration(spanMs)} ▸`}
        </span>
      ) : (
        <>
          <div
            class={`wf-bar kind-${index.displayKind[span]}${error ? ' error' : ''}${critical ? ' critical' : ''}${bar.clipStart ? ' clip-start' : ''}${bar.clipEnd ? ' clip-end' : ''}`}
            style={{ left: `${left}%`, width: `${width}%` }}
          >
            {critical && criticalSegments(index, span, shown)}
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
  );
}

/** Critical segments as stripes inside a bar, positioned relative to the bar's part in the window and cut to it. */
function criticalSegments(index: TraceIndex, span: number, shown: TimeWindow): JSX.Element[] {
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
