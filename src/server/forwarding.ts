/**
 * Node glue of forwarding: the HTTP transport, Node's timers, the trace store
 * as the span source, and the environment (`RESPAN_API_KEY`,
 * `RESPAN_BASE_URL`) the standalone command reads. The extension builds the
 * same {@link Forwarder} with {@link createNodeForwarder}, passing its key from
 * SecretStorage instead of the environment.
 */

import { DEFAULT_RESPAN_BASE_URL } from '../core/defaults';
import { Forwarder, type ForwardLog, type ForwardLimits, type ForwardTimers, type ForwardTransport, type SpanSource } from '../core/forward/forwarder';
import type { ForwardSettings } from '../core/forward/payload';
import type { TraceStore } from '../core/store';

/** Most of an error answer worth reading; the rest is cut (a hostile server cannot fill memory). */
const MAX_RESPONSE_BYTES = 64 * 1024;

async function readCapped(response: Response): Promise<string> {
  if (response.body === null) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    while (total < MAX_RESPONSE_BYTES) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      total += value.byteLength;
    }
  } finally {
    // Stops reading the rest and frees the connection.
    await reader.cancel().catch(() => undefined);
  }
  return Buffer.concat(chunks).subarray(0, MAX_RESPONSE_BYTES).toString('utf8');
}

/**
 * The HTTP transport over Node's `fetch`: one timeout covering connect, send
 * and the answer; redirects are not followed (a redirect could carry the
 * Authorization header somewhere else), they come back as 3xx answers.
 */
export function createFetchTransport(): ForwardTransport {
  return {
    async send(request) {
      const signal = AbortSignal.timeout(request.timeoutMs);
      try {
        const response = await fetch(request.url, { method: request.method, headers: request.headers, body: request.body, signal, redirect: 'manual' });
        const headers: Record<string, string> = {};
        response.headers.forEach((value, name) => {
          headers[name.toLowerCase()] = value;
        });
        return { status: response.status, headers, body: await readCapped(response) };
      } catch (error) {
        if (signal.aborted) throw new Error(`no answer within ${request.timeoutMs / 1000} s`);
        throw error;
      }
    },
  };
}

/** Node's timers, unref'd: a pending retry never keeps a process alive on its own. */
export const nodeTimers: ForwardTimers = {
  setTimeout(callback, delayMs) {
    const timer = setTimeout(callback, delayMs);
    timer.unref();
    return timer;
  },
  clearTimeout(handle) {
    clearTimeout(handle as NodeJS.Timeout);
  },
};

/** The trace store as the forwarder's span source. */
export function storeSource(store: TraceStore): SpanSource {
  return {
    trace: (traceId) => store.get(traceId)?.spans.values(),
    span: (traceId, spanId) => store.getSpan(traceId, spanId),
  };
}

/** What the environment says about forwarding. */
export interface ForwardingEnvironment {
  /** `RESPAN_API_KEY`, trimmed; undefined when unset or blank. */
  apiKey: string | undefined;
  /** `RESPAN_BASE_URL`, or the default. */
  baseUrl: string;
}

/** Reads `RESPAN_API_KEY` and `RESPAN_BASE_URL` (default {@link DEFAULT_RESPAN_BASE_URL}). */
export function forwardingEnvironment(env: Record<string, string | undefined>): ForwardingEnvironment {
  const apiKey = env.RESPAN_API_KEY?.trim();
  const baseUrl = env.RESPAN_BASE_URL?.trim();
  return { apiKey: apiKey ? apiKey : undefined, baseUrl: baseUrl ? baseUrl : DEFAULT_RESPAN_BASE_URL };
}

/** Settings of {@link createNodeForwarder}. */
export interface NodeForwarderOptions {
  store: TraceStore;
  apiKey?: string;
  baseUrl?: string;
  settings?: Partial<ForwardSettings>;
  autoForward?: boolean;
  limits?: Partial<ForwardLimits>;
  log?: ForwardLog;
  /** Default: fetch. Tests may pass their own. */
  transport?: ForwardTransport;
  userAgent?: string;
}

/** A forwarder wired to Node and a trace store, and the function that unwires it. */
export interface NodeForwarding {
  forwarder: Forwarder;
  /** Stops listening to the store and disposes the forwarder. */
  dispose(): void;
}

/**
 * A {@link Forwarder} with Node's transport, clock and timers, reading spans
 * from `store` and forgetting finished spans of traces the store evicts.
 * Hook `forwarder.captured` into `InspectorServer`'s `onSpans` for
 * auto-forward. Throws `ForwardConfigError` for an unsafe base URL, a bad key
 * or an invalid redaction rule.
 */
export function createNodeForwarder(options: NodeForwarderOptions): NodeForwarding {
  const forwarder = new Forwarder({
    transport: options.transport ?? createFetchTransport(),
    now: Date.now,
    timers: nodeTimers,
    source: storeSource(options.store),
    baseUrl: options.baseUrl,
    apiKey: options.apiKey,
    settings: options.settings,
    autoForward: options.autoForward,
    limits: options.limits,
    log: options.log,
    userAgent: options.userAgent ?? 'respan-trace-inspector',
  });
  const unsubscribe = options.store.onChange((change) => {
    if (change.evicted.length > 0) forwarder.forget(change.evicted);
  });
  return {
    forwarder,
    dispose() {
      unsubscribe();
      forwarder.dispose();
    },
  };
}
