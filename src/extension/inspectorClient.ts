/**
 * The extension host's typed client of the inspector process. The host
 * relays: it asks, passes answers on, and never decodes, stores or serialises
 * traces itself. Every request goes through {@link InspectorClient.call} and
 * one table from request type to HTTP route, so moving to the service's
 * single route (`POST /api/service/{type}`) changes only that table. No
 * `vscode` here, so it is tested outside VS Code.
 */

import type {
  FacetsJson,
  ForwardingChangeJson,
  ForwardingStatusJson,
  ForwardTraceJson,
  StatusJson,
  StoreChangeJson,
  TraceDetailJson,
  TraceListJson,
} from '../protocol/api';
import { traceQueryToSearch, type TraceQuery } from '../protocol/messages';

/** Every request the extension sends the process: params and result. */
export interface InspectorRequests {
  status: { params: Record<string, never>; result: StatusJson };
  listTraces: { params: { query?: TraceQuery }; result: TraceListJson };
  getFacets: { params: Record<string, never>; result: FacetsJson };
  /** `null` for a trace the process does not have. */
  getTrace: { params: { traceId: string }; result: TraceDetailJson | null };
  pinTrace: { params: { traceId: string; pinned: boolean }; result: { traceId: string; pinned: boolean } };
  deleteTrace: { params: { traceId: string }; result: { traceId: string; deleted: boolean } };
  clearTraces: { params: Record<string, never>; result: { cleared: boolean; traceCount: number } };
  importTraces: { params: { content: string }; result: { imported: number; traceIds: string[]; rejected: number; message?: string } };
  /** The trace's OTLP/JSON text, passed on to a file without being parsed here. */
  exportTrace: { params: { traceId: string }; result: string };
  forwardTrace: { params: { traceId: string }; result: ForwardTraceJson };
  forwardingStatus: { params: Record<string, never>; result: ForwardingStatusJson };
}

/** A request type of {@link InspectorRequests}. */
export type InspectorRequestType = keyof InspectorRequests;

/** One event of the process's live stream. */
export type InspectorEvent =
  | { type: 'hello'; spanCount: number; traceCount: number }
  | { type: 'change'; change: StoreChangeJson }
  | { type: 'forwarding'; change: ForwardingChangeJson };

/** An open live stream; while it is open, the process counts this window as a client. */
export interface EventSubscription {
  close(): void;
  /** Settles when the stream ended: closed here, or the process went away. */
  readonly ended: Promise<void>;
}

/** The process, as the extension host sees it. */
export interface InspectorClient {
  /** The process's base URL (`http://host:port`). */
  readonly url: string;
  call<K extends InspectorRequestType>(type: K, params: InspectorRequests[K]['params']): Promise<InspectorRequests[K]['result']>;
  /** Opens the live stream; `listener` gets each event in order. */
  events(listener: (event: InspectorEvent) => void): EventSubscription;
}

/** A request the process refused or could not answer; `message` is its explanation. */
export class InspectorRequestError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** How one request type travels over the REST routes. */
interface Route {
  method: 'GET' | 'POST' | 'DELETE';
  path: string;
  body?: string;
  /** The answer is passed on as text, not parsed. */
  text?: boolean;
  /** A 404 answers `null` (the trace is gone) instead of failing. */
  nullIfMissing?: boolean;
}

const traceId = (id: string) => encodeURIComponent(id);

