/**
 * The trace list: newest first and live, with filters and grouping by thread,
 * trace group or run. Group headers and traces are the fixed-height rows of a
 * {@link VirtualList}, so thousands of traces cost what a screenful does.
 */

import type { TargetedKeyboardEvent } from 'preact';
import { useLayoutEffect, useMemo, useRef, useState } from 'preact/hooks';
import type { TraceSummaryJson } from '../../src/protocol/api';
import type { TraceQuery } from '../../src/protocol/query';
import { formatAge, formatCost, formatCount, formatDateTime, formatDuration, formatInteger, formatSpans } from '../model/format';
import { kindInfo } from '../model/kinds';
import { activeFilterCount, parseCostInput, parseDurationInput, type FilterChoices, type FilterOption, type TraceGroup, type TraceGrouping } from '../model/traceFilter';
import { anchoredTop, chooseAnchors, rowIndexOf, traceListRows, type TraceListRow } from '../model/traceList';
import { navigationTarget, pageRows, scrollTopForVirtualTop, scrollTopToReveal, virtualScrollTop } from '../model/virtual';
import { Icon, IconButton } from './common';
import { VirtualList, useVirtualScroll, type VirtualScroll } from './VirtualList';

/** Row height in px; must match `--list-row-height` in styles.css. */
export const LIST_ROW_HEIGHT = 44;
/** Rows rendered above and below the viewport. */
const OVERSCAN = 6;
/** Prefix of row element ids, for `aria-activedescendant`. */
const ROW_ID = 'trace-list-row-';

export interface TraceListProps {
  groups: TraceGroup[];
  grouping: TraceGrouping;
  onGrouping(grouping: TraceGrouping): void;
  query: TraceQuery;
  onQuery(query: TraceQuery): void;
  filtersOpen: boolean;
  onFiltersOpen(open: boolean): void;
  choices: FilterChoices;
  selectedTraceId: string | null;
  onSelect(traceId: string): void;
  /** Traces shown, after the view's own filtering. */
  shownCount: number;
  /** Traces the list holds: the newest `listedCount` of `total`. */
  listedCount: number;
  /** Traces in the store that match the filters. */
  total: number;
  /** The first answer has not arrived yet. */
  loading: boolean;
  /** The inspector is still restoring the traces it kept on disk. */
  restoring: boolean;
  nowMs: number;
}

export function TraceList(props: TraceListProps) {
  const { query, onQuery, grouping, groups } = props;
  const [collapsed, setCollapsed] = useState<ReadonlySet<string>>(new Set());
  const rows = useMemo(() => traceListRows(groups, grouping, collapsed), [groups, grouping, collapsed]);
  const filterCount = activeFilterCount(query);
  const set = (patch: Partial<TraceQuery>) => onQuery({ ...query, ...patch });
  const notListed = props.total - props.listedCount;

  function toggleGroup(key: string): void {
    const next = new Set(collapsed);
    if (!next.delete(key)) next.add(key);
    setCollapsed(next);
  }

  return (
    <div class="trace-list" data-testid="trace-list">
      <div class="list-toolbar">
        <div class="find-box grow">
          <Icon name="search" />
          <input
            type="search"
            placeholder="Search traces"
            aria-label="Search traces"
            value={query.q ?? ''}
            onInput={(event) => set({ q: event.currentTarget.value || undefined })}
            data-testid="trace-search"
          />
        </div>
        <IconButton
          icon="filter"
          title={filterCount > 0 ? `Filters (${filterCount} active)` : 'Filters'}
          label={filterCount > 0 ? String(filterCount) : undefined}
          active={props.filtersOpen}
          onClick={() => props.onFiltersOpen(!props.filtersOpen)}
          testId="toggle-filters"
        />
        <select class="select" aria-label="Group traces" title="Group traces" value={grouping} onChange={(event) => props.onGrouping(event.currentTarget.value as TraceGrouping)} data-testid="grouping">
          <option value="none">No grouping</option>
          <option value="thread">By thread</option>
          <option value="traceGroup">By trace group</option>
          <option value="run">By run</option>
        </select>
      </div>
      {props.filtersOpen && <Filters query={query} set={set} choices={props.choices} clear={() => onQuery(query.q ? { q: query.q } : {})} />}
      <div class="list-status muted" data-testid="list-status">
        {statusText(props)}
      </div>
      <TraceRows
        rows={rows}
        grouping={grouping}
        selectedTraceId={props.selectedTraceId}
        onSelect={props.onSelect}
        onToggleGroup={toggleGroup}
        nowMs={props.nowMs}
      />
      {notListed > 0 && (
        <div class="list-footer muted" role="status" data-testid="list-not-listed">
          <Icon name="info" /> {formatInteger(notListed)} older {notListed === 1 ? 'trace is' : 'traces are'} not listed. Search or filter to reach {notListed === 1 ? 'it' : 'them'}.
        </div>
      )}
    </div>
  );
}

