/**
 * The VS Code host: the webview talks to the extension with `postMessage`,
 * using the typed protocol of `src/protocol/messages.ts`. Requests carry an id
 * and are settled by the reply with the same id.
 */

import type { StoreChangeJson } from '../../src/protocol/api';
import {
  PROTOCOL_VERSION,
  isHostToViewMessage,
  type HostToViewMessage,
  type InitMessage,
  type ListenerEndpoints,
  type ViewRequest,
  type ViewRequestParams,
  type ViewRequestResults,
  type ViewToHostMessage,
} from '../../src/protocol/messages';
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
  resolve(value: unknown): void;
  reject(error: Error): void;
  timer: ReturnType<typeof setTimeout>;
}

/** Creates the VS Code host over the webview API (acquired once: VS Code allows one call). */
export function createVsCodeHost(api: VsCodeApi, target: Pick<Window, 'addEventListener'> = window): InspectorHost {
  const pending = new Map<number, Pending>();
  const storeChanged = new Emitter<[StoreChangeJson]>();
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
      case 'reply': {
        const entry = pending.get(message.requestId);
        if (!entry) return;
        pending.delete(message.requestId);
        clearTimeout(entry.timer);
        if (message.ok) entry.resolve(message.result);
        else entry.reject(new Error(message.error));
        break;
      }
      case 'storeChanged':
        storeChanged.emit(message.change);
        break;
      case 'revealSpan':
        reveal.emit(message.traceId, message.spanId);
        break;
      case 'endpointsChanged':
        endpointsChanged.emit(message.endpoints);
        break;
    }
  }

  function send<T extends ViewRequest['type']>(type: T, params: ViewRequestParams<T>): Promise<ViewRequestResults[T]> {
    const id = nextId++;
    return new Promise<ViewRequestResults[T]>((resolve, reject) => {
      const timer = setTimeout(() => {
        pending.delete(id);
        reject(new Error(`VS Code did not answer "${type}" in time.`));
      }, REQUEST_TIMEOUT_MS);
      pending.set(id, { resolve: resolve as (value: unknown) => void, reject, timer });
      api.postMessage({ kind: 'request', type, id, ...params } as ViewRequest);
    });
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
    listTraces: (query) => send('listTraces', { query }),
    getTrace: (traceId) => send('getTrace', { traceId }),
    getLeanTrace: (traceId) => send('getLeanTrace', { traceId }),
    getSpan: (traceId, spanId) => send('getSpan', { traceId, spanId }),
    getFacets: () => send('getFacets', {}),
    openSource: (location) => send('openSource', { target: location }),
    async copy(text) {
      if (copyThroughHost) await send('copy', { text });
      else await copyWithBrowser(text);
    },
    exportTrace: (traceId) => send('exportTrace', { traceId }),
    importFile: (fileName, content, format) => send('importTraces', { fileName, content, format }),
    async pinTrace(traceId, pinned) {
      await send('pinTrace', { traceId, pinned });
    },
    async deleteTraces(traceIds) {
      await send('deleteTraces', traceIds ? { traceIds } : {});
    },
    forwardTrace: (traceId) => send('forwardTrace', { traceId }),
    onStoreChange: (listener) => storeChanged.on(listener),
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
