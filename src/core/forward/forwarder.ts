/**
 * The forwarding service: sends captured spans to the Respan API in
 * batches, retries what can be retried, and keeps a visible state for every
 * span it was asked to send. It composes three parts, each with its own
 * rules and tests:
 * - the ledger (`ledger.ts`): where each span stands; a span Respan accepted
 *   is never sent again on its own;
 * - the queue (`queue.ts`): batches by count and bytes, the byte limit
 *   learned from 413s, one batch in flight;
 * - the transport (`transport.ts`): the key, what an answer means, and the
 *   backoff before the next request.
 * What is left here is the policy between them: when a batch goes, what an
 * answer does to its spans, auto-forward, and pausing on a wrong key.
 *
 * Pure: the HTTP transport, the clock, the timers, the randomness and the
 * source of captured spans are injected, so hosts (the standalone command,
 * the VS Code extension) supply Node's, and tests supply fakes with fake time.
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
 * - 413 (too large): the spans go back to the front of the queue in halves
 *   (see `queue.ts`). This costs the spans no attempt, waits no backoff and
 *   never pauses. Only a span refused on its own fails, with a reason saying
 *   it alone is larger than Respan accepts, and its size.
 * - A span accepted by Respan is never sent again automatically (see
 *   `ledger.ts`); a manual forward with `resend` sends it again.
 * - The queue holds at most `maxQueuedSpans` spans. Past that, spans are
 *   failed with the reason "queue full" (counted in `overflowed`) and can be
 *   retried with {@link Forwarder.retryFailed}; nothing is dropped silently.
 * - The API key never appears in a status, reason, log line or error: every
 *   message passes through a scrubber that knows every key ever set.
 */

import type { Span } from '../model';
import { DEFAULT_RESPAN_BASE_URL } from '../defaults';
import { checkBaseUrl, endpointUrl, ForwardConfigError } from './destination';
import { ForwardLedger, type ForwardCounts, type SpanForwardStatus, type SpanRecord, type TraceForwardState, type TraceForwardStatus } from './ledger';
import { DEFAULT_FORWARD_SETTINGS, PayloadBuilder, previewForward, utf8Length, type ForwardPreview, type ForwardSettings, type PreparedSpan } from './payload';
import { BatchQueue, type Batch, type BatchLimits } from './queue';
import { SecretScrubber } from './secrets';
import { NO_KEY_MESSAGE, RespanTransport, type ForwardTransport, type RetryLimits, type SendOutcome, type TransportReport } from './transport';
import { WakeTimer, type ForwardTimers } from './wakeTimer';

// The Forwarder's options and answers are built from its parts' types; hosts import them all from here.
export type { ForwardCounts, ForwardFailure, SpanForwardState, SpanForwardStatus, TraceForwardState, TraceForwardStatus } from './ledger';
export type { ForwardRequest, ForwardResponse, ForwardTransport } from './transport';
export { WRONG_KEY_MESSAGE } from './transport';
export type { ForwardTimers } from './wakeTimer';

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

/** Bounds and timings of forwarding: the queue's, the transport's, and how often a span is tried. */
export interface ForwardLimits extends BatchLimits, RetryLimits {
  /** Attempts per span before it is failed (retryable by hand). Default 10. */
  maxAttempts: number;
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
  lastError: TransportReport['lastError'];
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

type Pause = { kind: 'auth' | 'no-key'; reason: string };

/** The forwarding service. See the module comment for the delivery rules. */
export class Forwarder {
  private readonly now: () => number;
  private readonly source: SpanSource | undefined;
  private readonly limits: ForwardLimits;
  private readonly logSink: ForwardLog | undefined;
  private readonly userAgent: string | undefined;
  private readonly scrubber = new SecretScrubber();
  private readonly transport: RespanTransport;
  private readonly ledger: ForwardLedger;
  private readonly queue: BatchQueue<SpanRecord>;
  private readonly wakeTimer: WakeTimer;

