/**
 * The browser host: the page is served by the listener itself, so it calls
 * the service on its own origin (`POST /api/service/{type}`) and follows its
 * live events through Server-Sent Events (`/api/events`).
 */

import type { ListenerEndpoints } from '../../src/protocol/messages';
import { BINARY_MEDIA_TYPE, createServiceCall, SERVICE_EVENT_TYPES, SERVICE_PATH_PREFIX, type ServiceEvent } from '../../src/protocol/service';
import { httpServiceTransport } from '../../src/protocol/serviceHttp';
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
  const serviceEvents = new Emitter<[ServiceEvent]>();
  const connection = new Emitter<[boolean]>();
  const reveal = new Emitter<[string, string | undefined]>();
  const callService = createServiceCall(httpServiceTransport(base, (url, init) => fetch(url, init)));
  /** Whether the live stream was open when last heard of (across reopened streams). */
  let wasOpen = true;

  function connect(): void {
    const events = new EventSource(`${base}/api/events`);
    for (const type of SERVICE_EVENT_TYPES) {
      events.addEventListener(type, (event) => {
        try {
          serviceEvents.emit({ type, data: JSON.parse((event as MessageEvent<string>).data) } as ServiceEvent);
        } catch {
          // A malformed event is ignored; the next one (or a reconnect) resyncs.
        }
      });
    }
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

  return {
    name: 'browser',
    async start(): Promise<HostInfo> {
      connect();
      addEventListener('hashchange', () => {
        const target = revealFromLocation();
        if (target) reveal.emit(target.traceId, target.spanId);
      });
      const endpoints: ListenerEndpoints = { otlpEndpoint: base, respanBaseUrl: `${base}/api` };
      // Forwarding exists only when the listener was started with a forwarder.
      const forward = await callService('forwardingStatus', {}).then(
        () => true,
        () => false,
      );
      return {
        capabilities: { openSource: false, copy: false, exportToFile: false, import: true, pin: true, delete: true, forward },
        endpoints,
        reveal: revealFromLocation(),
      };
    },
    callService,
    async *streamLeanTrace(traceId: string) {
      const response = await fetch(`${base}${SERVICE_PATH_PREFIX}getLeanTrace`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ traceId }) }).catch(() => null);
      if (!response?.ok || response.headers.get('content-type') !== BINARY_MEDIA_TYPE || !response.body) {
        // No answer or an error answer: the transport asks again and reads it into the error the service meant.
        await response?.body?.cancel();
        yield await callService('getLeanTrace', { traceId });
        return;
      }
      const reader = response.body.getReader();
      try {
        for (let read = await reader.read(); !read.done; read = await reader.read()) yield read.value;
      } finally {
        // A reader that stopped early (a newer load) lets the rest of the body go.
        await reader.cancel().catch(() => undefined);
      }
    },
    async openSource() {
      return false;
    },
    copy: copyWithBrowser,
    async saveFile(fileName, content) {
      downloadText(fileName, content);
      return true;
    },
    onServiceEvent: (listener) => serviceEvents.on(listener),
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
}

/** `#trace=<id>&span=<id>` in the page URL opens that span (links from the CLI). */
function revealFromLocation(): HostInfo['reveal'] {
  const params = new URLSearchParams(location.hash.replace(/^#/, ''));
  const traceId = params.get('trace');
  if (!traceId) return undefined;
  return { traceId, spanId: params.get('span') ?? undefined };
}
