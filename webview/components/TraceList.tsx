/** The trace list: newest first and live, with filters and grouping by thread or trace group. */

import { useState } from 'preact/hooks';
import type { TraceSummaryJson } from '../../src/protocol/api';
import type { TraceQuery } from '../../src/protocol/messages';
import { formatAge, formatCost, formatCount, formatDuration } from '../model/format';
import { kindInfo } from '../model/kinds';
import { activeFilterCount, parseDurationInput, type FilterChoices, type TraceGroup, type TraceGrouping } from '../model/traceFilter';
import { Icon, IconButton } from './common';

export interface TraceListProps {
  groups: TraceGroup[];
  grouping: TraceGrouping;
  onGrouping(grouping: TraceGrouping): void;
  query: TraceQuery;
  onQuery(query: TraceQuery): void;
  choices: FilterChoices;
  selectedTraceId: string | null;
  onSelect(traceId: string): void;
  /** Traces in the store before filtering (the list's `total` without filters is not known). */
  shownCount: number;
  total: number;
  nowMs: number;
}

export function TraceList(props: TraceListProps) {
  const { query, onQuery } = props;
  const [filtersOpen, setFiltersOpen] = useState(activeFilterCount(query) > 0);
  const filterCount = activeFilterCount(query);
  const set = (patch: Partial<TraceQuery>) => onQuery({ ...query, ...patch });

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
          active={filtersOpen}
          onClick={() => setFiltersOpen(!filtersOpen)}
          testId="toggle-filters"
        />
        <select class="select" aria-label="Group traces" title="Group traces" value={props.grouping} onChange={(event) => props.onGrouping(event.currentTarget.value as TraceGrouping)} data-testid="grouping">
          <option value="none">No grouping</option>
          <option value="thread">By thread</option>
          <option value="traceGroup">By trace group</option>
        </select>
      </div>
      {filtersOpen && <Filters query={query} set={set} choices={props.choices} clear={() => onQuery(query.q ? { q: query.q } : {})} />}
      <div class="list-status muted">
        {props.shownCount === props.total ? `${props.total} ${props.total === 1 ? 'trace' : 'traces'}` : `${props.shownCount} of ${props.total} traces`}
      </div>
      <div class="list-scroll" role="listbox" aria-label="Traces">
        {props.groups.map((group) => (
          <GroupView key={group.key ?? '\u0000'} group={group} {...props} />
        ))}
      </div>
    </div>
  );
}

function GroupView(props: TraceListProps & { group: TraceGroup }) {
  const { group, grouping } = props;
  const [open, setOpen] = useState(true);
  const items = group.traces.map((trace) => <TraceItem key={trace.traceId} trace={trace} selected={trace.traceId === props.selectedTraceId} onSelect={props.onSelect} nowMs={props.nowMs} />);
  if (grouping === 'none') return <>{items}</>;
  const label = group.key ?? (grouping === 'thread' ? 'No thread' : 'No trace group');
  return (
    <div class="trace-group" data-testid="trace-group">
      <button type="button" class="group-header" onClick={() => setOpen(!open)} aria-expanded={open}>
        <Icon name={open ? 'chevron-down' : 'chevron-right'} />
        <Icon name={grouping === 'thread' ? 'comment-discussion' : 'folder'} />
        <span class="group-name" title={label}>
          {label}
        </span>
        <span class="muted">
          {group.traces.length} {group.traces.length === 1 ? 'trace' : 'traces'}
          {group.errorCount > 0 ? ` · ${group.errorCount} errors` : ''}
          {group.cost !== null ? ` · ${formatCost(group.cost)}` : ''}
        </span>
      </button>
      {open && <div class="group-items">{items}</div>}
    </div>
  );
}

