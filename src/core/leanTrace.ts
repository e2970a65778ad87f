/**
 * The lean binary form of a trace: only what the waterfall's rows and bars
 * need (structure, ids, names, services, models, status messages, kinds,
 * error flags, times), about a tenth of the JSON form's bytes. Strings are
 * sent once and referred to by number; numbers are binary, little-endian.
 *
 * Layout (version 1):
 * - header: magic `RTIL`, u16 version, u16 zero, u32 span count, u32 head
 *   length, f64 origin (earliest start, epoch ms), then the head: UTF-8 JSON
 *   the producer chose (the query API puts the trace's summary and logs there);
 * - chunks until every span is sent: u32 count of new strings, each as u32
 *   byte length + UTF-8 (numbered on from the previous chunk's), u32 span
 *   count, then one {@link RECORD_BYTES}-byte record per span, in start order.
 *
 * Produced chunk by chunk, so a server can yield between chunks; decoded
 * with every length and reference checked, so a truncated or hostile body
 * gives a {@link LeanTraceError}, never a huge allocation or a wrong tree.
 */

import { DISPLAY_KINDS, type DisplayKind } from './model';
import type { TraceTree } from './store';

/** Version of the layout this module writes and reads. */
export const LEAN_TRACE_VERSION = 1;
/** Media type of the lean form over HTTP. */
export const LEAN_TRACE_MEDIA_TYPE = 'application/octet-stream';
/** Spans per chunk: small enough that a chunk is quick to build, large enough that chunks are few. */
export const LEAN_CHUNK_SPANS = 4096;

/** `RTIL` read as a little-endian u32. */
const MAGIC = 0x4c495452;
const HEADER_BYTES = 24;
/** parent i32, spanId/name/service/model/status string refs u32, start f64, duration f64, kind u8, flags u8, 2 padding. */
const RECORD_BYTES = 44;
/** A string reference meaning "none" (service and model only). */
const NO_STRING = 0xffffffff;
const FLAG_ERROR = 1;

/** The decoded lean form: one entry per span in start order, the columns the waterfall's index is built from. */
export interface LeanTrace {
  /** The head's JSON text, as the producer wrote it. */
  head: string;
  count: number;
  /** Earliest start, epoch ms (0 for an empty trace). */
  originMs: number;
  /** Parent's position, or -1 for roots (true roots and orphans). */
  parent: Int32Array;
  /** Start relative to {@link originMs}, ms. */
  startMs: Float64Array;
  durationMs: Float64Array;
  /** 1 where the span is an error. */
  isError: Uint8Array;
  displayKind: DisplayKind[];
  spanId: string[];
  name: string[];
  service: (string | null)[];
  model: (string | null)[];
  statusMessage: string[];
}

/** A lean body that is truncated, of another version, or inconsistent. */
export class LeanTraceError extends Error {
  constructor(message: string) {
    super(`lean trace body: ${message}`);
    this.name = 'LeanTraceError';
  }
}

interface Utf8Codec {
  encode(text: string): Uint8Array;
  decode(bytes: Uint8Array): string;
}
/* `TextEncoder`/`TextDecoder` exist in every runtime core runs in, but not in core's ES2022 lib. */
const globals = globalThis as unknown as { TextEncoder: new () => Pick<Utf8Codec, 'encode'>; TextDecoder: new (label: 'utf-8', options: { fatal: boolean }) => Pick<Utf8Codec, 'decode'> };
const encoder = new globals.TextEncoder();
const decoder = new globals.TextDecoder('utf-8', { fatal: false });

/**
 * The lean form of `tree`, as a sequence of chunks (the header first). Each
 * chunk is built only when asked for, so a caller that yields between chunks
 * never holds the event loop for the whole trace.
 */
export function* encodeLeanTrace(tree: TraceTree, headJson: string, spansPerChunk = LEAN_CHUNK_SPANS): Generator<Uint8Array> {
  const spans = tree.spans;
  const count = spans.length;
  const originMs = count > 0 ? spans[0].startTimeMs : 0;
  const head = encoder.encode(headJson);
  const header = new Uint8Array(HEADER_BYTES + head.length);
  const view = new DataView(header.buffer);
  view.setUint32(0, MAGIC, true);
  view.setUint16(4, LEAN_TRACE_VERSION, true);
  view.setUint32(8, count, true);
  view.setUint32(12, head.length, true);
  view.setFloat64(16, originMs, true);
  header.set(head, HEADER_BYTES);
  yield header;

  const position = new Map<string, number>();
  for (let i = 0; i < count; i++) position.set(spans[i].spanId, i);
  const strings = new Map<string, number>();
  for (let from = 0; from < count; from += spansPerChunk) {
    const to = Math.min(count, from + spansPerChunk);
    const fresh: Uint8Array[] = [];
    let freshBytes = 0;
    const ref = (text: string): number => {
      let id = strings.get(text);
      if (id === undefined) {
        strings.set(text, (id = strings.size));
        const bytes = encoder.encode(text);
        fresh.push(bytes);
        freshBytes += 4 + bytes.length;
      }
      return id;
    };
    const refs = new Uint32Array((to - from) * 5);
    for (let i = from, k = 0; i < to; i++, k += 5) {
      const span = spans[i];
      refs[k] = ref(span.spanId);
      refs[k + 1] = ref(span.name);
      refs[k + 2] = span.derived.service === undefined ? NO_STRING : ref(span.derived.service);
      refs[k + 3] = span.derived.model === undefined ? NO_STRING : ref(span.derived.model);
      refs[k + 4] = ref(span.status.message);
    }
    const chunk = new Uint8Array(4 + freshBytes + 4 + (to - from) * RECORD_BYTES);
    const out = new DataView(chunk.buffer);
    let at = 0;
    out.setUint32(at, fresh.length, true);
    at += 4;
    for (const bytes of fresh) {
      out.setUint32(at, bytes.length, true);
      chunk.set(bytes, at + 4);
      at += 4 + bytes.length;
    }
    out.setUint32(at, to - from, true);
    at += 4;
    for (let i = from, k = 0; i < to; i++, k += 5, at += RECORD_BYTES) {
      const span = spans[i];
      const parentId = span.parentSpanId;
      const parent = parentId === null || tree.orphans.has(span.spanId) ? -1 : (position.get(parentId) ?? -1);
      out.setInt32(at, parent, true);
      for (let r = 0; r < 5; r++) out.setUint32(at + 4 + r * 4, refs[k + r], true);
      out.setFloat64(at + 24, span.startTimeMs - originMs, true);
      out.setFloat64(at + 32, span.durationMs, true);
      out.setUint8(at + 40, DISPLAY_KINDS.indexOf(span.derived.displayKind));
      out.setUint8(at + 41, span.derived.isError ? FLAG_ERROR : 0);
    }
    yield chunk;
  }
}

