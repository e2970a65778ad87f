/**
 * The forwarding ledger: for every span the forwarder was asked to send,
 * where it stands (pending, sending, sent, failed, skipped), why, how many
 * requests it was part of, and a fingerprint of what Respan accepted; summed
 * per trace and overall for the status hosts show.
 *
 * It keeps the rule that a span Respan accepted is never sent again on its
 * own: a span that arrives again (or is asked for again) is judged here. One
 * that arrives again while queued replaces the queued copy; while being sent,
 * it is kept as the next version; after it was sent, it is only marked
 * `changedSinceSent` when its content differs, and goes again only when a
 * manual forward asks to resend.
 *
 * Every reason it records is scrubbed of API keys, since reasons are shown.
 */

import type { Span } from '../model';

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

/**
 * The ledger's entry for one span. Read it anywhere; only the
 * {@link ForwardLedger} that made it changes it, so its counts stay true.
 */
export interface SpanRecord {
  readonly traceId: string;
  readonly spanId: string;
  state: SpanForwardState;
  /** The version to send; dropped once sent, or once failed when the span can be found again. */
  span?: Span;
  /** A newer version that arrived while this span was being sent. */
  next?: Span;
  reason?: string;
  failure?: ForwardFailure;
  attempts: number;
  sentAtMs?: number;
  /** Hash of what was sent, to tell a changed re-arrival from a plain duplicate. */
  sentFingerprint?: string;
  changedSinceSent?: boolean;
}

/** What a span that arrived again, or was asked for again, needs. */
export type Readmission =
  /** The caller must queue it (or fail it as "queue full"). */
  | 'enqueue'
  /** Nothing: it is queued or being sent already, and its newest version goes. */
  | 'on-its-way'
  /** Nothing: Respan has it already, or it failed and was not asked for. */
  | 'declined';

/** Settings of a {@link ForwardLedger}. */
export interface LedgerOptions {
  /** Hides API keys in a reason. */
  scrub: (text: string) => string;
  /**
   * Keep the span of a failed record, for a retry by hand. Needed only when
   * the span cannot be found again in the trace store (no span source).
   */
  keepFailedSpans: boolean;
  /** The JSON a span would be sent as now, or undefined when it would not be sent; fingerprinted to notice changed re-arrivals. */
  encode: (span: Span) => string | undefined;
}

const MAX_FAILURES_LISTED = 20;

/** Per-span forwarding records and their counts. See the module comment. */
export class ForwardLedger {
  private readonly options: LedgerOptions;
  private readonly records = new Map<string, Map<string, SpanRecord>>();
  private readonly totals: ForwardCounts = { pending: 0, sending: 0, sent: 0, failed: 0, skipped: 0 };
  private overflowedCount = 0;
  private touched = new Set<string>();

  constructor(options: LedgerOptions) {
    this.options = options;
  }

  get(traceId: string, spanId: string): SpanRecord | undefined {
    return this.records.get(traceId)?.get(spanId);
  }

  /** A new record for `span`, counted as skipped until {@link queued} or {@link fail} gives it its real state. */
  create(span: Span): SpanRecord {
    const record: SpanRecord = { traceId: span.traceId, spanId: span.spanId, state: 'skipped', attempts: 0 };
    let byId = this.records.get(span.traceId);
    if (byId === undefined) this.records.set(span.traceId, (byId = new Map()));
    byId.set(span.spanId, record);
    this.totals.skipped++;
    return record;
  }

  // ── transitions ──────────────────────────────────────────────────────────

  /** The record waits in the queue with `span` as the version to send. */
  queued(record: SpanRecord, span: Span): void {
    this.setState(record, 'pending');
    record.span = span;
  }

  /** The record goes out in a request: one more attempt. */
  sending(record: SpanRecord): void {
    this.setState(record, 'sending');
    record.attempts++;
  }

  /** Respan accepted the record as `json`. A version that arrived meanwhile is only compared with it. */
  sent(record: SpanRecord, json: string, atMs: number): void {
    const next = record.next;
    record.next = undefined;
    this.setState(record, 'sent');
    record.sentAtMs = atMs;
    record.span = undefined;
    record.sentFingerprint = fingerprint(json);
    if (next !== undefined) this.noteChange(record, next);
  }

  /** The record goes back to the queue (after a retryable error or a 413), in its newest version, saying why it waits. */
  waiting(record: SpanRecord, reason: string): void {
    const span = record.next ?? record.span;
    record.next = undefined;
    this.setState(record, 'pending');
    record.span = span;
    this.setReason(record, reason);
  }

  /** The last request does not count against the record's attempts (it was refused for size, or sent with a replaced key). */
  uncountAttempt(record: SpanRecord): void {
    record.attempts--;
  }

  /** A retry by hand starts the record's attempts over. */
  resetAttempts(record: SpanRecord): void {
    record.attempts = 0;
  }

  /** The record is left out by the filter; nothing of it is kept. */
  skip(record: SpanRecord, reason: string): void {
    this.setState(record, 'skipped');
    this.setReason(record, reason);
    record.span = undefined;
  }