/** The one table from request type to REST route. */
const ROUTES: { [K in InspectorRequestType]: (params: InspectorRequests[K]['params']) => Route } = {
  status: () => ({ method: 'GET', path: '/api/status' }),
  listTraces: ({ query }) => {
    const search = traceQueryToSearch(query ?? {});
    return { method: 'GET', path: `/api/traces${search ? `?${search}` : ''}` };
  },
  getFacets: () => ({ method: 'GET', path: '/api/facets' }),
  getTrace: (params) => ({ method: 'GET', path: `/api/traces/${traceId(params.traceId)}`, nullIfMissing: true }),
  pinTrace: (params) => ({ method: params.pinned ? 'POST' : 'DELETE', path: `/api/traces/${traceId(params.traceId)}/pin` }),
  deleteTrace: (params) => ({ method: 'DELETE', path: `/api/traces/${traceId(params.traceId)}` }),
  clearTraces: () => ({ method: 'DELETE', path: '/api/traces' }),
  importTraces: (params) => ({ method: 'POST', path: '/api/import', body: params.content }),
  exportTrace: (params) => ({ method: 'GET', path: `/api/traces/${traceId(params.traceId)}/otlp`, text: true }),
  forwardTrace: (params) => ({ method: 'POST', path: `/api/traces/${traceId(params.traceId)}/forward?wait=1` }),
  forwardingStatus: () => ({ method: 'GET', path: '/api/forwarding' }),
};

/** Splits a Server-Sent Events text stream into events. */
class EventParser {
  private buffer = '';

  constructor(private readonly emit: (name: string, data: string) => void) {}

  push(text: string): void {
    this.buffer += text;
    let end: number;
    while ((end = this.buffer.indexOf('\n\n')) >= 0) {
      const block = this.buffer.slice(0, end);
      this.buffer = this.buffer.slice(end + 2);
      let name = 'message';
      const data: string[] = [];
      for (const line of block.split('\n')) {
        if (line.startsWith('event:')) name = line.slice(6).trim();
        else if (line.startsWith('data:')) data.push(line.slice(5).trimStart());
      }
      if (data.length > 0) this.emit(name, data.join('\n'));
    }
  }
}

function eventOf(name: string, data: string): InspectorEvent | undefined {
  const body = JSON.parse(data) as unknown;
  if (name === 'hello') return { type: 'hello', ...(body as { spanCount: number; traceCount: number }) };
  if (name === 'change') return { type: 'change', change: body as StoreChangeJson };
  if (name === 'forwarding') return { type: 'forwarding', change: body as ForwardingChangeJson };
  return undefined;
}

/** The client over HTTP to the process at `url` (`http://host:port`). */
export class HttpInspectorClient implements InspectorClient {
  constructor(readonly url: string) {}

  async call<K extends InspectorRequestType>(type: K, params: InspectorRequests[K]['params']): Promise<InspectorRequests[K]['result']> {
    const route = (ROUTES[type] as (params: InspectorRequests[K]['params']) => Route)(params);
    const response = await fetch(`${this.url}${route.path}`, {
      method: route.method,
      ...(route.body !== undefined ? { body: route.body, headers: { 'Content-Type': 'application/json' } } : {}),
    });
    if (response.status === 404 && route.nullIfMissing) {
      await response.body?.cancel();
      return null as InspectorRequests[K]['result'];
    }
    if (!response.ok) {
      const body = (await response.json().catch(() => undefined)) as { error?: unknown } | undefined;
      throw new InspectorRequestError(response.status, typeof body?.error === 'string' ? body.error : `the inspector answered ${response.status}`);
    }
    if (route.text) return (await response.text()) as InspectorRequests[K]['result'];
    return (await response.json()) as InspectorRequests[K]['result'];
  }

  events(listener: (event: InspectorEvent) => void): EventSubscription {
    const abort = new AbortController();
    const ended = (async () => {
      try {
        const response = await fetch(`${this.url}/api/events`, { signal: abort.signal });
        if (!response.ok || response.body === null) return;
        const decoder = new TextDecoder();
        const parser = new EventParser((name, data) => {
          const event = eventOf(name, data);
          if (event) listener(event);
        });
        const reader = response.body.getReader();
        for (;;) {
          const { done, value } = await reader.read();
          if (done) return;
          parser.push(decoder.decode(value, { stream: true }));
        }
      } catch {
        // Closed here, or the process went away: either way the stream has ended.
      }
    })();
    return { close: () => abort.abort(), ended };
  }
}
