/**
 * The inspector app: the trace list, the open trace's waterfall and the
 * selected span's details, kept live from the host's store changes.
 */

import type { TargetedDragEvent, TargetedPointerEvent } from 'preact';
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { FORWARD_ANSWER_WAIT_MS } from '../src/core/defaults';
import type { SpanJson } from '../src/protocol/api';
import type { ListenerEndpoints } from '../src/protocol/messages';
import type { TraceQuery } from '../src/protocol/query';
import { CopyButton, Icon, IconButton, Section } from './components/common';
import { EmptyState } from './components/EmptyState';
import { ErrorBoundary } from './components/ErrorBoundary';
import { LogList, recordLogRows } from './components/Logs';
import { SpanDetails } from './components/SpanDetails';
import { TraceList } from './components/TraceList';
import { Waterfall } from './components/Waterfall';
import { ServicesContext, type AppServices } from './context';
import type { HostInfo, InspectorHost } from './host/types';
import { formatClock, formatCost, formatDateTime, formatCount, formatDuration, formatSpans } from './model/format';
import { detectImportFormat } from './model/importFormat';
import { kindInfo } from './model/kinds';
import { activeFilterCount, facetChoices, filterChoices, filterTraces, groupTraces, type FilterChoices, type TraceGrouping } from './model/traceFilter';
import { OpenTraceLoader, type OpenTrace, type TraceLoadOutcome } from './model/openTraceLoader';
import { TraceListSync, type TraceListState } from './model/traceListSync';

/** Minimum spacing of refetches of the filter drop-downs' values while traces keep changing, ms. */
const FACETS_REFRESH_MS = 1000;
/** What the drop-downs offer while the filters are closed (nothing is computed for them). */
const NO_CHOICES: FilterChoices = { models: [], customers: [], threads: [], traceGroups: [], services: [], environments: [], names: [], runs: [] };
/** Minimum spacing of refetches of the open trace while spans keep arriving, ms. */
const DETAIL_REFRESH_MS = 800;

/** Resolves after the next frame is painted (a task queued from an animation frame runs after its paint). */
function afterPaint(): Promise<void> {
  return new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0)));
}

interface Toast {
  id: number;
  message: string;
  kind: 'info' | 'error';
}

