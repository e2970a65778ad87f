/**
 * The lean binary form of a trace: only what the waterfall's rows and bars
 * need (structure, ids, names, services, models, status messages, kinds,
 * error and orphan flags, times), about a tenth of the JSON form's bytes.
 *
 * Spans come in tree order (pre-order: each root, then its subtree, children
 * by start time), with each span's parent as the position of a span sent
 * before it. The tree is the server's (roots, orphans and loop breakers
 * decided once, in `TraceStore.tree`): a reader takes it as it is, cannot
 * meet a loop, and can show the first rows from the first chunk.
 *
 * Layout (version 2), little-endian, every column 8-byte aligned from the
 * start of the body:
 * - header: magic `RTIL`, u16 version, u16 zero, u32 span count, u32 head
 *   length, f64 origin (earliest start, epoch ms), then the head (UTF-8 JSON
 *   the producer chose: the service puts the trace's summary and logs there),
 *   padded to 8;
 * - chunks until every span is sent: u32 span count n, u32 byte length of
 *   the chunk's text, the text (a UTF-8 JSON array of strings: the n span
 *   ids, then the chunk's new strings, numbered on from the previous chunk's),
 *   padding to 8, then the columns: f64 start (ms after the origin) ×n, f64
 *   duration ×n, i32 parent ×n, u32 string refs ×n each for name, service,
 *   model, status message, u8 display kind ×n, u8 flags ×n, padding to 8.
 *   Span ids are unique, so they are sent as they are rather than through
 *   the string table; names, services and models repeat.
 *
 * Produced chunk by chunk, so a producer can yield between chunks; decoded
 * with every length and reference checked, so a truncated or hostile body
 * gives a {@link LeanTraceError}, never a huge allocation, a loop or a wrong
 * tree.
 */

import { DISPLAY_KINDS, type DisplayKind } from './model';
import { runToEnd } from './steps';
import { TREE_STEP_SPANS, type TraceTree } from './store';

/** Version of the layout this module writes and reads. */
export const LEAN_TRACE_VERSION = 2;
/** Traces with at least this many spans open in the lean form and stay in it (smaller ones are then taken whole as JSON). */
export const LEAN_FORM_MIN_SPANS = 2000;
/** Spans per chunk: small enough that a chunk is quick to build, large enough that chunks are few. */
export const LEAN_CHUNK_SPANS = 2048;

/** `RTIL` read as a little-endian u32. */
const MAGIC = 0x4c495452;
const HEADER_BYTES = 24;
/** String references per span: name, service, model, status message. */
const REFS = 4;
/** Bytes per span in a chunk's columns: start, duration, parent, the refs, kind, flags. */
const SPAN_BYTES = 8 + 8 + 4 + 4 * REFS + 1 + 1;
/** A string reference meaning "none" (service and model only). */
const NO_STRING = 0xffffffff;
const FLAG_ERROR = 1;
const FLAG_ORPHAN = 2;
const KIND_CODES = new Map<DisplayKind, number>(DISPLAY_KINDS.map((kind, code) => [kind, code]));

