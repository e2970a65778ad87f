/**
 * The one seam between the inspector UI and whatever embeds it. The app
 * reaches the inspector's service through {@link InspectorHost.callService}
 * (one typed call per request of `src/protocol/service.ts`) and the editor
 * through the few methods only an editor has. `httpHost` carries the service
 * over HTTP in a browser, `vscodeHost` over `postMessage` inside a VS Code
 * webview.
 */

import type { HostCapabilities, ListenerEndpoints, SourceTarget } from '../../src/protocol/messages';
import type { TraceQuery } from '../../src/protocol/query';
import type { ServiceCall, ServiceEventListener } from '../../src/protocol/service';

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

/** What the app needs from its host. Every method may reject with an `Error` whose message is shown to the user. */
export interface InspectorHost {
  /** `browser` or `vscode`: for wording only, never for behaviour (use capabilities). */
  readonly name: 'browser' | 'vscode';
  /** Connects; resolves once the host has said what it can do. */
  start(): Promise<HostInfo>;
  /**
   * Sends a request to the inspector's service. Rejects with a `ServiceError`
   * (its `reason` says why) when the service refuses, with an `Error` when
   * the service cannot be reached.
   */
  readonly callService: ServiceCall;
  /**
   * The bytes of `getLeanTrace`'s answer as they arrive (hosts that can
   * stream it; others leave it out and the answer comes whole). Rejects as
   * {@link callService} does.
   */
  streamLeanTrace?(traceId: string): AsyncIterable<Uint8Array>;
  /** Whether the file was found and opened. */
  openSource(target: SourceTarget): Promise<boolean>;
  copy(text: string): Promise<void>;
  /** Saves an exported file: a save dialog (false when cancelled) or a browser download. */
  saveFile(fileName: string, content: string): Promise<boolean>;
  /** The service's live events. */
  onServiceEvent(listener: ServiceEventListener): Unsubscribe;
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
