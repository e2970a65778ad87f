/**
 * A plain HTTP client for tests that must control every header (Host, Origin,
 * Content-Length, Transfer-Encoding) and see every answer as it is sent.
 */

import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { connect } from 'node:net';
import { decodeRpcStatusProto } from '../../src/core/otlp/proto';

/** What came back. */
export interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  text: string;
}

/** Options of {@link rawRequest}. */
export interface RawRequestOptions {
  method?: string;
  headers?: Record<string, string | number>;
  /** Sent with Content-Length, or chunked when `chunked` is set. */
  body?: Buffer | string;
  chunked?: boolean;
}

/** Sends one request to `url` (path and query included) on a fresh connection. */
export function rawRequest(url: string, options: RawRequestOptions = {}): Promise<RawResponse> {
  const target = new URL(url);
  const body = options.body === undefined ? undefined : Buffer.isBuffer(options.body) ? options.body : Buffer.from(options.body);
  const headers: Record<string, string | number> = { ...options.headers };
  if (body !== undefined && !options.chunked && !Object.keys(headers).some((name) => name.toLowerCase() === 'content-length')) headers['Content-Length'] = body.length;
  return new Promise((resolve, reject) => {
    const request = httpRequest(
      { host: target.hostname, port: target.port, path: `${target.pathname}${target.search}`, method: options.method ?? 'GET', headers, agent: false },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          const all = Buffer.concat(chunks);
          resolve({ status: response.statusCode ?? 0, headers: response.headers, body: all, text: all.toString('utf8') });
        });
        response.on('error', reject);
      },
    );
    // The server may answer (413, 403) and close before the whole body is sent.
    request.on('error', reject);
    if (body !== undefined) request.write(body);
    request.end();
  });
}

/** The human message of an error answer: google.rpc.Status (JSON or protobuf), `{error}` or the ingest `{error}`. */
export function messageOf(response: RawResponse): string {
  const type = String(response.headers['content-type'] ?? '');
  if (type.includes('protobuf')) return decodeRpcStatusProto(response.body).message;
  const json = JSON.parse(response.text) as { message?: string; error?: string };
  return json.message ?? json.error ?? '';
}

/** An answer read off a raw socket: the status, the head as sent, and the de-chunked body. */
export interface RawSocketResponse {
  status: number;
  head: string;
  body: string;
}

/**
 * Writes `request` (a whole HTTP/1.1 request, byte for byte: any request line,
 * repeated headers) to a fresh socket and reads the answer until the server
 * closes the connection, so send `Connection: close`.
 */
export function rawSocketExchange(port: number, request: string): Promise<RawSocketResponse> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.end(request));
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('close', () => {
      const all = Buffer.concat(chunks);
      const split = all.indexOf('\r\n\r\n');
      const head = (split < 0 ? all : all.subarray(0, split)).toString('latin1');
      const rawBody = split < 0 ? Buffer.alloc(0) : all.subarray(split + 4);
      const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(head)?.[1] ?? 0);
      resolve({ status, head, body: (/^transfer-encoding:\s*chunked/im.test(head) ? dechunk(rawBody) : rawBody).toString('utf8') });
    });
  });
}

function dechunk(bytes: Buffer): Buffer {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const lineEnd = bytes.indexOf('\r\n', at);
    const size = lineEnd < 0 ? 0 : parseInt(bytes.subarray(at, lineEnd).toString('latin1'), 16);
    if (!(size > 0)) return Buffer.concat(parts);
    parts.push(bytes.subarray(lineEnd + 2, lineEnd + 2 + size));
    at = lineEnd + 2 + size + 2;
  }
}
