/**
 * The forwarding service: a bounded delivery queue that sends captured spans
 * to the Respan API in batches, retries what can be retried, and keeps a
 * visible state for every span it was asked to send.
 *
 * Pure: the HTTP transport, the clock, the timers and the source of captured
 * spans are injected, so hosts (the standalone command, the VS Code
 * extension) supply Node's, and tests supply fakes with fake time.
 *
 * Delivery rules:
 * - Spans wait up to `batchDelayMs` to be batched; a batch holds at most
 *   `maxBatchSpans` spans and `maxBatchBytes` bytes (a single larger span goes
 *   alone). One request is in flight at a time.
 * - 2xx: sent. 429/502/503/504, timeouts and network errors: retried with
 *   exponential backoff and jitter, or after `Retry-After` when the server
 *   gives one; after `maxAttempts` the spans are failed (retryable by hand).
 *   401/403: the key is wrong; the spans fail, sending pauses and
 *   auto-forward stops until a new key is set (which retries them). Any other
 *   answer (400, 404, 500, a redirect): failed with the server's message,
 *   never retried automatically.
 * - 413 (too large): the spans go back to the front of the queue and, for
 *   the rest of the session, no batch may hold more bytes than the larger
 *   half of the refused one, so they go again in halves, which halve again
 *   while Respan still refuses. This costs the spans no attempt, waits no
 *   backoff and never pauses. Only a span refused on its own fails, with a
 *   reason saying it alone is larger than Respan accepts, and its size.
 * - A span accepted by Respan is never sent again automatically. A span that
 *   arrives again before it was sent replaces the queued copy (the latest
 *   version is sent once). One that arrives again after it was sent is not
 *   re-sent: if its content changed it is marked `changedSinceSent`, and a
 *   manual forward with `resend` sends it again.
 * - The queue holds at most `maxQueuedSpans` spans. Past that, spans are
 *   failed with the reason "queue full" (counted in `overflowed`) and can be
 *   retried with {@link Forwarder.retryFailed}; nothing is dropped silently.
 * - The API key never appears in a status, reason, log line or error: every
 *   message passes through a scrubber that knows every key ever set.
 */

import type { Span } from '../model';
import { checkApiKey, checkBaseUrl, DEFAULT_RESPAN_BASE_URL, endpointUrl, ForwardConfigError } from './destination';
import { DEFAULT_FORWARD_SETTINGS, PayloadBuilder, previewForward, requestHeaders, utf8Length, type ForwardPreview, type ForwardSettings, type PreparedSpan } from './payload';
import { backoffDelay, describeStatus, parseRetryAfter, RETRYABLE_STATUSES, serverMessage } from './retry';
import { SecretScrubber } from './secrets';

/** One HTTP request of the forwarder. */
export interface ForwardRequest {
  url: string;
  method: 'POST';
  headers: Record<string, string>;
  body: string;
  /** The transport must give up (reject) after this long, including reading the answer. */
  timeoutMs: number;
}

/** The answer to a {@link ForwardRequest}. Header names in lowercase. */
export interface ForwardResponse {
  status: number;
  headers: Record<string, string | undefined>;
  body: string;
}

/** Sends requests. Rejects on network errors and timeouts. */
export interface ForwardTransport {
  send(request: ForwardRequest): Promise<ForwardResponse>;
}