  private baseUrlValue: string;
  private builder: PayloadBuilder;
  private autoForwardOn = false;
  /** Auto-forward was on when a 401/403 stopped it: a new key turns it back on. */
  private autoStoppedByAuth = false;
  private pause: Pause | undefined;
  private disposed = false;

  private readonly listeners = new Set<(change: ForwardingChange) => void>();
  private readonly waiters = new Set<{ traceIds: string[] | undefined; resolve: () => void }>();

  /** Throws {@link ForwardConfigError} for an unsafe base URL, an invalid key or redaction rule. */
  constructor(options: ForwarderOptions) {
    this.now = options.now;
    this.source = options.source;
    this.limits = { ...DEFAULT_FORWARD_LIMITS, ...options.limits };
    this.logSink = options.log;
    this.userAgent = options.userAgent;
    this.transport = new RespanTransport({
      transport: options.transport,
      now: options.now,
      random: options.random ?? Math.random,
      scrubber: this.scrubber,
      limits: this.limits,
      userAgent: options.userAgent,
    });
    this.ledger = new ForwardLedger({
      scrub: (text) => this.scrub(text),
      keepFailedSpans: options.source === undefined,
      encode: (span) => {
        const prepared = this.safePrepare(span);
        return prepared === null || typeof prepared === 'string' ? undefined : prepared.json;
      },
    });
    this.queue = new BatchQueue({ keyOf: (record) => `${record.traceId}/${record.spanId}`, now: options.now, limits: this.limits });
    this.wakeTimer = new WakeTimer(options.timers, options.now, () => this.pump(true));
    this.baseUrlValue = checkBaseUrl(options.baseUrl ?? DEFAULT_RESPAN_BASE_URL);
    this.builder = this.makeBuilder({ ...DEFAULT_FORWARD_SETTINGS, ...options.settings });
    if (options.apiKey !== undefined) this.transport.setKey(options.apiKey);
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
    return this.transport.hasKey;
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
    if (checked !== this.baseUrlValue) this.queue.forgetLearnedLimit();
    this.baseUrlValue = checked;
    this.say('info', `forwarding to ${this.endpoint}`);
    this.changed();
  }

  /**
   * Sets the API key. If a wrong key had paused sending, the spans that failed
   * with it are queued again and auto-forward resumes if it was on.
   */
  setApiKey(key: string): void {
    this.transport.setKey(key);
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
    this.transport.clearKey();
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
    if (on && !this.transport.hasKey) throw new ForwardConfigError('set the Respan API key before turning on auto-forward');
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
      const record = this.ledger.get(span.traceId, span.spanId);
      if (record === undefined) {
        if (!this.autoForwardOn) continue;
        this.enqueue(this.ledger.create(span), span);
      } else {
        this.readmit(record, span, 'auto', false);
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
      let record = this.ledger.get(span.traceId, span.spanId);
      if (record === undefined) {
        record = this.ledger.create(span);
        this.enqueue(record, span);
      } else if (!this.readmit(record, span, 'manual', options.resend === true)) {
        receipt.alreadySent++;
        continue;
      }
      if (record.failure === 'queue-full') receipt.overflowed++;
      else receipt.queued++;
    }
    receipt.traceIds = [...traces];
    this.queue.requestFlush();
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
    this.queue.requestFlush();
    this.changed();
    return queued;
  }

  /**
   * Forgets finished spans (sent, skipped, failed) of traces the host no
   * longer holds, e.g. traces evicted from the store. Pending and in-flight
   * spans are kept: they are still delivered.
   */
  forget(traceIds: readonly string[]): void {
    this.ledger.forget(traceIds);
    this.changed();
  }

