/**
 * This window's attachment to the inspector process: attach to the one on
 * the configured port or start it, follow its live stream, and when the
 * stream ends without being closed here (the process was killed, the machine
 * slept) attach again with backoff, starting a new process if none answers.
 * No `vscode` here, so it is tested outside VS Code; the listener
 * contribution turns its state into UI.
 */

import { isServiceError } from '../core/service/errors';
import type { StatusJson } from '../protocol/api';
import type { ListenerEndpoints } from '../protocol/messages';
import { endpointsOf } from './environment';
import { HttpInspectorClient, type EventSubscription, type InspectorClient, type InspectorEvent } from './inspectorClient';
import { attachOrStart, PortTakenError, probe, stopProcess, type ListenerSettings, type ProcessCommand, type ProcessSettings } from './inspectorProcess';

/** Why the window has no inspector, or the one it has. */
export type ConnectionState =
  | { status: 'stopped' }
  /** `lost`: the process went away and the window is attaching again. */
  | { status: 'starting'; settings: ListenerSettings; lost?: string }
  | {
      status: 'running';
      settings: ListenerSettings;
      url: string;
      uiUrl: string;
      httpPort: number;
      grpcPort?: number;
      /** True when this window started the process. */
      started: boolean;
      process: Pick<StatusJson, 'pid' | 'startedBy' | 'version'>;
    }
  | { status: 'error'; settings: ListenerSettings; message: string; portInUse?: { host: string; port: number } };

/** What {@link InspectorConnection} needs from its host. */
export interface ConnectionOptions {
  /** The settings to start or attach with, read fresh each time (the key from secret storage). */
  settings(): Promise<ProcessSettings>;
  command: ProcessCommand;
  logFile: string;
  /** Runs once the window is attached to a process, before it counts as running (push settings). */
  onAttached?(client: InspectorClient, started: boolean): Promise<void>;
  /** Delays between attempts to attach again after the process went away. */
  backoffMs?: readonly number[];
}

const DEFAULT_BACKOFF_MS = [500, 1000, 2000, 5000, 10_000, 30_000];

type Listener<T> = (value: T) => void;

/**
 * The window's inspector. Operations run one after another, so two starts
 * never race each other for the port.
 */
export class InspectorConnection {
  private current: ConnectionState = { status: 'stopped' };
  private attached: InspectorClient | undefined;
  private stream: EventSubscription | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  /** The attach {@link start} queued, until it settles. */
  private attaching: Promise<ConnectionState> | undefined;
  private attempt = 0;
  private disposed = false;
  private readonly stateListeners = new Set<Listener<ConnectionState>>();
  private readonly eventListeners = new Set<Listener<InspectorEvent>>();

  constructor(private readonly options: ConnectionOptions) {}

  /** The current state. */
  get state(): ConnectionState {
    return this.current;
  }

  /** The process's client while attached. */
  get client(): InspectorClient | undefined {
    return this.current.status === 'running' ? this.attached : undefined;
  }

  /**
   * The process's client once this window is attached: at once while it is,
   * after the attach under way while one is (a panel restored at start-up
   * asks before the window attached); undefined when there is none to wait for.
   */
  async attachedClient(): Promise<InspectorClient | undefined> {
    if (this.attaching) await this.attaching;
    while (this.current.status === 'starting' && !this.disposed) {
      await new Promise<void>((resolve) => {
        const subscription = this.onDidChangeState(() => {
          subscription.dispose();
          resolve();
        });
      });
    }
    return this.client;
  }

  /** Endpoints for senders while attached, else null. */
  get endpoints(): ListenerEndpoints | null {
    return this.current.status === 'running' ? endpointsOf(this.current.url) : null;
  }

  /** Subscribes to state changes; returns a disposable. */
  onDidChangeState(listener: Listener<ConnectionState>): { dispose(): void } {
    this.stateListeners.add(listener);
    return { dispose: () => this.stateListeners.delete(listener) };
  }

  /** Subscribes to the process's live events (and the stream's `hello` after every attach); returns a disposable. */
  onEvent(listener: Listener<InspectorEvent>): { dispose(): void } {
    this.eventListeners.add(listener);
    return { dispose: () => this.eventListeners.delete(listener) };
  }

  /** Attaches to the process on the configured port, or starts it. Resolves to the resulting state; never rejects. */
  start(): Promise<ConnectionState> {
    const attaching = this.enqueue(() => this.attach(undefined));
    this.attaching = attaching;
    void attaching.finally(() => {
      if (this.attaching === attaching) this.attaching = undefined;
    });
    return attaching;
  }