/** The decoded lean form: one entry per span in tree order, the columns the waterfall's index is built from. */
export interface LeanTrace {
  /** The head's JSON text, as the producer wrote it. */
  head: string;
  count: number;
  /** Earliest start, epoch ms (0 for an empty trace). */
  originMs: number;
  /** Parent's position (always before the span), or -1 for roots (true roots and orphans). */
  parent: Int32Array;
  /** 1 where a root carries a parent id the trace does not resolve (missing parent, or a loop broken there). */
  orphan: Uint8Array;
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
const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

const padded = (bytes: number) => (bytes + 7) & ~7;

/** The spans of a lean body, encoded: its chunks, span count and origin, without the header (see {@link leanTraceHeader}). */
export interface LeanSpans {
  count: number;
  originMs: number;
  chunks: Uint8Array[];
  /** Bytes of {@link chunks}. */
  byteLength: number;
}

/** A trace's spans in tree order, with each one's parent position (-1 for roots). */
export interface TreeOrder {
  order: TraceTree['spans'];
  parent: Int32Array;
}

/** The spans of `tree` in tree order (see {@link treeOrderInSteps}), in one go. */
export function treeOrder(tree: TraceTree): TreeOrder {
  return runToEnd(treeOrderInSteps(tree));
}

/** The spans of `tree` in tree order, pausing every {@link TREE_STEP_SPANS} spans of work (100,000 spans take about 0.1 s in all). */
export function* treeOrderInSteps(tree: TraceTree): Generator<void, TreeOrder> {
  const { spans, orphans } = tree;
  const count = spans.length;
  const position = new Map<string, number>();
  for (let i = 0; i < count; i++) {
    position.set(spans[i].spanId, i);
    if (i % TREE_STEP_SPANS === TREE_STEP_SPANS - 1) yield;
  }
  // Parents by start-order position, as the tree decided them (orphans and loop breakers are roots).
  const parentAt = new Int32Array(count);
  const childStart = new Int32Array(count + 1);
  for (let i = 0; i < count; i++) {
    const parentId = spans[i].parentSpanId;
    const at = parentId === null || orphans.has(spans[i].spanId) ? -1 : (position.get(parentId) ?? -1);
    parentAt[i] = at;
    if (at >= 0) childStart[at + 1]++;
    if (i % TREE_STEP_SPANS === TREE_STEP_SPANS - 1) yield;
  }
  for (let i = 0; i < count; i++) childStart[i + 1] += childStart[i];
  const childList = new Int32Array(childStart[count]);
  const fill = childStart.slice(0, count);
  for (let i = 0; i < count; i++) if (parentAt[i] >= 0) childList[fill[parentAt[i]]++] = i;
  // Pre-order walk: roots and children in start order.
  const order: TraceTree['spans'] = new Array(count);
  const parent = new Int32Array(count);
  const placed = new Int32Array(count);
  const stack = new Int32Array(count);
  let top = 0;
  for (let i = count - 1; i >= 0; i--) if (parentAt[i] < 0) stack[top++] = i;
  let next = 0;
  while (top > 0) {
    const i = stack[--top];
    placed[i] = next;
    parent[next] = parentAt[i] < 0 ? -1 : placed[parentAt[i]];
    order[next++] = spans[i];
    if (next % TREE_STEP_SPANS === 0) yield;
    for (let c = childStart[i + 1] - 1; c >= childStart[i]; c--) stack[top++] = childList[c];
  }
  return { order, parent };
}

/**
 * The spans of `tree` as chunks, each built only when asked for, so a caller
 * that yields between chunks never holds the event loop for the whole trace.
 */
export function* encodeLeanSpans(tree: TraceTree, ordered = treeOrder(tree), spansPerChunk = LEAN_CHUNK_SPANS): Generator<Uint8Array> {
  const { order, parent } = ordered;
  const count = order.length;
  const originMs = tree.spans.length > 0 ? tree.spans[0].startTimeMs : 0;
  const strings = new Map<string, number>();
  for (let from = 0; from < count; from += spansPerChunk) {
    const n = Math.min(count, from + spansPerChunk) - from;
    // The chunk's text: its span ids, then the strings it is the first to use.
    const text: string[] = new Array(n);
    const refs = new Uint32Array(n * REFS);
    for (let i = 0; i < n; i++) {
      const span = order[from + i];
      text[i] = span.spanId;
      const { service, model } = span.derived;
      for (let r = 0; r < REFS; r++) {
        const value = r === 0 ? span.name : r === 1 ? service : r === 2 ? model : span.status.message;
        if (value === undefined) {
          refs[r * n + i] = NO_STRING;
          continue;
        }
        let id = strings.get(value);
        if (id === undefined) {
          strings.set(value, (id = strings.size));
          text.push(value);
        }
        refs[r * n + i] = id;
      }
    }
    const textBytes = encoder.encode(JSON.stringify(text));
    const columnsAt = padded(8 + textBytes.length);
    const chunk = new Uint8Array(columnsAt + padded(n * SPAN_BYTES));
    const view = new DataView(chunk.buffer);
    view.setUint32(0, n, true);
    view.setUint32(4, textBytes.length, true);
    chunk.set(textBytes, 8);
    const start = new Float64Array(chunk.buffer, columnsAt, n);
    const duration = new Float64Array(chunk.buffer, columnsAt + 8 * n, n);
    const parents = new Int32Array(chunk.buffer, columnsAt + 16 * n, n);
    new Uint32Array(chunk.buffer, columnsAt + 20 * n, REFS * n).set(refs);
    const kind = new Uint8Array(chunk.buffer, columnsAt + (20 + 4 * REFS) * n, n);
    const flags = new Uint8Array(chunk.buffer, columnsAt + (21 + 4 * REFS) * n, n);
    for (let i = 0; i < n; i++) {
      const span = order[from + i];
      start[i] = span.startTimeMs - originMs;
      duration[i] = span.durationMs;
      parents[i] = parent[from + i];
      kind[i] = KIND_CODES.get(span.derived.displayKind)!;
      flags[i] = (span.derived.isError ? FLAG_ERROR : 0) | (tree.orphans.has(span.spanId) ? FLAG_ORPHAN : 0);
    }
    yield chunk;
  }
}

/** The header of a lean body of `spans` with the head `headJson`. */
export function leanTraceHeader(spans: Pick<LeanSpans, 'count' | 'originMs'>, headJson: string): Uint8Array {
  const head = encoder.encode(headJson);
  const header = new Uint8Array(padded(HEADER_BYTES + head.length));
  const view = new DataView(header.buffer);
  view.setUint32(0, MAGIC, true);
  view.setUint16(4, LEAN_TRACE_VERSION, true);
  view.setUint32(8, spans.count, true);
  view.setUint32(12, head.length, true);
  view.setFloat64(16, spans.originMs, true);
  header.set(head, HEADER_BYTES);
  return header;
}

/** A whole lean body: the header, then the spans' chunks. */
export function joinLeanTrace(spans: LeanSpans, headJson: string): Uint8Array {
  const header = leanTraceHeader(spans, headJson);
  const body = new Uint8Array(header.length + spans.byteLength);
  body.set(header, 0);
  let at = header.length;
  for (const chunk of spans.chunks) {
    body.set(chunk, at);
    at += chunk.length;
  }
  return body;
}

/** The lean body of `tree` in one go (tests, and callers with small trees). */
export function encodeLeanTrace(tree: TraceTree, headJson: string, spansPerChunk?: number): Uint8Array {
  const chunks = [...encodeLeanSpans(tree, treeOrder(tree), spansPerChunk)];
  const originMs = tree.spans.length > 0 ? tree.spans[0].startTimeMs : 0;
  return joinLeanTrace({ count: tree.spans.length, originMs, chunks, byteLength: chunks.reduce((sum, chunk) => sum + chunk.length, 0) }, headJson);
}

/** Decodes a whole lean body; throws {@link LeanTraceError} on anything but a complete, consistent one. */
export function decodeLeanTrace(input: Uint8Array): LeanTrace {
  const reader = new LeanTraceReader(input.byteLength);
  reader.push(input);
  return reader.finish();
}

/**
 * Decodes a lean body as its bytes arrive, in slices split anywhere: each
 * complete chunk's spans are readable at once ({@link spans} of
 * {@link trace}, tree order, so every parent is among them), and
 * {@link finish} checks that the body ended where it should. Columns grow
 * with the spans received, so a count the body does not back allocates
 * nothing for it.
 */
export class LeanTraceReader {
  /** The trace so far: its first {@link spans} spans are decoded (its columns grow as more arrive); null until the head arrived. */
  trace: LeanTrace | null = null;
  /** Spans decoded so far. */
  spans = 0;
  /** Bytes received and not yet decoded, from offset 0 (8-aligned, as in the body). */
  private buffer = new Uint8Array(0);
  private filled = 0;
  /** Bytes of the body before {@link buffer}'s start. */
  private consumed = 0;
  private readonly strings: string[] = [];

