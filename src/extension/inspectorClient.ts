/**
 * The extension host's typed client of the inspector process. The host
 * relays: it asks, passes answers on, and never decodes, stores or serialises
 * traces itself. Every request is one of the service's
 * (`src/protocol/service.ts`), sent as `POST /api/service/{type}`; the live
 * stream carries the service's events. No `vscode` here, so it is tested
 * outside VS Code.
 */

import type { LiveStreamCountsJson } from '../protocol/api';
import { createServiceCall, SERVICE_EVENT_TYPES, type ServiceCall, type ServiceEvent, type ServiceEvents } from '../protocol/service';
import { httpServiceTransport } from '../protocol/serviceHttp';

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

/** The client over HTTP to the process at `url` (`http://host:port`). */
export class HttpInspectorClient implements InspectorClient {
  readonly call: ServiceCall;

  constructor(readonly url: string) {
    this.call = createServiceCall(httpServiceTransport(url, (target, init) => fetch(target, init)));
  }

  events(listener: (event: InspectorEvent) => void): EventSubscription {
    const abort = new AbortController();
    const ended = (async () => {
      try {
        const response = await fetch(`${this.url}/api/events`, { signal: abort.signal });
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