/** Decodes a whole lean body; throws {@link LeanTraceError} on anything but a complete, consistent one. */
export function decodeLeanTrace(body: Uint8Array): LeanTrace {
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  let at = 0;
  const need = (bytes: number, what: string) => {
    if (at + bytes > body.byteLength) throw new LeanTraceError(`truncated at byte ${at} (reading ${what})`);
  };
  need(HEADER_BYTES, 'the header');
  if (view.getUint32(0, true) !== MAGIC) throw new LeanTraceError('not a lean trace (wrong magic number)');
  const version = view.getUint16(4, true);
  if (version !== LEAN_TRACE_VERSION) throw new LeanTraceError(`version ${version}, this inspector reads version ${LEAN_TRACE_VERSION}`);
  const count = view.getUint32(8, true);
  const headBytes = view.getUint32(12, true);
  const originMs = view.getFloat64(16, true);
  at = HEADER_BYTES;
  // Every span takes a record: a count the body cannot hold is refused before anything is allocated for it.
  if (count > (body.byteLength - HEADER_BYTES) / RECORD_BYTES) throw new LeanTraceError(`claims ${count} spans, more than its ${body.byteLength} bytes can hold`);
  need(headBytes, 'the head');
  const head = decoder.decode(body.subarray(at, at + headBytes));
  at += headBytes;

  const trace: LeanTrace = {
    head,
    count,
    originMs,
    parent: new Int32Array(count),
    startMs: new Float64Array(count),
    durationMs: new Float64Array(count),
    isError: new Uint8Array(count),
    displayKind: new Array<DisplayKind>(count),
    spanId: new Array<string>(count),
    name: new Array<string>(count),
    service: new Array<string | null>(count),
    model: new Array<string | null>(count),
    statusMessage: new Array<string>(count),
  };
  const strings: string[] = [];
  const text = (offset: number, what: string, optional: boolean): string | null => {
    const id = view.getUint32(offset, true);
    if (optional && id === NO_STRING) return null;
    if (id >= strings.length) throw new LeanTraceError(`span ${what} refers to string ${id}, only ${strings.length} were sent`);
    return strings[id];
  };
  let done = 0;
  while (done < count) {
    need(4, 'a chunk');
    const fresh = view.getUint32(at, true);
    at += 4;
    for (let s = 0; s < fresh; s++) {
      need(4, 'a string length');
      const length = view.getUint32(at, true);
      at += 4;
      need(length, 'a string');
      strings.push(decoder.decode(body.subarray(at, at + length)));
      at += length;
    }
    need(4, 'a chunk span count');
    const inChunk = view.getUint32(at, true);
    at += 4;
    if (inChunk === 0 || inChunk > count - done) throw new LeanTraceError(`a chunk of ${inChunk} spans after ${done} of ${count}`);
    need(inChunk * RECORD_BYTES, 'span records');
    for (let i = done, end = done + inChunk; i < end; i++, at += RECORD_BYTES) {
      const parent = view.getInt32(at, true);
      if (parent < -1 || parent >= count || parent === i) throw new LeanTraceError(`span ${i} has parent ${parent}`);
      trace.parent[i] = parent;
      trace.spanId[i] = text(at + 4, 'id', false)!;
      trace.name[i] = text(at + 8, 'name', false)!;
      trace.service[i] = text(at + 12, 'service', true);
      trace.model[i] = text(at + 16, 'model', true);
      trace.statusMessage[i] = text(at + 20, 'status message', false)!;
      trace.startMs[i] = view.getFloat64(at + 24, true);
      trace.durationMs[i] = view.getFloat64(at + 32, true);
      const kind = view.getUint8(at + 40);
      if (kind >= DISPLAY_KINDS.length) throw new LeanTraceError(`span ${i} has display kind ${kind}`);
      trace.displayKind[i] = DISPLAY_KINDS[kind];
      trace.isError[i] = view.getUint8(at + 41) & FLAG_ERROR;
    }
    done += inChunk;
  }
  if (at !== body.byteLength) throw new LeanTraceError(`${body.byteLength - at} bytes after the last span`);
  return trace;
}