/** The count line above the rows. */
function statusText(props: TraceListProps): string {
  const text = countText(props);
  return props.query.sort === 'cost' && !props.loading ? `${text}, costliest first` : text;
}

function countText(props: TraceListProps): string {
  const text = tracesCountText(props);
  return props.restoring ? `${text} · restoring saved traces…` : text;
}

function tracesCountText({ loading, shownCount, listedCount, total }: TraceListProps): string {
  if (loading) return 'Loading traces…';
  if (listedCount < total && shownCount === listedCount) return `Newest ${formatInteger(listedCount)} of ${formatInteger(total)} traces`;
  if (shownCount === total) return `${formatInteger(total)} ${total === 1 ? 'trace' : 'traces'}`;
  return `${formatInteger(shownCount)} of ${formatInteger(total)} traces`;
}

interface TraceRowsProps {
  rows: TraceListRow[];
  grouping: TraceGrouping;
  selectedTraceId: string | null;
  onSelect(traceId: string): void;
  onToggleGroup(key: string): void;
  nowMs: number;
}

/** The virtual scroller: a listbox (a tree when grouped) whose active row moves with the keys. */
function TraceRows({ rows, grouping, selectedTraceId, onSelect, onToggleGroup, nowMs }: TraceRowsProps) {
  const scroll = useVirtualScroll(LIST_ROW_HEIGHT, { width: 0, height: 600 });
  /** The keyboard's row (a trace id or a group key), moved since `selection` was selected; a new selection takes over. */
  const [moved, setMoved] = useState<{ key: string; selection: string | null } | null>(null);
  const activeKey = moved && moved.selection === selectedTraceId ? moved.key : selectedTraceId;
  const setActiveKey = (key: string) => setMoved({ key, selection: selectedTraceId });
  const onScroll = useAnchoredScroll(scroll, rows, selectedTraceId);

  const activeIndex = (() => {
    const active = rowIndexOf(rows, activeKey);
    if (active >= 0) return active;
    return Math.max(0, rowIndexOf(rows, selectedTraceId));
  })();

  function activate(index: number): void {
    setActiveKey(rows[index].key);
    scroll.reveal(index, rows.length);
  }

  function onKey(event: TargetedKeyboardEvent<HTMLDivElement>): void {
    if (rows.length === 0) return;
    const target = navigationTarget(event.key, activeIndex, rows.length, pageRows(scroll.viewport.height, LIST_ROW_HEIGHT));
    if (target !== null) activate(target);
    else if (!onRowKey(event.key)) return;
    event.preventDefault();
  }

  /** The keys of the active row itself: fold and unfold a group, go up to it, open a trace. True when `key` was one. */
  function onRowKey(key: string): boolean {
    const row = rows[activeIndex];
    switch (key) {
      case 'ArrowRight':
        if (row.kind !== 'group' || !row.collapsed) return false;
        onToggleGroup(row.key);
        return true;
      case 'ArrowLeft':
        if (row.kind === 'group' && !row.collapsed) onToggleGroup(row.key);
        else if (row.kind === 'trace' && row.grouped) activate(activeIndex - row.position);
        else return false;
        return true;
      case 'Enter':
      case ' ':
        if (row.kind === 'group') onToggleGroup(row.key);
        else onSelect(row.trace.traceId);
        return true;
      default:
        return false;
    }
  }

  function renderRow(index: number) {
    const row = rows[index];
    const common = { id: rowId(index), active: index === activeIndex, grouping, row };
    return row.kind === 'group' ? (
      <GroupRow
        key={row.key}
        {...common}
        group={row.group}
        collapsed={row.collapsed}
        onToggle={() => {
          setActiveKey(row.key);
          onToggleGroup(row.key);
        }}
      />
    ) : (
      <TraceItem
        key={row.key}
        {...common}
        trace={row.trace}
        selected={row.trace.traceId === selectedTraceId}
        onSelect={() => {
          setActiveKey(row.key);
          onSelect(row.trace.traceId);
        }}
        nowMs={nowMs}
      />
    );
  }

  return (
    <VirtualList
      scroll={scroll}
      rowCount={rows.length}
      overscan={OVERSCAN}
      renderRow={renderRow}
      activeRow={{ row: activeIndex, id: rowId }}
      onScroll={onScroll}
      onKeyDown={onKey}
      class="list-scroll"
      role={grouping !== 'none' ? 'tree' : 'listbox'}
      label="Traces"
      testId="trace-list-rows"
    />
  );
}

