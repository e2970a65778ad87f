/**
 * The typed message protocol between the inspector UI (`webview/`) and the host
 * that embeds it (the VS Code extension's webview panel). The browser host does
 * not use messages: it calls the query API directly, with the same JSON shapes.
 *
 * Shape of the conversation:
 * 1. The view starts and posts {@link ReadyMessage}.
 * 2. The host answers with {@link InitMessage}: what it can do and where its
 *    listener is. Until then the view sends no requests.
 * 3. The view sends requests ({@link ViewRequest}); each carries an `id` and is
 *    answered by exactly one {@link ReplyMessage} with the same `requestId`.
 * 4. The host pushes {@link StoreChangedMessage} whenever its store changes and
 *    {@link RevealSpanMessage} when the user asks, outside the view, to see a span.
 * 5. The view posts {@link SelectionChangedMessage} whenever its selected span
 *    changes (no reply), so the host can follow it.
 *
 * Span content is untrusted: it travels only inside these messages (never
 * inlined into HTML) and the view renders it as text.
 */

import type { FacetsJson, SpanJson, StoreChangeJson, TraceDetailJson, TraceListJson } from './api';

// ---------------------------------------------------------------------------
// Shared value types
// ---------------------------------------------------------------------------

/**
 * Filters of the trace list. Each field maps one to one onto a query parameter
 * of `GET /api/traces` (see {@link traceQueryToSearch}); absent means "any".
 */
export interface TraceQuery {
  /** Free text, matched against names, ids, attributes. */
  q?: string;
  /** Only traces with at least one error span (`errors=1`). */
  errors?: boolean;
  /** Only pinned traces (`pinned=1`). */
  pinned?: boolean;
  environment?: string;
  model?: string;
  customer?: string;
  thread?: string;
  traceGroup?: string;
  service?: string;
  /** Root span name. */
  name?: string;
  minDurationMs?: number;
  maxDurationMs?: number;
  /** Only traces that cost at least this many USD (`minCost`). */
  minCost?: number;
  /** Run id (`run`). */
  run?: string;
  /** `cost`: costliest first (`sort=cost`); default newest first. */
  sort?: 'newest' | 'cost';
  /**
   * Only these traces (`ids`, comma-separated): the ones of them that match
   * the other filters come back. A view refreshes the traces a change event
   * named this way, without fetching the whole list again.
   */
  traceIds?: string[];
  /** Most traces to return, in {@link sort} order. */
  limit?: number;
}

/** What the host can do; the view hides what the host cannot. */
export interface HostCapabilities {
  /** Open a file at a line in an editor ({@link OpenSourceRequest}). */
  openSource: boolean;
  /** Copy text through the host rather than `navigator.clipboard`. */
  copy: boolean;
  /** Save an exported trace itself (a save dialog) instead of a browser download. */
  exportToFile: boolean;
  /** Accept imported OTLP or Respan ingest JSON ({@link ImportRequest}). */
  import: boolean;
  /** Pin / unpin traces so retention keeps them. */
  pin: boolean;
  /** Delete traces. */
  delete: boolean;
  /** Forward a trace to the Respan API ({@link ForwardTraceRequest}). */
  forward: boolean;
}

/** Where the host's listener receives traces, shown in the empty state. */
export interface ListenerEndpoints {
  /** Value for `OTEL_EXPORTER_OTLP_ENDPOINT`, e.g. `http://127.0.0.1:4318`. */
  otlpEndpoint: string;
  /** Value for `RESPAN_BASE_URL`, e.g. `http://127.0.0.1:4318/api`. */
  respanBaseUrl: string;
}

/** A file position the host should open. */
export interface SourceTarget {
  /** As found in the span (absolute, relative to the workspace, or a URL-ish path). */
  filePath: string;
  /** 1-based. */
  line?: number;
  /** 1-based. */
  column?: number;
  /** Function name, a hint when the path does not resolve. */
  functionName?: string;
}

/** Outcome of an import. */
export interface ImportResult {
  /** Spans the store accepted. */
  accepted: number;
  /** Spans the decoder rejected, with reasons. */
  rejected: number;
  /** Trace ids that received spans, so the view can open the first one. */
  traceIds: string[];
  /** Human-readable problem, when something was rejected. */
  message?: string;
}

/** Which format an imported file is in. */
export type ImportFormat = 'otlp-json' | 'respan-ingest';

// ---------------------------------------------------------------------------
// View → host
// ---------------------------------------------------------------------------

/** Fields shared by every request from the view. */
interface RequestBase<T extends string> {
  kind: 'request';
  type: T;
  /** Unique per view instance; the reply echoes it as `requestId`. */
  id: number;
}

