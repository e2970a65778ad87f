/**
 * The VS Code host: the webview talks to the extension with `postMessage`,
 * using the typed protocol of `src/protocol/messages.ts`. Service requests
 * and editor requests carry an id and are settled by the reply with the same
 * id; the extension relays service requests to the service unread.
 */

import { ServiceError } from '../../src/core/service/errors';
import {
  PROTOCOL_VERSION,
  isHostToViewMessage,
  type EditorRequest,
  type EditorRequestOf,
  type EditorRequestParams,
  type EditorRequestResults,
  type HostToViewMessage,
  type InitMessage,
  type ListenerEndpoints,
  type ServiceRequestMessage,
  type ViewToHostMessage,
} from '../../src/protocol/messages';
import { createServiceCall, type ServiceEvent } from '../../src/protocol/service';
import { copyWithBrowser } from './dom';
import { Emitter, type HostInfo, type InspectorHost, type PersistedUiState } from './types';

/** The object `acquireVsCodeApi()` returns inside a webview. */
export interface VsCodeApi {
  postMessage(message: ViewToHostMessage): void;
  getState(): unknown;
  setState(state: unknown): void;
}

type Acquire = () => VsCodeApi;

/** The `acquireVsCodeApi` function when the page runs inside a VS Code webview. */
export function findVsCodeApi(): Acquire | undefined {
  const candidate = (globalThis as { acquireVsCodeApi?: unknown }).acquireVsCodeApi;
  return typeof candidate === 'function' ? (candidate as Acquire) : undefined;
}

/** How long a request may wait for its reply before failing. */
const REQUEST_TIMEOUT_MS = 60_000;

interface Pending {
  /** The result's pieces received so far. */
  pieces: Uint8Array[];
  resolve(value: unknown): void;
  reject(error: Error): void;
  timer: ReturnType<typeof setTimeout>;
}

/** A binary result's bytes, its pieces joined in order. */
function joinBytes(pieces: readonly Uint8Array[]): Uint8Array {
  if (pieces.length === 1) return pieces[0];
  const bytes = new Uint8Array(pieces.reduce((total, piece) => total + piece.length, 0));
  let offset = 0;
  for (const piece of pieces) {
    bytes.set(piece, offset);
    offset += piece.length;
  }
  return bytes;
}

/** The UTF-8 text of a result's pieces, in order. */
function joinText(pieces: readonly Uint8Array[]): string {
  const decoder = new TextDecoder();
  let text = '';
  for (let i = 0; i < pieces.length; i++) text += decoder.decode(pieces[i], { stream: i < pieces.length - 1 });
  return text;
}

/** Creates the VS Code host over the webview API (acquired once: VS Code allows one call). */
export function createVsCodeHost(api: VsCodeApi, target: Pick<Window, 'addEventListener'> = window): InspectorHost {
  const pending = new Map<number, Pending>();
  const serviceEvents = new Emitter<[ServiceEvent]>();
  const reveal = new Emitter<[string, string | undefined]>();
  const endpointsChanged = new Emitter<[ListenerEndpoints | null]>();
  let nextId = 1;
  let initialised: ((init: InitMessage) => void) | undefined;
  let copyThroughHost = false;

  target.addEventListener('message', (event: Event) => {
    const data: unknown = (event as MessageEvent).data;
    if (!isHostToViewMessage(data)) return;
    handle(data);
  });

  function handle(message: HostToViewMessage): void {
    switch (message.kind) {
      case 'init':
        initialised?.(message);
        initialised = undefined;
        break;
      case 'replyPiece':
        pending.get(message.requestId)?.pieces.push(message.piece);
        break;
      case 'reply': {
        const entry = pending.get(message.requestId);
        if (!entry) return;
        pending.delete(message.requestId);
        clearTimeout(entry.timer);
        if (message.ok) entry.resolve(message.binary ? joinBytes(entry.pieces) : JSON.parse(joinText(entry.pieces)));
        else entry.reject(message.reason ? new ServiceError(message.reason, message.error) : new Error(message.error));
        break;
      }
      case 'event':
        serviceEvents.emit(message.event);
        break;
      case 'revealSpan':
        reveal.emit(message.traceId, message.spanId);
        break;
      case 'endpointsChanged':
        endpointsChanged.emit(message.endpoints);
        break;
    }
  }

  /** Posts a request and waits for the reply with its id. */
  function request(message: ServiceRequestMessage | EditorRequest): Promise<unknown> {
    return new Promise<unknown>((resolve, reject) => {
      const timer = setTimeout(() => {
        pending.delete(message.id);
        reject(new Error(`VS Code did not answer "${message.type}" in time.`));
      }, REQUEST_TIMEOUT_MS);
      pending.set(message.id, { pieces: [], resolve, reject, timer });
      api.postMessage(message);
    });
  }

  const callService = createServiceCall((type, params) => request({ kind: 'service', id: nextId++, type, params } as ServiceRequestMessage));

  function editor<T extends EditorRequest['type']>(type: T, params: EditorRequestParams<T>): Promise<EditorRequestResults[T]> {
    return request({ kind: 'request', type, id: nextId++, ...params } as EditorRequestOf<T>) as Promise<EditorRequestResults[T]>;
  }

  return {
    name: 'vscode',
    start(): Promise<HostInfo> {
      return new Promise<HostInfo>((resolve) => {
        initialised = (init) => {
          copyThroughHost = init.capabilities.copy;
          resolve({ capabilities: init.capabilities, endpoints: init.endpoints, reveal: init.reveal, hostListsTraces: init.hostListsTraces });
        };
        api.postMessage({ kind: 'ready', version: PROTOCOL_VERSION });
      });
    },
    callService,
    openSource: (location) => editor('openSource', { target: location }),
    async copy(text) {
      if (copyThroughHost) await editor('copy', { text });
      else await copyWithBrowser(text);
    },
    saveFile: (fileName, content) => editor('saveExport', { fileName, content }),
    onServiceEvent: (listener) => serviceEvents.on(listener),
    onRevealSpan: (listener) => reveal.on(listener),
    onEndpointsChange: (listener) => endpointsChanged.on(listener),
    // postMessage has no connection to lose.
    onConnectionChange: () => () => undefined,
    loadState(): PersistedUiState {
      const state = api.getState();
      return state !== null && typeof state === 'object' ? (state as PersistedUiState) : {};
    },
    saveState(state) {
      api.setState(state);
    },
    selectionChanged(traceId, spanId) {
      api.postMessage(spanId === undefined ? { kind: 'selectionChanged', traceId } : { kind: 'selectionChanged', traceId, spanId });
    },
  };
}
