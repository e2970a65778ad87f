/**
 * The trace store kept on disk: an append-only log of the store's changes
 * (request bodies as received, pins, deletes, clears, evictions) and, from
 * time to time, a snapshot of the whole store that lets older files go.
 *
 * Files in the data folder, by generation g:
 *   journal-g.snapshot   the store as it was when log g began (absent for the first)
 *   journal-g.log        the changes since, in order
 * A restart replays the newest snapshot, then every log from its generation
 * on. A snapshot is written as `journal-g.snapshot.partial` and renamed when
 * complete, so a crash while one is written leaves the older generation whole.
 *
 * A change is written synchronously, inside the store call that made it,
 * before the receiver answers: a process killed after that loses nothing it
 * acknowledged (the bytes are in the OS's page cache). Files are flushed to
 * the disk itself at most a second later, so a power cut loses at most about
 * the last second.
 *
 * A snapshot holds the pinned traces, the runs of its spans (so a run keeps
 * its id after its first spans are gone) and every span of the store, in the
 * order the spans were added: a record whose spans are all still in the store
 * is copied as it is (no decoding, no encoding); of the others, only the spans
 * still there are encoded again.
 */

import { closeSync, fdatasync, fstatSync, ftruncateSync, openSync, readdirSync, readSync, renameSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import type { StoreJournal } from '../../core/journal';
import type { Span } from '../../core/model';
import type { RememberedRun } from '../../core/runs';
import type { DecodeLimits } from '../../core/otlp/common';
import { decodeSpanSourceInSteps, type SpanSource } from '../../core/spanSource';
import { runInSteps } from '../../core/steps';
import type { TraceStore } from '../../core/store';
import { approxSpanBytes } from '../../core/store';
import { nextTurn } from '../turns';
import { ensureDataDir, lockDataDir, type DataDirLock } from './dataDir';
import { fileSource } from './fileSource';
import { MAX_BODY_BYTES, bufferSource, readFrames } from './frames';
import { LogFile, fileName, parseFileName, syncDirectory, writeAll } from './logFile';
import { JOURNAL_FORMAT, JOURNAL_VERSION, decodeRecord, encodeRecord, type DecodedRecord, type FileRole, type RecordKind, type RecordMetas } from './records';
import { decodeStoredSpans, encodeStoredSpans, spanChunks } from './storedSpans';

/** Settings of {@link openPersistence}. */
export interface PersistOptions {
  /** The data folder; created when missing. */
  dataDir: string;
  /** Bytes the folder may hold. */
  maxDiskBytes: number;
  /** The receivers' decode limits: request bodies are replayed as they were decoded. */
  limits: DecodeLimits;
  /** Reports what happened: what was restored, damage found and repaired, why persistence is off. */
  log: (level: 'info' | 'warn', message: string) => void;
}

/** Whether traces are kept on disk, and why not. */
export type PersistenceState =
  | { readonly status: 'on'; readonly dataDir: string; readonly restored: { traces: number; spans: number; ms: number } }
  | { readonly status: 'off'; readonly dataDir: string; readonly reason: string };

/** The store's on-disk journal, once opened. */
export interface Persistence {
  readonly state: PersistenceState;
  /**
   * Settles when the replay of what the folder holds has ended and the
   * journal takes changes (or persistence turned off). Until then the store
   * holds what is replayed so far: read it, change it only after.
   */
  readonly replayed: Promise<void>;
  /** Bytes of the files in the data folder that the journal owns. */
  readonly diskBytes: number;
  /** The bound on {@link diskBytes} (`--max-disk-mb`). */
  readonly maxDiskBytes: number;
  /** Writes a snapshot now and removes what it replaces; resolves when done. */
  compact(): Promise<void>;
  /** Flushes to disk, releases the folder and stops journaling. */
  close(): Promise<void>;
}

/** A change is flushed to the disk at most this long after it was written. */
const SYNC_INTERVAL_MS = 1_000;

/**
 * The journal may grow to twice the size of what the store holds, and at
 * least this, before a snapshot: compaction only pays where the logs hold
 * changes since undone (evicted, deleted, replaced spans), so a store that is
 * only filling up is never rewritten.
 */
const MIN_COMPACT_BYTES = 16 * 1024 * 1024;

/** A snapshot, the logs after it, and the next snapshot being written each get a third of the disk limit. */
const DISK_SHARES = 3;

/** Every this many records of spans, the disk bytes per approximate span byte are sampled. */
const RATIO_SAMPLE_EVERY = 32;

/** A snapshot being written yields to the listener after about this many bytes. */
const BYTES_PER_STEP = 4 * 1024 * 1024;

/**
 * A replay yields to the listener after about this many bytes (some 2,000
 * typical spans): an answer takes several turns of the event loop (accept,
 * read, answer), each waiting for a step.
 */
const REPLAY_BYTES_PER_STEP = 1024 * 1024;

/** Where a record of spans is on disk, and which spans the store took from it. */
interface RecordRef {
  readonly path: string;
  readonly offset: number;
  readonly length: number;
  /** Trace id and span id of each span the store took from the record, in the order it took them. */
  readonly ids: string[];
  /** The time the store recorded for the spans' traces. */
  readonly atMs: number;
  /** Copied into a snapshot as it is only when as compact as encoding its spans again (OTLP protobuf). */
  readonly copyable: boolean;
}

/** A journal file found in the data folder. */
interface FoundFile {
  generation: number;
  role: FileRole;
  partial: boolean;
  path: string;
}

/** The journal was closed while it replayed or wrote a snapshot. */
class StoppedError extends Error {
  constructor() {
    super('the inspector is stopping');
  }
}

class DiskJournal implements StoreJournal, Persistence {
  state: PersistenceState;
  private lock: DataDirLock | undefined;
  private log: LogFile | undefined;
  /** Logs from the snapshot's generation on, the one being appended to last. */
  private logs: { path: string; generation: number; size: number }[] = [];
  private snapshot: { path: string; size: number } | undefined;
  private nextGeneration = 0;
  /** Bytes of the logs since the snapshot. */
  private tailBytes = 0;
  /** Every record of spans in the snapshot and the logs, in the order they are replayed. */
  private records: RecordRef[] = [];
  /** While a snapshot is replayed: its pinned traces, pinned as their spans arrive. */
  private replayPins: Set<string> | undefined;
  /** Disk bytes per approximate span byte ({@link approxSpanBytes}), sampled from records and learnt from snapshots. */
  private bytesPerSpanByte = 1;
  private ratioKnown = false;
  private spanRecords = 0;
  private pendingEvictions: string[] = [];
  private syncTimer: NodeJS.Timeout | undefined;
  private compacting: Promise<void> | undefined;
  /** No automatic compaction before the logs reach this (raised after a failed one). */
  private compactFloor = 0;
  private closed = false;
  replayed: Promise<void> = Promise.resolve();
  /** Record bytes replayed since the replay last yielded. */
  private replayedSinceYield = 0;

  constructor(
    private readonly store: TraceStore,
    private readonly options: PersistOptions,
  ) {
    this.state = { status: 'off', dataDir: options.dataDir, reason: 'not opened' };
  }

  get diskBytes(): number {
    return (this.snapshot?.size ?? 0) + this.tailBytes;
  }

  get maxDiskBytes(): number {
    return this.options.maxDiskBytes;
  }

  /**
   * Takes the folder, replays it into the store and continues its last log.
   * The replay yields to the listener between steps, so reads are answered
   * from what it has replayed so far.
   */
  async open(): Promise<void> {
    const { dataDir } = this.options;
    let limits: TraceStore['limits'] | undefined;
    try {
      ensureDataDir(dataDir);
      const lock = lockDataDir(dataDir);
      if ('heldBy' in lock) {
        const who = lock.heldBy.pid ? `another inspector (process ${lock.heldBy.pid} on ${lock.heldBy.host})` : 'another inspector';
        return this.turnOff(`${who} is keeping its traces in ${dataDir}, so this one keeps traces in memory only. Stop the other one, or give this one its own folder with --data-dir <dir>.`);
      }
      this.lock = lock;
      limits = this.store.limits;
      const heldBefore = new Set<Span>();
      for (const entry of this.store.entries()) for (const span of entry.spans.values()) heldBefore.add(span);
      const started = Date.now();
      const files = this.findFiles();
      const newer = this.laterVersion(files);
      if (newer) return this.turnOff(`${newer} was written by a later version of the inspector; this one keeps traces in memory only and leaves the folder as it is.`);
      // The journal holds every eviction that happened; the store's own bounds would also evict, at times
      // when they may have been higher, and could take a trace before the record that pinned it.
      this.store.setLimits({ maxSpans: Infinity, maxTraces: Infinity, maxBytes: Infinity });
      await this.replay(files);
      const replayMs = Date.now() - started;
      const last = this.logs[this.logs.length - 1];
      if (last) this.log = LogFile.reopen(last.path, last.generation, last.size);
      else {
        const generation = this.nextGeneration++;
        this.log = LogFile.create(join(dataDir, fileName(generation, 'log')), generation);
        this.logs.push({ path: this.log.path, generation, size: this.log.size });
        this.tailBytes += this.log.size;
        syncDirectory(dataDir);
      }
      this.state = { status: 'on', dataDir, restored: { traces: 0, spans: 0, ms: replayMs } };
      this.store.setJournal(this);
      // Bounds lower than when the traces were kept evict now, and that is journaled too.
      this.store.setLimits(limits);
      this.state = { status: 'on', dataDir, restored: { traces: this.store.traceCount, spans: this.store.spanCount, ms: replayMs } };
      this.syncTimer = setInterval(() => void this.log?.sync(), SYNC_INTERVAL_MS);
      this.syncTimer.unref();
      // Spans the store held before it had a journal, and still holds, are journaled now.
      if (heldBefore.size > 0) {
        for (const entry of [...this.store.entries()]) {
          const spans = [...entry.spans.values()].filter((span) => heldBefore.has(span));
          if (spans.length > 0) this.spansAdded(spans, entry.updatedAtMs, undefined);
        }
      }
      this.maybeCompact();
    } catch (error) {
      if (!(error instanceof StoppedError)) this.turnOff(`traces cannot be kept in ${dataDir}: ${(error as Error).message}. This inspector keeps traces in memory only.`);
      if (limits) this.store.setLimits(limits);
      this.lock?.release();
      this.lock = undefined;
    }
  }

  private turnOff(reason: string): void {
    this.state = { status: 'off', dataDir: this.options.dataDir, reason };
    this.store.setJournal(undefined);
    this.options.log('warn', reason);
  }

  private findFiles(): FoundFile[] {
    const files: FoundFile[] = [];
    for (const name of readdirSync(this.options.dataDir)) {
      const parsed = parseFileName(name);
      if (parsed) files.push({ ...parsed, path: join(this.options.dataDir, name) });
    }
    return files.sort((a, b) => a.generation - b.generation || (a.role === 'snapshot' ? -1 : 1));
  }

  /** The name of a file whose header says a later journal version wrote it, if any. */
  private laterVersion(files: FoundFile[]): string | undefined {
    for (const file of files) {
      if (file.partial) continue;
      const fd = openSync(file.path, 'r');
      try {
        for (const frame of readFrames(fileSource(fd, Math.min(fstatSync(fd).size, 64 * 1024)))) {
          if (frame.type !== 'record') break;
          const record = decodeRecord(frame.kind, frame.meta, frame.body);
          if (typeof record !== 'string' && record.kind === 'file' && record.meta.version > JOURNAL_VERSION) return file.path;
          break;
        }
      } finally {
        closeSync(fd);
      }
    }
    return undefined;
  }

  private async replay(files: FoundFile[]): Promise<void> {
    const complete = files.filter((file) => !file.partial);
    const base = complete.filter((file) => file.role === 'snapshot').pop();
    const baseGeneration = base?.generation ?? 0;
    for (const file of files) this.nextGeneration = Math.max(this.nextGeneration, file.generation + 1);
    if (base) {
      this.replayPins = new Set();
      const size = await this.replayFile(base);
      this.replayPins = undefined;
      this.snapshot = { path: base.path, size };
      if (this.store.approxBytes > 0) this.learnRatio(Math.max(0.1, size / this.store.approxBytes), 1);
    }
    for (const file of complete) {
      if (file.role !== 'log' || file.generation < baseGeneration) continue;
      const size = await this.replayFile(file);
      this.logs.push({ path: file.path, generation: file.generation, size });
      this.tailBytes += size;
    }
    // Files the snapshot replaces, and snapshots a crash left unfinished.
    for (const file of files) {
      if (file.partial || file.generation < baseGeneration || (file.role === 'snapshot' && file !== base)) unlinkSync(file.path);
    }
  }

  /** Replays one file into the store; reports damage, cuts a torn end off a log. Returns the file's size after. */
  private async replayFile(file: FoundFile): Promise<number> {
    const fd = openSync(file.path, file.role === 'log' ? 'r+' : 'r');
    const name = fileName(file.generation, file.role);
    try {
      let size = fstatSync(fd).size;
      let lost = 0;
      for (const frame of readFrames(fileSource(fd, size))) {
        if (frame.type === 'damage') {
          if (frame.atEnd && file.role === 'log') {
            this.options.log('warn', `${name}: the last ${frame.end - frame.offset} bytes (${frame.reason}, as a write cut short by a crash leaves) were removed`);
            ftruncateSync(fd, frame.offset);
            size = frame.offset;
          } else {
            lost++;
            this.options.log('warn', `${name}: ${frame.end - frame.offset} bytes at offset ${frame.offset} are unreadable (${frame.reason}) and were skipped`);
          }
          continue;
        }
        const record = decodeRecord(frame.kind, frame.meta, frame.body);
        if (typeof record === 'string') {
          lost++;
          this.options.log('warn', `${name}: skipped ${record} at offset ${frame.offset}`);
          continue;
        }
        try {
          const unreadable = await this.apply(record, { path: file.path, offset: frame.offset, length: frame.end - frame.offset });
          if (unreadable > 0) this.options.log('warn', `${name}: ${unreadable} spans of the record at offset ${frame.offset} could not be read back`);
        } catch (error) {
          lost++;
          this.options.log('warn', `${name}: the ${record.kind} record at offset ${frame.offset} could not be replayed: ${(error as Error).message}`);
        }
        if (this.closed) throw new StoppedError();
        this.replayedSinceYield += frame.end - frame.offset;
        if (this.replayedSinceYield >= REPLAY_BYTES_PER_STEP) {
          this.replayedSinceYield = 0;
          await nextTurn();
          if (this.closed) throw new StoppedError();
        }
      }
      if (lost > 0) this.options.log('warn', `${name}: ${lost} damaged record${lost === 1 ? ' was' : 's were'} skipped; everything else was restored`);
      return size;
    } finally {
      closeSync(fd);
    }
  }

  /** Applies one record, found at `at`, to the store; returns how many of its spans could not be read. */
  private async apply(record: DecodedRecord, at: { path: string; offset: number; length: number }): Promise<number> {
    const store = this.store;
    switch (record.kind) {
      case 'source': {
        const source: SpanSource = { format: record.meta.format, bytes: record.body, receivedAtMs: record.meta.receivedAtMs };
        // A large body decodes in steps, as when it was received: the listener answers meanwhile.
        const { spans } = await runInSteps(decodeSpanSourceInSteps(source, this.options.limits), nextTurn);
        await this.addReplayed(spans, record.meta.atMs, at, source.format === 'otlp-protobuf');
        return 0;
      }
      case 'spans': {
        const { spans, unreadable } = decodeStoredSpans(record.body, record.meta.ingestBytes, this.options.limits);
        await this.addReplayed(spans, record.meta.atMs, at, true);
        return unreadable;
      }
      case 'pinned':
        for (const traceId of record.meta.traceIds) this.replayPins?.add(traceId);
        return 0;
      case 'runs':
        store.restoreRuns(record.meta.runs.map(({ key, ...run }) => ({ key, run })));
        return 0;
      case 'pin':
        store.setPinned(record.meta.traceId, record.meta.pinned);
        return 0;
      case 'delete':
        store.delete(record.meta.traceId);
        return 0;
      case 'evict':
        for (const traceId of record.meta.traceIds) store.delete(traceId);
        return 0;
      case 'clear':
        store.clear();
        return 0;
      case 'file':
      case 'snapshotEnd':
        return 0;
    }
  }

  private async addReplayed(spans: Span[], atMs: number, at: { path: string; offset: number; length: number }, copyable: boolean): Promise<void> {
    await runInSteps(this.store.addInSteps(spans, { atMs }), nextTurn);
    this.track(spans, at, atMs, copyable);
    const pins = this.replayPins;
    if (pins === undefined || pins.size === 0) return;
    // A snapshot's pinned traces are pinned as soon as they exist, so replaying the rest cannot evict them.
    for (const span of spans) {
      if (pins.delete(span.traceId)) this.store.setPinned(span.traceId, true);
    }
  }

  private track(spans: readonly Span[], at: { path: string; offset: number; length: number }, atMs: number, copyable: boolean): void {
    const ids = new Array<string>(2 * spans.length);
    for (let i = 0; i < spans.length; i++) {
      ids[2 * i] = spans[i].traceId;
      ids[2 * i + 1] = spans[i].spanId;
    }
    this.records.push({ ...at, ids, atMs, copyable });
  }

  /* ---- StoreJournal: every change, written before the store call returns ---- */

  spansAdded(spans: readonly Span[], atMs: number, source: SpanSource | undefined): void {
    this.flushEvictions();
    const before = this.tailBytes;
    if (source && source.bytes.length <= MAX_BODY_BYTES) {
      const at = this.write('source', { format: source.format, atMs, receivedAtMs: source.receivedAtMs }, source.bytes);
      if (at) this.track(spans, at, atMs, source.format === 'otlp-protobuf');
    } else {
      for (const chunk of spanChunks(spans)) {
        for (const part of this.encodeWithin(chunk)) {
          const at = this.write('spans', { atMs, ingestBytes: part.ingestBytes }, part.body);
          if (at) this.track(part.spans, at, atMs, true);
        }
      }
    }
    if (this.spanRecords++ % RATIO_SAMPLE_EVERY === 0) this.sampleRatio(spans, this.tailBytes - before);
  }

  private sampleRatio(spans: readonly Span[], written: number): void {
    let approx = 0;
    for (const span of spans) approx += approxSpanBytes(span);
    if (approx > 0 && written > 0) this.learnRatio(Math.max(0.1, written / approx), 0.2);
  }

  /** Moves the disk bytes per approximate span byte towards `ratio` by `weight` (all the way for the first one). */
  private learnRatio(ratio: number, weight: number): void {
    this.bytesPerSpanByte = this.ratioKnown ? (1 - weight) * this.bytesPerSpanByte + weight * ratio : ratio;
    this.ratioKnown = true;
  }

  /** The record bodies of `spans`: one, or halves until each fits a record; a span too large on its own is left out and reported. */
  private encodeWithin(spans: Span[]): { spans: Span[]; body: Uint8Array; ingestBytes: number }[] {
    const { body, ingestBytes } = encodeStoredSpans(spans);
    if (body.length <= MAX_BODY_BYTES) return [{ spans, body, ingestBytes }];
    if (spans.length === 1) {
      this.options.log('warn', `a span of ${Math.round(body.length / 1e6)} MB is too large to keep on disk; it stays in memory only`);
      return [];
    }
    const half = spans.length >> 1;
    return [...this.encodeWithin(spans.slice(0, half)), ...this.encodeWithin(spans.slice(half))];
  }

  pinned(traceId: string, pinned: boolean): void {
    this.flushEvictions();
    this.write('pin', { traceId, pinned });
  }

  deleted(traceId: string): void {
    this.flushEvictions();
    this.write('delete', { traceId });
  }

  cleared(): void {
    this.flushEvictions();
    this.write('clear', {});
  }

  evicted(traceId: string): void {
    // One store call can evict many traces: they go in one record, before the next change.
    if (this.pendingEvictions.length === 0) queueMicrotask(() => this.flushEvictions());
    this.pendingEvictions.push(traceId);
  }

  private flushEvictions(): void {
    if (this.pendingEvictions.length === 0) return;
    const traceIds = this.pendingEvictions;
    this.pendingEvictions = [];
    this.write('evict', { traceIds });
  }

  /** Appends one record to the log; returns where it went, or undefined when journaling has stopped. */
  private write<K extends RecordKind>(kind: K, meta: RecordMetas[K], body?: Uint8Array): { path: string; offset: number; length: number } | undefined {
    const log = this.log;
    if (log === undefined || this.state.status !== 'on') return undefined;
    let at: { offset: number; length: number };
    try {
      at = log.append(encodeRecord(kind, meta, body));
    } catch (error) {
      this.turnOff(`traces can no longer be kept in ${this.options.dataDir}: ${(error as Error).message}. What was kept so far is restored at the next start; newer traces are in memory only.`);
      return undefined;
    }
    this.tailBytes += at.length;
    this.logs[this.logs.length - 1].size = log.size;
    this.maybeCompact();
    return { path: log.path, ...at };
  }

  /* ---- compaction ---- */

  /** True when a snapshot would reclaim about half of the journal, or the logs reach their share of the disk limit. */
  private shouldCompact(): boolean {
    if (this.tailBytes < this.compactFloor) return false;
    if (this.tailBytes >= this.options.maxDiskBytes / DISK_SHARES) return true;
    const liveBytes = this.store.approxBytes * this.bytesPerSpanByte;
    return this.diskBytes >= Math.max(MIN_COMPACT_BYTES, 2 * liveBytes);
  }

  private maybeCompact(): void {
    if (this.compacting || this.closed || !this.shouldCompact()) return;
    this.compacting = nextTurn().then(() => this.runCompaction());
  }

  compact(): Promise<void> {
    if (this.state.status !== 'on') return Promise.resolve();
    const previous = this.compacting ?? Promise.resolve();
    const next = previous.then(() => {
      if (this.state.status === 'on' && !this.closed) return this.runCompaction();
    });
    this.compacting = next;
    return next;
  }

  private async runCompaction(): Promise<void> {
    if (this.closed) return;
    try {
      await this.writeSnapshot();
    } catch (error) {
      // Not again before the logs have grown by as much again.
      this.compactFloor = 2 * this.tailBytes;
      if (this.state.status === 'on' && !(error instanceof StoppedError)) this.options.log('warn', `the journal in ${this.options.dataDir} could not be compacted: ${(error as Error).message}; it will be tried again later`);
    } finally {
      this.compacting = undefined;
    }
    if (this.state.status === 'on') this.maybeCompact();
  }

  /** Keeps the traces that fit a third of the disk limit, newest first (pinned ones always); evicts the rest. */
  private evictBeyondDiskLimit(): void {
    const budget = this.options.maxDiskBytes / DISK_SHARES;
    const entries = [...this.store.entries()];
    let total = 0;
    for (const entry of entries) if (entry.pinned) total += entry.approxBytes * this.bytesPerSpanByte;
    let cut = -1;
    for (let i = entries.length - 1; i >= 0; i--) {
      const entry = entries[i];
      if (entry.pinned) continue;
      total += entry.approxBytes * this.bytesPerSpanByte;
      if (total > budget) {
        cut = i;
        break;
      }
    }
    let evicted = 0;
    for (let i = 0; i <= cut; i++) {
      if (entries[i].pinned) continue;
      this.store.delete(entries[i].traceId);
      evicted++;
    }
    if (evicted > 0) this.options.log('info', `disk limit: the ${evicted} least recently updated trace${evicted === 1 ? ' was' : 's were'} evicted to keep ${this.options.dataDir} within ${Math.round(this.options.maxDiskBytes / 1048576)} MB`);
  }

  /**
   * The store as it is now: its pinned traces, and its spans grouped by the
   * record they came from, in the order of those records. A span's record is
   * the newest that holds its ids: older ones held versions since replaced.
   */
  private freeze(): { pinned: string[]; runs: RememberedRun[]; groups: { ref: RecordRef | undefined; spans: Span[] }[]; traces: number; spans: number; approxBytes: number } {
    const store = this.store;
    const seen = new Map<string, Set<string>>();
    const groups: { ref: RecordRef | undefined; spans: Span[] }[] = [];
    let found = 0;
    for (let r = this.records.length - 1; r >= 0; r--) {
      const ref = this.records[r];
      const ids = ref.ids;
      const live: Span[] = [];
      for (let i = ids.length - 2; i >= 0; i -= 2) {
        let spanIds = seen.get(ids[i]);
        if (spanIds === undefined) seen.set(ids[i], (spanIds = new Set()));
        if (spanIds.has(ids[i + 1])) continue;
        spanIds.add(ids[i + 1]);
        const span = store.get(ids[i])?.spans.get(ids[i + 1]);
        if (span) live.push(span);
      }
      if (live.length > 0) groups.push({ ref, spans: live.reverse() });
      found += live.length;
    }
    groups.reverse();
    const pinned: string[] = [];
    let traces = 0;
    for (const entry of store.entries()) {
      traces++;
      if (entry.pinned) pinned.push(entry.traceId);
    }
    if (found < store.spanCount) {
      // Spans in no record (too large for one): kept first, at their trace's time.
      const untracked: { ref: undefined; spans: Span[] }[] = [];
      for (const entry of store.entries()) {
        const spans = [...entry.spans.values()].filter((span) => !seen.get(span.traceId)?.has(span.spanId));
        if (spans.length > 0) untracked.push({ ref: undefined, spans });
      }
      groups.unshift(...untracked);
    }
    return { pinned, runs: store.rememberedRuns(), groups, traces, spans: store.spanCount, approxBytes: store.approxBytes };
  }

  private async writeSnapshot(): Promise<void> {
    this.evictBeyondDiskLimit();
    this.flushEvictions();
    const frozen = this.freeze();
    const generation = this.nextGeneration++;
    const dataDir = this.options.dataDir;
    // From here on, changes go to the new log: the snapshot holds the store as it is now.
    const previousLog = this.log!;
    this.log = LogFile.create(join(dataDir, fileName(generation, 'log')), generation);
    const replaced = { logs: this.logs, snapshot: this.snapshot };
    this.logs = [{ path: this.log.path, generation, size: this.log.size }];
    const previousTail = this.tailBytes;
    this.tailBytes = this.log.size;
    const previousLogClosed = previousLog.close().catch(() => undefined);
    const recordsBefore = this.records.length;

    const partial = join(dataDir, fileName(generation, 'snapshot', true));
    const final = join(dataDir, fileName(generation, 'snapshot'));
    const fd = openSync(partial, 'wx', 0o600);
    let fdOpen = true;
    let size = 0;
    const writeRecord = (buffers: Uint8Array[]) => {
      const offset = size;
      size += writeAll(fd, buffers, offset, partial);
      return { path: final, offset, length: size - offset };
    };
    const readers = new Map<string, number>();
    /** The snapshot's records, which replace those of the files it replaces. */
    const written: RecordRef[] = [];
    let finished = false;
    try {
      writeRecord(encodeRecord('file', { format: JOURNAL_FORMAT, version: JOURNAL_VERSION, role: 'snapshot', generation }));
      writeRecord(encodeRecord('pinned', { traceIds: frozen.pinned }));
      writeRecord(encodeRecord('runs', { runs: frozen.runs.map(({ key, run }) => ({ key, ...run })) }));
      let sinceYield = 0;
      for (const { ref, spans } of frozen.groups) {
        const start = size;
        const copy = ref && ref.copyable && 2 * spans.length === ref.ids.length ? this.readRecord(ref, readers) : undefined;
        if (ref && copy) written.push({ ...ref, ...writeRecord([copy]) });
        else {
          const atMs = ref?.atMs ?? this.store.get(spans[0].traceId)?.updatedAtMs ?? 0;
          for (const chunk of spanChunks(spans)) {
            for (const part of this.encodeWithin(chunk)) {
              const at = writeRecord(encodeRecord('spans', { atMs, ingestBytes: part.ingestBytes }, part.body));
              written.push({ ...at, ids: part.spans.flatMap((span) => [span.traceId, span.spanId]), atMs, copyable: true });
            }
          }
        }
        sinceYield += size - start;
        if (sinceYield >= BYTES_PER_STEP) {
          sinceYield = 0;
          // The listener keeps answering while a snapshot is written.
          await nextTurn();
          if (this.closed) throw new StoppedError();
        }
      }
      writeRecord(encodeRecord('snapshotEnd', { traces: frozen.traces, spans: frozen.spans }));
      await new Promise<void>((resolve, reject) => fdatasync(fd, (error) => (error ? reject(error) : resolve())));
      closeSync(fd);
      fdOpen = false;
      renameSync(partial, final);
      finished = true;
    } finally {
      for (const reader of readers.values()) closeSync(reader);
      if (fdOpen) closeSync(fd);
      if (!finished) {
        unlinkSync(partial);
        // The older generation stays the base: its logs still count.
        this.logs = [...replaced.logs, ...this.logs];
        this.tailBytes += previousTail;
      }
    }
    syncDirectory(dataDir);
    this.snapshot = { path: final, size };
    this.records = [...written, ...this.records.slice(recordsBefore)];
    if (frozen.approxBytes > 0) this.learnRatio(Math.max(0.1, size / frozen.approxBytes), 1);
    await previousLogClosed;
    for (const file of [...replaced.logs, ...(replaced.snapshot ? [replaced.snapshot] : [])]) unlinkSync(file.path);
    syncDirectory(dataDir);
  }

  /** The bytes of the record at `ref`, when they still check out; undefined otherwise (its spans are then encoded again). */
  private readRecord(ref: RecordRef, readers: Map<string, number>): Uint8Array | undefined {
    let fd = readers.get(ref.path);
    if (fd === undefined) readers.set(ref.path, (fd = openSync(ref.path, 'r')));
    const bytes = Buffer.allocUnsafe(ref.length);
    let filled = 0;
    while (filled < ref.length) {
      const read = readSync(fd, bytes, filled, ref.length - filled, ref.offset + filled);
      if (read === 0) return undefined;
      filled += read;
    }
    const frames = [...readFrames(bufferSource(bytes))];
    return frames.length === 1 && frames[0].type === 'record' ? bytes : undefined;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.replayed;
    clearInterval(this.syncTimer);
    this.flushEvictions();
    this.store.setJournal(undefined);
    await this.compacting?.catch(() => undefined);
    await this.log?.close().catch(() => undefined);
    this.log = undefined;
    this.lock?.release();
    this.lock = undefined;
  }
}

/**
 * Opens the journal of `store` in `options.dataDir`: replays what the folder
 * holds into the store (the first step before it returns, the rest in steps
 * until `replayed` settles), then journals every later change. Never throws: when
 * the folder cannot be used (another inspector holds it, it cannot be
 * written), `state` says why and the store works in memory only.
 */
export function openPersistence(store: TraceStore, options: PersistOptions): Persistence {
  const journal = new DiskJournal(store, options);
  journal.replayed = journal.open();
  return journal;
}
