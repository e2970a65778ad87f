/**
 * The typed message protocol between the inspector UI (`webview/`) and the
 * VS Code panel that embeds it. The browser UI does not use messages: it
 * calls the service over HTTP.
 *
 * Shape of the conversation:
 * 1. The view starts and posts {@link ReadyMessage}.
 * 2. The host answers with {@link InitMessage}: what it can do and where its
 *    listener is. Until then the view sends no requests.
 * 3. The view sends service requests ({@link ServiceRequestMessage}: any
 *    request of `service.ts`, relayed to the service without being read) and
 *    editor requests ({@link EditorRequest}: what only the editor can do).
 *    Each carries an `id` and is answered by exactly one {@link ReplyMessage}
 *    with the same `requestId`.
 * 4. The host pushes the service's live events ({@link ServiceEventMessage})
 *    and {@link RevealSpanMessage} when the user asks, outside the view, to
 *    see a span.
 * 5. The view posts {@link SelectionChangedMessage} whenever its selected span
 *    changes (no reply), so the host can follow it.
 *
 * Span content is untrusted: it travels only inside these messages (never
 * inlined into HTML) and the view renders it as text.
 */

import type { ServiceErrorReason } from '../core/service/errors';
import type { ServiceEvent, ServiceParams, ServiceRequestType } from './service';

// ---------------------------------------------------------------------------
// Shared value types

/** What the host can do; the view hides what the host cannot. */
export interface HostCapabilities {
  /** Open a file at a line in an editor ({@link OpenSourceRequest}). */
  openSource: boolean;
  /** Copy text through the host rather than `navigator.clipboard`. */
  copy: boolean;
  /** Save an exported trace itself (a save dialog) instead of a browser download. */
  exportToFile: boolean;
  /** Accept imported OTLP or Respan ingest JSON (the service's `importTraces`). */
  import: boolean;
  /** Pin / unpin traces so retention keeps them. */
  pin: boolean;
  /** Delete traces. */
  delete: boolean;
  /** Forward a trace to the Respan API (the service's `forwardTrace`). */
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

// ---------------------------------------------------------------------------
// View → host

/** The view has loaded and listens: the host answers with {@link InitMessage}. */
export interface ReadyMessage {
  kind: 'ready';
  /** Protocol version the view speaks ({@link PROTOCOL_VERSION}). */
  version: number;
}

/** A service request, relayed by the host as it is. Reply: the request's result. */
export type ServiceRequestMessage = {
  [K in ServiceRequestType]: { kind: 'service'; id: number; type: K; params: ServiceParams<K> };
}[ServiceRequestType];

/** Fields shared by every editor request. */
interface EditorRequestBase<T extends string> {
  kind: 'request';
  type: T;
  /** Unique per view instance; the reply echoes it as `requestId`. */
  id: number;
}

/** Open a source location in an editor. Reply: `boolean` (whether it was found). */
export interface OpenSourceRequest extends EditorRequestBase<'openSource'> {
  target: SourceTarget;
}

/** Put text on the clipboard. Reply: `null`. */
export interface CopyRequest extends EditorRequestBase<'copy'> {
  text: string;
}

/** Offer to save a file (an exported trace) with a save dialog. Reply: `boolean`, false when the user cancelled. */
export interface SaveExportRequest extends EditorRequestBase<'saveExport'> {
  fileName: string;
  content: string;
}

/** What only the editor can do for the view. */
export type EditorRequest = OpenSourceRequest | CopyRequest | SaveExportRequest;

/** Result type of each editor request, by request `type`. */
export interface EditorRequestResults {
  openSource: boolean;
  copy: null;
  saveExport: boolean;
}

/** The editor request message of a given type. */
export type EditorRequestOf<T extends EditorRequest['type']> = Extract<EditorRequest, { type: T }>;

/** An editor request's parameters: the message without the envelope fields. */
export type EditorRequestParams<T extends EditorRequest['type']> = Omit<EditorRequestOf<T>, 'kind' | 'type' | 'id'>;

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

/** Everything the view posts to the host. */
export type ViewToHostMessage = ReadyMessage | SelectionChangedMessage | ServiceRequestMessage | EditorRequest;

// ---------------------------------------------------------------------------
// Host → view

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

/**
 * A piece of the result of the request whose `id` is `requestId`: its JSON in
 * UTF-8 bytes (or its bytes, for a binary result), in order, before the reply. Pieces, because the host relays
 * the inspector process's answer as it arrives, neither decoding nor parsing
 * a large trace in the extension host (and `postMessage` transfers a typed
 * array without serialising it); the view joins and parses them.
 */
export interface ReplyPieceMessage {
  kind: 'replyPiece';
  requestId: number;
  piece: Uint8Array;
}

/**
 * Successful reply to the request whose `id` is `requestId`: its result is
 * the pieces sent before it (its type is the request's), JSON unless
 * `binary` (the requests of `BINARY_RESULTS`: the bytes themselves).
 */
export interface ReplyOkMessage {
  kind: 'reply';
  requestId: number;
  ok: true;
  binary?: true;
}

/** Failed reply to the request whose `id` is `requestId`. */
export interface ReplyErrorMessage {
  kind: 'reply';
  requestId: number;
  ok: false;
  /** Shown to the user as is. */
  error: string;
  /** The service's reason, when the service refused the request. */
  reason?: ServiceErrorReason;
}

/** A reply to one request. */
export type ReplyMessage = ReplyOkMessage | ReplyErrorMessage;

/** A live event of the service (the same events as `/api/events`). */
export interface ServiceEventMessage {
  kind: 'event';
  event: ServiceEvent;
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
export type HostToViewMessage = InitMessage | ReplyPieceMessage | ReplyMessage | ServiceEventMessage | RevealSpanMessage | EndpointsChangedMessage;

/** Bumped when a message changes incompatibly. */
export const PROTOCOL_VERSION = 3;

// ---------------------------------------------------------------------------
// Helpers shared by both sides

/** True when `value` looks like a message the host may post (checked before trusting `kind`). */
export function isHostToViewMessage(value: unknown): value is HostToViewMessage {
  if (value === null || typeof value !== 'object') return false;
  const kind = (value as { kind?: unknown }).kind;
  return kind === 'init' || kind === 'replyPiece' || kind === 'reply' || kind === 'event' || kind === 'revealSpan' || kind === 'endpointsChanged';
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
  return (message.kind === 'request' || message.kind === 'service') && typeof message.type === 'string' && typeof message.id === 'number';
}
