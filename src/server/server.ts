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
import type { Span } from '../core/model';
import { MalformedPayloadError } from '../core/model';
import { DEFAULT_DECODE_LIMITS, type DecodeLimits } from '../core/otlp/common';
import { ServiceError } from '../core/service/errors';
import { fixedForwarding } from '../core/service/forwarding';
import { InspectorService } from '../core/service/inspectorService';
import type { TraceStore } from '../core/store';
import type { ApiErrorJson } from '../protocol/api';
import { inspectorCsp, renderInspectorHtml } from '../protocol/html';
import type { ServiceEvent } from '../protocol/service';
import { apiRoute, jsonAnswer, serviceErrorAnswer, type RouteAnswer } from './apiRoutes';
import { HttpError } from './body';
import { nodeTimers } from './forwarding';
import { RequestGuard, isLoopbackHost, newApiToken } from './guard';
import { FORWARDING_PATH, forwardingRoute } from './forwardingRoutes';
import { INGEST_PATHS, OTLP_TRACE_PATHS, receiveIngest, receiveOtlp, type ReceiverContext } from './receivers';

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
  /** Called with every batch of spans the receivers stored (not while capture is paused); auto-forward hooks in here. */
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

/** Answers that never carry span content to other origins or into caches. */
const BASE_HEADERS = { 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff' };

function sendAnswer(response: ServerResponse, answer: RouteAnswer): void {
  response.writeHead(answer.status, { ...BASE_HEADERS, 'Content-Type': 'application/json; charset=utf-8', ...answer.headers });
  response.end(answer.json);
}

function sendError(response: ServerResponse, status: number, message: string, headers: Record<string, string> = {}): void {
  sendAnswer(response, jsonAnswer({ error: message } satisfies ApiErrorJson, status, headers));
}

/** The listener. Create, `start()`, and `stop()` when done. */
export class InspectorServer {
  private readonly server: Server;
  /** The service this listener's API and live stream carry. */
  readonly service: InspectorService;
  private readonly receiverContext: ReceiverContext;
  private readonly guard: RequestGuard;
  /** The token `/api/*` requires, if any (given, or generated because the host is not loopback). */
  readonly apiToken: string | undefined;
  private readonly liveStreams = new Set<ServerResponse>();
  private unsubscribe: (() => void) | undefined;
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
            listenerUrl: () => (this.boundPort === undefined ? undefined : this.url),
          });
    this.receiverContext = { maxBodyBytes, limits, accept: (spans) => this.accept(spans) };
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
        this.unsubscribe = this.service.subscribe((event) => this.broadcast(event));
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
    clearInterval(this.keepAlive);
    for (const stream of this.liveStreams) stream.end();
    this.liveStreams.clear();
    if (!this.server.listening) return;
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  /**
   * Stores spans decoded elsewhere (the gRPC receiver) exactly as the HTTP
   * receivers do, capture pause and `onSpans` included.
   */
  acceptSpans(spans: Span[]): void {
    this.accept(spans);
  }

  private accept(spans: Span[]): void {
    if (this.service.ingest(spans)) this.options.onSpans?.(spans);
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://inspector.invalid');
    const path = url.pathname.length > 1 && url.pathname.endsWith('/') ? url.pathname.slice(0, -1) : url.pathname;
    const method = request.method ?? 'GET';
    try {
      this.guard.checkHost(request);
      if (OTLP_TRACE_PATHS.has(path) || INGEST_PATHS.has(path)) {
        if (this.guard.answerPreflight(request, response)) return;
        for (const [name, value] of Object.entries(this.guard.checkReceiver(request))) response.setHeader(name, value);
        if (method !== 'POST') throw new HttpError(405, `${method} is not allowed on ${path}; send traces with POST`, { Allow: 'POST' });
        return OTLP_TRACE_PATHS.has(path) ? await receiveOtlp(request, response, this.receiverContext) : await receiveIngest(request, response, this.receiverContext);
      }
      if (path === '/api' || path.startsWith('/api/')) this.guard.checkApi(request, this.port);
      if (path === '/api/events') return await this.openLiveStream(method, request, response);
      const context = { service: this.service, maxBodyBytes: this.receiverContext.maxBodyBytes };
      const answer = FORWARDING_PATH.test(path) ? await forwardingRoute(this.service, method, path, url, request) : await apiRoute(context, method, path, url, request);
      if (answer) return sendAnswer(response, answer);
      if (path === '/' || path === '/index.html') return this.onlyGet(method, () => this.openPage(url, request, response));
      if (path.startsWith('/webview/')) return await this.serveStatic(method, path.slice('/webview/'.length), response);
      throw new HttpError(404, `nothing at ${path}; send traces to /v1/traces (OTLP) or /api/v1/traces/ingest (Respan), query them at /api/traces`);
    } catch (error) {
      if (error instanceof HttpError) return sendError(response, error.status, error.message, error.headers);
      if (error instanceof ServiceError) return sendAnswer(response, serviceErrorAnswer(error));
      if (error instanceof MalformedPayloadError) return sendError(response, 400, error.message);
      throw error;
    }
  }

  private onlyGet(method: string, answer: () => void): void {
    if (method !== 'GET' && method !== 'HEAD') throw new HttpError(405, `${method} is not allowed here; use GET`, { Allow: 'GET' });
    answer();
  }

  private async openLiveStream(method: string, request: IncomingMessage, response: ServerResponse): Promise<void> {
    if (method !== 'GET') throw new HttpError(405, 'open the live stream with GET', { Allow: 'GET' });
    const { spanCount, traceCount } = await this.service.handle('status', {});
    response.writeHead(200, { ...BASE_HEADERS, 'Content-Type': 'text/event-stream; charset=utf-8', Connection: 'keep-alive' });
    response.write(`retry: 1000\nevent: hello\ndata: ${JSON.stringify({ spanCount, traceCount })}\n\n`);
    this.liveStreams.add(response);
    request.on('close', () => this.liveStreams.delete(response));
  }

  /** A live event, as the SSE event of its type. */
  private broadcast(event: ServiceEvent): void {
    if (this.liveStreams.size > 0) this.writeToStreams(`event: ${event.type}\ndata: ${JSON.stringify(event.data)}\n\n`);
  }

  private writeToStreams(text: string): void {
    for (const stream of this.liveStreams) stream.write(text);
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
    const type = STATIC_TYPES[extname(name)];
    // Only plain file names of known types: nothing outside the UI folder is reachable.
    if (!this.options.webviewDir || basename(name) !== name || type === undefined) throw new HttpError(404, `no UI file ${name}`);
    let content: Buffer;
    try {
      content = await readFile(join(this.options.webviewDir, name));
    } catch {
      throw new HttpError(404, `no UI file ${name}; build the UI with "npm run build"`);
    }
    response.writeHead(200, { 'Content-Type': type, 'Cache-Control': 'no-cache', 'X-Content-Type-Options': 'nosniff' });
    response.end(content);
  }
}