  /** Sends what is queued without waiting for the batch delay (backoff still applies). */
  flush(): void {
    this.queue.requestFlush();
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
    this.wakeTimer.cancel();
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
    const counts = this.ledger.counts();
    const hasKey = this.transport.hasKey;
    const retryAtMs = this.transport.retryAtMs;
    const report = this.transport.report();
    let activity: ForwarderActivity = 'idle';
    if (this.pause !== undefined || (!hasKey && counts.pending > 0)) activity = 'paused';
    else if (this.queue.isSending) activity = 'sending';
    else if (counts.pending > 0) activity = retryAtMs > this.now() ? 'retrying' : 'batching';
    let pausedReason: string | null = this.pause?.reason ?? null;
    if (pausedReason === null && !hasKey && counts.pending > 0) pausedReason = NO_KEY_MESSAGE;
    return {
      baseUrl: this.baseUrlValue,
      endpoint: this.endpoint,
      settings: this.settings,
      hasApiKey: hasKey,
      autoForward: this.autoForwardOn,
      activity,
      pausedReason: pausedReason === null ? null : this.scrub(pausedReason),
      pausedBy: this.pause?.kind ?? (pausedReason === null ? null : 'no-key'),
      counts,
      unsent: counts.pending + counts.sending + counts.failed,
      overflowed: this.ledger.overflowed,
      nextAttemptAtMs: activity === 'retrying' ? retryAtMs : null,
      lastError: report.lastError,
      warning: report.warning,
      lastSentAtMs: report.lastSentAtMs,
      requests: report.requests,
    };
  }

  /** The state of one trace (`none` when it was never forwarded). */
  traceStatus(traceId: string): TraceForwardStatus {
    return this.ledger.traceStatus(traceId);
  }

  /** The summary state of every trace the forwarder knows about (for badges on a whole list at once). */
  traceStates(): Record<string, TraceForwardState> {
    return this.ledger.traceStates();
  }

  /** The state of one span, or undefined when it was never forwarded. */
  spanStatus(traceId: string, spanId: string): SpanForwardStatus | undefined {
    return this.ledger.spanStatus(traceId, spanId);
  }