/** The view has loaded and listens: the host answers with {@link InitMessage}. */
export interface ReadyMessage {
  kind: 'ready';
  /** Protocol version the view speaks ({@link PROTOCOL_VERSION}). */
  version: number;
}

/** List traces matching `query`. Reply: {@link TraceListJson}. */
export interface ListTracesRequest extends RequestBase<'listTraces'> {
  query: TraceQuery;
}

/** One trace with all its spans. Reply: {@link TraceDetailJson}, or `null` when unknown. */
export interface GetTraceRequest extends RequestBase<'getTrace'> {
  traceId: string;
}

/**
 * One trace in the lean binary form (`src/core/leanTrace.ts`). Reply: its
 * bytes (a `Uint8Array`, which the webview transport moves as binary), or
 * `null` when unknown.
 */
export interface GetLeanTraceRequest extends RequestBase<'getLeanTrace'> {
  traceId: string;
}

/** One span's details. Reply: {@link SpanJson}, or `null` when the trace or span is unknown. */
export interface GetSpanRequest extends RequestBase<'getSpan'> {
  traceId: string;
  spanId: string;
}

/**
 * Every value of each filterable field over the whole store, for the filter
 * drop-downs (the same answer as `GET /api/facets`). Reply: {@link FacetsJson}.
 */
export type GetFacetsRequest = RequestBase<'getFacets'>;

/** Open a source location in an editor. Reply: `boolean` (whether it was found). */
export interface OpenSourceRequest extends RequestBase<'openSource'> {
  target: SourceTarget;
}

/** Put text on the clipboard. Reply: `null`. */
export interface CopyRequest extends RequestBase<'copy'> {
  text: string;
}

/**
 * Export a trace as OTLP JSON (`ExportTraceServiceRequest`). Reply: `boolean`,
 * true when the host saved it, false when the user cancelled.
 */
export interface ExportTraceRequest extends RequestBase<'exportTrace'> {
  traceId: string;
}

/** Import the text of a JSON file (OTLP JSON or Respan ingest JSON). Reply: {@link ImportResult}. */
export interface ImportRequest extends RequestBase<'importTraces'> {
  fileName: string;
  format: ImportFormat;
  /** The file's text, unparsed; the host's decoders validate it. */
  content: string;
}

/** Pin or unpin a trace. Reply: `null`. */
export interface PinTraceRequest extends RequestBase<'pinTrace'> {
  traceId: string;
  pinned: boolean;
}

/** Delete some traces, or all when `traceIds` is absent. Reply: `null`. */
export interface DeleteTracesRequest extends RequestBase<'deleteTraces'> {
  traceIds?: string[];
}

/** Send a trace to the Respan API through the host's forwarder. Reply: {@link ForwardResult}. */
export interface ForwardTraceRequest extends RequestBase<'forwardTrace'> {
  traceId: string;
}

/** Outcome of forwarding one trace. */
export interface ForwardResult {
  ok: boolean;
  /** What to tell the user (e.g. "API key rejected (401)"). */
  message: string;
}

/**
 * The user selected a span (or a trace with no span selected) in the view, or
 * the view restored its selection after reloading. A notification: no reply.
 * The VS Code host uses it to reveal the same span in its tree and to restore
 * the selection when the panel is shown again.
 */
export interface SelectionChangedMessage {
  kind: 'selectionChanged';
  /** Null when no trace is open. */
  traceId: string | null;
  spanId?: string;
}

/** Every request the view can send. */
export type ViewRequest =
  | ListTracesRequest
  | GetTraceRequest
  | GetLeanTraceRequest
  | GetSpanRequest
  | GetFacetsRequest
  | OpenSourceRequest
  | CopyRequest
  | ExportTraceRequest
  | ImportRequest
  | PinTraceRequest
  | DeleteTracesRequest
  | ForwardTraceRequest;

/** Result type of each request, by request `type`. */
export interface ViewRequestResults {
  listTraces: TraceListJson;
  getTrace: TraceDetailJson | null;
  getLeanTrace: Uint8Array | null;
  getSpan: SpanJson | null;
  getFacets: FacetsJson;
  openSource: boolean;
  copy: null;
  exportTrace: boolean;
  importTraces: ImportResult;
  pinTrace: null;
  deleteTraces: null;
  forwardTrace: ForwardResult;
}

/** The request message of a given type. */
export type ViewRequestOf<T extends ViewRequest['type']> = Extract<ViewRequest, { type: T }>;

/** A request's parameters: the message without the envelope fields. */
export type ViewRequestParams<T extends ViewRequest['type']> = Omit<ViewRequestOf<T>, 'kind' | 'type' | 'id'>;

/** Everything the view posts to the host. */
export type ViewToHostMessage = ReadyMessage | SelectionChangedMessage | ViewRequest;

