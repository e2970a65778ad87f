/**
 * The records of a journal file: one table from record kind to its code on
 * disk and the check of its JSON meta. A kind's code is never reused; a
 * reader skips (and reports) kinds it does not know, so later versions can add
 * kinds (log records, say) without breaking earlier readers' files.
 */

import { SPAN_SOURCE_FORMATS, type SpanSourceFormat } from '../../core/spanSource';
import { frameHeader } from './frames';

/** Written in every file's first record; a file of a later version is not read. */
export const JOURNAL_FORMAT = 'respan-trace-inspector journal';
export const JOURNAL_VERSION = 1;

/** Whether a file holds the changes since a snapshot, or a snapshot. */
export type FileRole = 'log' | 'snapshot';

/** The meta of each record kind. */
export interface RecordMetas {
  /** First record of every file. */
  file: { format: string; version: number; role: FileRole; generation: number };
  /** A request body as received; its spans are what it decodes to. */
  source: { format: SpanSourceFormat; atMs: number; receivedAtMs: number };
  /**
   * Spans added without their request body, as an OTLP protobuf export
   * request; the last `ingestBytes` of the body are a second request holding
   * the spans that came through the Respan ingest API.
   */
  spans: { atMs: number; ingestBytes: number };
  pin: { traceId: string; pinned: boolean };
  delete: { traceId: string };
  clear: Record<string, never>;
  evict: { traceIds: string[] };
  /** First record of a snapshot after `file`: the traces that were pinned. The snapshot's spans follow, in the order they were added. */
  pinned: { traceIds: string[] };
  /**
   * In a snapshot after `pinned`: the runs of its spans, so spans replayed
   * (and spans the same processes send later) join the runs they had, whatever
   * the snapshot no longer holds (the run's first span, say).
   */
  runs: { runs: RunMeta[] };
  /** The last record of a complete snapshot. */
  snapshotEnd: { traces: number; spans: number };
}

/** One run of a `runs` record. */
export interface RunMeta {
  key: string;
  id: string;
  label: string;
  service: string;
  firstSeenMs: number;
}

/** Characters a run's key, id, label or service may have on disk (the registry keeps them far shorter). */
const MAX_RUN_TEXT = 4096;

/** A record kind. */
export type RecordKind = keyof RecordMetas;

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const isTime = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);
const isCount = (value: unknown): value is number => typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
const isTraceId = (value: unknown): value is string => typeof value === 'string' && /^[0-9a-f]{32}$/.test(value);
const isRunText = (value: unknown): value is string => typeof value === 'string' && value.length <= MAX_RUN_TEXT;
const isRun = (value: unknown): value is RunMeta =>
  isObject(value) && isRunText(value.key) && isRunText(value.id) && isRunText(value.label) && isRunText(value.service) && isTime(value.firstSeenMs);

/** Meta check of each kind: true when `meta` (parsed JSON) has the kind's shape. `bodyLength` bounds what meta may say of the body. */
const RECORD_TABLE: { readonly [K in RecordKind]: { readonly code: number; readonly check: (meta: Record<string, unknown>, bodyLength: number) => boolean } } = {
  file: { code: 1, check: (m) => typeof m.format === 'string' && isCount(m.version) && (m.role === 'log' || m.role === 'snapshot') && isCount(m.generation) },
  source: { code: 2, check: (m) => typeof m.format === 'string' && Object.hasOwn(SPAN_SOURCE_FORMATS, m.format) && isTime(m.atMs) && isTime(m.receivedAtMs) },
  spans: { code: 3, check: (m, body) => isTime(m.atMs) && isCount(m.ingestBytes) && m.ingestBytes <= body },
  pin: { code: 4, check: (m) => isTraceId(m.traceId) && typeof m.pinned === 'boolean' },
  delete: { code: 5, check: (m) => isTraceId(m.traceId) },
  clear: { code: 6, check: () => true },
  evict: { code: 7, check: (m) => Array.isArray(m.traceIds) && m.traceIds.every(isTraceId) },
  pinned: { code: 8, check: (m) => Array.isArray(m.traceIds) && m.traceIds.every(isTraceId) },
  snapshotEnd: { code: 9, check: (m) => isCount(m.traces) && isCount(m.spans) },
  runs: { code: 10, check: (m) => Array.isArray(m.runs) && m.runs.every(isRun) },
};

const KIND_OF_CODE = new Map<number, RecordKind>(Object.entries(RECORD_TABLE).map(([kind, entry]) => [entry.code, kind as RecordKind]));

const EMPTY = new Uint8Array(0);

/** The buffers of one record, to write in one go (header, meta, body). */
export function encodeRecord<K extends RecordKind>(kind: K, meta: RecordMetas[K], body: Uint8Array = EMPTY): Uint8Array[] {
  const metaBytes = Buffer.from(JSON.stringify(meta));
  const header = frameHeader(RECORD_TABLE[kind].code, metaBytes, body);
  return body.length > 0 ? [header, metaBytes, body] : [header, metaBytes];
}

/** A record read back and checked. */
export type DecodedRecord = { [K in RecordKind]: { kind: K; meta: RecordMetas[K]; body: Uint8Array } }[RecordKind];

/** The record with kind code `code`, or why it cannot be used (an unknown kind, a meta of the wrong shape). */
export function decodeRecord(code: number, meta: Uint8Array, body: Uint8Array): DecodedRecord | string {
  const kind = KIND_OF_CODE.get(code);
  if (kind === undefined) return `a record of kind ${code}, unknown to this version`;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(meta.buffer, meta.byteOffset, meta.length).toString('utf8'));
  } catch {
    return `a ${kind} record whose meta is not JSON`;
  }
  if (!isObject(parsed) || !RECORD_TABLE[kind].check(parsed, body.length)) return `a ${kind} record of the wrong shape`;
  return { kind, meta: parsed, body } as DecodedRecord;
}
