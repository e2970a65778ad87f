/**
 * The extension host's typed client of the inspector process. The host
 * relays: it asks, passes answers on, and never decodes, stores or serialises
 * traces itself. Every request is one of the service's
 * (`src/protocol/service.ts`), sent as `POST /api/service/{type}`; the live
 * stream carries the service's events. No `vscode` here, so it is tested
 * outside VS Code.
 */

import { request as httpRequest } from 'node:http';
import type { LiveStreamCountsJson } from '../protocol/api';
import { BINARY_MEDIA_TYPE, createServiceCall, SERVICE_EVENT_TYPES, SERVICE_PATH_PREFIX, type ServiceCall, type ServiceEvent, type ServiceEvents } from '../protocol/service';
import { httpServiceTransport, serviceFailure, type ServiceFetch } from '../protocol/serviceHttp';

/** What a relayed answer was, its pieces apart. */
export interface RelayedResult {
  /** The pieces are the result's bytes, not its JSON. */
  binary: boolean;
}

/**
 * Carries a service request named by a string to the service and passes the
 * result on in pieces (waiting for each one `onPiece` returns a promise
 * for): its JSON in UTF-8, or its bytes for a binary result; resolves after
 * the last, saying which.
 */
export type ServiceRelay = (type: string, params: unknown, onPiece: (piece: Uint8Array) => PromiseLike<unknown> | void) => Promise<RelayedResult>;

/** Bytes the relay gathers before passing them on: large enough for few messages, small enough that no step is long. */
export const RELAY_PIECE_BYTES = 1024 * 1024;

/** The first piece is smaller: it holds a large trace's first screens of rows (about 2,000 spans of its lean form), which the view paints before the rest arrives. */
export const FIRST_RELAY_PIECE_BYTES = 256 * 1024;

/** One event of the process's live stream: a service event, or the stream's own greeting and resync. */
export type InspectorEvent = ServiceEvent | { type: 'hello' | 'resync'; data: LiveStreamCountsJson };

/** An open live stream; while it is open, the process counts this window as a client. */
export interface EventSubscription {
  close(): void;
  /** Settles when the stream ended: closed here, or the process went away. */
  readonly ended: Promise<void>;
}

/** The process, as the extension host sees it. */
export interface InspectorClient {
  /** The process's base URL (`http://host:port`). */
  readonly url: string;
  /** Sends a service request; rejects with a `ServiceError` when the service refuses it. */
  readonly call: ServiceCall;
  /**
   * Sends a request named by a string with parameters as they came (the
   * panel's), and passes the result's JSON on to `onPiece` in UTF-8 pieces as
   * it arrives, unread: the process checks the type and the parameters, the
   * host only carries them. When `onPiece` returns a promise, reading waits
   * for it. Resolves after the last piece was taken, saying whether the
   * result is bytes (the requests of `BINARY_RESULTS`) rather than JSON.
   */
  readonly relay: ServiceRelay;
  /** Opens the live stream; `listener` gets each event in order. */
  events(listener: (event: InspectorEvent) => void): EventSubscription;
}

/** Splits a Server-Sent Events text stream into events. */
class EventParser {
  private buffer = '';

  constructor(private readonly emit: (name: string, data: string) => void) {}

  push(text: string): void {
    this.buffer += text;
    let end: number;
    while ((end = this.buffer.indexOf('\n\n')) >= 0) {
      const block = this.buffer.slice(0, end);
      this.buffer = this.buffer.slice(end + 2);
      let name = 'message';
      const data: string[] = [];
      for (const line of block.split('\n')) {
        if (line.startsWith('event:')) name = line.slice(6).trim();
        else if (line.startsWith('data:')) data.push(line.slice(5).trimStart());
      }
      if (data.length > 0) this.emit(name, data.join('\n'));
    }
  }
}

const STREAM_EVENTS = new Set<string>(['hello', 'resync', ...SERVICE_EVENT_TYPES]);