export function App({ host }: { host: InspectorHost }) {
  const saved = useMemo(() => host.loadState(), [host]);
  const [info, setInfo] = useState<HostInfo | null>(null);
  const [endpoints, setEndpoints] = useState<ListenerEndpoints | null>(null);
  const [query, setQuery] = useState<TraceQuery>(saved.query ?? {});
  const [grouping, setGrouping] = useState<TraceGrouping>(saved.grouping ?? 'none');
  const [listVisible, setListVisible] = useState(saved.listVisible ?? true);
  const [list, setList] = useState<TraceListState | null>(null);
  const [listError, setListError] = useState<string | null>(null);
  const [filtersOpen, setFiltersOpen] = useState(activeFilterCount(saved.query ?? {}) > 0);
  /** Every value the store knows, for the drop-downs; null until fetched (the list's own values stand in). */
  const [facets, setFacets] = useState<FilterChoices | null>(null);
  const [traceId, setTraceId] = useState<string | null>(saved.traceId ?? null);
  const [open, setOpen] = useState<OpenTrace | null>(null);
  const [traceError, setTraceError] = useState<string | null>(null);
  const [loadingTrace, setLoadingTrace] = useState(false);
  const [selected, setSelected] = useState(-1);
  /** Bumped when the selected span's details arrive (lean traces). */
  const [, setDetailsArrived] = useState(0);
  const [detailsWidth, setDetailsWidth] = useState(saved.detailsWidth ?? 440);
  const [toasts, setToasts] = useState<Toast[]>([]);
  const [connected, setConnected] = useState(true);
  const [now, setNow] = useState(Date.now());
  const [dragging, setDragging] = useState(false);
  const [confirmClear, setConfirmClear] = useState(false);
  const fileInput = useRef<HTMLInputElement>(null);
  const detailsRef = useRef<HTMLDivElement>(null);
  /** Span to select once the trace being loaded arrives. */
  const pendingSpan = useRef<string | undefined>(undefined);
  /** The trace reopened from saved state: if the store no longer has it (a restarted listener), drop it quietly. */
  const restoredTrace = useRef<string | undefined>(undefined);
  const facetsSeq = useRef(0);
  const latest = useRef({ query, traceId, open, selected, filtersOpen, list });
  latest.current = { query, traceId, open, selected, filtersOpen, list };
  const listSync = useMemo(() => new TraceListSync({ fetch: (listQuery) => host.callService('listTraces', { query: listQuery }), onState: setList, onError: setListError }), [host]);
  useEffect(() => () => listSync.dispose(), [listSync]);
  const traceLoader = useMemo(
    () =>
      new OpenTraceLoader({
        call: host.callService,
        knownSpanCount: (id) => {
          const { open: current, list: listed } = latest.current;
          if (current && current.traceId === id && !current.gone) return current.index.count;
          return listed?.traces.find((trace) => trace.traceId === id)?.spanCount;
        },
        wants: (id) => latest.current.traceId === id,
        onOutcome: showLoadOutcome,
        onLoading: setLoadingTrace,
        onDetails: (trace, spanId) => {
          const { open: shown, selected: at } = latest.current;
          if (shown?.details === trace.details && at >= 0 && shown.index.spanId[at] === spanId) setDetailsArrived((n) => n + 1);
        },
        afterPaint,
        streamLean: host.streamLeanTrace && ((id) => host.streamLeanTrace!(id)),
      }),
    [host],
  );

  const notify = (message: string, kind: 'info' | 'error' = 'info') => {
    const id = Date.now() + Math.random();
    setToasts((all) => [...all.slice(-3), { id, message, kind }]);
    setTimeout(() => setToasts((all) => all.filter((t) => t.id !== id)), kind === 'error' ? 8000 : 2500);
  };

  const services: AppServices | null = useMemo(
    () =>
      info && {
        host,
        capabilities: info.capabilities,
        notify,
        copy: (text: string, what?: string) => host.copy(text).then(() => notify(`Copied ${what ?? 'to the clipboard'}`), (error: Error) => notify(error.message, 'error')),
        openTrace: (id: string, spanId?: string) => openTraceById(id, spanId),
      },
    [info, host],
  );

  async function loadFacets(): Promise<void> {
    const seq = ++facetsSeq.current;
    try {
      const result = await host.callService('getFacets', {});
      if (seq === facetsSeq.current) setFacets(facetChoices(result));
    } catch {
      // The drop-downs fall back to the values of the listed traces.
      if (seq === facetsSeq.current) setFacets(null);
    }
  }

  function loadTrace(id: string, quiet: boolean): void {
    void traceLoader.load(id, quiet);
  }

  function showLoadOutcome(outcome: TraceLoadOutcome): void {
    if (outcome.kind === 'failed') {
      setTraceError(outcome.message);
      return;
    }
    if (outcome.kind === 'gone') {
      const current = latest.current.open;
      if (restoredTrace.current === outcome.traceId) {
        restoredTrace.current = undefined;
        setTraceId(null);
        return;
      }
      if (current && current.traceId === outcome.traceId) setOpen({ ...current, gone: true });
      else setTraceError('This trace is no longer in the inspector (deleted or evicted).');
      return;
    }
    const { trace } = outcome;
    const { index } = trace;
    if (restoredTrace.current === trace.traceId) restoredTrace.current = undefined;
    const previous = latest.current.open;
    const previousSpan = previous && previous.traceId === trace.traceId && latest.current.selected >= 0 ? previous.index.spanId[latest.current.selected] : undefined;
    const wanted = pendingSpan.current ?? previousSpan;
    pendingSpan.current = undefined;
    const wantedIndex = wanted !== undefined ? index.byId.get(wanted) : undefined;
    setOpen(trace);
    setSelected(wantedIndex ?? (index.roots.length > 0 ? index.roots[0] : -1));
    setTraceError(null);
  }

  function openTraceById(id: string, spanId?: string): void {
    pendingSpan.current = spanId;
    const current = latest.current.open;
    if (current && current.traceId === id && spanId !== undefined) {
      const span = current.index.byId.get(spanId);
      if (span !== undefined) {
        pendingSpan.current = undefined;
        setSelected(span);
        return;
      }
    }
    setTraceId(id);
    if (!current || current.traceId !== id) setOpen(null);
    setTraceError(null);
    loadTrace(id, false);
  }

  // Start: connect to the host, then load the list and the trace to show.
  useEffect(() => {
    let cancelled = false;
    host.start().then(
      (hostInfo) => {
        if (cancelled) return;
        setInfo(hostInfo);
        setEndpoints(hostInfo.endpoints);
        if (hostInfo.hostListsTraces && saved.listVisible === undefined) setListVisible(false);
        listSync.setQuery(latest.current.query);
        const reveal = hostInfo.reveal ?? (saved.traceId ? { traceId: saved.traceId } : undefined);
        if (!hostInfo.reveal && saved.traceId) restoredTrace.current = saved.traceId;
        if (reveal) openTraceById(reveal.traceId, reveal.spanId);
      },
      (error: Error) => setListError(error.message),
    );
    return () => {
      cancelled = true;
    };
  }, [host]);

  // Live updates: refresh the list's changed traces, the drop-downs' values while they are open, and the open trace when it changed.
  useEffect(() => {
    let facetsTimer: ReturnType<typeof setTimeout> | undefined;
    let traceTimer: ReturnType<typeof setTimeout> | undefined;
    const scheduleFacets = () => {
      facetsTimer ??= setTimeout(() => {
        facetsTimer = undefined;
        if (latest.current.filtersOpen) void loadFacets();
      }, FACETS_REFRESH_MS);
    };
    const scheduleTrace = (id: string) => {
      traceTimer ??= setTimeout(() => {
        traceTimer = undefined;
        if (latest.current.traceId === id) loadTrace(id, true);
      }, DETAIL_REFRESH_MS);
    };
    const offChange = host.onServiceEvent((event) => {
      if (event.type !== 'change') return;
      const change = event.data;
      listSync.noteChange(change);
      if (latest.current.filtersOpen) scheduleFacets();
      const id = latest.current.traceId;
      if (!id) return;
      if (change.evicted.includes(id) || change.cleared) {
        const current = latest.current.open;
        if (current && current.traceId === id && !change.added.includes(id) && !change.updated.includes(id)) setOpen({ ...current, gone: true });
      } else if (change.added.includes(id) || change.updated.includes(id)) {
        scheduleTrace(id);
      }
    });
    const offReveal = host.onRevealSpan((id, spanId) => openTraceById(id, spanId));
    const offEndpoints = host.onEndpointsChange(setEndpoints);
    const offConnection = host.onConnectionChange((isConnected) => {
      setConnected(isConnected);
      if (isConnected) {
        listSync.reload();
        if (latest.current.filtersOpen) void loadFacets();
        const id = latest.current.traceId;
        if (id) loadTrace(id, true);
      }
    });
    const clock = setInterval(() => setNow(Date.now()), 15_000);
    return () => {
      offChange();
      offReveal();
      offEndpoints();
      offConnection();
      clearInterval(clock);
      clearTimeout(facetsTimer);
      clearTimeout(traceTimer);
    };
  }, [host, listSync]);

  // Filters: refetch when they change (text debounced); the start fetches with the first ones.
  const firstQuery = useRef(true);
  useEffect(() => {
    if (firstQuery.current) {
      firstQuery.current = false;
      return;
    }
    const timer = setTimeout(() => {
      if (info) listSync.setQuery(query);
    }, 200);
    return () => clearTimeout(timer);
  }, [query]);

  // The drop-downs' values come from the whole store, fetched when the filters open.
  useEffect(() => {
    if (info && filtersOpen) void loadFacets();
  }, [info, filtersOpen]);

  useEffect(() => {
    host.saveState({ traceId: traceId ?? undefined, listVisible, grouping, query, detailsWidth });
  }, [traceId, listVisible, grouping, query, detailsWidth]);

  // The host follows the selection (VS Code reveals it in its tree); told once the trace has loaded.
  const selectedSpanId = open && selected >= 0 && selected < open.index.count ? open.index.spanId[selected] : undefined;
  // A lean trace's details: the selected span's, and its neighbours' ahead of keyboard steps.
  useEffect(() => {
    if (open?.details && selected >= 0 && selected < open.index.count) open.details.loadAround(open.index, selected);
  }, [open, selected]);

  useEffect(() => {
    if (traceId === null) host.selectionChanged(null);
    else if (open && open.traceId === traceId) host.selectionChanged(traceId, selectedSpanId);
  }, [traceId, open?.traceId, selectedSpanId]);

  const traces = useMemo(() => (list ? filterTraces(list.traces, query, list.fetchedWith) : []), [list, query]);
  const groups = useMemo(() => groupTraces(traces, grouping, query.sort), [traces, grouping, query.sort]);
  const choices = useMemo(() => (filtersOpen ? (facets ?? filterChoices(list?.traces ?? [])) : NO_CHOICES), [filtersOpen, facets, list]);
  const knownTraces = useMemo(() => new Set((list?.traces ?? []).map((t) => t.traceId)), [list]);
  const storeEmpty = list !== null && list.total === 0 && activeFilterCount(query) === 0 && !query.q;

  async function importFiles(files: FileList | File[]): Promise<void> {
    for (const file of Array.from(files)) {
      try {
        const text = await file.text();
        const detected = detectImportFormat(text);
        if ('error' in detected) {
          notify(`${file.name}: ${detected.error}`, 'error');
          continue;
        }
        const result = await host.callService('importTraces', { content: text, fileName: file.name });
        notify(`Imported ${result.imported} spans from ${file.name}${result.rejected ? `; ${result.rejected} rejected${result.message ? `: ${result.message}` : ''}` : ''}`, result.rejected ? 'error' : 'info');
        listSync.reload();
        if (result.traceIds.length > 0) openTraceById(result.traceIds[0]);
      } catch (error) {
        notify(`${file.name}: ${(error as Error).message}`, 'error');
      }
    }
  }

  function onDrop(event: TargetedDragEvent<HTMLDivElement>): void {
    event.preventDefault();
    setDragging(false);
    const files = event.dataTransfer?.files;
    if (files && files.length > 0 && info?.capabilities.import) void importFiles(files);
  }

  function clearAll(): void {
    if (!confirmClear) {
      setConfirmClear(true);
      setTimeout(() => setConfirmClear(false), 3000);
      return;
    }
    setConfirmClear(false);
    host.callService('deleteTraces', {}).then(
      () => {
        setOpen(null);
        setTraceId(null);
        listSync.reload();
      },
      (error: Error) => notify(error.message, 'error'),
    );
  }

  function startDetailsResize(event: TargetedPointerEvent<HTMLDivElement>): void {
    const handle = event.currentTarget;
    handle.setPointerCapture(event.pointerId);
    const startX = event.clientX;
    const startWidth = detailsWidth;
    const move = (e: PointerEvent) => setDetailsWidth(Math.max(260, Math.min(window.innerWidth - 360, startWidth - (e.clientX - startX))));
    const up = () => {
      handle.removeEventListener('pointermove', move);
      handle.removeEventListener('pointerup', up);
    };
    handle.addEventListener('pointermove', move);
    handle.addEventListener('pointerup', up);
  }

  if (!info || !services) {
    return <div class="app-loading">{listError ? <span class="error-text">{listError}</span> : 'Connecting…'}</div>;
  }
  const capabilities = info.capabilities;
  const selectedSpan = open && selected >= 0 && selected < open.index.count ? spanDetailsOf(open, selected) : null;

  return (
    <ServicesContext.Provider value={services}>
      <div
        class={`app${listVisible ? '' : ' list-hidden'}`}
        onDragOver={(event) => {
          if (!capabilities.import) return;
          event.preventDefault();
          setDragging(true);
        }}
        onDragLeave={(event) => {
          if (event.relatedTarget === null) setDragging(false);
        }}
        onDrop={onDrop}
      >
        <header class="app-toolbar">
          <IconButton icon="layout-sidebar-left" title={listVisible ? 'Hide the trace list' : 'Show the trace list'} active={listVisible} onClick={() => setListVisible(!listVisible)} />
          <span class="app-title">Traces</span>
          {!connected && (
            <span class="badge warning" title="The live stream dropped; reconnecting">
              <Icon name="debug-disconnect" /> Reconnecting…
            </span>
          )}
          <span class="bubble-spacer" />
          {capabilities.import && (
            <>
              <IconButton icon="cloud-upload" title="Import an OTLP or Respan JSON file" label="Import" onClick={() => fileInput.current?.click()} testId="import" />
              <input
                ref={fileInput}
                type="file"
                accept=".json,application/json"
                multiple
                class="offscreen"
                data-testid="import-input"
                onChange={(event) => {
                  const files = event.currentTarget.files;
                  if (files) void importFiles(files);
                  event.currentTarget.value = '';
                }}
              />
            </>
          )}
          {capabilities.delete && (
            <IconButton icon="clear-all" title={confirmClear ? 'Click again to delete every trace' : 'Delete all traces'} label={confirmClear ? 'Delete all?' : undefined} class={confirmClear ? 'danger' : undefined} onClick={clearAll} />
          )}
        </header>
        <div class="app-body">
          {listVisible && (
            <aside class="sidebar">
              {listError && <div class="banner error">{listError}</div>}
              <ErrorBoundary part="trace list" resetKey={list}>
                <TraceList
                  groups={groups}
                  grouping={grouping}
                  onGrouping={setGrouping}
                  query={query}
                  onQuery={setQuery}
                  filtersOpen={filtersOpen}
                  onFiltersOpen={setFiltersOpen}
                  choices={choices}
                  selectedTraceId={traceId}
                  onSelect={(id) => openTraceById(id)}
                  shownCount={traces.length}
                  listedCount={list?.traces.length ?? 0}
                  total={list?.total ?? 0}
                  loading={list === null}
                  restoring={list?.restoring ?? false}
                  nowMs={now}
                />
              </ErrorBoundary>
            </aside>
          )}
          <main class="main">
            {open ? (
              <>
                <ErrorBoundary part="trace header" resetKey={open}>
                  {() => traceHeader(open)}
                </ErrorBoundary>
                <div class="trace-view">
                  <section class="waterfall-pane">
                    <ErrorBoundary part="waterfall" resetKey={open.index}>
                      <Waterfall index={open.index} arrivingOf={open.partial ? open.summary.spanCount : undefined} selected={selected} onSelect={setSelected} onActivate={() => detailsRef.current?.querySelector<HTMLElement>('.span-details')?.focus()} />
                    </ErrorBoundary>
                  </section>
                  <div class="pane-splitter" onPointerDown={startDetailsResize} title="Drag to resize" />
                  <section class="details-pane" ref={detailsRef} style={{ width: `${detailsWidth}px` }}>
                    {selectedSpan && typeof selectedSpan === 'object' && 'spanId' in selectedSpan ? (
                      <ErrorBoundary part="span details" resetKey={selectedSpan}>
                        <SpanDetails key={selectedSpan.spanId} span={selectedSpan} traceStartMs={open.index.originMs} knownTrace={(id) => knownTraces.has(id)} />
                      </ErrorBoundary>
                    ) : selectedSpan ? (
                      <div class="placeholder muted" data-testid="span-details-pending">
                        {selectedSpan === 'pending' ? (
                          <>
                            <Icon name="loading" class="codicon-modifier-spin" /> Loading the details of {open.index.name[selected]}…
                          </>
                        ) : selectedSpan === 'gone' ? (
                          'This span is no longer in the inspector.'
                        ) : (
                          <span class="error-text">{selectedSpan.error}</span>
                        )}
                      </div>
                    ) : open.logs.length > 0 ? (
                      <div class="trace-logs" data-testid="trace-logs">
                        <p class="muted">Select a span to see its details. These log records of the trace belong to no span that arrived:</p>
                        <Section title={`Logs (${open.logs.length})`}>
                          {() => <LogList rows={recordLogRows(open.logs)} originMs={open.index.originMs} />}
                        </Section>
                      </div>
                    ) : (
                      <div class="placeholder muted">Select a span to see its details.</div>
                    )}
                  </section>
                </div>
              </>
            ) : traceError ? (
              <div class="placeholder">
                <span class="error-text">{traceError}</span>
              </div>
            ) : loadingTrace ? (
              <div class="placeholder muted">
                <Icon name="loading" class="codicon-modifier-spin" /> Loading trace…
              </div>
            ) : storeEmpty ? (
              <EmptyState endpoints={endpoints} canImport={capabilities.import} onImport={() => fileInput.current?.click()} />
            ) : (
              <div class="placeholder muted">{list === null ? 'Loading…' : traces.length === 0 ? 'No traces match the filters.' : 'Select a trace to see its spans.'}</div>
            )}
          </main>
        </div>
        <div class="toasts" role="status" aria-live="polite">
          {toasts.map((toast) => (
            <div key={toast.id} class={`toast ${toast.kind}`}>
              <Icon name={toast.kind === 'error' ? 'error' : 'info'} /> <span>{toast.message}</span>
            </div>
          ))}
        </div>
        {dragging && (
          <div class="drop-overlay">
            <Icon name="cloud-upload" /> Drop an OTLP or Respan JSON file to import it
          </div>
        )}
      </div>
    </ServicesContext.Provider>
  );

  /** The open trace's title bar (a plain function, not a component, so it never remounts; called inside its boundary). */
  function traceHeader(trace: OpenTrace) {
    const { summary, index } = trace;
    const info = kindInfo(summary.kind);
    const tokens = summary.tokens.total ?? (summary.tokens.input ?? 0) + (summary.tokens.output ?? 0);
    return (
      <div class="trace-header" data-testid="trace-header">
        <Icon name={info.icon} class={`kind-${summary.kind}`} title={info.label} />
        <h1 class="trace-title" title={summary.name}>
          {summary.name || '(unnamed trace)'}
        </h1>
        {trace.gone && <span class="badge warning">No longer in the store</span>}
        <span class="trace-facts muted">
          <span title={formatDateTime(index.originMs)}>{formatClock(index.originMs)}</span>
          <span>{formatDuration(index.totalMs)}</span>
          {trace.partial ? (
            <span data-testid="trace-arriving">
              <Icon name="loading" class="codicon-modifier-spin" /> {formatCount(index.count)} of {formatCount(summary.spanCount)} spans so far: find and errors cover these until the rest arrives
            </span>
          ) : (
            <span>{formatSpans(index.count)}</span>
          )}
          {index.errorCount > 0 && <span class="error-text">{index.errorCount === 1 ? '1 error' : `${index.errorCount} errors`}</span>}
          {tokens > 0 && <span>{formatCount(tokens)} tokens</span>}
          {summary.cost !== null && (
            <span title={summary.costEstimated ? 'Includes estimates from the price table' : undefined} data-testid="trace-total-cost">
              {formatCost(summary.cost, summary.costEstimated)}
            </span>
          )}
          <span class="code" title="Trace id">
            {trace.traceId.slice(0, 12)}…
          </span>
        </span>
        <CopyButton text={trace.traceId} what="trace id" />
        <span class="bubble-spacer" />
        {trace.logs.length > 0 && (
          <IconButton
            icon="output"
            title="Show the trace's log records that belong to no span (records without a span id, or whose span never arrived)"
            label={trace.logs.length === 1 ? '1 log' : `${trace.logs.length} logs`}
            testId="trace-logs-button"
            onClick={() => setSelected(-1)}
          />
        )}
        <IconButton
          icon="desktop-download"
          title="Export as OTLP JSON"
          label="Export"
          testId="export"
          onClick={() =>
            host
              .callService('exportTrace', { traceId: trace.traceId })
              .then((file) => host.saveFile(file.fileName, file.content))
              .then((saved) => saved && notify('Trace exported'), (error: Error) => notify(error.message, 'error'))
          }
        />
        {capabilities.pin && (
          <IconButton
            icon={summary.pinned ? 'pinned' : 'pin'}
            title={summary.pinned ? 'Unpin (let retention evict it)' : 'Pin (keep it when retention evicts old traces)'}
            active={summary.pinned}
            onClick={() =>
              host.callService('pinTrace', { traceId: trace.traceId, pinned: !summary.pinned }).then(
                () => setOpen({ ...trace, summary: { ...summary, pinned: !summary.pinned } }),
                (error: Error) => notify(error.message, 'error'),
              )
            }
          />
        )}
        {capabilities.forward && (
          <IconButton
            icon="cloud-upload"
            title="Send this trace to Respan"
            label="Send to Respan"
            onClick={() =>
              host
                .callService('forwardTrace', { traceId: trace.traceId, waitMs: FORWARD_ANSWER_WAIT_MS })
                .then((result) => notify(result.message, result.ok ? 'info' : 'error'), (error: Error) => notify(error.message, 'error'))
            }
          />
        )}
        {capabilities.delete && (
          <IconButton
            icon="trash"
            title="Delete this trace"
            onClick={() =>
              host.callService('deleteTraces', { traceIds: [trace.traceId] }).then(
                () => {
                  setOpen(null);
                  setTraceId(null);
                },
                (error: Error) => notify(error.message, 'error'),
              )
            }
          />
        )}
      </div>
    );
  }
}

/** What the details pane shows for span `i`: its details, or that they are on their way, gone, or failed. */
function spanDetailsOf(trace: OpenTrace, i: number): SpanJson | 'pending' | 'gone' | { error: string } {
  if (trace.index.details) return trace.index.details[i];
  const known = trace.details?.lookup(trace.index.spanId[i]);
  if (known === undefined || known === 'pending') return 'pending';
  return known === null ? 'gone' : known;
}