  /** `totalBytes`: the body's length when known (a whole body, a sized answer); a span count it cannot hold is refused at once. */
  constructor(private readonly totalBytes?: number) {
    if (!littleEndian) throw new LeanTraceError('this machine is big-endian; the lean form is read on little-endian machines only');
  }

  /** Takes the next bytes of the body; decodes what they complete. */
  push(bytes: Uint8Array): void {
    if (this.filled + bytes.length > this.buffer.length) {
      const grown = new Uint8Array(Math.max(this.filled + bytes.length, 2 * this.buffer.length));
      grown.set(this.buffer.subarray(0, this.filled));
      this.buffer = grown;
    }
    this.buffer.set(bytes, this.filled);
    this.filled += bytes.length;
    let used = 0;
    for (let step = this.decodeFrom(used); step > 0; step = this.decodeFrom(used)) used += step;
    if (used > 0) {
      this.buffer.copyWithin(0, used, this.filled);
      this.filled -= used;
      this.consumed += used;
    }
  }

  /** The whole trace, once the body ended: throws {@link LeanTraceError} unless it ended exactly after its last span. */
  finish(): LeanTrace {
    const trace = this.trace;
    const at = this.consumed;
    if (trace === null) throw new LeanTraceError(`truncated at byte ${at} (reading ${this.filled < HEADER_BYTES ? 'the header' : 'the head'})`);
    if (this.spans < trace.count) throw new LeanTraceError(`truncated at byte ${at} (reading ${this.filled < 8 ? 'a chunk' : 'span columns'})`);
    if (this.filled > 0) throw new LeanTraceError(`${this.filled} bytes after the last span`);
    return trace;
  }

