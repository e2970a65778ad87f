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
 */

import { closeSync, fdatasync, fstatSync, fsyncSync, ftruncateSync, openSync, readdirSync, renameSync, unlinkSync, writevSync } from 'node:fs';
import { join } from 'node:path';
import type { StoreJournal } from '../../core/journal';
import type { Span } from '../../core/model';
import type { DecodeLimits } from '../../core/otlp/common';
import { decodeOtlpProto } from '../../core/otlp/proto';
import { encodeSpansProto } from '../../core/otlp/protoEncode';
import { decodeSpanSource, type SpanSource } from '../../core/spanSource';
import type { TraceStore } from '../../core/store';
import { approxSpanBytes } from '../../core/store';
import { ensureDataDir, lockDataDir, type DataDirLock } from './dataDir';
import { fileSource } from './fileSource';
import { MAX_BODY_BYTES, readFrames } from './frames';
import { JOURNAL_FORMAT, JOURNAL_VERSION, decodeRecord, encodeRecord, type DecodedRecord, type FileRole, type RecordKind, type RecordMetas, type SnapshotTrace } from './records';

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
  /** Bytes of the files in the data folder that the journal owns. */
  readonly diskBytes: number;
  /** Writes a snapshot now and removes what it replaces; resolves when done. */
  compact(): Promise<void>;
  /** Flushes to disk, releases the folder and stops journaling. */
  close(): Promise<void>;
}

/** A change is flushed to the disk at most this long after it was written. */
const SYNC_INTERVAL_MS = 1_000;

/** The log since the last snapshot may reach the snapshot's size, and at least this, before a new snapshot. */
const MIN_COMPACT_BYTES = 16 * 1024 * 1024;

/** A snapshot, the logs after it, and the next snapshot being written each get a third of the disk limit. */
const DISK_SHARES = 3;

/** Spans, and approximate span bytes, per record of spans written without their request body. */
const SPANS_PER_RECORD = 5_000;
const SPAN_BYTES_PER_RECORD = 8 * 1024 * 1024;

/** Room for the marker a value cut at a decode limit carries: spans read back from disk are already within the limits. */
const MARKER_ROOM = 64;

const FILE_NAME = /^journal-(\d{8})\.(log|snapshot)(\.partial)?$/;

function fileName(generation: number, role: FileRole, partial = false): string {
  return `journal-${String(generation).padStart(8, '0')}.${role}${partial ? '.partial' : ''}`;
}

/** A journal file found in the data folder. */
interface FoundFile {
  generation: number;
  role: FileRole;
  partial: boolean;
  path: string;
}

/** The log file being appended to. */
class LogFile {
  size = 0;
  private dirty = false;
  private syncing: Promise<void> | undefined;

  constructor(
    readonly path: string,
    readonly generation: number,
    private readonly fd: number,
  ) {}

  static create(path: string, generation: number): LogFile {
    const file = new LogFile(path, generation, openSync(path, 'wx', 0o600));
    file.append(encodeRecord('file', { format: JOURNAL_FORMAT, version: JOURNAL_VERSION, role: 'log', generation }));
    return file;
  }

  /** Continues an existing log of `size` bytes (its end already checked). */
  static reopen(path: string, generation: number, size: number): LogFile {
    const file = new LogFile(path, generation, openSync(path, 'a'));
    file.size = size;
    return file;
  }

  /** Writes one record; a short write is undone and thrown. */
  append(buffers: Uint8Array[]): number {
    let length = 0;
    for (const buffer of buffers) length += buffer.length;
    const written = writevSync(this.fd, buffers);
    if (written !== length) {
      ftruncateSync(this.fd, this.size);
      throw new Error(`only ${written} of ${length} bytes could be written to ${this.path}`);
    }
    this.size += length;
    this.dirty = true;
    return length;
  }

  /** Flushes what was written to the disk (in the background; one flush at a time). */
  sync(): Promise<void> {
    if (!this.dirty) return this.syncing ?? Promise.resolve();
    if (this.syncing) return this.syncing.then(() => this.sync());
    this.dirty = false;
    this.syncing = new Promise<void>((resolve) => fdatasync(this.fd, () => resolve())).then(() => {
      this.syncing = undefined;
    });
    return this.syncing;
  }

  async close(): Promise<void> {
    await this.sync();
    closeSync(this.fd);
  }
}