/**
 * Keeps the list's place while its rows change (traces arrived or left, a
 * group folded): the selected trace, or else the first row in view, stays
 * where it was on screen; a new selection is brought into view once its row
 * is listed. Returns the scroller's scroll listener.
 */
function useAnchoredScroll(scroll: VirtualScroll, rows: TraceListRow[], selectedTraceId: string | null): (scrollTop: number) => void {
  /** The rows and scroll position on screen, from which the anchor is chosen when the rows change. */
  const drawn = useRef<{ rows: TraceListRow[]; scrollTop: number } | null>(null);
  /** A selection to bring into view once its row is listed. */
  const revealKey = useRef<string | null>(selectedTraceId);
  const selectionSeen = useRef(selectedTraceId);
  if (selectionSeen.current !== selectedTraceId) {
    selectionSeen.current = selectedTraceId;
    revealKey.current = selectedTraceId;
  }

  useLayoutEffect(() => {
    const element = scroll.ref.current;
    if (!element) return;
    const height = element.clientHeight;
    const previous = drawn.current;
    let target = previous?.scrollTop ?? element.scrollTop;
    if (previous && previous.rows !== rows) {
      const top = virtualScrollTop(previous.scrollTop, height, previous.rows.length, LIST_ROW_HEIGHT);
      const anchors = chooseAnchors(previous.rows, top, height, LIST_ROW_HEIGHT, selectedTraceId);
      const anchored = anchoredTop(rows, anchors, LIST_ROW_HEIGHT);
      if (anchored !== null) target = scrollTopForVirtualTop(anchored, height, rows.length, LIST_ROW_HEIGHT);
    }
    const reveal = rowIndexOf(rows, revealKey.current);
    if (reveal >= 0) {
      target = scrollTopToReveal(reveal, target, height, rows.length, LIST_ROW_HEIGHT);
      revealKey.current = null;
    }
    scroll.scrollTo(target);
    drawn.current = { rows, scrollTop: element.scrollTop };
  }, [rows, selectedTraceId]);

  return (top) => {
    if (drawn.current) drawn.current = { ...drawn.current, scrollTop: top };
  };
}

/** Element id of row `index`, for `aria-activedescendant`. */
function rowId(index: number): string {
  return `${ROW_ID}${index}`;
}

/** Props every row gets from the scroller. */
interface RowProps {
  id: string;
  active: boolean;
  grouping: TraceGrouping;
  row: TraceListRow;
}

function GroupRow({ id, active, grouping, row, group, collapsed, onToggle }: RowProps & { group: TraceGroup; collapsed: boolean; onToggle(): void }) {
  const label = group.label ?? (grouping === 'thread' ? 'No thread' : grouping === 'run' ? 'No run' : 'No trace group');
  return (
    <div
      id={id}
      class={`group-row${active ? ' active' : ''}`}
      role="treeitem"
      aria-level={1}
      aria-expanded={!collapsed}
      aria-posinset={row.position}
      aria-setsize={row.setSize}
      aria-selected={false}
      onClick={onToggle}
      data-testid="trace-group"
    >
      <div class="trace-line">
        <Icon name={collapsed ? 'chevron-right' : 'chevron-down'} />
        <Icon name={grouping === 'thread' ? 'comment-discussion' : grouping === 'run' ? 'server-process' : 'folder'} />
        <span class="group-name" title={label}>
          {label}
        </span>
      </div>
      <div class="group-facts muted">
        {formatInteger(group.traces.length)} {group.traces.length === 1 ? 'trace' : 'traces'}
        {group.errorCount > 0 ? ` · ${formatInteger(group.errorCount)} ${group.errorCount === 1 ? 'error' : 'errors'}` : ''}
        {group.cost !== null ? ` · ${formatCost(group.cost, group.costEstimated)}` : ''}
      </div>
    </div>
  );
}

