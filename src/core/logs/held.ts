/**
 * Log records the store keeps apart from spans: per trace, those without a
 * span id and those whose span has not arrived yet (attached when it does);
 * the records of traces none of whose spans has arrived; and records without
 * a trace id. Pure bookkeeping: the store decides what each record costs
 * (its byte estimate) and when to evict.
 */

import { byTime, type LogRecord } from './record';

/** Records without a trace id kept at most (the most recent ones); every one received is counted. */
export const MAX_UNTRACED_LOG_RECORDS = 1_000;

/** Records waiting for one span, and the bytes charged for them. */
interface Waiting {
  records: LogRecord[];
  bytes: number;
}

/**
 * The log records of one trace that are not part of a span, and the count of
 * those that are.
 */
export class TraceLogs {
  private readonly withoutSpan: LogRecord[] = [];
  private readonly waiting = new Map<string, Waiting>();
  /** Bytes charged for the records held here (attached records are charged with their span). */
  bytes = 0;
  /** Records held here. */
  held = 0;
  /** Records of the trace attached to its spans (kept in their events). */
  attached = 0;
  /** Wall-clock ms of the last record added. */
  updatedAtMs = 0;

  constructor(readonly traceId: string) {}

  /** Every record of the trace the store keeps, attached or not. */
  get count(): number {
    return this.held + this.attached;
  }

  /** Holds a record that has no span id, or whose span has not arrived. */
  hold(record: LogRecord, bytes: number, nowMs: number): void {
    if (record.spanId === null) this.withoutSpan.push(record);
    else {
      let waiting = this.waiting.get(record.spanId);
      if (waiting === undefined) this.waiting.set(record.spanId, (waiting = { records: [], bytes: 0 }));
      waiting.records.push(record);
      waiting.bytes += bytes;
    }
    this.bytes += bytes;
    this.held++;
    this.updatedAtMs = nowMs;
  }

  /** Takes the records waiting for span `spanId` (to attach them); their bytes are no longer held here. */
  takeWaiting(spanId: string): Waiting | undefined {
    const waiting = this.waiting.get(spanId);
    if (waiting === undefined) return undefined;
    this.waiting.delete(spanId);
    this.bytes -= waiting.bytes;
    this.held -= waiting.records.length;
    return waiting;
  }

  /** Records not part of a span (none, or one that has not arrived), in time order. */
  unattached(): LogRecord[] {
    const records = this.withoutSpan.slice();
    for (const waiting of this.waiting.values()) records.push(...waiting.records);
    return records.sort(byTime);
  }
}

/** An untraced record and the bytes charged for it. */
interface Untraced {
  record: LogRecord;
  bytes: number;
  receivedAtMs: number;
}

/**
 * Records of traces none of whose spans has arrived (handed to the trace when
 * its first span comes), and records without a trace id. Both are evicted
 * oldest first when the store is over its bounds.
 */
export class DetachedLogs {
  /** Least recently updated first. */
  private readonly pending = new Map<string, TraceLogs>();
  /** Oldest first. */
  private untraced: Untraced[] = [];
  /** Records without a trace id received since the store was cleared, kept or not. */
  untracedReceived = 0;
  /** Bytes charged for every record held here. */
  bytes = 0;
  /** Records held here. */
  records = 0;

  /** Holds a record of trace `traceId`, which the store has no span of. */
  holdPending(traceId: string, record: LogRecord, bytes: number, nowMs: number): void {
    let logs = this.pending.get(traceId);
    if (logs === undefined) logs = new TraceLogs(traceId);
    // Re-inserting keeps the Map in least-recently-updated order.
    this.pending.delete(traceId);
    this.pending.set(traceId, logs);
    logs.hold(record, bytes, nowMs);
    this.bytes += bytes;
    this.records++;
  }

  /** The records held for a trace whose first span just arrived, no longer held here. */
  takePending(traceId: string): TraceLogs | undefined {
    const logs = this.pending.get(traceId);
    if (logs === undefined) return undefined;
    this.pending.delete(traceId);
    this.bytes -= logs.bytes;
    this.records -= logs.held;
    return logs;
  }

  /** The records held for a trace the store has no span of. */
  pendingOf(traceId: string): TraceLogs | undefined {
    return this.pending.get(traceId);
  }

  /** Keeps a record without a trace id; past {@link MAX_UNTRACED_LOG_RECORDS} the oldest goes. */
  holdUntraced(record: LogRecord, bytes: number, nowMs: number): void {
    this.untracedReceived++;
    this.untraced.push({ record, bytes, receivedAtMs: nowMs });
    this.bytes += bytes;
    this.records++;
    if (this.untraced.length > MAX_UNTRACED_LOG_RECORDS) this.evictUntraced();
  }

  /** The records without a trace id that are kept, oldest first. */
  untracedRecords(): LogRecord[] {
    return this.untraced.map((item) => item.record);
  }

  /** When the least recently updated record held here arrived; Infinity when none is. */
  oldestUpdateMs(): number {
    let oldest = Infinity;
    for (const logs of this.pending.values()) {
      oldest = logs.updatedAtMs;
      break;
    }
    return this.untraced.length > 0 && this.untraced[0].receivedAtMs < oldest ? this.untraced[0].receivedAtMs : oldest;
  }

  /** Evicts the least recently updated pending trace or untraced record (see {@link oldestUpdateMs}). */
  evictOldest(): void {
    for (const logs of this.pending.values()) {
      if (this.untraced.length === 0 || logs.updatedAtMs <= this.untraced[0].receivedAtMs) {
        this.pending.delete(logs.traceId);
        this.bytes -= logs.bytes;
        this.records -= logs.held;
        return;
      }
      break;
    }
    if (this.untraced.length > 0) this.evictUntraced();
  }

  private evictUntraced(): void {
    const oldest = this.untraced.shift()!;
    this.bytes -= oldest.bytes;
    this.records--;
  }

  /** Drops everything held here. */
  clear(): void {
    this.pending.clear();
    this.untraced = [];
    this.untracedReceived = 0;
    this.bytes = 0;
    this.records = 0;
  }
}