  /** Leaves the process: this window no longer counts as its client (it ends when idle if the extension started it). */
  detach(): Promise<ConnectionState> {
    return this.enqueue(async () => {
      this.release();
      this.setState({ status: 'stopped' });
      return this.current;
    });
  }

  /**
   * Ends the process if a VS Code window started it (this one, or one before
   * a reload) and no other client uses it (its ports are free once this
   * resolves), else only detaches: a process started by hand, or one other
   * windows or browser tabs use, keeps running. Resolves to whether the
   * process was stopped.
   */
  stopProcess(): Promise<boolean> {
    return this.enqueue(async () => {
      const state = this.current;
      const client = this.attached;
      // This window's own stream is one client.
      const unshared =
        state.status === 'running' &&
        state.process.startedBy === 'extension' &&
        client !== undefined &&
        (await client.call('status', {}).then(
          (status) => status.clients,
          () => 0,
        )) <= 1;
      this.release();
      if (this.current.status !== 'stopped') this.setState({ status: 'stopped' });
      if (!unshared) return false;
      const stopped = stopProcess(state.process.pid);
      await this.untilFree(state.url);
      return stopped;
    });
  }

  /** Waits for every queued operation to finish. */
  idle(): Promise<void> {
    return this.queue.then(() => undefined);
  }

  private async attach(lost: string | undefined): Promise<ConnectionState> {
    this.release();
    const settings = await this.options.settings();
    this.setState(lost === undefined ? { status: 'starting', settings: settings.listener } : { status: 'starting', settings: settings.listener, lost });
    try {
      const found = await attachOrStart({ settings, command: this.options.command, logFile: this.options.logFile });
      const client = new HttpInspectorClient(found.url, settings.apiToken);
      await this.options.onAttached?.(client, found.started);
      if (this.disposed) return this.current;
      this.attached = client;
      this.attempt = 0;
      this.follow(client);
      const { status } = found;
      const grpcPort = status.endpoints.grpc === undefined ? undefined : Number(new URL(status.endpoints.grpc).port);
      this.setState({
        status: 'running',
        settings: settings.listener,
        url: found.url,
        uiUrl: `${found.url}/${settings.apiToken ? `?token=${encodeURIComponent(settings.apiToken)}` : ''}`,
        httpPort: Number(new URL(found.url).port),
        ...(grpcPort !== undefined ? { grpcPort } : {}),
        started: found.started,
        process: { pid: status.pid, startedBy: status.startedBy, version: status.version },
      });
    } catch (error) {
      const message = isServiceError(error) || error instanceof Error ? error.message : String(error);
      this.setState({
        status: 'error',
        settings: settings.listener,
        message,
        ...(error instanceof PortTakenError ? { portInUse: { host: error.host, port: error.port } } : {}),
      });
      // After a loss keep trying, a seemingly foreign answer included: a busy or dying process can look like one.
      if (lost !== undefined) this.retryLater(message);
    }
    return this.current;
  }

  /** Follows the live stream; its end without {@link release} means the process went away. */
  private follow(client: InspectorClient): void {
    const stream = client.events((event) => {
      for (const listener of [...this.eventListeners]) listener(event);
    });
    this.stream = stream;
    void stream.ended.then(() => {
      if (this.stream !== stream || this.disposed) return;
      this.stream = undefined;
      this.attached = undefined;
      this.retryLater('the inspector process went away');
    });
  }

  private retryLater(reason: string): void {
    if (this.disposed) return;
    const backoff = this.options.backoffMs ?? DEFAULT_BACKOFF_MS;
    const delay = backoff[Math.min(this.attempt, backoff.length - 1)];
    this.attempt++;
    if (this.current.status !== 'error') {
      const settings = this.current.status === 'stopped' ? undefined : this.current.settings;
      if (settings) this.setState({ status: 'starting', settings, lost: reason });
    }
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => void this.enqueue(() => this.attach(reason)), delay);
  }

  private release(): void {
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    const stream = this.stream;
    this.stream = undefined;
    this.attached = undefined;
    stream?.close();
  }

  private async untilFree(url: string): Promise<void> {
    const deadline = Date.now() + 10_000;
    while ((await probe(url)).kind !== 'free' && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
  }

  private enqueue<T>(operation: () => Promise<T>): Promise<T> {
    const next = this.queue.then(operation, operation);
    this.queue = next.catch(() => undefined);
    return next;
  }

  private setState(state: ConnectionState): void {
    this.current = state;
    for (const listener of [...this.stateListeners]) listener(state);
  }

  /** Detaches for good: the process keeps running for other clients and ends when idle. */
  dispose(): void {
    this.disposed = true;
    this.release();
    this.setState({ status: 'stopped' });
  }
}