  /**
   * The record failed. Its newest version (`span` when given) is kept for a
   * retry by hand only when it cannot be found again (see `keepFailedSpans`).
   */
  fail(record: SpanRecord, failure: ForwardFailure, reason: string, span: Span | undefined = record.next ?? record.span): void {
    this.setState(record, 'failed');
    record.failure = failure;
    this.setReason(record, reason);
    if (failure === 'queue-full') this.overflowedCount++;
    record.next = undefined;
    record.span = this.options.keepFailedSpans ? span : undefined;
  }

  /**
   * A known span arrived again (`auto`, from capture) or was asked for again
   * (`manual`, `resend` to send it even though Respan has it). Says whether
   * the caller must queue it.
   */
  reconsider(record: SpanRecord, span: Span, why: 'auto' | 'manual', resend: boolean): Readmission {
    switch (record.state) {
      case 'pending':
        record.span = span;
        return 'on-its-way';
      case 'sending':
        record.next = span;
        return why === 'manual' && !resend ? 'declined' : 'on-its-way';
      case 'sent':
        if (!resend) {
          this.noteChange(record, span);
          return 'declined';
        }
        record.changedSinceSent = undefined;
        return 'enqueue';
      case 'failed':
        // A failed span is sent again only when someone asks; a re-arrival just refreshes it.
        if (why === 'manual') return 'enqueue';
        if (record.span !== undefined || this.options.keepFailedSpans) record.span = span;
        return 'declined';
      case 'skipped':
        return 'enqueue';
    }
  }

  // ── queries ──────────────────────────────────────────────────────────────

  /** Failed records (of the given traces, or all) that `which` picks. */
  failed(which: (record: SpanRecord) => boolean, traceIds?: readonly string[]): SpanRecord[] {
    const out: SpanRecord[] = [];
    for (const traceId of traceIds ?? this.records.keys()) {
      for (const record of this.records.get(traceId)?.values() ?? []) if (record.state === 'failed' && which(record)) out.push(record);
    }
    return out;
  }

  /** True while a span (of the given traces, or any) is pending or being sent. */
  unsettled(traceIds?: readonly string[]): boolean {
    if (traceIds === undefined) return this.totals.pending + this.totals.sending > 0;
    return traceIds.some((traceId) => {
      for (const record of this.records.get(traceId)?.values() ?? []) if (record.state === 'pending' || record.state === 'sending') return true;
      return false;
    });
  }

  /** Spans per state (a copy). */
  counts(): ForwardCounts {
    return { ...this.totals };
  }

  /** Failed spans that did not fit in the queue. */
  get overflowed(): number {
    return this.overflowedCount;
  }

  /** Traces whose spans changed state since the last call. */
  takeTouched(): string[] {
    const traceIds = [...this.touched];
    this.touched = new Set();
    return traceIds;
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

  /** The summary state of every trace the ledger knows. */
  traceStates(): Record<string, TraceForwardState> {
    const out: Record<string, TraceForwardState> = {};
    for (const traceId of this.records.keys()) out[traceId] = this.traceStatus(traceId).state;
    return out;
  }

  /** The state of one span, or undefined when it was never forwarded. */
  spanStatus(traceId: string, spanId: string): SpanForwardStatus | undefined {
    const record = this.get(traceId, spanId);
    return record === undefined ? undefined : statusOf(record);
  }

  /** The state of every span of a trace the ledger knows. */
  spanStatuses(traceId: string): SpanForwardStatus[] {
    return [...(this.records.get(traceId)?.values() ?? [])].map(statusOf);
  }

  /**
   * Forgets finished spans (sent, skipped, failed) of the given traces.
   * Pending and in-flight spans are kept: they are still delivered.
   */
  forget(traceIds: readonly string[]): void {
    for (const traceId of traceIds) {
      const byId = this.records.get(traceId);
      if (byId === undefined) continue;
      for (const [spanId, record] of byId) {
        if (record.state === 'pending' || record.state === 'sending') continue;
        if (record.failure === 'queue-full') this.overflowedCount--;
        this.totals[record.state]--;
        byId.delete(spanId);
      }
      if (byId.size === 0) this.records.delete(traceId);
      this.touched.add(traceId);
    }
  }

  // ── internals ────────────────────────────────────────────────────────────

  private setState(record: SpanRecord, state: SpanForwardState): void {
    if (record.failure === 'queue-full') this.overflowedCount--;
    this.totals[record.state]--;
    this.totals[state]++;
    record.state = state;
    record.failure = undefined;
    record.reason = undefined;
    this.touched.add(record.traceId);
  }

  private setReason(record: SpanRecord, reason: string): void {
    record.reason = this.options.scrub(reason);
  }

  private noteChange(record: SpanRecord, span: Span): void {
    const json = this.options.encode(span);
    if (json !== undefined && fingerprint(json) !== record.sentFingerprint) {
      record.changedSinceSent = true;
      this.touched.add(record.traceId);
    }
  }
}

function statusOf(record: SpanRecord): SpanForwardStatus {
  return {
    traceId: record.traceId,
    spanId: record.spanId,
    state: record.state,
    ...(record.reason !== undefined ? { reason: record.reason } : {}),
    ...(record.failure !== undefined ? { failure: record.failure } : {}),
    attempts: record.attempts,
    ...(record.sentAtMs !== undefined ? { sentAtMs: record.sentAtMs } : {}),
    ...(record.changedSinceSent ? { changedSinceSent: true } : {}),
  };
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
