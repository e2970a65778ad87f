/**
 * The inspector's HTTP listener: span receivers, the local query API, the live
 * stream and the browser UI, all on one port (default 127.0.0.1:4318).
 */

import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { basename, extname, join } from 'node:path';
import { DEFAULT_HOST, DEFAULT_HTTP_PORT, DEFAULT_MAX_BODY_BYTES } from '../core/defaults';
import type { Forwarder } from '../core/forward/forwarder';
import type { LogRecord } from '../core/logs/record';
import type { Span } from '../core/model';
import { MalformedPayloadError } from '../core/model';
import { isLoopbackHost } from '../core/net/loopback';
import { DEFAULT_DECODE_LIMITS, type DecodeLimits } from '../core/otlp/common';
import { ServiceError } from '../core/service/errors';
import { fixedForwarding } from '../core/service/forwarding';
import { InspectorService, type ProcessFacts } from '../core/service/inspectorService';
import type { SpanSource } from '../core/spanSource';
import type { TraceStore } from '../core/store';
import type { LiveStreamCountsJson, StartedBy } from '../protocol/api';
import { inspectorCsp, renderInspectorHtml } from '../protocol/html';
import type { ServiceEvent } from '../protocol/service';
import { BASE_HEADERS, sendAnswer, sendError } from './answers';
import { apiRoute, serviceErrorAnswer } from './apiRoutes';
import { HttpError } from './body';
import { nodeTimers } from './forwarding';
import type { Persistence } from './persist/diskJournal';
import { RequestGuard, newApiToken } from './guard';
import { FORWARDING_PATH, forwardingRoute } from './forwardingRoutes';
import { INGEST_PATHS, OTLP_SIGNAL_PATHS, receiveIngest, receiveOtlp, type ReceiverContext } from './receivers';
import type { OtlpSinks } from './signals';
import { nextTurn } from './turns';

/** How the listener binds and what it accepts. */
export interface InspectorServerSettings {
  /** Default {@link DEFAULT_HOST}. */
  host?: string;
  /** Default {@link DEFAULT_HTTP_PORT}; 0 picks a free port. */
  port?: number;
  /** Bytes a request body may have after decompression. Default {@link DEFAULT_MAX_BODY_BYTES}. */
  maxBodyBytes?: number;
  limits?: DecodeLimits;
  /** Folder holding the built UI (`webview.js`, `webview.css`, fonts); without it `/` explains how to build. */
  webviewDir?: string;
  /**
   * Serve the UI's source maps and keep the bundles' `sourceMappingURL`
   * (`--dev`). Default off: the maps carry the UI's sources.
   */
  sourceMaps?: boolean;
  /** Called with every batch of spans the receivers stored (not while capture is paused), and with spans again when log records became their events; auto-forward hooks in here. */
  onSpans?: (spans: Span[]) => void;
  /** Origins (`http://host:port`) whose pages may send spans (browser-side SDKs). Default none. */
  allowedOrigins?: readonly string[];
  /** Host names accepted in the `Host` header besides loopback names and `host`. */
  allowedHosts?: readonly string[];
  /**
   * Access token `/api/*` requires (bearer header or UI cookie). When the host
   * is not a loopback address and none is given, one is generated: read it
   * from {@link InspectorServer.apiToken}.
   */
  apiToken?: string;
  /** How `/api/status` identifies the process. Default: started by a user, version unknown. */
  identity?: InspectorIdentity;
}

/** Who runs this listener, as `/api/status` tells it. */
export interface InspectorIdentity {
  version: string;
  startedBy: StartedBy;
  /** Seconds the process stays up after its last client left; absent: until stopped. */
  exitWhenIdleSeconds?: number;
}

/** What a listener carries: a service shared with other clients, or a store (and forwarder) to build one on. */
export type ServiceSource =
  | {
      /** The service shared with other clients (the extension's panel). */
      service: InspectorService;
    }
  | {
      store: TraceStore;
      /** Forwarding to Respan, for the forwarding requests; without it they answer 404. */
      forwarding?: Forwarder;
    };

