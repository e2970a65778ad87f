/**
 * The browser host: the page is served by the listener itself, so it calls the
 * query API on its own origin and follows the store through Server-Sent Events.
 */

import type { ApiErrorJson, FacetsJson, ForwardTraceJson, SpanJson, StoreChangeJson, TraceDetailJson, TraceListJson } from '../../src/protocol/api';
import type { ForwardResult, ImportResult, ListenerEndpoints, TraceQuery } from '../../src/protocol/messages';
import { traceQueryToSearch } from '../../src/protocol/messages';
import { copyWithBrowser, downloadText } from './dom';
import { Emitter, type HostInfo, type InspectorHost, type PersistedUiState } from './types';

const STATE_KEY = 'respan-inspector.ui-state';
/** Wait before reopening a live stream the listener refused, ms. */
const STREAM_RETRY_MS = 10_000;

/** Options of {@link createHttpHost}; the defaults fit the page served by the listener. */
export interface HttpHostOptions {
  /** Origin (and optional path prefix) of the listener; defaults to the page's origin. */
  baseUrl?: string;
}

/** Creates the browser host. */
export function createHttpHost(options: HttpHostOptions = {}): InspectorHost {
  const base = (options.baseUrl ?? location.origin).replace(/\/$/, '');
  const storeChanged = new Emitter<[StoreChangeJson]>();
  const connection = new Emitter<[boolean]>();
  const reveal = new Emitter<[string, string | undefined]>();
  /** Whether the live stream was open when last heard of (across reopened streams). */
  let wasOpen = true;

  async function request<T>(path: string, init?: RequestInit): Promise<T> {
    let response: Response;
    try {
      response = await fetch(base + path, init);
    } catch (error) {
      throw new Error(`The inspector's listener did not answer (${(error as Error).message}). Is it still running?`);
    }
    const text = await response.text();
    if (!response.ok) throw new Error(errorMessage(response, text));
    return (text === '' ? null : JSON.parse(text)) as T;
  }

  function connect(): void {
    const events = new EventSource(`${base}/api/events`);
    events.addEventListener('change', (event) => {
      try {
        storeChanged.emit(JSON.parse((event as MessageEvent<string>).data) as StoreChangeJson);
      } catch {
        // A malformed event is ignored; the next one (or a reconnect) resyncs.
      }
    });
    events.addEventListener('open', () => {
      if (!wasOpen) connection.emit(true);
      wasOpen = true;
    });
    // The listener dropped events this page could not take in time: refetch, as after a reconnect.
    events.addEventListener('resync', () => connection.emit(true));
    events.addEventListener('error', () => {
      if (wasOpen) connection.emit(false);
      wasOpen = false;
      // EventSource gives up on an error status (503: too many live streams); try again later.
      if (events.readyState === EventSource.CLOSED) setTimeout(connect, STREAM_RETRY_MS);
    });
  }

  const host: InspectorHost = {
    name: 'browser',
    async start(): Promise<HostInfo> {
      connect();
      addEventListener('hashchange', () => {
        const target = revealFromLocation();
        if (target) reveal.emit(target.traceId, target.spanId);
      });
      const endpoints: ListenerEndpoints = { otlpEndpoint: base, respanBaseUrl: `${base}/api` };
      // The forwarding routes exist only when the listener was started with a forwarder.
      const forward = await fetch(`${base}/api/forwarding`).then((response) => response.ok, () => false);
      return {
        capabilities: { openSource: false, copy: false, exportToFile: false, import: true, pin: true, delete: true, forward },
        endpoints,
        reveal: revealFromLocation(),
      };
    },
    listTraces: (query: TraceQuery) => request<TraceListJson>(`/api/traces${traceQueryToSearch(query)}`),
    async getTrace(traceId: string) {
      const response = await fetch(`${base}/api/traces/${encodeURIComponent(traceId)}`);
      if (response.status === 404) return null;
      const text = await response.text();
      if (!response.ok) throw new Error(errorMessage(response, text));
      return JSON.parse(text) as TraceDetailJson;
    },
    async getLeanTrace(traceId: string) {
      const response = await fetch(`${base}/api/traces/${encodeURIComponent(traceId)}/lean`);
      if (response.status === 404) return null;
      if (!response.ok) throw new Error(errorMessage(response, await response.text()));
      return new Uint8Array(await response.arrayBuffer());
    },
    async getSpan(traceId: string, spanId: string) {
      const response = await fetch(`${base}/api/traces/${encodeURIComponent(traceId)}/spans/${encodeURIComponent(spanId)}`);
      if (response.status === 404) return null;
      const text = await response.text();
      if (!response.ok) throw new Error(errorMessage(response, text));
      return JSON.parse(text) as SpanJson;
    },
    getFacets: () => request<FacetsJson>('/api/facets'),
    async openSource() {
      return false;
    },
    copy: copyWithBrowser,
    async exportTrace(traceId: string) {
      const response = await fetch(`${base}/api/traces/${encodeURIComponent(traceId)}/otlp`);
      const text = await response.text();
      if (!response.ok) throw new Error(errorMessage(response, text));
      downloadText(`trace-${traceId}.otlp.json`, text);
      return true;
    },
    async importFile(fileName: string, content: string): Promise<ImportResult> {
      // The listener's import endpoint recognises OTLP JSON and Respan ingest JSON itself.
      const reply = await request<ImportReplyJson>('/api/import', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: content });
      return {
        accepted: reply.imported ?? 0,
        rejected: reply.rejected ?? 0,
        traceIds: reply.traceIds ?? [],
        message: reply.message ?? ((reply.rejected ?? 0) > 0 ? `${reply.rejected} span(s) of ${fileName} were rejected.` : undefined),
      };
    },
    async pinTrace(traceId: string, pinned: boolean) {
      await request<unknown>(`/api/traces/${encodeURIComponent(traceId)}/pin`, { method: pinned ? 'POST' : 'DELETE' });
    },
    async deleteTraces(traceIds?: string[]) {
      if (!traceIds) {
        await request<unknown>('/api/traces', { method: 'DELETE' });
        return;
      }
      for (const id of traceIds) await request<unknown>(`/api/traces/${encodeURIComponent(id)}`, { method: 'DELETE' });
    },
    async forwardTrace(traceId: string): Promise<ForwardResult> {
      const response = await fetch(`${base}/api/traces/${encodeURIComponent(traceId)}/forward`, { method: 'POST' });
      const text = await response.text();
      let body: Partial<ForwardTraceJson & ApiErrorJson> = {};
      try {
        body = JSON.parse(text) as Partial<ForwardTraceJson & ApiErrorJson>;
      } catch {
        // Not JSON (a proxy's error page): fall back to the status line below.
      }
      if (typeof body.ok === 'boolean' && typeof body.message === 'string') return { ok: body.ok, message: body.message };
      return { ok: false, message: body.error ?? errorMessage(response, text) };
    },
    onStoreChange: (listener) => storeChanged.on(listener),
    onRevealSpan: (listener) => reveal.on(listener),
    // The page's own origin is the listener: its endpoints cannot move under it.
    onEndpointsChange: () => () => undefined,
    onConnectionChange: (listener) => connection.on(listener),
    loadState(): PersistedUiState {
      try {
        const text = sessionStorage.getItem(STATE_KEY);
        return text ? (JSON.parse(text) as PersistedUiState) : {};
      } catch {
        return {};
      }
    },
    saveState(state: PersistedUiState) {
      try {
        sessionStorage.setItem(STATE_KEY, JSON.stringify(state));
      } catch {
        // Storage full or disabled: UI state is a convenience only.
      }
    },
    // A browser tab has nothing outside the page that follows the selection.
    selectionChanged() {},
  };
  return host;
}

/** `#trace=<id>&span=<id>` in the page URL opens that span (links from the CLI). */
function revealFromLocation(): HostInfo['reveal'] {
  const params = new URLSearchParams(location.hash.replace(/^#/, ''));
  const traceId = params.get('trace');
  if (!traceId) return undefined;
  return { traceId, spanId: params.get('span') ?? undefined };
}

function errorMessage(response: Response, text: string): string {
  try {
    const body = JSON.parse(text) as Partial<ApiErrorJson> & { message?: string };
    if (body.error || body.message) return `${response.status}: ${body.error ?? body.message}`;
  } catch {
    // Not JSON: fall back to the status line.
  }
  return `${response.status} ${response.statusText}`.trim();
}

/** Answer of `POST /api/import`. */
interface ImportReplyJson {
  imported?: number;
  rejected?: number;
  traceIds?: string[];
  message?: string;
}
