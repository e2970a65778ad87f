/**
 * The listener's lifecycle inside the extension: one trace store that lives as
 * long as the extension, and receivers that start, stop and restart on it as
 * settings change. No `vscode` here (tested outside VS Code); the extension
 * turns its state changes into UI.
 */

import type { Span } from '../core/model';
import { TraceStore, type TraceStoreOptions } from '../core/store';
import type { ListenerEndpoints } from '../protocol/messages';
import { InspectorServer, PortInUseError } from '../server/server';
import { clientUrl, endpointsOf } from './environment';

/** Where and how the listener runs (the `respanInspector.*` settings that need a restart). */
export interface ListenerSettings {
  host: string;
  /** 0 picks a free port. */
  httpPort: number;
  /** OTLP/gRPC port; 0 picks a free port. Used once a gRPC receiver is wired in {@link defaultReceiverFactory}. */
  grpcPort: number;
}

/** The running receivers, whatever protocols they speak. */
export interface Receivers {
  /** Bound HTTP port. */
  readonly httpPort: number;
  /** Bound gRPC port, when a gRPC receiver runs. */
  readonly grpcPort?: number;
  stop(): Promise<void>;
}

/** Starts receivers on a store; rejects with {@link PortInUseError} when a port is taken. */
export type ReceiverFactory = (settings: ListenerSettings, store: TraceStore, webviewDir: string | undefined) => Promise<Receivers>;

/**
 * The one place that decides which receivers run: today the HTTP listener
 * (OTLP/HTTP, Respan ingest, query API, browser UI). A gRPC receiver joins here.
 */
export const defaultReceiverFactory: ReceiverFactory = async (settings, store, webviewDir) => {
  const server = new InspectorServer({ store, host: settings.host, port: settings.httpPort, webviewDir });
  await server.start();
  return { httpPort: server.port, stop: () => server.stop() };
};

/** The listener's state, as the status bar and the views show it. */
export type ListenerState =
  | { status: 'stopped' }
  | { status: 'starting'; settings: ListenerSettings }
  | { status: 'running'; settings: ListenerSettings; httpPort: number; grpcPort?: number; url: string }
  | { status: 'error'; settings: ListenerSettings; message: string; portInUse?: { host: string; port: number } };

/**
 * A trace store whose capture can be paused: while paused, spans from
 * receivers are counted and dropped; imports still go in.
 */
export class CaptureStore extends TraceStore {
  private capturing = true;
  private droppedSpans = 0;

  constructor(options?: TraceStoreOptions) {
    super(options);
  }

  /** False while capture is paused. */
  get isCapturing(): boolean {
    return this.capturing;
  }

  /** Spans dropped since capture was last paused. */
  get dropped(): number {
    return this.droppedSpans;
  }

  /** Pauses (false) or resumes (true) capture. */
  setCapturing(capturing: boolean): void {
    if (capturing === this.capturing) return;
    this.capturing = capturing;
    if (!capturing) this.droppedSpans = 0;
  }

  /** Receivers' entry point: honours pause. */
  override add(spans: readonly Span[]): void {
    if (this.capturing) super.add(spans);
    else this.droppedSpans += spans.length;
  }

  /** Adds spans the user imported on purpose, paused or not. */
  addImported(spans: readonly Span[]): void {
    super.add(spans);
  }
}

/** Options of {@link ListenerController}. */
export interface ListenerControllerOptions {
  store: TraceStore;
  /** Folder of the built UI, served at `/` for "open in browser". */
  webviewDir?: string;
  receivers?: ReceiverFactory;
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
        this.receivers = await this.factory(settings, this.options.store, this.options.webviewDir);
        const { httpPort, grpcPort } = this.receivers;
        this.setState({ status: 'running', settings, httpPort, ...(grpcPort !== undefined ? { grpcPort } : {}), url: clientUrl(settings.host, httpPort) });
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        this.setState(
          error instanceof PortInUseError
            ? { status: 'error', settings, message, portInUse: { host: error.host, port: error.port } }
            : { status: 'error', settings, message },
        );
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