  /** Decodes the unit (header and head, or a chunk) at `at` of the buffer if it is all there; the bytes it took, or 0. */
  private decodeFrom(at: number): number {
    const available = this.filled - at;
    const view = new DataView(this.buffer.buffer, at, available);
    if (this.trace === null) {
      if (available < HEADER_BYTES) return 0;
      if (view.getUint32(0, true) !== MAGIC) throw new LeanTraceError('not a lean trace (wrong magic number)');
      const version = view.getUint16(4, true);
      if (version !== LEAN_TRACE_VERSION) throw new LeanTraceError(`version ${version}, this inspector reads version ${LEAN_TRACE_VERSION}`);
      const count = view.getUint32(8, true);
      const headBytes = view.getUint32(12, true);
      // Every span takes its columns: a count the body cannot hold is refused before anything is allocated for it.
      if (this.totalBytes !== undefined && count > (this.totalBytes - HEADER_BYTES) / SPAN_BYTES) throw new LeanTraceError(`claims ${count} spans, more than its ${this.totalBytes} bytes can hold`);
      const unit = padded(HEADER_BYTES + headBytes);
      if (available < unit) return 0;
      this.trace = emptyTrace(decoder.decode(this.buffer.subarray(at + HEADER_BYTES, at + HEADER_BYTES + headBytes)), count, view.getFloat64(16, true));
      return unit;
    }
    const trace = this.trace;
    const done = this.spans;
    if (done >= trace.count || available < 8) return 0;
    const n = view.getUint32(0, true);
    const textBytes = view.getUint32(4, true);
    if (n === 0 || n > trace.count - done) throw new LeanTraceError(`a chunk of ${n} spans after ${done} of ${trace.count}`);
    const columnsAt = padded(8 + textBytes);
    const unit = columnsAt + padded(n * SPAN_BYTES);
    if (available < unit) return 0;
    const text = chunkText(this.buffer.subarray(at + 8, at + 8 + textBytes), n);
    const strings = this.strings;
    for (let k = n; k < text.length; k++) strings.push(text[k]);
    const base = at + columnsAt;
    const buffer = this.buffer.buffer;
    const parents = new Int32Array(buffer, base + 16 * n, n);
    const refs = new Uint32Array(buffer, base + 20 * n, REFS * n);
    const kinds = new Uint8Array(buffer, base + (20 + 4 * REFS) * n, n);
    const flags = new Uint8Array(buffer, base + (21 + 4 * REFS) * n, n);
    const known = strings.length;
    for (let k = 0; k < REFS * n; k++) {
      const ref = refs[k];
      // Only service and model (the middle two) may be absent.
      if (ref >= known && !(ref === NO_STRING && k >= n && k < 3 * n)) throw new LeanTraceError(`span ${done + (k % n)} ${REF_NAMES[Math.floor(k / n)]} refers to string ${ref}, only ${known} were sent`);
    }
    for (let i = 0; i < n; i++) {
      // A parent is always sent before its child: no loop can be written.
      if (parents[i] < -1 || parents[i] >= done + i) throw new LeanTraceError(`span ${done + i} has parent ${parents[i]}`);
      if (kinds[i] >= DISPLAY_KINDS.length) throw new LeanTraceError(`span ${done + i} has display kind ${kinds[i]}`);
    }
    reserve(trace, done + n);
    trace.startMs.set(new Float64Array(buffer, base, n), done);
    trace.durationMs.set(new Float64Array(buffer, base + 8 * n, n), done);
    for (let i = 0; i < n; i++) {
      const position = done + i;
      const parent = parents[i];
      trace.spanId[position] = text[i];
      trace.parent[position] = parent;
      trace.displayKind[position] = DISPLAY_KINDS[kinds[i]];
      trace.isError[position] = flags[i] & FLAG_ERROR;
      trace.orphan[position] = parent === -1 && (flags[i] & FLAG_ORPHAN) !== 0 ? 1 : 0;
      trace.name[position] = strings[refs[i]];
      const service = refs[n + i];
      trace.service[position] = service === NO_STRING ? null : strings[service];
      const model = refs[2 * n + i];
      trace.model[position] = model === NO_STRING ? null : strings[model];
      trace.statusMessage[position] = strings[refs[3 * n + i]];
    }
    this.spans = done + n;
    return unit;
  }
}

/** Spans the columns first take room for. */
const FIRST_CAPACITY = LEAN_CHUNK_SPANS;

function emptyTrace(head: string, count: number, originMs: number): LeanTrace {
  const room = Math.min(count, FIRST_CAPACITY);
  return {
    head,
    count,
    originMs,
    parent: new Int32Array(room),
    orphan: new Uint8Array(room),
    startMs: new Float64Array(room),
    durationMs: new Float64Array(room),
    isError: new Uint8Array(room),
    displayKind: new Array<DisplayKind>(room),
    spanId: new Array<string>(room),
    name: new Array<string>(room),
    service: new Array<string | null>(room),
    model: new Array<string | null>(room),
    statusMessage: new Array<string>(room),
  };
}

/** Grows `trace`'s typed columns to hold `spans` spans (doubling, at most its count); plain arrays grow by themselves. */
function reserve(trace: LeanTrace, spans: number): void {
  if (trace.parent.length >= spans) return;
  const room = Math.min(trace.count, Math.max(spans, 2 * trace.parent.length));
  const grow = <T extends Int32Array | Uint8Array | Float64Array>(column: T, make: new (length: number) => T): T => {
    const next = new make(room);
    next.set(column);
    return next;
  };
  trace.parent = grow(trace.parent, Int32Array);
  trace.orphan = grow(trace.orphan, Uint8Array);
  trace.startMs = grow(trace.startMs, Float64Array);
  trace.durationMs = grow(trace.durationMs, Float64Array);
  trace.isError = grow(trace.isError, Uint8Array);
}

const REF_NAMES = ['name', 'service', 'model', 'status message'];

/** A chunk's text: a JSON array of strings, at least `ids` long (its span ids). */
function chunkText(bytes: Uint8Array, ids: number): string[] {
  let text: unknown;
  try {
    text = JSON.parse(decoder.decode(bytes));
  } catch {
    throw new LeanTraceError('a chunk\'s text is not JSON');
  }
  if (!Array.isArray(text) || text.length < ids) throw new LeanTraceError(`a chunk's text is not a list of its ${ids} span ids and new strings`);
  for (const entry of text) if (typeof entry !== 'string') throw new LeanTraceError('a chunk\'s text holds something other than a string');
  return text as string[];
}