function eventOf(name: string, data: string): InspectorEvent | undefined {
  if (!STREAM_EVENTS.has(name)) return undefined;
  // The process wrote each event's data for its type.
  return { type: name as keyof ServiceEvents | 'hello' | 'resync', data: JSON.parse(data) } as InspectorEvent;
}

/** The client over HTTP to the process at `url` (`http://host:port`), with its access token when it requires one. */
export class HttpInspectorClient implements InspectorClient {
  readonly call: ServiceCall;
  private readonly headers: Record<string, string>;
  private readonly fetch: ServiceFetch = (target, init) => fetch(target, { ...init, headers: { ...init.headers, ...this.headers } });

  constructor(
    readonly url: string,
    apiToken?: string,
  ) {
    this.headers = apiToken ? { Authorization: `Bearer ${apiToken}` } : {};
    this.call = createServiceCall(httpServiceTransport(url, this.fetch));
  }

  relay(type: string, params: unknown, onPiece: (piece: Uint8Array) => PromiseLike<unknown> | void): Promise<RelayedResult> {
    // node:http rather than fetch: its data events cost the host's event loop less per megabyte.
    return new Promise((resolve, reject) => {
      const body = JSON.stringify(params ?? {});
      const headers = { ...this.headers, 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(body)) };
      const request = httpRequest(`${this.url}${SERVICE_PATH_PREFIX}${encodeURIComponent(type)}`, { method: 'POST', headers }, (response) => {
        const failed = (response.statusCode ?? 0) >= 300;
        let gathered: Buffer[] = [];
        let size = 0;
        let passing: PromiseLike<unknown> | void;
        let pieceBytes = FIRST_RELAY_PIECE_BYTES;
        const pass = () => {
          if (size === 0) return;
          const piece = Buffer.concat(gathered, size);
          gathered = [];
          size = 0;
          pieceBytes = RELAY_PIECE_BYTES;
          // A plain view of the bytes: a Buffer's toJSON would make postMessage send it as a list of numbers.
          passing = onPiece(new Uint8Array(piece.buffer, piece.byteOffset, piece.byteLength));
          if (passing) {
            // Read on once the piece is taken, so a slow taker never has the whole answer queued.
            response.pause();
            void Promise.resolve(passing).finally(() => response.resume());
          }
        };
        response.on('data', (chunk: Buffer) => {
          gathered.push(chunk);
          size += chunk.length;
          // A refusal is read whole: it is one short message.
          if (!failed && size >= pieceBytes) pass();
        });
        response.on('end', () => {
          if (failed) {
            reject(serviceFailure(response.statusCode ?? 0, response.statusMessage ?? '', Buffer.concat(gathered, size).toString('utf8')));
            return;
          }
          pass();
          const result = { binary: response.headers['content-type'] === BINARY_MEDIA_TYPE };
          void Promise.resolve(passing).then(
            () => resolve(result),
            () => resolve(result),
          );
        });
        response.on('error', reject);
      });
      request.on('error', (error) => reject(new Error(`The inspector did not answer (${error.message}). Is it still running?`)));
      request.end(body);
    });
  }

  events(listener: (event: InspectorEvent) => void): EventSubscription {
    const abort = new AbortController();
    const ended = (async () => {
      try {
        const response = await fetch(`${this.url}/api/events`, { signal: abort.signal, headers: this.headers });
        if (!response.ok || response.body === null) return;
        const decoder = new TextDecoder();
        const parser = new EventParser((name, data) => {
          const event = eventOf(name, data);
          if (event) listener(event);
        });
        const reader = response.body.getReader();
        for (;;) {
          const { done, value } = await reader.read();
          if (done) return;
          parser.push(decoder.decode(value, { stream: true }));
        }
      } catch {
        // Closed here, or the process went away: either way the stream has ended.
      }
    })();
    return { close: () => abort.abort(), ended };
  }
}
