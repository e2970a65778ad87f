/**
 * The inspector's HTTP listener: span receivers, the local query API, the live
 * stream and the browser UI, all on one port (default 127.0.0.1:4318).
 */

import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { basename, extname, join } from 'node:path';
import { decodeTraceFile } from '../core/importFile';
import type { Span } from '../core/model';
import { MalformedPayloadError, rejectedCount } from '../core/model';
import { DEFAULT_DECODE_LIMITS, type DecodeLimits } from '../core/otlp/common';
import type { Forwarder, ForwardingChange } from '../core/forward/forwarder';
import { isLoopbackHost } from '../core/net/loopback';
import { encodeOtlpJson } from '../core/otlp/export';
import { LEAN_TRACE_MEDIA_TYPE, encodeLeanTrace } from '../core/leanTrace';
import type { StoreChange, TraceOrder, TraceQuery, TraceStore, TraceTree } from '../core/store';
import {
  INSPECTOR_ID,
  type ApiErrorJson,
  type FacetsJson,
  type LiveStreamCountsJson,
  type SpanJson,
  type StartedBy,
  type StatusJson,
  type TraceListJson,
  type TraceLogsJson,
  type UntracedLogsJson,
} from '../protocol/api';
import { inspectorCsp, renderInspectorHtml } from '../protocol/html';
import { leanTraceHeadJson, logRecordJson, spanDetailJson, summaryJson, traceDetailJson } from '../protocol/serialize';
import { HttpError, readBody } from './body';
import { RequestGuard, newApiToken } from './guard';
import { FORWARDING_PATH, forwardingRoute } from './forwardingRoutes';
import { INGEST_PATHS, OTLP_SIGNAL_PATHS, describeRejections, receiveIngest, receiveOtlp, type ReceiverContext } from './receivers';
import type { OtlpSinks } from './signals';