function TraceItem({ trace, selected, onSelect, nowMs }: { trace: TraceSummaryJson; selected: boolean; onSelect(id: string): void; nowMs: number }) {
  const info = kindInfo(trace.kind);
  const tokens = trace.tokens.total ?? (trace.tokens.input ?? 0) + (trace.tokens.output ?? 0);
  return (
    <div
      class={`trace-item${selected ? ' selected' : ''}${trace.errorCount > 0 ? ' has-error' : ''}`}
      role="option"
      aria-selected={selected}
      tabIndex={0}
      data-trace-id={trace.traceId}
      onClick={() => onSelect(trace.traceId)}
      onKeyDown={(event) => {
        if (event.key === 'Enter' || event.key === ' ') {
          event.preventDefault();
          onSelect(trace.traceId);
        }
      }}
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
        {trace.service && <span>{trace.service}</span>}
        <span>
          {trace.spanCount} {trace.spanCount === 1 ? 'span' : 'spans'}
        </span>
        {trace.models.length > 0 && (
          <span title={trace.models.join(', ')}>
            <Icon name="sparkle" /> {trace.models[0]}
            {trace.models.length > 1 ? ` +${trace.models.length - 1}` : ''}
          </span>
        )}
        {tokens > 0 && <span title="Tokens">{formatCount(tokens)} tok</span>}
        {trace.cost !== null && <span title="Cost">{formatCost(trace.cost)}</span>}
        {trace.customerIdentifier && (
          <span title="Customer">
            <Icon name="account" /> {trace.customerIdentifier}
          </span>
        )}
        {trace.threadIdentifier && (
          <span title="Thread">
            <Icon name="comment-discussion" /> {trace.threadIdentifier}
          </span>
        )}
        <span class="trace-age" title={new Date(trace.startTimeMs).toLocaleString()}>
          {formatAge(trace.startTimeMs, nowMs)}
        </span>
      </div>
    </div>
  );
}

function Filters({ query, set, choices, clear }: { query: TraceQuery; set(patch: Partial<TraceQuery>): void; choices: FilterChoices; clear(): void }) {
  return (
    <div class="filters" data-testid="filters">
      <label class="checkbox">
        <input type="checkbox" checked={query.errors ?? false} onChange={(event) => set({ errors: event.currentTarget.checked || undefined })} data-testid="filter-errors" />
        Errors only
      </label>
      <label class="checkbox">
        <input type="checkbox" checked={query.pinned ?? false} onChange={(event) => set({ pinned: event.currentTarget.checked || undefined })} />
        Pinned only
      </label>
      <Choice label="Model" value={query.model} values={choices.models} onChange={(model) => set({ model })} />
      <Choice label="Customer" value={query.customer} values={choices.customers} onChange={(customer) => set({ customer })} />
      <Choice label="Thread" value={query.thread} values={choices.threads} onChange={(thread) => set({ thread })} />
      <Choice label="Trace group" value={query.traceGroup} values={choices.traceGroups} onChange={(traceGroup) => set({ traceGroup })} />
      <Choice label="Service" value={query.service} values={choices.services} onChange={(service) => set({ service })} />
      <div class="filter-row">
        <span class="filter-label">Duration</span>
        <DurationInput placeholder="min" value={query.minDurationMs} onChange={(minDurationMs) => set({ minDurationMs })} />
        <span class="muted">–</span>
        <DurationInput placeholder="max" value={query.maxDurationMs} onChange={(maxDurationMs) => set({ maxDurationMs })} />
      </div>
      <button type="button" class="link-button" onClick={clear}>
        Clear filters
      </button>
    </div>
  );
}

function Choice({ label, value, values, onChange }: { label: string; value: string | undefined; values: string[]; onChange(value: string | undefined): void }) {
  // Keep a chosen value selectable even when no listed trace carries it any more.
  const options = value && !values.includes(value) ? [value, ...values] : values;
  return (
    <label class="filter-row">
      <span class="filter-label">{label}</span>
      <select class="select" value={value ?? ''} onChange={(event) => onChange(event.currentTarget.value || undefined)} disabled={options.length === 0}>
        <option value="">Any</option>
        {options.map((option) => (
          <option key={option} value={option}>
            {option}
          </option>
        ))}
      </select>
    </label>
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