/** Decodes the body of a `spans` or `traces` record: an OTLP request, then (its last `ingestBytes`) one of spans from the ingest API. */
function decodeStoredSpans(body: Uint8Array, ingestBytes: number, limits: DecodeLimits): { spans: Span[]; unreadable: number } {
  const storedLimits: DecodeLimits = { ...limits, maxStringLength: limits.maxStringLength + MARKER_ROOM, maxDepth: limits.maxDepth + 2, maxSpansPerRequest: SPANS_PER_RECORD };
  const otlp = decodeOtlpProto(body.subarray(0, body.length - ingestBytes), storedLimits);
  const ingest = ingestBytes > 0 ? decodeOtlpProto(body.subarray(body.length - ingestBytes), storedLimits) : { spans: [], rejected: [] };
  for (const span of ingest.spans) span.origin = 'ingest';
  return { spans: otlp.spans.concat(ingest.spans), unreadable: otlp.rejected.length + ingest.rejected.length + (otlp.moreRejected ?? 0) + (ingest.moreRejected ?? 0) };
}

/** The body of a `spans` or `traces` record for `spans` (see {@link decodeStoredSpans}). */
function encodeStoredSpans(spans: readonly Span[]): { body: Uint8Array; ingestBytes: number } {
  const ingest = spans.filter((span) => span.origin === 'ingest');
  const otlpBytes = encodeSpansProto(ingest.length === 0 ? spans : spans.filter((span) => span.origin !== 'ingest'));
  if (ingest.length === 0) return { body: otlpBytes, ingestBytes: 0 };
  const ingestBytes = encodeSpansProto(ingest);
  return { body: Buffer.concat([otlpBytes, ingestBytes]), ingestBytes: ingestBytes.length };
}

/** One trace as it was when a snapshot began. */
interface FrozenTrace {
  traceId: string;
  updatedAtMs: number;
  pinned: boolean;
  spans: Span[];
}

/** Spans for one record, and the traces they belong to (each once, in order). */
interface SpanRun {
  spans: Span[];
  traces: FrozenTrace[];
}

/**
 * The spans of `traces`, in order, cut into runs of at most
 * {@link SPANS_PER_RECORD} spans and about {@link SPAN_BYTES_PER_RECORD} bytes
 * (a large trace spans several runs).
 */
function* spanRuns(traces: Iterable<FrozenTrace>): Generator<SpanRun> {
  let run: SpanRun = { spans: [], traces: [] };
  let bytes = 0;
  for (const trace of traces) {
    for (const span of trace.spans) {
      const spanBytes = approxSpanBytes(span);
      if (run.spans.length > 0 && (run.spans.length >= SPANS_PER_RECORD || bytes + spanBytes > SPAN_BYTES_PER_RECORD)) {
        yield run;
        run = { spans: [], traces: [] };
        bytes = 0;
      }
      if (run.traces[run.traces.length - 1] !== trace) run.traces.push(trace);
      run.spans.push(span);
      bytes += spanBytes;
    }
  }
  if (run.spans.length > 0) yield run;
}