/** Settings of an {@link InspectorServer}. */
export type InspectorServerOptions = InspectorServerSettings & ServiceSource;

/** The port is taken by another process. */
export class PortInUseError extends Error {
  constructor(
    readonly host: string,
    readonly port: number,
  ) {
    super(`port ${port} on ${host} is already in use`);
  }
}

const STATIC_TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.ttf': 'font/ttf',
  '.woff2': 'font/woff2',
  '.map': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};

/**
 * Live-stream clients served at once; more are answered 503. Each costs a
 * socket and, while it does not read, at most one socket buffer of events.
 */
export const MAX_LIVE_STREAMS = 32;

/** A client of the live stream. */
interface LiveStream {
  response: ServerResponse;
  /** Events were dropped because it stopped reading; once it drains it is sent a `resync`. */
  behind: boolean;
}

/** The comment that ends a bundle with a linked source map: a line comment in JavaScript, a block comment in CSS. */
const SOURCE_MAP_REFERENCE = /\n(?:\/\/# sourceMappingURL=[^\n]*|\/\*# sourceMappingURL=[^\n]*\*\/)\s*$/;

/** `content` without its closing source map reference, if it has one. */
function withoutSourceMapReference(content: Buffer): Buffer {
  const tailStart = Math.max(0, content.length - 1024);
  const match = SOURCE_MAP_REFERENCE.exec(content.subarray(tailStart).toString('latin1'));
  return match ? content.subarray(0, tailStart + match.index + 1) : content;
}

/**
 * The URL of a request target: a path (`/api/traces?q=…`) or the absolute form
 * (`http://host/path`). A target starting with `//` would read as a host
 * name (`//evil.example/api/traces` as `/api/traces`), so it is refused.
 */
function requestUrl(target: string): URL {
  const problem = () => new HttpError(400, `request target "${target.slice(0, 100)}" is not understood: it must be a path starting with a single "/"`);
  if (target.startsWith('//')) throw problem();
  try {
    const url = target.startsWith('/') ? new URL(target, 'http://inspector.invalid') : new URL(target);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw problem();
    return url;
  } catch (error) {
    if (error instanceof HttpError) throw error;
    throw problem();
  }
}

/** The listener. Create, `start()`, and `stop()` when done. */
export class InspectorServer {
  private readonly server: Server;
  /** The service this listener's API and live stream carry. */
  readonly service: InspectorService;
  private readonly receiverContext: ReceiverContext;
  /** Where every receiver (these HTTP ones, and the gRPC receiver) delivers what it decoded. */
  readonly sinks: OtlpSinks;
  private readonly guard: RequestGuard;
  /** The token `/api/*` requires, if any (given, or generated because the host is not loopback). */
  readonly apiToken: string | undefined;
  private readonly liveStreams = new Set<LiveStream>();
  private readonly clientListeners = new Set<(clients: number) => void>();
  private grpcEndpoint: string | undefined;
  private persistence: Persistence | undefined;
  private detachFromService: (() => void) | undefined;
  private keepAlive: NodeJS.Timeout | undefined;
  private boundPort: number | undefined;

  constructor(private readonly options: InspectorServerOptions) {
    const limits = options.limits ?? DEFAULT_DECODE_LIMITS;
    const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
    this.service =
      'service' in options
        ? options.service
        : new InspectorService({
            store: options.store,
            forwarding: options.forwarding && fixedForwarding(options.forwarding),
            limits,
            maxImportChars: maxBodyBytes,
            timers: nodeTimers,
            yieldTurn: nextTurn,
          });
    this.sinks = {
      spans: (spans, source) => this.accept(spans, source),
      logs: (records) => this.acceptLogs(records),
      metrics: (dataPoints) => this.service.countMetrics(dataPoints),
      whenWritable: () => this.service.whenWritable(),
    };
    this.receiverContext = { maxBodyBytes, limits, sinks: this.sinks };
    this.apiToken = options.apiToken ?? (isLoopbackHost(this.host) ? undefined : newApiToken());
    this.guard = new RequestGuard({ host: this.host, allowedHosts: options.allowedHosts, allowedOrigins: options.allowedOrigins, apiToken: this.apiToken });
    this.server = createServer((request, response) => {
      this.handle(request, response).catch((error: unknown) => {
        // A bug must cost one request, never the listener.
        if (!response.headersSent) sendError(response, 500, `internal error: ${(error as Error).message}`);
        else response.destroy();
      });
    });
    this.server.keepAliveTimeout = 65_000;
  }

  /** Host the listener is bound to. */
  get host(): string {
    return this.options.host ?? DEFAULT_HOST;
  }

  /** The bound port (after `start()`). */
  get port(): number {
    if (this.boundPort === undefined) throw new Error('the inspector server is not started');
    return this.boundPort;
  }

  /** `http://host:port` of the listener. */
  get url(): string {
    const host = this.host.includes(':') ? `[${this.host}]` : this.host;
    return `http://${host}:${this.port}`;
  }

  /** Starts listening; rejects with {@link PortInUseError} when the port is taken. */
  start(): Promise<void> {
    const port = this.options.port ?? DEFAULT_HTTP_PORT;
    return new Promise((resolve, reject) => {
      const onError = (error: NodeJS.ErrnoException) => {
        this.server.off('listening', onListening);
        reject(error.code === 'EADDRINUSE' ? new PortInUseError(this.host, port) : error);
      };
      const onListening = () => {
        this.server.off('error', onError);
        this.boundPort = (this.server.address() as AddressInfo).port;
        const unsubscribe = this.service.subscribe((event) => this.broadcast(event));
        const undescribe = this.service.describeProcess(() => this.processFacts());
        this.detachFromService = () => {
          unsubscribe();
          undescribe();
        };
        this.keepAlive = setInterval(() => this.writeToStreams(': keep-alive\n\n'), 15_000);
        this.keepAlive.unref();
        resolve();
      };
      this.server.once('error', onError);
      this.server.once('listening', onListening);
      this.server.listen(port, this.host);
    });
  }

  /** Stops listening and closes every connection, live streams included. */
  async stop(): Promise<void> {
    this.detachFromService?.();
    this.detachFromService = undefined;
    clearInterval(this.keepAlive);
    for (const stream of this.liveStreams) stream.response.end();
    this.liveStreams.clear();
    if (!this.server.listening) return;
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  /** Open live streams: each VS Code window and each browser tab holds one while it shows traces. */
  get clientCount(): number {
    return this.liveStreams.size;
  }

  /** Calls `listener` with the client count whenever a live stream opens or closes; returns the unsubscribe. */
  onClientsChange(listener: (clients: number) => void): () => void {
    this.clientListeners.add(listener);
    return () => this.clientListeners.delete(listener);
  }

  /** The OTLP/gRPC endpoint running beside this listener, for `/api/status`. */
  setGrpcEndpoint(endpoint: string | undefined): void {
    this.grpcEndpoint = endpoint;
  }

  /** The on-disk journal the store writes to, for `/api/status`. */
  setPersistence(persistence: Persistence | undefined): void {
    this.persistence = persistence;
  }

  private async accept(spans: Span[], source: SpanSource | undefined): Promise<void> {
    if (await this.service.ingest(spans, source)) this.options.onSpans?.(spans);
  }

  /** Spans that gained log events are captured again: a forwarder that has not sent them yet sends them with their events. */
  private acceptLogs(records: LogRecord[]): void {
    const updated = this.service.ingestLogs(records);
    if (updated.length > 0) this.options.onSpans?.(updated);
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const method = request.method ?? 'GET';
    try {
      this.guard.checkHost(request);
      const url = requestUrl(request.url ?? '/');
      const path = url.pathname.length > 1 && url.pathname.endsWith('/') ? url.pathname.slice(0, -1) : url.pathname;
      const signal = OTLP_SIGNAL_PATHS.get(path);
      if (signal !== undefined || INGEST_PATHS.has(path)) {
        if (this.guard.answerPreflight(request, response)) return;
        for (const [name, value] of Object.entries(this.guard.checkReceiver(request))) response.setHeader(name, value);
        if (method !== 'POST') throw new HttpError(405, `${method} is not allowed on ${path}; send ${signal?.items ?? 'spans'} with POST`, { Allow: 'POST' });
        return signal !== undefined ? await receiveOtlp(request, response, this.receiverContext, signal) : await receiveIngest(request, response, this.receiverContext);
      }
      if (path === '/api' || path.startsWith('/api/')) this.guard.checkApi(request, this.port);
      if (path === '/api/events') return await this.openLiveStream(method, request, response);
      const context = { service: this.service, maxBodyBytes: this.receiverContext.maxBodyBytes };
      const answer = FORWARDING_PATH.test(path) ? await forwardingRoute(this.service, method, path, url, request) : await apiRoute(context, method, path, url, request);
      if (answer) return await sendAnswer(response, answer);
      if (path === '/' || path === '/index.html') return this.onlyGet(method, () => this.openPage(url, request, response));
      if (path.startsWith('/webview/')) return await this.serveStatic(method, path.slice('/webview/'.length), response);
      throw new HttpError(404, `nothing at ${path}; send traces to /v1/traces (OTLP) or /api/v1/traces/ingest (Respan), logs to /v1/logs, query them at /api/traces`);
    } catch (error) {
      if (error instanceof HttpError) return sendError(response, error.status, error.message, error.headers);
      if (error instanceof ServiceError) return await sendAnswer(response, serviceErrorAnswer(error));
      if (error instanceof MalformedPayloadError) return sendError(response, 400, error.message);
      throw error;
    }
  }

  private onlyGet(method: string, answer: () => void): void {
    if (method !== 'GET' && method !== 'HEAD') throw new HttpError(405, `${method} is not allowed here; use GET`, { Allow: 'GET' });
    answer();
  }

  /** What this process says of itself in the service's `status`. */
  private processFacts(): ProcessFacts {
    const identity = this.options.identity ?? { version: 'unknown', startedBy: 'user' };
    return {
      version: identity.version,
      pid: process.pid,
      startedBy: identity.startedBy,
      ...(identity.exitWhenIdleSeconds !== undefined ? { exitWhenIdleSeconds: identity.exitWhenIdleSeconds } : {}),
      clients: this.liveStreams.size,
      url: this.url,
      endpoints: { http: this.url, ...(this.grpcEndpoint ? { grpc: this.grpcEndpoint } : {}) },
      ...this.persistenceFacts(),
      heapUsedBytes: process.memoryUsage().heapUsed,
    };
  }

  private persistenceFacts(): Pick<ProcessFacts, 'dataDir' | 'disk'> {
    const persistence = this.persistence;
    if (persistence?.state.status !== 'on') return { dataDir: null, disk: null };
    return { dataDir: persistence.state.dataDir, disk: { bytes: persistence.diskBytes, maxBytes: persistence.maxDiskBytes } };
  }

  private async openLiveStream(method: string, request: IncomingMessage, response: ServerResponse): Promise<void> {
    if (method !== 'GET') throw new HttpError(405, 'open the live stream with GET', { Allow: 'GET' });
    if (this.liveStreams.size >= MAX_LIVE_STREAMS) {
      throw new HttpError(503, `too many live streams are open (${MAX_LIVE_STREAMS}, the most this inspector serves): close other inspector tabs or scripts reading /api/events`, { 'Retry-After': '10' });
    }
    const counts = await this.streamCounts();
    response.writeHead(200, { ...BASE_HEADERS, 'Content-Type': 'text/event-stream; charset=utf-8', Connection: 'keep-alive' });
    response.write(`retry: 1000\nevent: hello\ndata: ${JSON.stringify(counts)}\n\n`);
    const stream: LiveStream = { response, behind: false };
    this.liveStreams.add(stream);
    this.clientsChanged();
    response.on('drain', () => {
      if (!stream.behind) return;
      stream.behind = false;
      void this.streamCounts().then((now) => this.writeToStream(stream, `event: resync\ndata: ${JSON.stringify(now)}\n\n`));
    });
    request.on('close', () => {
      if (this.liveStreams.delete(stream)) this.clientsChanged();
    });
  }

  private clientsChanged(): void {
    for (const listener of [...this.clientListeners]) listener(this.liveStreams.size);
  }

  private async streamCounts(): Promise<LiveStreamCountsJson> {
    const { spanCount, traceCount } = await this.service.handle('status', {});
    return { spanCount, traceCount };
  }

  /** A live event of the service, as the SSE event of its type. */
  private broadcast(event: ServiceEvent): void {
    if (this.liveStreams.size > 0) this.writeToStreams(`event: ${event.type}\ndata: ${JSON.stringify(event.data)}\n\n`);
  }

  private writeToStreams(text: string): void {
    for (const stream of this.liveStreams) if (!stream.behind) this.writeToStream(stream, text);
  }

  /**
   * Writes an event, or notes that the client stopped reading: its socket
   * buffer is full, so later events are dropped (not queued without bound)
   * until it drains and is told to resync.
   */
  private writeToStream(stream: LiveStream, text: string): void {
    if (!stream.response.write(text)) stream.behind = true;
  }

  /**
   * The UI page. With an access token, `/?token=…` trades the token for an
   * HttpOnly SameSite=Strict cookie (then redirects, so the token leaves the
   * address bar); the page's own API calls carry the cookie.
   */
  private openPage(url: URL, request: IncomingMessage, response: ServerResponse): void {
    if (this.guard.requiresToken) {
      const offered = url.searchParams.get('token');
      if (offered !== null) {
        if (!this.guard.matches(offered)) throw new HttpError(401, 'wrong access token: open the UI link printed at startup');
        response.writeHead(303, {
          ...BASE_HEADERS,
          Location: '/',
          'Set-Cookie': `${this.guard.cookieName(this.port)}=${encodeURIComponent(offered)}; HttpOnly; SameSite=Strict; Path=/`,
        });
        response.end();
        return;
      }
      if (!this.guard.hasToken(request, this.port)) throw new HttpError(401, 'this inspector needs its access token: open the UI link printed at startup (it ends in ?token=…)');
    }
    this.servePage(response);
  }

  private servePage(response: ServerResponse): void {
    const nonce = randomBytes(16).toString('base64');
    const page = { nonce, cspSource: "'self'", scriptUri: '/webview/webview.js', styleUri: '/webview/webview.css' };
    response.writeHead(200, {
      ...BASE_HEADERS,
      'Content-Type': 'text/html; charset=utf-8',
      'Content-Security-Policy': inspectorCsp(page),
      'Referrer-Policy': 'no-referrer',
      'X-Frame-Options': 'DENY',
    });
    response.end(renderInspectorHtml(page));
  }

  private async serveStatic(method: string, name: string, response: ServerResponse): Promise<void> {
    if (method !== 'GET' && method !== 'HEAD') throw new HttpError(405, 'use GET', { Allow: 'GET' });
    const extension = extname(name);
    const type = STATIC_TYPES[extension];
    // Only plain file names of known types: nothing outside the UI folder is reachable.
    if (!this.options.webviewDir || basename(name) !== name || type === undefined) throw new HttpError(404, `no UI file ${name}`);
    const sourceMaps = this.options.sourceMaps === true;
    if (extension === '.map' && !sourceMaps) throw new HttpError(404, `no UI file ${name}: source maps are served only with --dev`);
    let content: Buffer;
    try {
      content = await readFile(join(this.options.webviewDir, name));
    } catch {
      throw new HttpError(404, `no UI file ${name}; build the UI with "npm run build"`);
    }
    if (!sourceMaps && (extension === '.js' || extension === '.css')) content = withoutSourceMapReference(content);
    response.writeHead(200, { 'Content-Type': type, 'Cache-Control': 'no-cache', 'X-Content-Type-Options': 'nosniff' });
    response.end(content);
  }
}