  /** The state of every span of a trace the forwarder knows about. */
  spanStatuses(traceId: string): SpanForwardStatus[] {
    return this.ledger.spanStatuses(traceId);
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

  // ── queueing ─────────────────────────────────────────────────────────────

  private requireKey(): void {
    if (!this.transport.hasKey) throw new ForwardConfigError(NO_KEY_MESSAGE);
  }

  /** Puts a record at the end of the queue, or fails it as "queue full". */
  private enqueue(record: SpanRecord, span: Span): void {
    if (this.queue.add(record)) this.ledger.queued(record, span);
    else this.ledger.fail(record, 'queue-full', `queue full (${this.limits.maxQueuedSpans} spans waiting); retry once it drains`, span);
  }

  /** A known span arrived again or was asked for again. Returns true when it is (or stays) queued. */
  private readmit(record: SpanRecord, span: Span, why: 'auto' | 'manual', resend: boolean): boolean {
    const readmission = this.ledger.reconsider(record, span, why, resend);
    if (readmission === 'enqueue') this.enqueue(record, span);
    return readmission !== 'declined';
  }

  private requeueFailed(which: (record: SpanRecord) => boolean, traceIds: readonly string[] | undefined): number {
    let queued = 0;
    for (const record of this.ledger.failed(which, traceIds)) {
      const span = record.span ?? this.source?.span(record.traceId, record.spanId);
      if (span === undefined) {
        this.ledger.fail(record, 'unavailable', 'no longer captured (evicted or deleted), so it cannot be sent again');
        continue;
      }
      this.ledger.resetAttempts(record);
      this.enqueue(record, span);
      if (record.failure !== 'queue-full') queued++;
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

  /** Encodes a queued record for the batch being cut; a span the filter leaves out, or that cannot be encoded, is settled here. */
  private prepareForBatch(record: SpanRecord): PreparedSpan | undefined {
    // A queued record always holds the version to send (the ledger sets it when it is queued).
    const prepared = this.safePrepare(record.span as Span);
    if (prepared === null) {
      this.ledger.skip(record, `left out by the "${this.builder.settings.filter}" filter (the Respan SDK would not send this span)`);
      return undefined;
    }
    if (typeof prepared === 'string') {
      this.ledger.fail(record, 'unavailable', prepared);
      return undefined;
    }
    return prepared;
  }

  // ── sending ──────────────────────────────────────────────────────────────

  /** Reports changes, resolves waiters, and decides when to send next. */
  private changed(): void {
    const traceIds = this.ledger.takeTouched();
    if (traceIds.length > 0 || this.listeners.size > 0) {
      const change: ForwardingChange = { traceIds, status: this.status() };
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
    const stuck = this.disposed || this.pause !== undefined || !this.transport.hasKey;
    for (const waiter of [...this.waiters]) {
      if (stuck || !this.ledger.unsettled(waiter.traceIds)) {
        this.waiters.delete(waiter);
        waiter.resolve();
      }
    }
  }

  /**
   * Decides when the next batch goes. Sending always starts from a timer
   * (`fromTimer`), never inside the caller's `captured` / `forwardSpans` call,
   * so a host's request handler never runs a send of its own.
   */
  private pump(fromTimer = false): void {
    if (this.disposed || this.queue.isSending || this.pause !== undefined || !this.transport.hasKey) return;
    const due = this.queue.dueAtMs(this.transport.retryAtMs);
    if (due === undefined) return this.wakeTimer.cancel();
    const now = this.now();
    if (!fromTimer || now < due) return this.wakeTimer.at(Math.max(due, now));
    this.wakeTimer.cancel();
    void this.sendBatch();
  }

  private async sendBatch(): Promise<void> {
    const builder = this.builder;
    const batch = this.queue.take((record) => this.prepareForBatch(record));
    if (batch === undefined) {
      this.changed();
      return;
    }
    for (const record of batch.items) this.ledger.sending(record);
    const body = builder.body(batch.prepared);
    // Sent before listeners hear of it: one that clears the key or changes settings cannot leave this batch half-built.
    const sending = this.transport.send(endpointUrl(this.baseUrlValue, builder.settings.api), body);
    this.changed();
    this.settle(batch, await sending, body);
    this.changed();
  }

  /** What an answer does to the spans of its batch. */
  private settle(batch: Batch<SpanRecord>, outcome: SendOutcome, body: string): void {
    const { items: records, prepared } = batch;
    const traces = new Set(records.map((record) => record.traceId)).size;
    const spans = `${records.length} span${records.length === 1 ? '' : 's'} of ${traces} trace${traces === 1 ? '' : 's'}`;
    if (outcome.kind === 'accepted') {
      this.queue.finish();
      const now = this.now();
      records.forEach((record, index) => this.ledger.sent(record, prepared[index].json, now));
      this.say('info', `forwarded ${spans}`);
      if (outcome.warning !== null) this.say('warn', outcome.warning);
      return;
    }
    const { message } = outcome;
    if (outcome.kind === 'too-large' && records.length > 1) {
      // Splitting is not retrying the same request: the refusal costs no attempt.
      for (const record of records) {
        this.ledger.uncountAttempt(record);
        this.ledger.waiting(record, `waiting to be sent in a smaller batch: ${message}`);
      }
      const limit = this.queue.finishTooLarge(batch);
      this.say('warn', `${message}; ${spans} go again in halves, and no request holds more than about ${formatBytes(limit)} from now on`);
      return;
    }
    if (outcome.kind === 'retry') {
      const again: SpanRecord[] = [];
      for (const record of records) {
        if (!outcome.countsAsAttempt) this.ledger.uncountAttempt(record);
        if (record.attempts >= this.limits.maxAttempts) {
          this.ledger.fail(record, 'retries-exhausted', `gave up after ${record.attempts} attempts: ${message}`);
        } else {
          this.ledger.waiting(record, `waiting to retry: ${message}`);
          again.push(record);
        }
      }
      this.queue.finish(again);
      this.say('warn', `${message}; ${again.length} span${again.length === 1 ? '' : 's'} will be retried in ${Math.round(outcome.delayMs / 100) / 10} s`);
      return;
    }
    this.queue.finish();
    // A span refused on its own as too large cannot be split further.
    const reason = outcome.kind === 'too-large' ? `this span alone is larger than Respan accepts (about ${formatBytes(utf8Length(body))} as a request; ${message})` : message;
    for (const record of records) this.ledger.fail(record, outcome.kind === 'auth' ? 'auth' : 'rejected', reason);
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