const nextTick = () => new Promise<void>((resolve) => setImmediate(resolve));

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
  /** Disk bytes per approximate span byte ({@link approxSpanBytes}), learnt from the last snapshot. */
  private bytesPerSpanByte = 1;
  private pendingEvictions: string[] = [];
  private syncTimer: NodeJS.Timeout | undefined;
  private compacting: Promise<void> | undefined;
  /** No automatic compaction before the logs reach this (raised after a failed one). */
  private compactFloor = 0;
  private closed = false;

  constructor(
    private readonly store: TraceStore,
    private readonly options: PersistOptions,
  ) {
    this.state = { status: 'off', dataDir: options.dataDir, reason: 'not opened' };
  }

  get diskBytes(): number {
    return (this.snapshot?.size ?? 0) + this.tailBytes;
  }

  /** Takes the folder, replays it into the store and starts a new log. */
  open(): void {
    const { dataDir } = this.options;
    try {
      ensureDataDir(dataDir);
      const lock = lockDataDir(dataDir);
      if ('heldBy' in lock) {
        const who = lock.heldBy.pid ? `another inspector (process ${lock.heldBy.pid}${lock.heldBy.host !== undefined ? ` on ${lock.heldBy.host}` : ''})` : 'another inspector';
        return this.turnOff(`${who} is keeping its traces in ${dataDir}, so this one keeps traces in memory only. Stop the other one, or give this one its own folder with --data-dir <dir>.`);
      }
      this.lock = lock;
      const started = Date.now();
      const files = this.findFiles();
      const newer = this.laterVersion(files);
      if (newer) return this.turnOff(`${newer} was written by a later version of the inspector; this one keeps traces in memory only and leaves the folder as it is.`);
      this.replay(files);
      const restored = { traces: this.store.traceCount, spans: this.store.spanCount, ms: Date.now() - started };
      const last = this.logs[this.logs.length - 1];
      if (last) this.log = LogFile.reopen(last.path, last.generation, last.size);
      else {
        const generation = this.nextGeneration++;
        this.log = LogFile.create(join(dataDir, fileName(generation, 'log')), generation);
        this.logs.push({ path: this.log.path, generation, size: this.log.size });
        this.tailBytes += this.log.size;
        syncDirectory(dataDir);
      }
      this.state = { status: 'on', dataDir, restored };
      this.store.setJournal(this);
      this.syncTimer = setInterval(() => void this.log?.sync(), SYNC_INTERVAL_MS);
      this.syncTimer.unref();
      this.maybeCompact();
    } catch (error) {
      this.turnOff(`traces cannot be kept in ${dataDir}: ${(error as Error).message}. This inspector keeps traces in memory only.`);
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
      const match = FILE_NAME.exec(name);
      if (match) files.push({ generation: Number(match[1]), role: match[2] as FileRole, partial: match[3] !== undefined, path: join(this.options.dataDir, name) });
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

  private replay(files: FoundFile[]): void {
    const complete = files.filter((file) => !file.partial);
    const base = complete.filter((file) => file.role === 'snapshot').pop();
    const baseGeneration = base?.generation ?? 0;
    for (const file of files) this.nextGeneration = Math.max(this.nextGeneration, file.generation + 1);
    if (base) {
      const size = this.replayFile(base);
      this.snapshot = { path: base.path, size };
      this.bytesPerSpanByte = this.store.approxBytes > 0 ? Math.max(0.1, size / this.store.approxBytes) : 1;
    }
    for (const file of complete) {
      if (file.role !== 'log' || file.generation < baseGeneration) continue;
      const size = this.replayFile(file);
      this.logs.push({ path: file.path, generation: file.generation, size });
      this.tailBytes += size;
    }
    // Files the snapshot replaces, and snapshots a crash left unfinished.
    for (const file of files) {
      if (file.partial || file.generation < baseGeneration || (file.role === 'snapshot' && file !== base)) unlinkSync(file.path);
    }
  }

  /** Replays one file into the store; reports damage, cuts a torn end off a log. Returns the file's size after. */
  private replayFile(file: FoundFile): number {
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
          const unreadable = this.apply(record);
          if (unreadable > 0) this.options.log('warn', `${name}: ${unreadable} spans of the record at offset ${frame.offset} could not be read back`);
        } catch (error) {
          lost++;
          this.options.log('warn', `${name}: the ${record.kind} record at offset ${frame.offset} could not be replayed: ${(error as Error).message}`);
        }
      }
      if (lost > 0) this.options.log('warn', `${name}: ${lost} damaged record${lost === 1 ? ' was' : 's were'} skipped; everything else was restored`);
      return size;
    } finally {
      closeSync(fd);
    }
  }

  /** Applies one record to the store; returns how many of its spans could not be read. */
  private apply(record: DecodedRecord): number {
    const store = this.store;
    switch (record.kind) {
      case 'source': {
        const source: SpanSource = { format: record.meta.format, bytes: record.body, receivedAtMs: record.meta.receivedAtMs };
        store.add(decodeSpanSource(source, this.options.limits).spans, { atMs: record.meta.atMs });
        return 0;
      }
      case 'spans': {
        const { spans, unreadable } = decodeStoredSpans(record.body, record.meta.ingestBytes, this.options.limits);
        store.add(spans, { atMs: record.meta.atMs });
        return unreadable;
      }
      case 'traces': {
        const { spans, unreadable } = decodeStoredSpans(record.body, record.meta.ingestBytes, this.options.limits);
        const byTrace = new Map<string, Span[]>();
        for (const span of spans) {
          let list = byTrace.get(span.traceId);
          if (list === undefined) byTrace.set(span.traceId, (list = []));
          list.push(span);
        }
        for (const [traceId, updatedAtMs, pinned] of record.meta.traces) {
          const traceSpans = byTrace.get(traceId);
          if (traceSpans === undefined) continue;
          store.add(traceSpans, { atMs: updatedAtMs });
          if (pinned) store.setPinned(traceId, true);
        }
        return unreadable;
      }
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

  /* ---- StoreJournal: every change, written before the store call returns ---- */

  spansAdded(spans: readonly Span[], atMs: number, source: SpanSource | undefined): void {
    this.flushEvictions();
    if (source && source.bytes.length <= MAX_BODY_BYTES) {
      this.write('source', { format: source.format, atMs, receivedAtMs: source.receivedAtMs }, source.bytes);
      return;
    }
    const batch: FrozenTrace = { traceId: '', updatedAtMs: atMs, pinned: false, spans: [...spans] };
    for (const run of spanRuns([batch])) {
      for (const part of this.encodeWithin(run.spans)) this.write('spans', { atMs, ingestBytes: part.ingestBytes }, part.body);
    }
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

  private write<K extends RecordKind>(kind: K, meta: RecordMetas[K], body?: Uint8Array): void {
    const log = this.log;
    if (log === undefined || this.state.status !== 'on') return;
    try {
      const written = log.append(encodeRecord(kind, meta, body));
      this.tailBytes += written;
      this.logs[this.logs.length - 1].size = log.size;
    } catch (error) {
      this.turnOff(`traces can no longer be kept in ${this.options.dataDir}: ${(error as Error).message}. What was kept so far is restored at the next start; newer traces are in memory only.`);
      return;
    }
    this.maybeCompact();
  }

  /* ---- compaction ---- */

  private compactAt(): number {
    return Math.max(this.compactFloor, Math.min(Math.max(this.snapshot?.size ?? 0, MIN_COMPACT_BYTES), this.options.maxDiskBytes / DISK_SHARES));
  }

  private maybeCompact(): void {
    if (this.compacting || this.closed || this.tailBytes < this.compactAt()) return;
    this.compacting = nextTick().then(() => this.runCompaction());
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
      this.compactFloor = this.tailBytes + this.compactAt();
      if (this.state.status === 'on') this.options.log('warn', `the journal in ${this.options.dataDir} could not be compacted: ${(error as Error).message}; it will be tried again later`);
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

  private async writeSnapshot(): Promise<void> {
    this.evictBeyondDiskLimit();
    this.flushEvictions();
    const frozen: FrozenTrace[] = [];
    let approxBytes = 0;
    for (const entry of this.store.entries()) {
      frozen.push({ traceId: entry.traceId, updatedAtMs: entry.updatedAtMs, pinned: entry.pinned, spans: [...entry.spans.values()] });
      approxBytes += entry.approxBytes;
    }
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

    const partial = join(dataDir, fileName(generation, 'snapshot', true));
    const final = join(dataDir, fileName(generation, 'snapshot'));
    const fd = openSync(partial, 'wx', 0o600);
    let fdOpen = true;
    let size = 0;
    const writeRecord = (buffers: Uint8Array[]) => {
      const length = buffers.reduce((sum, buffer) => sum + buffer.length, 0);
      if (writevSync(fd, buffers) !== length) throw new Error(`${partial}: a write was cut short`);
      size += length;
    };
    let finished = false;
    try {
      writeRecord(encodeRecord('file', { format: JOURNAL_FORMAT, version: JOURNAL_VERSION, role: 'snapshot', generation }));
      let spanTotal = 0;
      for (const run of spanRuns(frozen)) {
        for (const part of this.encodeWithin(run.spans)) {
          const inPart = new Set(part.spans.map((span) => span.traceId));
          const traces: SnapshotTrace[] = run.traces.filter((trace) => inPart.has(trace.traceId)).map((trace) => [trace.traceId, trace.updatedAtMs, trace.pinned ? 1 : 0]);
          writeRecord(encodeRecord('traces', { traces, ingestBytes: part.ingestBytes }, part.body));
          spanTotal += part.spans.length;
        }
        // Yield between records: the listener keeps answering while a snapshot is written.
        await nextTick();
        if (this.closed) throw new Error('the inspector is stopping');
      }
      writeRecord(encodeRecord('snapshotEnd', { traces: frozen.length, spans: spanTotal }));
      await new Promise<void>((resolve, reject) => fdatasync(fd, (error) => (error ? reject(error) : resolve())));
      closeSync(fd);
      fdOpen = false;
      renameSync(partial, final);
      finished = true;
    } finally {
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
    if (approxBytes > 0) this.bytesPerSpanByte = Math.max(0.1, size / approxBytes);
    await previousLogClosed;
    for (const file of [...replaced.logs, ...(replaced.snapshot ? [replaced.snapshot] : [])]) unlinkSync(file.path);
    syncDirectory(dataDir);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
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

/** Makes file creations, renames and removals in `dir` durable; not every platform can open a folder for it. */
function syncDirectory(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // Windows cannot open a folder this way, and makes its entries durable itself.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * Opens the journal of `store` in `options.dataDir`: replays what the folder
 * holds into the store, then journals every later change. Never throws: when
 * the folder cannot be used (another inspector holds it, it cannot be
 * written), `state` says why and the store works in memory only.
 */
export function openPersistence(store: TraceStore, options: PersistOptions): Persistence {
  const journal = new DiskJournal(store, options);
  journal.open();
  return journal;
}