function TraceItem({ id, active, grouping, row, trace, selected, onSelect, nowMs }: RowProps & { trace: TraceSummaryJson; selected: boolean; onSelect(): void; nowMs: number }) {
  const grouped = grouping !== 'none';
  const info = kindInfo(trace.kind);
  const tokens = trace.tokens.total ?? (trace.tokens.input ?? 0) + (trace.tokens.output ?? 0);
  return (
    <div
      id={id}
      class={`trace-item${selected ? ' selected' : ''}${active ? ' active' : ''}${grouped ? ' grouped' : ''}${trace.errorCount > 0 ? ' has-error' : ''}`}
      role={grouped ? 'treeitem' : 'option'}
      aria-level={grouped ? 2 : undefined}
      aria-selected={selected}
      aria-posinset={row.position}
      aria-setsize={row.setSize}
      data-trace-id={trace.traceId}
      onClick={onSelect}
    >
      <div class="trace-line">
        <Icon name={info.icon} class={`kind-${trace.kind}`} title={info.label} />
        <span class="trace-name" title={trace.name}>
          {trace.name || '(unnamed)'}
        </span>
        {trace.pinned && <Icon name="pinned" title="Pinned" />}
        {trace.errorCount > 0 && (
          <span class="badge error" title={`${trace.errorCount} error spans`}>
            <Icon name="error" /> {trace.errorCount}
          </span>
        )}
        <span class="trace-duration">{formatDuration(trace.durationMs)}</span>
      </div>
      <div class="trace-meta muted">
        {/* One line, most telling first: facts that do not fit wrap onto a hidden line instead of being cut; the tooltip has them all. */}
        <span class="trace-row-facts" title={factsTitle(trace, tokens)}>
          {trace.models.length > 0 && (
            <span class="trace-row-model">
              <Icon name="sparkle" />
              <span class="trace-row-model-name">
                {trace.models[0]}
                {trace.models.length > 1 ? ` +${trace.models.length - 1}` : ''}
              </span>
            </span>
          )}
          {tokens > 0 && <span>{formatCount(tokens)} tok</span>}
          {trace.cost !== null && <span data-testid="trace-cost">{formatCost(trace.cost, trace.costEstimated)}</span>}
          <span>
            {formatSpans(trace.spanCount)}
          </span>
          {trace.customerIdentifier && (
            <span>
              <Icon name="account" /> {trace.customerIdentifier}
            </span>
          )}
          {trace.threadIdentifier && (
            <span>
              <Icon name="comment-discussion" /> {trace.threadIdentifier}
            </span>
          )}
          {trace.service && <span>{trace.service}</span>}
        </span>
        <span class="trace-age" title={formatDateTime(trace.startTimeMs)}>
          {formatAge(trace.startTimeMs, nowMs)}
        </span>
      </div>
    </div>
  );
}

/** Every fact of a trace's second line, for its tooltip (the line shows those that fit). */
function factsTitle(trace: TraceSummaryJson, tokens: number): string {
  const facts: string[] = [];
  if (trace.models.length > 0) facts.push(`Models: ${trace.models.join(', ')}`);
  if (tokens > 0) facts.push(`Tokens: ${formatInteger(tokens)}`);
  if (trace.cost !== null) facts.push(`Cost: ${formatCost(trace.cost, trace.costEstimated)}${trace.costEstimated ? ' (includes estimates from the price table)' : ''}`);
  facts.push(`Spans: ${formatInteger(trace.spanCount)}`);
  if (trace.customerIdentifier) facts.push(`Customer: ${trace.customerIdentifier}`);
  if (trace.threadIdentifier) facts.push(`Thread: ${trace.threadIdentifier}`);
  if (trace.run) facts.push(`Run: ${trace.run.label}`);
  if (trace.services.length > 0 || trace.service) facts.push(`Services: ${(trace.services.length > 0 ? trace.services : [trace.service]).join(', ')}`);
  return facts.join('\n');
}

