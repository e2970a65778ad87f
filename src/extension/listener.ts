/**
 * The listener's lifecycle inside the extension: one service (and its store)
 * that lives as long as the extension, and receivers that start, stop and
 * restart on it as settings change. No `vscode` here (tested outside VS
 * Code); the extension turns its state changes into UI.
 */

import type { Span } from '../core/model';
import type { InspectorService } from '../core/service/inspectorService';
import type { ListenerEndpoints } from '../protocol/messages';
import { startInspector } from '../server/listener';
import { PortInUseError } from '../server/server';
import { clientUrl, endpointsOf } from './environment';

/** Where and how the listener runs (the `respanInspector.*` settings that need a restart). */
export interface ListenerSettings {
  host: string;
  /** 0 picks a free port. */
  httpPort: number;
  /** Run the OTLP/gRPC receiver. */
  grpcEnabled: boolean;
  /** OTLP/gRPC port; 0 picks a free port. */
  grpcPort: number;
  /** Host names accepted in `Host` besides loopback (e.g. a forwarded port's public name). */
  allowedHosts?: readonly string[];
  /** Origins whose web pages may send spans (browser-side SDKs); see `parseAllowedOrigin`. */
  allowedOrigins?: readonly string[];
}

/** A port that could not be bound. */
export interface PortProblem {
  message: string;
  portInUse?: { host: string; port: number };
}

/** The running receivers, whatever protocols they speak. */
export interface Receivers {
  /** Bound HTTP port. */
  readonly httpPort: number;
  /** Bound gRPC port, when the gRPC receiver runs. */
  readonly grpcPort?: number;
  /** Why the gRPC receiver did not start (the HTTP listener runs without it). */
  readonly grpcProblem?: PortProblem;
  /** Link that opens the browser UI (with the access token when one is required). */
  readonly uiUrl: string;
  stop(): Promise<void>;
}

/** What receivers need besides their settings. */
export interface ReceiverContext {
  /** The service the listener's API carries and its receivers feed. */
  service: InspectorService;
  webviewDir: string | undefined;
  /** Spans accepted by a receiver, after they are stored (auto-forward). */
  onSpans?: (spans: Span[]) => void;
}

/** Starts receivers; rejects (with {@link PortInUseError} for a taken port) when the HTTP listener cannot start. */
export type ReceiverFactory = (settings: ListenerSettings, context: ReceiverContext) => Promise<Receivers>;

function problemOf(error: Error): PortProblem {
  return error instanceof PortInUseError ? { message: error.message, portInUse: { host: error.host, port: error.port } } : { message: error.message };
}

/**
 * The one place that decides which receivers run: the HTTP listener (OTLP/HTTP,
 * Respan paths, query API, browser UI) and the OTLP/gRPC receiver, started
 * together by the server's facade.
 */
export const defaultReceiverFactory: ReceiverFactory = async (settings, context) => {
  const running = await startInspector({
    service: context.service,
    host: settings.host,
    httpPort: settings.httpPort,
    grpcPort: settings.grpcEnabled ? settings.grpcPort : null,
    webviewDir: context.webviewDir,
    allowedHosts: settings.allowedHosts,
    allowedOrigins: settings.allowedOrigins,
    onSpans: context.onSpans,
  });
  if (!running.http) {
    await running.stop();
    throw running.errors.http ?? new Error('the HTTP listener did not start');
  }
  return {
    httpPort: running.http.port,
    ...(running.grpc ? { grpcPort: running.grpc.port } : {}),
    ...(running.errors.grpc ? { grpcProblem: problemOf(running.errors.grpc) } : {}),
    uiUrl: running.uiUrl ?? `${running.http.url}/`,
    stop: () => running.stop(),
  };
};

/** The listener's state, as the status bar and the views show it. */
export type ListenerState =
  | { status: 'stopped' }
  | { status: 'starting'; settings: ListenerSettings }
  | { status: 'running'; settings: ListenerSettings; httpPort: number; grpcPort?: number; grpcProblem?: PortProblem; url: string; uiUrl: string }
  | ({ status: 'error'; settings: ListenerSettings } & PortProblem);

/** Options of {@link ListenerController}. */
export interface ListenerControllerOptions {
  service: InspectorService;
  /** Folder of the built UI, served at `/` for "open in browser". */
  webviewDir?: string;
  receivers?: ReceiverFactory;
  onSpans?: (spans: Span[]) => void;
}

type StateListener = (state: ListenerState) => void;

/**
 * Starts, stops and restarts the receivers. Operations run one after another
 * (a settings change during a start waits for it), so the port is never
 * bound twice by this controller.
 */
export class ListenerController {
  private current: ListenerState = { status: 'stopped' };
  private receivers: Receivers | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly listeners = new Set<StateListener>();
  private readonly factory: ReceiverFactory;

  constructor(private readonly options: ListenerControllerOptions) {
    this.factory = options.receivers ?? defaultReceiverFactory;
  }

  /** The current state. */
  get state(): ListenerState {
    return this.current;
  }

  /** Endpoints for senders while running, else null. */
  get endpoints(): ListenerEndpoints | null {
    return this.current.status === 'running' ? endpointsOf(this.current.url) : null;
  }

  /** Subscribes to state changes; returns a disposable. */
  onDidChangeState(listener: StateListener): { dispose(): void } {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }

  /** Starts on `settings` (stopping first if running). Resolves to the resulting state; never rejects. */
  start(settings: ListenerSettings): Promise<ListenerState> {
    return this.enqueue(async () => {
      await this.stopReceivers();
      this.setState({ status: 'starting', settings });
      try {
        const { service, webviewDir, onSpans } = this.options;
        this.receivers = await this.factory(settings, { service, webviewDir, onSpans });
        const { httpPort, grpcPort, grpcProblem, uiUrl } = this.receivers;
        this.setState({
          status: 'running',
          settings,
          httpPort,
          ...(grpcPort !== undefined ? { grpcPort } : {}),
          ...(grpcProblem ? { grpcProblem } : {}),
          url: clientUrl(settings.host, httpPort),
          uiUrl,
        });
      } catch (error) {
        this.setState({ status: 'error', settings, ...problemOf(error instanceof Error ? error : new Error(String(error))) });
      }
      return this.current;
    });
  }

  /** Stops the receivers (frees the ports); the store keeps its traces. */
  stop(): Promise<ListenerState> {
    return this.enqueue(async () => {
      await this.stopReceivers();
      this.setState({ status: 'stopped' });
      return this.current;
    });
  }

  /** Waits for every queued start/stop to finish. */
  idle(): Promise<void> {
    return this.queue.then(() => undefined);
  }

  private async stopReceivers(): Promise<void> {
    const receivers = this.receivers;
    this.receivers = undefined;
    if (receivers) await receivers.stop();
  }

  private enqueue<T>(operation: () => Promise<T>): Promise<T> {
    const next = this.queue.then(operation, operation);
    this.queue = next.catch(() => undefined);
    return next;
  }

  private setState(state: ListenerState): void {
    this.current = state;
    for (const listener of [...this.listeners]) listener(state);
  }
}
