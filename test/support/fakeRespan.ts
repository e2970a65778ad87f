/**
 * A local stand-in for the Respan API that speaks WIRE.md §5 on a real
 * loopback socket: `POST {base}/v2/traces` (OTLP JSON) and
 * `POST {base}/v1/traces/ingest` under a base path of `/api`. It records every
 * request and answers from a script: 200 with `{"partialSuccess":{}}`, 400
 * with a message, 401, 429 with `Retry-After`, 503, or no answer at all.
 * It can also refuse every body over a size with 413, as the proxy in front
 * of a real API does.
 */

import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** One scripted answer. */
export type FakeAnswer =
  | { kind: 'ok' }
  | { kind: 'bad-request'; message: string }
  | { kind: 'unauthorized' }
  | { kind: 'forbidden' }
  | { kind: 'too-many'; retryAfter: string }
  | { kind: 'unavailable'; retryAfter?: string }
  | { kind: 'hang' };

/** A request as the fake saw it. */
export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: string;
  /** Parsed body, or undefined when it is not JSON. */
  json: unknown;
  /** What the fake answered (`hang` for none, `too-large` for a 413 over {@link FakeRespan.refuseBodiesOver}). */
  answer: FakeAnswer['kind'] | 'not-found' | 'too-large';
}

/** The fake endpoint. `start()`, point a forwarder at `baseUrl`, `stop()`. */
export class FakeRespan {
  readonly requests: RecordedRequest[] = [];
  private readonly script: FakeAnswer[] = [];
  private fallback: FakeAnswer = { kind: 'ok' };
  private maxBodyBytes: number | undefined;
  private server: Server | undefined;
  private portValue = 0;
  private readonly sockets = new Set<Socket>();
  private readonly hanging = new Set<ServerResponse>();

  /** Keys that are accepted; with none set, any Bearer key is. */
  constructor(private readonly validKeys: string[] = []) {}

  /** `http://127.0.0.1:<port>`. */
  get url(): string {
    return `http://127.0.0.1:${this.portValue}`;
  }

  /** The base URL a forwarder uses: `http://127.0.0.1:<port>/api`. */
  get baseUrl(): string {
    return `${this.url}/api`;
  }

  /** Answers the next requests with these, in order, then with the fallback. */
  answerNext(...answers: FakeAnswer[]): void {
    this.script.push(...answers);
  }

  /** The answer once the script runs out (default 200). */
  answerAlways(answer: FakeAnswer): void {
    this.fallback = answer;
  }

  /** Answers 413 to any body over `bytes` (before the script and the key check), or to none with undefined. */
  refuseBodiesOver(bytes: number | undefined): void {
    this.maxBodyBytes = bytes;
  }

  /** Listens on `port` (0: a free one; reuse the old port to come back after {@link goOffline}). */
  async start(port = this.portValue): Promise<void> {
    const server = createServer((request, response) => void this.handle(request, response));
    server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    server.listen(port, '127.0.0.1');
    await once(server, 'listening');
    this.server = server;
    this.portValue = (server.address() as AddressInfo).port;
  }

  /** Stops listening and drops every connection: a real outage (connection refused) until {@link start}. */
  async goOffline(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server === undefined) return;
    for (const response of this.hanging) response.destroy();
    this.hanging.clear();
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Same as {@link goOffline}; for the end of a test. */
  stop(): Promise<void> {
    return this.goOffline();
  }

  /** Requests the fake answered with 200. */
  get accepted(): RecordedRequest[] {
    return this.requests.filter((request) => request.answer === 'ok');
  }

  /** `traceId/spanId` of every span in the OTLP requests answered with 200. */
  acceptedSpanKeys(): string[] {
    const keys: string[] = [];
    for (const request of this.accepted) {
      if (request.path !== '/api/v2/traces') continue;
      const body = request.json as { resourceSpans: Array<{ scopeSpans: Array<{ spans: Array<{ traceId: string; spanId: string }> }> }> };
      for (const resourceSpans of body.resourceSpans) for (const scopeSpans of resourceSpans.scopeSpans) for (const span of scopeSpans.spans) keys.push(`${span.traceId}/${span.spanId}`);
    }
    return keys;
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks);
    const body = raw.toString('utf8');
    let json: unknown;
    try {
      json = JSON.parse(body);
    } catch {
      json = undefined;
    }
    const path = (request.url ?? '/').split('?')[0];
    const recorded: RecordedRequest = { method: request.method ?? '', path, headers: request.headers, body, json, answer: 'not-found' };
    this.requests.push(recorded);

    const send = (status: number, payload: unknown, headers: Record<string, string> = {}) => {
      response.writeHead(status, { 'Content-Type': 'application/json', ...headers });
      response.end(JSON.stringify(payload));
    };
    if (request.method !== 'POST' || (path !== '/api/v2/traces' && path !== '/api/v1/traces/ingest')) {
      return send(404, { detail: 'Not found.' });
    }
    if (this.maxBodyBytes !== undefined && raw.length > this.maxBodyBytes) {
      recorded.answer = 'too-large';
      return send(413, { detail: `Request body is larger than ${this.maxBodyBytes} bytes.` });
    }
    let answer = this.script.shift() ?? this.fallback;
    const authorization = request.headers.authorization ?? '';
    const key = /^Bearer (.+)$/.exec(authorization)?.[1];
    // The real service checks the key before anything else.
    if (answer.kind === 'ok' && (key === undefined || (this.validKeys.length > 0 && !this.validKeys.includes(key)))) answer = { kind: 'unauthorized' };
    recorded.answer = answer.kind;
    switch (answer.kind) {
      case 'ok':
        return path === '/api/v2/traces' ? send(200, { partialSuccess: {} }) : send(200, { message: `Processed ${Array.isArray(json) ? json.length : 0} spans` });
      case 'bad-request':
        return send(400, { code: 3, message: answer.message });
      case 'unauthorized':
        return send(401, { detail: 'Invalid API key' });
      case 'forbidden':
        return send(403, { detail: 'You do not have permission to perform this action.' });
      case 'too-many':
        return send(429, { detail: 'Request was throttled.' }, { 'Retry-After': answer.retryAfter });
      case 'unavailable':
        return send(503, { detail: 'Service temporarily unavailable' }, answer.retryAfter ? { 'Retry-After': answer.retryAfter } : {});
      case 'hang':
        this.hanging.add(response);
        return;
    }
  }
}