function Filters({ query, set, choices, clear }: { query: TraceQuery; set(patch: Partial<TraceQuery>): void; choices: FilterChoices; clear(): void }) {
  return (
    <div class="filters" data-testid="filters">
      <label class="filter-row">
        <span class="filter-label">Order</span>
        <select class="select" value={query.sort ?? 'newest'} onChange={(event) => set({ sort: event.currentTarget.value === 'cost' ? 'cost' : undefined })} data-testid="sort">
          <option value="newest">Newest first</option>
          <option value="cost">Costliest first</option>
        </select>
      </label>
      <label class="checkbox">
        <input type="checkbox" checked={query.errors ?? false} onChange={(event) => set({ errors: event.currentTarget.checked || undefined })} data-testid="filter-errors" />
        Errors only
      </label>
      <label class="checkbox">
        <input type="checkbox" checked={query.pinned ?? false} onChange={(event) => set({ pinned: event.currentTarget.checked || undefined })} />
        Pinned only
      </label>
      <Choice label="Model" value={query.model} options={choices.models} onChange={(model) => set({ model })} testId="filter-model" />
      <Choice label="Customer" value={query.customer} options={choices.customers} onChange={(customer) => set({ customer })} testId="filter-customer" />
      <Choice label="Thread" value={query.thread} options={choices.threads} onChange={(thread) => set({ thread })} testId="filter-thread" />
      <Choice label="Trace group" value={query.traceGroup} options={choices.traceGroups} onChange={(traceGroup) => set({ traceGroup })} testId="filter-trace-group" />
      <Choice label="Service" value={query.service} options={choices.services} onChange={(service) => set({ service })} testId="filter-service" />
      <Choice label="Environment" value={query.environment} options={choices.environments} onChange={(environment) => set({ environment })} testId="filter-environment" />
      <Choice label="Span name" value={query.name} options={choices.names} onChange={(name) => set({ name })} testId="filter-name" />
      <Choice label="Run" value={query.run} options={choices.runs} onChange={(run) => set({ run })} testId="filter-run" />
      <div class="filter-row">
        <span class="filter-label">Duration</span>
        <DurationInput placeholder="min" value={query.minDurationMs} onChange={(minDurationMs) => set({ minDurationMs })} />
        <span class="muted">–</span>
        <DurationInput placeholder="max" value={query.maxDurationMs} onChange={(maxDurationMs) => set({ maxDurationMs })} />
      </div>
      <div class="filter-row">
        <span class="filter-label">Cost at least</span>
        <CostInput value={query.minCost} onChange={(minCost) => set({ minCost })} />
      </div>
      <button type="button" class="link-button" onClick={clear}>
        Clear filters
      </button>
    </div>
  );
}

function Choice({ label, value, options, onChange, testId }: { label: string; value: string | undefined; options: FilterOption[]; onChange(value: string | undefined): void; testId: string }) {
  // Keep a chosen value selectable even when no trace carries it any more.
  const all = value && !options.some((option) => option.value === value) ? [{ value, traces: 0 }, ...options] : options;
  return (
    <label class="filter-row">
      <span class="filter-label">{label}</span>
      <select class="select" value={value ?? ''} onChange={(event) => onChange(event.currentTarget.value || undefined)} disabled={all.length === 0} data-testid={testId}>
        <option value="">Any</option>
        {all.map((option) => (
          <option key={option.value} value={option.value}>
            {optionText(option)}
          </option>
        ))}
      </select>
    </label>
  );
}

/** A drop-down option: the value (or a run's label), its traces, and what they cost when known. */
function optionText(option: FilterOption): string {
  const cost = option.cost !== undefined ? ` · ${formatCost(option.cost, option.costEstimated)}` : '';
  return `${option.label ?? option.value} (${formatInteger(option.traces)}${cost})`;
}

function CostInput({ value, onChange }: { value: number | undefined; onChange(value: number | undefined): void }) {
  const [text, setText] = useState(value === undefined ? '' : String(value));
  const invalid = text.trim() !== '' && parseCostInput(text) === undefined;
  return (
    <input
      class={`text-input duration-input${invalid ? ' invalid' : ''}`}
      type="text"
      placeholder="USD"
      aria-label="Minimum cost in USD (e.g. 0.01)"
      title="Only traces that cost at least this many USD, e.g. 0.01"
      value={text}
      onInput={(event) => {
        setText(event.currentTarget.value);
        const parsed = parseCostInput(event.currentTarget.value);
        if (event.currentTarget.value.trim() === '' || parsed !== undefined) onChange(parsed);
      }}
      data-testid="filter-min-cost"
    />
  );
}

function DurationInput({ value, placeholder, onChange }: { value: number | undefined; placeholder: string; onChange(value: number | undefined): void }) {
  const [text, setText] = useState(value === undefined ? '' : value < 1000 ? `${value}ms` : `${value / 1000}s`);
  const invalid = text.trim() !== '' && parseDurationInput(text) === undefined;
  return (
    <input
      class={`text-input duration-input${invalid ? ' invalid' : ''}`}
      type="text"
      placeholder={placeholder}
      aria-label={`${placeholder} duration (e.g. 250ms, 1.5s)`}
      title="e.g. 250ms, 1.5s, 2m"
      value={text}
      onInput={(event) => {
        setText(event.currentTarget.value);
        const parsed = parseDurationInput(event.currentTarget.value);
        if (event.currentTarget.value.trim() === '' || parsed !== undefined) onChange(parsed);
      }}
    />
  );
}
