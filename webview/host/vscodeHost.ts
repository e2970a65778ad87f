/**
 * The VS Code host: the webview talks to the extension with `postMessage`,
 * using the typed protocol of `src/protocol/messages.ts`. Service requests
 * and editor requests carry an id and are settled by the reply with the same
 * id; the extension relays service requests to the service unread, the
 * result in pieces (a large trace's lean form is read piece by piece).
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
  type ReplyErrorMessage,
  type ReplyMessage,
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

/** How long a request may wait for its reply, or for the next piece of it, before failing. */
const REQUEST_TIMEOUT_MS = 60_000;

/** Takes a request's result: its pieces, then the reply. */
interface Receiver {
  piece(piece: Uint8Array): void;
  settle(reply: ReplyMessage): void;
  /** Nothing came in time. */
  fail(error: Error): void;
}

/** A request waiting for its reply. */
interface Pending extends Receiver {
  timer: ReturnType<typeof setTimeout>;
  /** Starts the wait for the next piece or the reply afresh. */
  rearm(): void;
}

/** The error a refusing reply stands for: a `ServiceError` when the service gave its reason. */
function replyError(reply: ReplyErrorMessage): Error {
  return reply.reason ? new ServiceError(reply.reason, reply.error) : new Error(reply.error);
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
      case 'replyPiece': {
        const entry = pending.get(message.requestId);
        if (!entry) return;
        entry.rearm();
        entry.piece(message.piece);
        break;
      }
      case 'reply': {
        const entry = pending.get(message.requestId);
        if (!entry) return;
        pending.delete(message.requestId);
        clearTimeout(entry.timer);
        entry.settle(message);
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

  /** Posts a request; its pieces and reply go to `receiver`. */
  function post(message: ServiceRequestMessage | EditorRequest, receiver: Receiver): void {
    const expire = () => {
      pending.delete(message.id);
      entry.fail(new Error(`VS Code did not answer "${message.type}" in time.`));
    };
    const entry: Pending = {
      ...receiver,
      timer: setTimeout(expire, REQUEST_TIMEOUT_MS),
      rearm() {
        clearTimeout(entry.timer);
        entry.timer = setTimeout(expire, REQUEST_TIMEOUT_MS);
      },
    };
    pending.set(message.id, entry);
    api.postMessage(message);
  }

  /** Posts a request and waits for the reply with its id: the result whole. */
  function request(message: ServiceRequestMessage | EditorRequest): Promise<unknown> {
    return new Promise<unknown>((resolve, reject) => {
      const pieces: Uint8Array[] = [];
      post(message, {
        piece: (piece) => pieces.push(piece),
        settle(reply) {
          if (!reply.ok) reject(replyError(reply));
          else resolve(reply.binary ? joinBytes(pieces) : JSON.parse(joinText(pieces)));
        },
        fail: reject,
      });
    });
  }

  /** The lean form's bytes piece by piece as the relay passes them on, so the first rows need not wait for the last piece. */
  async function* streamLeanTrace(traceId: string): AsyncGenerator<Uint8Array> {
    const arrived: Uint8Array[] = [];
    let ended = false;
    let failure: Error | undefined;
    let wake: (() => void) | undefined;
    const update = () => {
      wake?.();
      wake = undefined;
    };
    const id = nextId++;
    post(
      { kind: 'service', id, type: 'getLeanTrace', params: { traceId } },
      {
        piece(piece) {
          arrived.push(piece);
          update();
        },
        settle(reply) {
          if (!reply.ok) failure = replyError(reply);
          ended = true;
          update();
        },
        fail(error) {
          failure = error;
          update();
        },
      },
    );
    try {
      for (;;) {
        while (arrived.length > 0) yield arrived.shift()!;
        if (failure) throw failure;
        if (ended) return;
        await new Promise<void>((resolve) => (wake = resolve));
      }
    } finally {
      // A reader that stopped early (a newer load): the rest of the answer is let go as it comes.
      const entry = pending.get(id);
      if (entry) {
        entry.piece = () => undefined;
        entry.settle = () => undefined;
        entry.fail = () => undefined;
      }
    }
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
    streamLeanTrace,
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
