/**
 * The one seam between the inspector UI and whatever embeds it. The app talks
 * only to this interface; `httpHost` implements it over the query API in a
 * browser, `vscodeHost` over `postMessage` inside a VS Code webview.
 */

import type { FacetsJson, SpanJson, StoreChangeJson, TraceDetailJson, TraceListJson } from '../../src/protocol/api';
import type {
  ForwardResult,
  HostCapabilities,
  ImportFormat,
  ImportResult,
  ListenerEndpoints,
  SourceTarget,
  TraceQuery,
} from '../../src/protocol/messages';

/** What the host tells the app when it starts. */
export interface HostInfo {
  capabilities: HostCapabilities;
  /** Where senders should send traces; null while the listener is down. */
  endpoints: ListenerEndpoints | null;
  /** A trace (and span) to show at once. */
  reveal?: { traceId: string; spanId?: string };
  /** The host shows a trace list of its own: start with the app's list collapsed (unless the user chose). */
  hostListsTraces?: boolean;
}

/** Persisted UI state: small, and never span content. */
export interface PersistedUiState {
  traceId?: string;
  listVisible?: boolean;
  grouping?: 'none' | 'thread' | 'traceGroup' | 'run';
  query?: TraceQuery;
  detailsWidth?: number;
}

/** Unsubscribes a listener. */
export type Unsubscribe = () => void;

/** The services the app needs from its host. Every method may reject with an `Error` whose message is shown to the user. */
export interface InspectorHost {
  /** `browser` or `vscode`: for wording only, never for behaviour (use capabilities). */
  readonly name: 'browser' | 'vscode';
  /** Connects; resolves once the host has said what it can do. */
  start(): Promise<HostInfo>;
  listTraces(query: TraceQuery): Promise<TraceListJson>;
  /** Null when the trace is not (or no longer) in the store. */
  getTrace(traceId: string): Promise<TraceDetailJson | null>;
  /** The trace's lean binary form (`src/core/leanTrace.ts`); null when it is not in the store. */
  getLeanTrace(traceId: string): Promise<Uint8Array | null>;
  /** One span's details; null when the trace or the span is not in the store. */
  getSpan(traceId: string, spanId: string): Promise<SpanJson | null>;
  /** Every value of each filterable field over the whole store, for the filter drop-downs. */
  getFacets(): Promise<FacetsJson>;
  /** Whether the file was found and opened. */
  openSource(target: SourceTarget): Promise<boolean>;
  copy(text: string): Promise<void>;
  /** Saves or downloads the trace as OTLP JSON; false when the user cancelled. */
  exportTrace(traceId: string): Promise<boolean>;
  importFile(fileName: string, content: string, format: ImportFormat): Promise<ImportResult>;
  pinTrace(traceId: string, pinned: boolean): Promise<void>;
  /** Deletes the given traces, or all of them. */
  deleteTraces(traceIds?: string[]): Promise<void>;
  forwardTrace(traceId: string): Promise<ForwardResult>;
  onStoreChange(listener: (change: StoreChangeJson) => void): Unsubscribe;
  onRevealSpan(listener: (traceId: string, spanId?: string) => void): Unsubscribe;
  onEndpointsChange(listener: (endpoints: ListenerEndpoints | null) => void): Unsubscribe;
  /** Live connection to the store lost (false), or back or resynchronised after missed changes (true): the app then refetches. */
  onConnectionChange(listener: (connected: boolean) => void): Unsubscribe;
  loadState(): PersistedUiState;
  saveState(state: PersistedUiState): void;
  /** Tells the host which span is selected (null: no trace open); hosts that do not follow the selection ignore it. */
  selectionChanged(traceId: string | null, spanId?: string): void;
}

/** A tiny listener set, shared by the host implementations. */
export class Emitter<A extends unknown[]> {
  private readonly listeners = new Set<(...args: A) => void>();

  on(listener: (...args: A) => void): Unsubscribe {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  emit(...args: A): void {
    for (const listener of [...this.listeners]) listener(...args);
  }
}