// ---------------------------------------------------------------------------
// Host → view
// ---------------------------------------------------------------------------

/** Answer to {@link ReadyMessage}: sent once, before anything else. */
export interface InitMessage {
  kind: 'init';
  version: number;
  capabilities: HostCapabilities;
  /** Null while the listener is not running. */
  endpoints: ListenerEndpoints | null;
  /** A span to show at once (the panel was opened from the tree view). */
  reveal?: { traceId: string; spanId?: string };
  /**
   * The host lists traces itself (VS Code's Traces view): the view starts with
   * its own trace list collapsed, leaving the width to the waterfall, unless
   * the user has shown or hidden the list before.
   */
  hostListsTraces?: boolean;
}

/** Successful reply to the request whose `id` is `requestId`. */
export interface ReplyOkMessage<T extends ViewRequest['type'] = ViewRequest['type']> {
  kind: 'reply';
  requestId: number;
  ok: true;
  result: ViewRequestResults[T];
}

/** Failed reply to the request whose `id` is `requestId`. */
export interface ReplyErrorMessage {
  kind: 'reply';
  requestId: number;
  ok: false;
  /** Shown to the user as is. */
  error: string;
}

/** A reply to one request. */
export type ReplyMessage = ReplyOkMessage | ReplyErrorMessage;

/** The host's store changed (same payload as the `change` event of `/api/events`). */
export interface StoreChangedMessage {
  kind: 'storeChanged';
  change: StoreChangeJson;
}

/** Show this trace, select this span and scroll it into view. */
export interface RevealSpanMessage {
  kind: 'revealSpan';
  traceId: string;
  spanId?: string;
}

/** The listener started, stopped or moved: the empty state shows the new endpoints. */
export interface EndpointsChangedMessage {
  kind: 'endpointsChanged';
  endpoints: ListenerEndpoints | null;
}

/** Everything the host posts to the view. */
export type HostToViewMessage = InitMessage | ReplyMessage | StoreChangedMessage | RevealSpanMessage | EndpointsChangedMessage;

/** Bumped when a message changes incompatibly. */
export const PROTOCOL_VERSION = 1;

// ---------------------------------------------------------------------------
// Helpers shared by both sides
// ---------------------------------------------------------------------------

/**
 * The query string (with its leading `?`, or empty) of `GET /api/traces` for a
 * query. Empty fields are left out, so `{}` means "every trace".
 */
export function traceQueryToSearch(query: TraceQuery): string {
  const parts: string[] = [];
  const add = (key: string, value: string | number | undefined): void => {
    if (value === undefined || value === '') return;
    if (typeof value === 'number' && !Number.isFinite(value)) return;
    parts.push(`${encodeURIComponent(key)}=${encodeURIComponent(String(value))}`);
  };
  add('q', query.q?.trim());
  if (query.errors) add('errors', '1');
  if (query.pinned) add('pinned', '1');
  add('environment', query.environment);
  add('model', query.model);
  add('customer', query.customer);
  add('thread', query.thread);
  add('traceGroup', query.traceGroup);
  add('service', query.service);
  add('name', query.name);
  add('minDurationMs', query.minDurationMs);
  add('maxDurationMs', query.maxDurationMs);
  add('minCost', query.minCost);
  add('run', query.run);
  if (query.sort === 'cost') add('sort', 'cost');
  // Present even when empty: no ids means no traces, not every trace.
  if (query.traceIds) parts.push(`ids=${query.traceIds.map(encodeURIComponent).join(',')}`);
  add('limit', query.limit);
  return parts.length > 0 ? `?${parts.join('&')}` : '';
}

/** True when `value` looks like a message the host may post (checked before trusting `kind`). */
export function isHostToViewMessage(value: unknown): value is HostToViewMessage {
  if (value === null || typeof value !== 'object') return false;
  const kind = (value as { kind?: unknown }).kind;
  return kind === 'init' || kind === 'reply' || kind === 'storeChanged' || kind === 'revealSpan' || kind === 'endpointsChanged';
}

/** True when `value` looks like a message the view may post. */
export function isViewToHostMessage(value: unknown): value is ViewToHostMessage {
  if (value === null || typeof value !== 'object') return false;
  const message = value as { kind?: unknown; type?: unknown; id?: unknown };
  if (message.kind === 'ready') return true;
  if (message.kind === 'selectionChanged') {
    const selection = value as { traceId?: unknown; spanId?: unknown };
    return (selection.traceId === null || typeof selection.traceId === 'string') && (selection.spanId === undefined || typeof selection.spanId === 'string');
  }
  return message.kind === 'request' && typeof message.type === 'string' && typeof message.id === 'number';
}