/** Settings of an {@link InspectorServer}. */
export interface InspectorServerOptions {
  store: TraceStore;
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 4318; 0 picks a free port. */
  port?: number;
  /** Bytes a request body may have after decompression. Default 64 MiB. */
  maxBodyBytes?: number;
  limits?: DecodeLimits;
  /** Folder holding the built UI (`webview.js`, `webview.css`, fonts); without it `/` explains how to build. */
  webviewDir?: string;
  /**
   * Serve the UI's source maps and keep the bundles' `sourceMappingURL`
   * (`--dev`). Default off: the maps carry the UI's sources.
   */
  sourceMaps?: boolean;
  /** Called with every batch of accepted spans, after they are stored (forwarding hooks in here). */
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
  /** Forwarding to Respan, for the `/api/forwarding` and `/api/traces/{id}/forward` routes; without it they answer 404. */
  forwarding?: Forwarder;
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

const TRACE_PATH = /^\/api\/traces\/([0-9a-fA-F]{32})(\/otlp|\/pin|\/logs|\/lean|\/spans\/[^/]{1,256})?$/;

/** Answers that never carry span content to other origins or into caches. */
const BASE_HEADERS = { 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff' };

function sendJson(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  response.writeHead(status, { ...BASE_HEADERS, 'Content-Type': 'application/json; charset=utf-8', ...headers });
  response.end(JSON.stringify(body));
}

/** `/spans/` before a span id in a trace's path. */
const SPAN_SUFFIX = '/spans/';

/**
 * Writes a trace's lean form chunk by chunk, waiting for the socket to drain
 * and giving the event loop a turn between chunks, so ingest and other
 * requests go on while a 100,000-span trace is sent.
 */
async function sendLeanTrace(tree: TraceTree, response: ServerResponse): Promise<void> {
  response.writeHead(200, { ...BASE_HEADERS, 'Content-Type': LEAN_TRACE_MEDIA_TYPE });
  for (const chunk of encodeLeanTrace(tree, JSON.stringify(leanTraceHeadJson(tree)))) {
    if (response.destroyed) return;
    if (!response.write(chunk)) await new Promise<void>((resolve) => {
      const done = () => {
        response.off('drain', done);
        response.off('close', done);
        resolve();
      };
      response.on('drain', done);
      response.on('close', done);
    });
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  response.end();
}

function pathSegment(encoded: string): string {
  try {
    return decodeURIComponent(encoded);
  } catch {
    throw new HttpError(400, `malformed percent-encoding in ${encoded}`);
  }
}

function sendError(response: ServerResponse, status: number, message: string, headers: Record<string, string> = {}): void {
  sendJson(response, status, { error: message } satisfies ApiErrorJson, headers);
}

function numberParam(params: URLSearchParams, name: string): number | undefined {
  const raw = params.get(name);
  if (raw === null || raw === '') return undefined;
  const value = Number(raw);
  if (!Number.isFinite(value)) throw new HttpError(400, `query parameter ${name} must be a number, got "${raw}"`);
  return value;
}

function flagParam(params: URLSearchParams, name: string): boolean {
  const raw = params.get(name);
  return raw !== null && raw !== '0' && raw !== 'false';
}

/** The filters of `GET /api/traces` from its query string. */
export function traceQueryOf(params: URLSearchParams): TraceQuery {
  const text = (name: string) => params.get(name) || undefined;
  return {
    text: text('q'),
    errorsOnly: flagParam(params, 'errors'),
    pinnedOnly: flagParam(params, 'pinned'),
    name: text('name'),
    service: text('service'),
    model: text('model'),
    customer: text('customer'),
    thread: text('thread'),
    traceGroup: text('traceGroup'),
    environment: text('environment'),
    minDurationMs: numberParam(params, 'minDurationMs'),
    maxDurationMs: numberParam(params, 'maxDurationMs'),
    minCost: numberParam(params, 'minCost'),
    run: text('run'),
    sort: orderParam(params),
    traceIds: idsParam(params),
    limit: numberParam(params, 'limit'),
  };
}

/** `sort=newest` (default) or `sort=cost`. */
function orderParam(params: URLSearchParams): TraceOrder | undefined {
  const raw = params.get('sort');
  if (raw === null || raw === '' || raw === 'newest') return undefined;
  if (raw === 'cost') return 'cost';
  throw new HttpError(400, `query parameter sort must be newest or cost, got "${raw}"`);
}

/** `ids=a,b,c`: only these traces; an empty `ids=` selects none. */
function idsParam(params: URLSearchParams): string[] | undefined {
  const raw = params.get('ids');
  if (raw === null) return undefined;
  return raw.split(',').filter((id) => id !== '');
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
  private readonly store: TraceStore;
  private readonly receiverContext: ReceiverContext;
  /** Where every receiver (these HTTP ones, and the gRPC receiver) delivers what it decoded. */
  readonly sinks: OtlpSinks;
  /** OTLP metrics exports answered, and their data points. */
  private readonly metrics = { exportRequests: 0, dataPoints: 0 };
  private readonly guard: RequestGuard;
  /** The token `/api/*` requires, if any (given, or generated because the host is not loopback). */
  readonly apiToken: string | undefined;
  private readonly liveStreams = new Set<LiveStream>();
  private readonly clientListeners = new Set<(clients: number) => void>();
  private grpcEndpoint: string | undefined;
  private unsubscribe: (() => void) | undefined;
  private unsubscribeForwarding: (() => void) | undefined;
  private keepAlive: NodeJS.Timeout | undefined;
  private boundPort: number | undefined;

  constructor(private readonly options: InspectorServerOptions) {
    this.store = options.store;
    this.sinks = {
      spans: (spans) => this.accept(spans),
      logs: (records) => this.store.addLogs(records),
      metrics: (dataPoints) => {
        this.metrics.exportRequests++;
        this.metrics.dataPoints += dataPoints;
      },
    };
    this.receiverContext = {
      maxBodyBytes: options.maxBodyBytes ?? 64 * 1024 * 1024,
      limits: options.limits ?? DEFAULT_DECODE_LIMITS,
      sinks: this.sinks,
    };
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
    return this.options.host ?? '127.0.0.1';
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
    const port = this.options.port ?? 4318;
    return new Promise((resolve, reject) => {
      const onError = (error: NodeJS.ErrnoException) => {
        this.server.off('listening', onListening);
        reject(error.code === 'EADDRINUSE' ? new PortInUseError(this.host, port) : error);
      };
      const onListening = () => {
        this.server.off('error', onError);
        this.boundPort = (this.server.address() as AddressInfo).port;
        this.unsubscribe = this.store.onChange((change) => this.broadcast(change));
        this.unsubscribeForwarding = this.options.forwarding?.onChange((change) => this.broadcastForwarding(change));
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
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    this.unsubscribeForwarding?.();
    this.unsubscribeForwarding = undefined;
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

  private accept(spans: Span[]): void {
    this.store.add(spans);
    this.options.onSpans?.(spans);
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
      if (path === '/api/traces') return await this.tracesCollection(method, url, request, response);
      if (FORWARDING_PATH.test(path)) {
        const answer = await forwardingRoute(this.options.forwarding, method, path, url, request);
        return sendJson(response, answer.status, answer.body);
      }
      const traceMatch = TRACE_PATH.exec(path);
      if (traceMatch) return await this.traceResource(method, traceMatch[1].toLowerCase(), traceMatch[2], response);
      if (path.startsWith('/api/traces/')) throw new HttpError(404, `no trace at ${path}: trace ids are 32 hex digits`);
      if (path === '/api/events') return this.openLiveStream(method, request, response);
      if (path === '/api/facets') return this.onlyGet(method, () => sendJson(response, 200, this.store.facetValues() satisfies FacetsJson));
      if (path === '/api/status') return this.onlyGet(method, () => sendJson(response, 200, this.status()));
      if (path === '/api/logs') return this.onlyGet(method, () => sendJson(response, 200, this.untracedLogs()));
      if (path === '/api/import') return await this.importFile(method, request, response);
      if (path === '/' || path === '/index.html') return this.onlyGet(method, () => this.openPage(url, request, response));
      if (path.startsWith('/webview/')) return await this.serveStatic(method, path.slice('/webview/'.length), response);
      throw new HttpError(404, `nothing at ${path}; send traces to /v1/traces (OTLP) or /api/v1/traces/ingest (Respan), logs to /v1/logs, query them at /api/traces`);
    } catch (error) {
      if (error instanceof HttpError) return sendError(response, error.status, error.message, error.headers);
      if (error instanceof MalformedPayloadError) return sendError(response, 400, error.message);
      throw error;
    }
  }

  private onlyGet(method: string, answer: () => void): void {
    if (method !== 'GET' && method !== 'HEAD') throw new HttpError(405, `${method} is not allowed here; use GET`, { Allow: 'GET' });
    answer();
  }

  private status(): StatusJson {
    const identity = this.options.identity ?? { version: 'unknown', startedBy: 'user' };
    return {
      inspector: INSPECTOR_ID,
      version: identity.version,
      pid: process.pid,
      startedBy: identity.startedBy,
      ...(identity.exitWhenIdleSeconds !== undefined ? { exitWhenIdleSeconds: identity.exitWhenIdleSeconds } : {}),
      clients: this.liveStreams.size,
      url: this.url,
      endpoints: { http: this.url, ...(this.grpcEndpoint ? { grpc: this.grpcEndpoint } : {}) },
      spanCount: this.store.spanCount,
      traceCount: this.store.traceCount,
      memory: { storeBytes: this.store.approxBytes, maxStoreBytes: this.store.maxApproxBytes, heapUsedBytes: process.memoryUsage().heapUsed },
      priceTable: this.store.costs.tableLabel ?? null,
      logRecordCount: this.store.logRecordCount,
      metrics: { ...this.metrics },
    };
  }

  private untracedLogs(): UntracedLogsJson {
    const { records, received } = this.store.untracedLogs();
    return { logs: records.map(logRecordJson), received };
  }

  private async tracesCollection(method: string, url: URL, request: IncomingMessage, response: ServerResponse): Promise<void> {
    if (method === 'GET' || method === 'HEAD') {
      const { traces, total } = this.store.list(traceQueryOf(url.searchParams));
      sendJson(response, 200, { traces: traces.map(summaryJson), total } satisfies TraceListJson);
    } else if (method === 'DELETE') {
      this.store.clear();
      sendJson(response, 200, { cleared: true, traceCount: this.store.traceCount });
    } else {
      request.resume();
      throw new HttpError(405, `${method} is not allowed on /api/traces; use GET or DELETE`, { Allow: 'GET, DELETE' });
    }
  }

  private async traceResource(method: string, traceId: string, suffix: string | undefined, response: ServerResponse): Promise<void> {
    const notFound = () => new HttpError(404, `no trace with id ${traceId} (never received, deleted, or evicted by retention)`);
    if (suffix === '/pin') {
      if (method !== 'POST' && method !== 'DELETE') throw new HttpError(405, 'pin with POST, unpin with DELETE', { Allow: 'POST, DELETE' });
      if (!this.store.setPinned(traceId, method === 'POST')) throw notFound();
      return sendJson(response, 200, { traceId, pinned: method === 'POST' });
    }
    if (method === 'DELETE' && suffix === undefined) {
      if (!this.store.delete(traceId)) throw notFound();
      return sendJson(response, 200, { traceId, deleted: true });
    }
    if (method !== 'GET' && method !== 'HEAD') throw new HttpError(405, `${method} is not allowed here`, { Allow: suffix ? 'GET' : 'GET, DELETE' });
    if (suffix === '/logs') {
      const records = this.store.logsOf(traceId);
      if (records === undefined) throw notFound();
      return sendJson(response, 200, { traceId, logs: records.map(logRecordJson) } satisfies TraceLogsJson);
    }
    if (suffix?.startsWith(SPAN_SUFFIX)) {
      const spanId = pathSegment(suffix.slice(SPAN_SUFFIX.length));
      const span = spanDetailJson(this.store, traceId, spanId);
      if (!span) throw new HttpError(404, `no span with id ${spanId} in trace ${traceId} (never received, deleted, or evicted by retention)`);
      return sendJson(response, 200, span satisfies SpanJson);
    }
    const tree = this.store.tree(traceId);
    if (!tree) throw notFound();
    if (suffix === '/lean') return sendLeanTrace(tree, response);
    if (suffix === '/otlp') {
      return sendJson(response, 200, encodeOtlpJson(tree.spans), { 'Content-Disposition': `attachment; filename="trace-${traceId}.json"` });
    }
    sendJson(response, 200, traceDetailJson(tree));
  }

  private async importFile(method: string, request: IncomingMessage, response: ServerResponse): Promise<void> {
    if (method !== 'POST') throw new HttpError(405, 'import a trace file with POST', { Allow: 'POST' });
    const body = await readBody(request, this.receiverContext.maxBodyBytes);
    const result = decodeTraceFile(body.toString('utf8'), this.receiverContext.limits);
    const rejected = rejectedCount(result);
    if (result.spans.length === 0 && rejected > 0) throw new HttpError(400, `nothing could be imported; ${describeRejections(result)}`);
    this.accept(result.spans);
    const traceIds = [...new Set(result.spans.map((span) => span.traceId))];
    sendJson(response, 200, {
      imported: result.spans.length,
      traceIds,
      rejected,
      ...(rejected ? { message: describeRejections(result) } : {}),
    });
  }

  private openLiveStream(method: string, request: IncomingMessage, response: ServerResponse): void {
    if (method !== 'GET') throw new HttpError(405, 'open the live stream with GET', { Allow: 'GET' });
    if (this.liveStreams.size >= MAX_LIVE_STREAMS) {
      throw new HttpError(503, `too many live streams are open (${MAX_LIVE_STREAMS}, the most this inspector serves): close other inspector tabs or scripts reading /api/events`, { 'Retry-After': '10' });
    }
    response.writeHead(200, { ...BASE_HEADERS, 'Content-Type': 'text/event-stream; charset=utf-8', Connection: 'keep-alive' });
    response.write(`retry: 1000\nevent: hello\ndata: ${JSON.stringify(this.streamCounts())}\n\n`);
    const stream: LiveStream = { response, behind: false };
    this.liveStreams.add(stream);
    this.clientsChanged();
    response.on('drain', () => {
      if (!stream.behind) return;
      stream.behind = false;
      this.writeToStream(stream, `event: resync\ndata: ${JSON.stringify(this.streamCounts())}\n\n`);
    });
    request.on('close', () => {
      if (this.liveStreams.delete(stream)) this.clientsChanged();
    });
  }

  private clientsChanged(): void {
    for (const listener of [...this.clientListeners]) listener(this.liveStreams.size);
  }

  private streamCounts(): LiveStreamCountsJson {
    return { spanCount: this.store.spanCount, traceCount: this.store.traceCount };
  }

  private broadcast(change: StoreChange): void {
    if (this.liveStreams.size > 0) this.writeToStreams(`event: change\ndata: ${JSON.stringify(change)}\n\n`);
  }

  /** Forwarding state changes, as `forwarding` events of the live stream (`ForwardingChangeJson`). */
  private broadcastForwarding(change: ForwardingChange): void {
    if (this.liveStreams.size > 0) this.writeToStreams(`event: forwarding\ndata: ${JSON.stringify(change)}\n\n`);
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