/** The host's timers (Node's, the browser's, or fake ones in tests). */
export interface ForwardTimers {
  setTimeout(callback: () => void, delayMs: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** Where captured spans can be found again (the trace store), for manual forwards and retries. */
export interface SpanSource {
  /** The spans of a trace, or undefined when the trace is unknown. */
  trace(traceId: string): Iterable<Span> | undefined;
  span(traceId: string, spanId: string): Span | undefined;
}

/** Severity of a {@link ForwardLog} line. */
export type ForwardLogLevel = 'info' | 'warn' | 'error';

/** Receives log lines (already free of secrets), e.g. for an output channel or stderr. */
export type ForwardLog = (level: ForwardLogLevel, message: string) => void;

/** Bounds and timings of the queue. */
export interface ForwardLimits {
  /** Spans per request. Default 500. */
  maxBatchSpans: number;
  /** Bytes per request body (a single larger span is sent alone). Default 4 MiB; lowered for the session by a 413. */
  maxBatchBytes: number;
  /** Spans held in the queue (pending or sending). Default 20,000. */
  maxQueuedSpans: number;
  /** How long spans wait for more to batch with, in ms. Default 1000. */
  batchDelayMs: number;
  /** Per-request timeout, in ms. Default 30,000. */
  requestTimeoutMs: number;
  /** Attempts per span before it is failed (retryable by hand). Default 10. */
  maxAttempts: number;
  /** First retry delay, in ms; doubles per consecutive failure. Default 1000. */
  baseRetryDelayMs: number;
  /** Cap of the exponential delay, in ms. Default 60,000. */
  maxRetryDelayMs: number;
  /** Cap of a server's `Retry-After`, in ms. Default 15 minutes. */
  maxRetryAfterMs: number;
}

/** Defaults of {@link ForwardLimits}. */
export const DEFAULT_FORWARD_LIMITS: ForwardLimits = {
  maxBatchSpans: 500,
  maxBatchBytes: 4 * 1024 * 1024,
  maxQueuedSpans: 20_000,
  batchDelayMs: 1000,
  requestTimeoutMs: 30_000,
  maxAttempts: 10,
  baseRetryDelayMs: 1000,
  maxRetryDelayMs: 60_000,
  maxRetryAfterMs: 15 * 60_000,
};

/** Settings of a {@link Forwarder}. */
export interface ForwarderOptions {
  transport: ForwardTransport;
  /** Wall clock, ms since the epoch. */
  now: () => number;
  timers: ForwardTimers;
  /** In [0, 1); for jitter. Default Math.random. */
  random?: () => number;
  /** Captured spans, for forwarding whole traces and retrying spans no longer held in the queue. */
  source?: SpanSource;
  /** Default {@link DEFAULT_RESPAN_BASE_URL}. */
  baseUrl?: string;
  apiKey?: string;
  settings?: Partial<ForwardSettings>;
  /** Forward every span captured from now on (needs a key). Default false. */
  autoForward?: boolean;
  limits?: Partial<ForwardLimits>;
  log?: ForwardLog;
  /** Sent as `User-Agent`. */
  userAgent?: string;
}

/** Where one span stands. */
export type SpanForwardState = 'pending' | 'sending' | 'sent' | 'failed' | 'skipped';

/** Why a span failed. */
export type ForwardFailure =
  /** The server answered with a final error (400, 404, 500, …), or 413 to a span sent on its own. */
  | 'rejected'
  /** 401/403: the key is wrong. Retried when a new key is set. */
  | 'auth'
  /** Retryable errors until `maxAttempts`. */
  | 'retries-exhausted'
  /** The queue was full when the span came. */
  | 'queue-full'
  /** The span could not be encoded, or is no longer captured and cannot be retried. */
  | 'unavailable';

/** The forwarding state of one span. */
export interface SpanForwardStatus {
  traceId: string;
  spanId: string;
  state: SpanForwardState;
  /** Why it is failed or skipped, or why it is waiting (after a retryable error or a 413). */
  reason?: string;
  failure?: ForwardFailure;
  /** Requests this span was part of, not counting those Respan refused as too large (413). */
  attempts: number;
  sentAtMs?: number;
  /** The span arrived again with different content after it was sent. */
  changedSinceSent?: boolean;
}

/** Spans per state. */
export interface ForwardCounts {
  pending: number;
  sending: number;
  sent: number;
  failed: number;
  skipped: number;
}

/** Summary state of a trace: the most pressing state among its spans. */
export type TraceForwardState = 'none' | 'pending' | 'sending' | 'sent' | 'failed' | 'skipped';

/** The forwarding state of one trace. */
export interface TraceForwardStatus {
  traceId: string;
  /** `failed` if any span failed, else `sending`, `pending`, `sent`, `skipped`, or `none` (never forwarded). */
  state: TraceForwardState;
  counts: ForwardCounts;
  /** Up to 20 failed spans with their reasons. */
  failures: Array<{ spanId: string; reason: string }>;
  /** Sent spans that changed locally afterwards. */
  changedSinceSent: number;
}

/** What the queue as a whole is doing. */
export type ForwarderActivity = 'idle' | 'batching' | 'sending' | 'retrying' | 'paused';

/** The forwarding state of the whole queue. */
export interface ForwardingStatus {
  baseUrl: string;
  /** The URL spans are posted to. */
  endpoint: string;
  settings: ForwardSettings;
  hasApiKey: boolean;
  autoForward: boolean;
  activity: ForwarderActivity;
  /** Why sending is paused (`activity: 'paused'`), or why auto-forward was stopped. */
  pausedReason: string | null;
  /** What paused sending: `auth` (Respan refused the key: offer to set a new one), `no-key`, or null. */
  pausedBy: 'auth' | 'no-key' | null;
  counts: ForwardCounts;
  /** Spans not (yet) accepted by Respan: pending + sending + failed. */
  unsent: number;
  /** Failed spans that did not fit in the queue; {@link Forwarder.retryFailed} sends them. */
  overflowed: number;
  /** When the next attempt is due while retrying (ms since the epoch). */
  nextAttemptAtMs: number | null;
  lastError: { message: string; atMs: number; status: number | null } | null;
  /** A notice about the last accepted request (partial success). */
  warning: string | null;
  lastSentAtMs: number | null;
  /** Requests accepted / failed so far. */
  requests: { accepted: number; failed: number };
}

/** A change of forwarding state, for UIs to refresh what they show. */
export interface ForwardingChange {
  /** Traces whose spans changed state. */
  traceIds: string[];
  status: ForwardingStatus;
}

/** Options of a manual forward. */
export interface ForwardOptions {
  /** Send spans again even if Respan already accepted them. */
  resend?: boolean;
}

/** What a manual forward did. */
export interface ForwardReceipt {
  /** Spans put in the queue. */
  queued: number;
  /** Spans left alone because Respan already has them (or they are on their way). */
  alreadySent: number;
  /** Spans that did not fit in the queue (failed as "queue full"). */
  overflowed: number;
  traceIds: string[];
  /** Requested traces that are not captured. */
  notFound: string[];
}

/** The user-facing words for a wrong key; said plainly wherever it shows. */
export const WRONG_KEY_MESSAGE = 'the Respan API key is wrong';

interface SpanRecord {
  readonly traceId: string;
  readonly spanId: string;
  state: SpanForwardState;
  /** The version to send; dropped once sent, or once failed when a span source can give it back. */
  span?: Span;
  /** A newer version that arrived while this span was being sent. */
  next?: Span;
  reason?: string;
  failure?: ForwardFailure;
  attempts: number;
  queuedAtMs: number;
  sentAtMs?: number;
  /** Hash of what was sent, to tell a changed re-arrival from a plain duplicate. */
  sentFingerprint?: string;
  changedSinceSent?: boolean;
}

type Outcome =
  | { kind: 'accepted'; warning: string | null }
  | { kind: 'retry'; message: string; status: number | null; retryAfterMs: number | undefined }
  | { kind: 'auth'; message: string; status: number }
  | { kind: 'too-large'; message: string; status: number }
  | { kind: 'rejected'; message: string; status: number };

type Pause = { kind: 'auth' | 'no-key'; reason: string };

const MAX_FAILURES_LISTED = 20;

/** Bytes of a body besides its spans, as counted when cutting batches. */
const BODY_OVERHEAD_BYTES = 32;

function spanKey(traceId: string, spanId: string): string {
  return `${traceId}/${spanId}`;
}

/** 32-bit FNV-1a with the length, as hex: enough to tell two encodings of one span apart. */
function fingerprint(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return `${hash.toString(16)}:${text.length}`;
}

/** The forwarding service. See the module comment for the delivery rules. */
export class Forwarder {
  private readonly transport: ForwardTransport;
  private readonly now: () => number;
  private readonly timers: ForwardTimers;
  private readonly random: () => number;
  private readonly source: SpanSource | undefined;
  private readonly limits: ForwardLimits;
  private readonly logSink: ForwardLog | undefined;
  private readonly userAgent: string | undefined;
  private readonly scrubber = new SecretScrubber();

  private baseUrlValue: string;
  private apiKey: string | undefined;
  private builder: PayloadBuilder;
  private autoForwardOn = false;
  /** Auto-forward was on when a 401/403 stopped it: a new key turns it back on. */
  private autoStoppedByAuth = false;
  private pause: Pause | undefined;

  private readonly records = new Map<string, Map<string, SpanRecord>>();
  /** Pending spans in sending order. */
  private readonly queue = new Map<string, SpanRecord>();
  private inFlight: SpanRecord[] | undefined;
  private readonly counts: ForwardCounts = { pending: 0, sending: 0, sent: 0, failed: 0, skipped: 0 };
  private overflowedCount = 0;
  /**
   * Bytes a batch may hold: `maxBatchBytes`, lowered each time Respan refuses
   * a batch as too large (413). Only bytes are lowered, never the span count:
   * a 413 is about the body's size, and one oversized span must not shrink
   * every later batch to a single span.
   */
  private batchBytesCeiling: number;

  private wakeHandle: unknown;
  private wakeAtMs: number | undefined;
  private flushRequested = false;
  private backoffUntilMs = 0;
  private consecutiveFailures = 0;
  private lastError: ForwardingStatus['lastError'] = null;
  private warning: string | null = null;
  private lastSentAtMs: number | null = null;
  private readonly requests = { accepted: 0, failed: 0 };
  private disposed = false;

  private readonly listeners = new Set<(change: ForwardingChange) => void>();
  private readonly waiters = new Set<{ traceIds: string[] | undefined; resolve: () => void }>();
  private touched = new Set<string>();

  /** Throws {@link ForwardConfigError} for an unsafe base URL, an invalid key or redaction rule. */
  constructor(options: ForwarderOptions) {
    this.transport = options.transport;
    this.now = options.now;
    this.timers = options.timers;
    this.random = options.random ?? Math.random;
    this.source = options.source;
    this.limits = { ...DEFAULT_FORWARD_LIMITS, ...options.limits };
    this.batchBytesCeiling = this.limits.maxBatchBytes;
    this.logSink = options.log;
    this.userAgent = options.userAgent;
    this.baseUrlValue = checkBaseUrl(options.baseUrl ?? DEFAULT_RESPAN_BASE_URL);
    this.builder = this.makeBuilder({ ...DEFAULT_FORWARD_SETTINGS, ...options.settings });
    if (options.apiKey !== undefined) {
      this.apiKey = checkApiKey(options.apiKey);
      this.scrubber.add(this.apiKey);
    }
    if (options.autoForward) this.setAutoForward(true);
  }

  // ── configuration ────────────────────────────────────────────────────────

  /** The checked base URL, without a trailing slash. */
  get baseUrl(): string {
    return this.baseUrlValue;
  }

  /** The URL spans are posted to. */
  get endpoint(): string {
    return endpointUrl(this.baseUrlValue, this.builder.settings.api);
  }

  /** The current settings (a copy). */
  get settings(): ForwardSettings {
    const { api, filter, redact } = this.builder.settings;
    return { api, filter, redact: [...redact] };
  }

  get hasApiKey(): boolean {
    return this.apiKey !== undefined;
  }

  get autoForward(): boolean {
    return this.autoForwardOn;
  }

  /**
   * Sets the base URL. Throws {@link ForwardConfigError} for plain http to a
   * non-loopback host. A batch size learned from 413s belongs to the old
   * server and is forgotten.
   */
  setBaseUrl(baseUrl: string): void {
    let checked: string;
    try {
      checked = checkBaseUrl(baseUrl);
    } catch (error) {
      // The message quotes the URL, and someone may have pasted a key into it.
      throw error instanceof ForwardConfigError ? new ForwardConfigError(this.scrub(error.message)) : error;
    }
    if (checked !== this.baseUrlValue) this.batchBytesCeiling = this.limits.maxBatchBytes;
    this.baseUrlValue = checked;
    this.say('info', `forwarding to ${this.endpoint}`);
    this.changed();
  }

  /**
   * Sets the API key. If a wrong key had paused sending, the spans that failed
   * with it are queued again and auto-forward resumes if it was on.
   */
  setApiKey(key: string): void {
    const checked = checkApiKey(key);
    this.scrubber.add(checked);
    this.apiKey = checked;
    this.say('info', 'Respan API key set');
    if (this.pause !== undefined) {
      this.pause = undefined;
      this.requeueFailed((record) => record.failure === 'auth', undefined);
    }
    if (this.autoStoppedByAuth) {
      this.autoStoppedByAuth = false;
      this.autoForwardOn = true;
      this.say('info', 'auto-forward resumed');
    }
    this.changed();
  }

  /** Forgets the API key. Auto-forward turns off (it cannot work without one); pending spans wait for a key. */
  clearApiKey(): void {
    this.apiKey = undefined;
    this.autoForwardOn = false;
    this.autoStoppedByAuth = false;
    this.say('info', 'Respan API key cleared; auto-forward is off');
    this.changed();
  }

  /**
   * Turns auto-forward (every span passed to {@link captured} from now on) on
   * or off. Turning it on needs a key: throws {@link ForwardConfigError} otherwise.
   */
  setAutoForward(on: boolean): void {
    if (on && this.apiKey === undefined) throw new ForwardConfigError('set the Respan API key before turning on auto-forward');
    this.autoForwardOn = on;
    this.autoStoppedByAuth = false;
    if (on && this.pause?.kind === 'auth') this.pause = undefined;
    this.say('info', on ? `auto-forward on: captured spans go to ${this.endpoint}` : 'auto-forward off');
    this.changed();
  }

  /**
   * Changes what is sent. Applies to every span not sent yet, queued ones
   * included. Throws {@link ForwardConfigError} for an invalid redaction rule
   * (and then changes nothing).
   */
  setSettings(settings: Partial<ForwardSettings>): void {
    this.builder = this.makeBuilder({ ...this.builder.settings, ...settings });
    this.changed();
  }

  private makeBuilder(settings: ForwardSettings): PayloadBuilder {
    return new PayloadBuilder({ api: settings.api, filter: settings.filter, redact: [...settings.redact] });
  }

  // ── input ────────────────────────────────────────────────────────────────

  /**
   * The capture hook: every accepted batch of spans. With auto-forward on,
   * new spans are queued; in any case, spans already known to the forwarder
   * are updated (the latest version of an unsent span is the one sent).
   */
  captured(spans: readonly Span[]): void {
    if (this.disposed) return;
    let any = false;
    for (const span of spans) {
      const record = this.records.get(span.traceId)?.get(span.spanId);
      if (record === undefined) {
        if (!this.autoForwardOn) continue;
        this.push(this.newRecord(span), span);
      } else {
        this.update(record, span, 'auto', false);
      }
      any = true;
    }
    if (any) this.changed();
  }

  /**
   * Queues spans for sending now (a manual forward). Spans Respan already
   * accepted are left alone unless `resend`. Throws {@link ForwardConfigError}
   * without a key. A manual forward also lifts a pause caused by a wrong key
   * (one more try with the current key).
   */
  forwardSpans(spans: Iterable<Span>, options: ForwardOptions = {}): ForwardReceipt {
    this.requireKey();
    if (this.pause?.kind === 'auth') this.pause = undefined;
    const receipt: ForwardReceipt = { queued: 0, alreadySent: 0, overflowed: 0, traceIds: [], notFound: [] };
    const traces = new Set<string>();
    for (const span of spans) {
      traces.add(span.traceId);
      let record = this.records.get(span.traceId)?.get(span.spanId);
      if (record === undefined) {
        record = this.newRecord(span);
        this.push(record, span);
      } else if (!this.update(record, span, 'manual', options.resend === true)) {
        receipt.alreadySent++;
        continue;
      }
      if (record.failure === 'queue-full') receipt.overflowed++;
      else receipt.queued++;
    }
    receipt.traceIds = [...traces];
    this.flushRequested = true;
    this.changed();
    return receipt;
  }

  /** Queues whole captured traces (needs a `source`). See {@link forwardSpans}. */
  forwardTraces(traceIds: readonly string[], options: ForwardOptions = {}): ForwardReceipt {
    this.requireKey();
    const spans: Span[] = [];
    const notFound: string[] = [];
    for (const traceId of traceIds) {
      const trace = this.source?.trace(traceId);
      if (trace === undefined) notFound.push(traceId);
      else for (const span of trace) spans.push(span);
    }
    const receipt = this.forwardSpans(spans, options);
    receipt.notFound = notFound;
    for (const traceId of traceIds) if (!notFound.includes(traceId) && !receipt.traceIds.includes(traceId)) receipt.traceIds.push(traceId);
    return receipt;
  }

  /**
   * Queues failed spans again (all, or those of the given traces), including
   * spans that overflowed the queue. Returns how many were queued. Spans no
   * longer captured stay failed with a reason saying so.
   */
  retryFailed(traceIds?: readonly string[]): number {
    this.requireKey();
    if (this.pause?.kind === 'auth') this.pause = undefined;
    const queued = this.requeueFailed(() => true, traceIds);
    this.flushRequested = true;
    this.changed();
    return queued;
  }

  /**
   * Forgets finished spans (sent, skipped, failed) of traces the host no
   * longer holds, e.g. traces evicted from the store. Pending and in-flight
   * spans are kept: they are still delivered.
   */
  forget(traceIds: readonly string[]): void {
    for (const traceId of traceIds) {
      const byId = this.records.get(traceId);
      if (byId === undefined) continue;
      for (const [spanId, record] of byId) {
        if (record.state === 'pending' || record.state === 'sending') continue;
        if (record.failure === 'queue-full') this.overflowedCount--;
        this.counts[record.state]--;
        byId.delete(spanId);
      }
      if (byId.size === 0) this.records.delete(traceId);
      this.touched.add(traceId);
    }
    this.changed();
  }

  /** Sends what is queued without waiting for the batch delay (backoff still applies). */
  flush(): void {
    this.flushRequested = true;
    this.changed();
  }

  /**
   * Resolves when no span (of the given traces, or at all) is pending or
   * being sent, or when sending is paused (wrong or missing key) or the
   * forwarder is disposed, since nothing would move then.
   */
  whenSettled(traceIds?: readonly string[]): Promise<void> {
    const waiter = { traceIds: traceIds ? [...traceIds] : undefined, resolve: () => undefined as void };
    const promise = new Promise<void>((resolve) => {
      waiter.resolve = resolve;
    });
    this.waiters.add(waiter);
    this.checkWaiters();
    return promise;
  }

  /** Stops timers; pending spans stay counted as unsent. Later calls do nothing. */
  dispose(): void {
    this.disposed = true;
    this.disarm();
    this.listeners.clear();
    for (const waiter of this.waiters) waiter.resolve();
    this.waiters.clear();
  }

  // ── output ───────────────────────────────────────────────────────────────

  /** Subscribes to state changes; returns the unsubscribe function. */
  onChange(listener: (change: ForwardingChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The state of the whole queue. */
  status(): ForwardingStatus {
    const counts = { ...this.counts };
    let activity: ForwarderActivity = 'idle';
    if (this.pause !== undefined || (this.apiKey === undefined && counts.pending > 0)) activity = 'paused';
    else if (this.inFlight !== undefined) activity = 'sending';
    else if (counts.pending > 0) activity = this.backoffUntilMs > this.now() ? 'retrying' : 'batching';
    let pausedReason: string | null = this.pause?.reason ?? null;
    if (pausedReason === null && this.apiKey === undefined && counts.pending > 0) pausedReason = 'no Respan API key is set';
    return {
      baseUrl: this.baseUrlValue,
      endpoint: this.endpoint,
      settings: this.settings,
      hasApiKey: this.apiKey !== undefined,
      autoForward: this.autoForwardOn,
      activity,
      pausedReason: pausedReason === null ? null : this.scrub(pausedReason),
      pausedBy: this.pause?.kind ?? (pausedReason === null ? null : 'no-key'),
      counts,
      unsent: counts.pending + counts.sending + counts.failed,
      overflowed: this.overflowedCount,
      nextAttemptAtMs: activity === 'retrying' ? this.backoffUntilMs : null,
      lastError: this.lastError,
      warning: this.warning,
      lastSentAtMs: this.lastSentAtMs,
      requests: { ...this.requests },
    };
  }

  /** The state of one trace (`none` when it was never forwarded). */
  traceStatus(traceId: string): TraceForwardStatus {
    const counts: ForwardCounts = { pending: 0, sending: 0, sent: 0, failed: 0, skipped: 0 };
    const failures: TraceForwardStatus['failures'] = [];
    let changedSinceSent = 0;
    for (const record of this.records.get(traceId)?.values() ?? []) {
      counts[record.state]++;
      if (record.state === 'failed' && failures.length < MAX_FAILURES_LISTED) failures.push({ spanId: record.spanId, reason: record.reason ?? 'failed' });
      if (record.changedSinceSent) changedSinceSent++;
    }
    const state: TraceForwardState =
      counts.failed > 0 ? 'failed' : counts.sending > 0 ? 'sending' : counts.pending > 0 ? 'pending' : counts.sent > 0 ? 'sent' : counts.skipped > 0 ? 'skipped' : 'none';
    return { traceId, state, counts, failures, changedSinceSent };
  }

  /** The summary state of every trace the forwarder knows about (for badges on a whole list at once). */
  traceStates(): Record<string, TraceForwardState> {
    const out: Record<string, TraceForwardState> = {};
    for (const traceId of this.records.keys()) out[traceId] = this.traceStatus(traceId).state;
    return out;
  }

  /** The state of one span, or undefined when it was never forwarded. */
  spanStatus(traceId: string, spanId: string): SpanForwardStatus | undefined {
    const record = this.records.get(traceId)?.get(spanId);
    if (record === undefined) return undefined;
    return {
      traceId,
      spanId,
      state: record.state,
      ...(record.reason !== undefined ? { reason: record.reason } : {}),
      ...(record.failure !== undefined ? { failure: record.failure } : {}),
      attempts: record.attempts,
      ...(record.sentAtMs !== undefined ? { sentAtMs: record.sentAtMs } : {}),
      ...(record.changedSinceSent ? { changedSinceSent: true } : {}),
    };
  }

  /** The state of every span of a trace the forwarder knows about. */
  spanStatuses(traceId: string): SpanForwardStatus[] {
    const out: SpanForwardStatus[] = [];
    for (const record of this.records.get(traceId)?.values() ?? []) out.push(this.spanStatus(traceId, record.spanId) as SpanForwardStatus);
    return out;
  }

  /** Exactly what forwarding `spans` would send now, with the key hidden. */
  preview(spans: Iterable<Span>): ForwardPreview {
    return previewForward(spans, this.builder, this.baseUrlValue, this.userAgent);
  }

  /** {@link preview} of whole captured traces (unknown ids contribute nothing). */
  previewTraces(traceIds: readonly string[]): ForwardPreview {
    const spans: Span[] = [];
    for (const traceId of traceIds) for (const span of this.source?.trace(traceId) ?? []) spans.push(span);
    return this.preview(spans);
  }

  // ── records ──────────────────────────────────────────────────────────────

  private requireKey(): void {
    if (this.apiKey === undefined) throw new ForwardConfigError('no Respan API key is set');
  }

  private newRecord(span: Span): SpanRecord {
    const record: SpanRecord = { traceId: span.traceId, spanId: span.spanId, state: 'skipped', attempts: 0, queuedAtMs: this.now() };
    let byId = this.records.get(span.traceId);
    if (byId === undefined) this.records.set(span.traceId, (byId = new Map()));
    byId.set(span.spanId, record);
    // Counted as skipped until push() moves it to its real state.
    this.counts.skipped++;
    return record;
  }

  private setState(record: SpanRecord, state: SpanForwardState): void {
    if (record.failure === 'queue-full') this.overflowedCount--;
    this.counts[record.state]--;
    this.counts[state]++;
    record.state = state;
    record.failure = undefined;
    record.reason = undefined;
    this.touched.add(record.traceId);
  }

  private fail(record: SpanRecord, failure: ForwardFailure, reason: string, keepSpan?: Span): void {
    this.setState(record, 'failed');
    record.failure = failure;
    record.reason = this.scrub(reason);
    if (failure === 'queue-full') this.overflowedCount++;
    // With a source the span can be found again on retry; without one, keep it.
    record.span = this.source ? undefined : keepSpan;
  }

  /** Puts a record at the end of the queue, or fails it as "queue full". */
  private push(record: SpanRecord, span: Span): void {
    if (this.queue.size + (this.inFlight?.length ?? 0) >= this.limits.maxQueuedSpans) {
      this.fail(record, 'queue-full', `queue full (${this.limits.maxQueuedSpans} spans waiting); retry once it drains`, span);
      return;
    }
    this.setState(record, 'pending');
    record.span = span;
    record.queuedAtMs = this.now();
    this.queue.set(spanKey(record.traceId, record.spanId), record);
  }

  /**
   * A known span arrived again (`auto`) or was asked for again (`manual`).
   * Returns true when it is (or stays) queued.
   */
  private update(record: SpanRecord, span: Span, why: 'auto' | 'manual', resend: boolean): boolean {
    switch (record.state) {
      case 'pending':
        record.span = span;
        return true;
      case 'sending':
        record.next = span;
        return why === 'manual' && !resend ? false : true;
      case 'sent':
        if (!resend) {
          this.noteChange(record, span);
          return false;
        }
        record.changedSinceSent = undefined;
        this.push(record, span);
        return true;
      case 'failed':
        // A failed span is sent again only when someone asks; a re-arrival just refreshes it.
        if (why === 'auto') {
          if (record.span !== undefined || this.source === undefined) record.span = span;
          return false;
        }
        this.push(record, span);
        return true;
      case 'skipped':
        this.push(record, span);
        return true;
    }
  }

  private noteChange(record: SpanRecord, span: Span): void {
    const prepared = this.safePrepare(span);
    if (prepared !== null && typeof prepared !== 'string' && fingerprint(prepared.json) !== record.sentFingerprint) {
      record.changedSinceSent = true;
      this.touched.add(record.traceId);
    }
  }

  private requeueFailed(which: (record: SpanRecord) => boolean, traceIds: readonly string[] | undefined): number {
    let queued = 0;
    const traces = traceIds ?? [...this.records.keys()];
    for (const traceId of traces) {
      for (const record of this.records.get(traceId)?.values() ?? []) {
        if (record.state !== 'failed' || !which(record)) continue;
        const span = record.span ?? this.source?.span(record.traceId, record.spanId);
        if (span === undefined) {
          this.fail(record, 'unavailable', 'no longer captured (evicted or deleted), so it cannot be sent again');
          continue;
        }
        record.attempts = 0;
        this.push(record, span);
        if (record.failure !== 'queue-full') queued++;
      }
    }
    return queued;
  }

  private safePrepare(span: Span): PreparedSpan | null | string {
    try {
      return this.builder.prepare(span);
    } catch (error) {
      return `could not be encoded: ${(error as Error).message}`;
    }
  }

  // ── sending ──────────────────────────────────────────────────────────────

  /** Reports changes, resolves waiters, and decides when to send next. */
  private changed(): void {
    if (this.touched.size > 0 || this.listeners.size > 0) {
      const change: ForwardingChange = { traceIds: [...this.touched], status: this.status() };
      this.touched = new Set();
      for (const listener of [...this.listeners]) {
        try {
          listener(change);
        } catch (error) {
          this.say('error', `a forwarding listener failed: ${(error as Error).message}`);
        }
      }
    }
    this.checkWaiters();
    this.pump();
  }

  private checkWaiters(): void {
    if (this.waiters.size === 0) return;
    const stuck = this.disposed || this.pause !== undefined || this.apiKey === undefined;
    for (const waiter of [...this.waiters]) {
      if (stuck || !this.busy(waiter.traceIds)) {
        this.waiters.delete(waiter);
        waiter.resolve();
      }
    }
  }

  private busy(traceIds: string[] | undefined): boolean {
    if (traceIds === undefined) return this.counts.pending + this.counts.sending > 0;
    return traceIds.some((traceId) => {
      for (const record of this.records.get(traceId)?.values() ?? []) if (record.state === 'pending' || record.state === 'sending') return true;
      return false;
    });
  }

  private disarm(): void {
    if (this.wakeHandle !== undefined) this.timers.clearTimeout(this.wakeHandle);
    this.wakeHandle = undefined;
    this.wakeAtMs = undefined;
  }

  private arm(atMs: number): void {
    if (this.wakeAtMs === atMs && this.wakeHandle !== undefined) return;
    this.disarm();
    this.wakeAtMs = atMs;
    this.wakeHandle = this.timers.setTimeout(
      () => {
        this.wakeHandle = undefined;
        this.wakeAtMs = undefined;
        this.pump(true);
      },
      Math.max(0, atMs - this.now()),
    );
  }

  /**
   * Decides when the next batch goes. Sending always starts from a timer
   * (`fromTimer`), never inside the caller's `captured` / `forwardSpans` call,
   * so a host's request handler never runs a send of its own.
   */
  private pump(fromTimer = false): void {
    if (this.disposed || this.inFlight !== undefined || this.pause !== undefined || this.apiKey === undefined) return;
    if (this.queue.size === 0) {
      this.flushRequested = false;
      this.disarm();
      return;
    }
    const now = this.now();
    let due = this.backoffUntilMs;
    if (!this.flushRequested && this.queue.size < this.limits.maxBatchSpans) {
      const oldest = this.queue.values().next().value as SpanRecord;
      due = Math.max(due, oldest.queuedAtMs + this.limits.batchDelayMs);
    }
    if (!fromTimer || now < due) return this.arm(Math.max(due, now));
    this.disarm();
    void this.sendBatch();
  }

  /** Takes the next batch off the queue; skipped and unencodable spans are settled on the way. */
  private takeBatch(): { records: SpanRecord[]; prepared: PreparedSpan[] } {
    const records: SpanRecord[] = [];
    const prepared: PreparedSpan[] = [];
    let bytes = BODY_OVERHEAD_BYTES;
    const settled: string[] = [];
    for (const [key, record] of this.queue) {
      const one = this.safePrepare(record.span as Span);
      if (one === null || typeof one === 'string') {
        settled.push(key);
        if (one === null) {
          this.setState(record, 'skipped');
          record.reason = `left out by the "${this.builder.settings.filter}" filter (the Respan SDK would not send this span)`;
          record.span = undefined;
        } else {
          this.fail(record, 'unavailable', one, record.span);
        }
        continue;
      }
      if (records.length > 0 && bytes + one.bytes > this.batchBytesCeiling) break;
      records.push(record);
      prepared.push(one);
      bytes += one.bytes;
      if (records.length >= this.limits.maxBatchSpans) break;
    }
    for (const key of settled) this.queue.delete(key);
    for (const record of records) {
      this.queue.delete(spanKey(record.traceId, record.spanId));
      this.setState(record, 'sending');
      record.attempts++;
    }
    return { records, prepared };
  }

  private async sendBatch(): Promise<void> {
    const key = this.apiKey as string;
    const builder = this.builder;
    const { records, prepared } = this.takeBatch();
    if (records.length === 0) {
      this.changed();
      return;
    }
    this.inFlight = records;
    const request: ForwardRequest = {
      url: endpointUrl(this.baseUrlValue, builder.settings.api),
      method: 'POST',
      headers: requestHeaders(`Bearer ${key}`, this.userAgent),
      body: builder.body(prepared),
      timeoutMs: this.limits.requestTimeoutMs,
    };
    this.changed();
    let outcome: Outcome;
    try {
      outcome = this.classify(await this.transport.send(request));
    } catch (error) {
      outcome = { kind: 'retry', message: `could not reach Respan at ${request.url}: ${errorText(error)}`, status: null, retryAfterMs: undefined };
    }
    this.inFlight = undefined;
    if (outcome.kind === 'auth' && key !== this.apiKey) {
      // The key changed while this request was out: try again with the new one.
      outcome = { kind: 'retry', message: 'the Respan API key changed during the request', status: outcome.status, retryAfterMs: 0 };
      for (const record of records) record.attempts--;
    }
    this.settle(records, prepared, outcome, request.body);
    this.changed();
  }

  private classify(response: ForwardResponse): Outcome {
    const { status } = response;
    if (status >= 200 && status < 300) return { kind: 'accepted', warning: partialSuccessWarning(response.body) };
    // Scrubbed before serverMessage shortens it, so its cut cannot fall inside a key.
    const said = serverMessage(this.scrub(response.body));
    const detail = `Respan answered ${describeStatus(status)}${said ? `: ${said}` : ''}`;
    if (status === 401 || status === 403) {
      return { kind: 'auth', status, message: `${WRONG_KEY_MESSAGE} (${detail}); set a valid key to resume forwarding` };
    }
    if (status === 413) return { kind: 'too-large', status, message: detail };
    if (RETRYABLE_STATUSES.has(status)) {
      const header = response.headers['retry-after'];
      const retryAfterMs = parseRetryAfter(header, this.now());
      return { kind: 'retry', status, message: detail, retryAfterMs };
    }
    if (status >= 300 && status < 400) {
      const location = response.headers.location;
      return { kind: 'rejected', status, message: `${detail} (a redirect${location ? ` to ${location}` : ''}); set the Respan base URL to the final address` };
    }
    return { kind: 'rejected', status, message: detail };
  }

  private settle(records: SpanRecord[], prepared: PreparedSpan[], outcome: Outcome, body: string): void {
    const now = this.now();
    const traces = new Set(records.map((record) => record.traceId)).size;
    const spans = `${records.length} span${records.length === 1 ? '' : 's'} of ${traces} trace${traces === 1 ? '' : 's'}`;
    if (outcome.kind === 'accepted') {
      this.requests.accepted++;
      this.consecutiveFailures = 0;
      this.backoffUntilMs = 0;
      this.lastSentAtMs = now;
      this.warning = outcome.warning === null ? null : this.scrub(outcome.warning);
      records.forEach((record, index) => {
        const next = record.next;
        record.next = undefined;
        this.setState(record, 'sent');
        record.sentAtMs = now;
        record.span = undefined;
        record.sentFingerprint = fingerprint(prepared[index].json);
        if (next !== undefined) this.noteChange(record, next);
      });
      this.say('info', `forwarded ${spans}`);
      if (this.warning !== null) this.say('warn', this.warning);
      return;
    }
    this.requests.failed++;
    const message = this.scrub(outcome.message);
    this.lastError = { message, atMs: now, status: outcome.status };
    if (outcome.kind === 'too-large' && records.length > 1) {
      this.consecutiveFailures = 0;
      this.backoffUntilMs = 0;
      this.splitTooLarge(records, prepared, message, spans);
      return;
    }
    if (outcome.kind === 'retry') {
      this.consecutiveFailures++;
      const computed = outcome.retryAfterMs !== undefined ? Math.min(outcome.retryAfterMs, this.limits.maxRetryAfterMs) : backoffDelay(this.consecutiveFailures, { baseDelayMs: this.limits.baseRetryDelayMs, maxDelayMs: this.limits.maxRetryDelayMs }, this.random);
      this.backoffUntilMs = now + computed;
      // Retried spans go back to the front, in their original order.
      const front: SpanRecord[] = [];
      for (const record of records) {
        const span = record.next ?? record.span;
        record.next = undefined;
        if (record.attempts >= this.limits.maxAttempts) {
          this.fail(record, 'retries-exhausted', `gave up after ${record.attempts} attempts: ${message}`, span);
        } else {
          // Already counted against the queue bound while in flight, so it always fits.
          this.setState(record, 'pending');
          record.span = span;
          record.reason = `waiting to retry: ${message}`;
          front.push(record);
        }
      }
      this.putFirst(front);
      this.say('warn', `${message}; ${front.length} span${front.length === 1 ? '' : 's'} will be retried in ${Math.round(computed / 100) / 10} s`);
      return;
    }
    this.consecutiveFailures = 0;
    this.backoffUntilMs = 0;
    // A span refused on its own as too large cannot be split further.
    const reason = outcome.kind === 'too-large' ? `this span alone is larger than Respan accepts (about ${formatBytes(utf8Length(body))} as a request; ${message})` : message;
    for (const record of records) {
      const span = record.next ?? record.span;
      record.next = undefined;
      this.fail(record, outcome.kind === 'auth' ? 'auth' : 'rejected', reason, span);
    }
    if (outcome.kind === 'auth') {
      this.pause = { kind: 'auth', reason: message };
      if (this.autoForwardOn) {
        this.autoForwardOn = false;
        this.autoStoppedByAuth = true;
      }
      this.say('error', `${message}. Forwarding is paused${this.autoStoppedByAuth ? ' and auto-forward is off' : ''}; ${spans} were not sent`);
    } else {
      this.say('error', `${spans} not forwarded: ${reason}`);
    }
  }

  /**
   * Respan refused a batch of several spans as too large (413). For the rest
   * of the session no batch may exceed the bytes of the batch's larger half,
   * and the spans go back to the front of the queue, so the next requests
   * carry them in halves (halving again if Respan still refuses; a half with
   * room to spare under the new limit takes spans queued behind it). The
   * refusal is not counted as an attempt: splitting is not retrying the same
   * request.
   */
  private splitTooLarge(records: SpanRecord[], prepared: PreparedSpan[], message: string, spans: string): void {
    const half = Math.ceil(records.length / 2);
    const bytesOf = (part: PreparedSpan[]) => part.reduce((sum, one) => sum + one.bytes, BODY_OVERHEAD_BYTES);
    const largerHalf = Math.max(bytesOf(prepared.slice(0, half)), bytesOf(prepared.slice(half)));
    this.batchBytesCeiling = Math.min(this.batchBytesCeiling, largerHalf);
    for (const record of records) {
      const span = record.next ?? record.span;
      record.next = undefined;
      record.attempts--;
      this.setState(record, 'pending');
      record.span = span;
      record.reason = `waiting to be sent in a smaller batch: ${message}`;
    }
    this.putFirst(records);
    this.say('warn', `${message}; ${spans} go again in halves, and no request holds more than about ${formatBytes(this.batchBytesCeiling)} from now on`);
  }

  /** Puts pending records at the front of the queue, in their order. */
  private putFirst(records: SpanRecord[]): void {
    const rest = [...this.queue];
    this.queue.clear();
    for (const record of records) this.queue.set(spanKey(record.traceId, record.spanId), record);
    for (const [key, record] of rest) this.queue.set(key, record);
  }

  // ── messages ─────────────────────────────────────────────────────────────

  private scrub(text: string): string {
    return this.scrubber.scrub(text);
  }

  private say(level: ForwardLogLevel, message: string): void {
    if (this.logSink === undefined) return;
    try {
      this.logSink(level, this.scrub(message));
    } catch {
      // A broken log sink must not break delivery.
    }
  }
}

/** A size for people: `812 bytes`, `5.2 KiB`, `3.4 MiB`. */
function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} bytes`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
}

/** The message of a transport error, with its causes (fetch hides the useful part in `cause`). */
function errorText(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current !== undefined && current !== null; depth++) {
    const message = current instanceof Error ? current.message : String(current);
    if (message && !parts.includes(message)) parts.push(message);
    current = current instanceof Error ? (current as Error & { cause?: unknown }).cause : undefined;
  }
  return parts.join(': ') || 'unknown network error';
}

/** A notice when Respan accepted the request but rejected some spans (OTLP partial success). */
function partialSuccessWarning(body: string): string | null {
  if (body.trim() === '') return null;
  try {
    const parsed = JSON.parse(body) as { partialSuccess?: { rejectedSpans?: unknown; errorMessage?: unknown } };
    const partial = parsed?.partialSuccess;
    if (!partial) return null;
    const rejected = Number(partial.rejectedSpans ?? 0);
    const message = typeof partial.errorMessage === 'string' ? partial.errorMessage : '';
    if (rejected > 0) return `Respan accepted the request but rejected ${rejected} span${rejected === 1 ? '' : 's'}${message ? `: ${message}` : ''}`;
    if (message) return `Respan accepted the request with a warning: ${message}`;
  } catch {
    // Not JSON: a success is a success.
  }
  return null;
}
