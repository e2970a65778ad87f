/**
 * The framing of journal files: each record is a 24-byte header (magic, kind,
 * lengths, payload checksum, header checksum) and its payload (a JSON meta
 * part and a binary body). Reading never trusts a length it has not checked,
 * never reads past the file, and steps over damage: a record whose payload
 * fails its checksum is skipped by its (checked) length; a damaged header is
 * skipped by scanning for the next header that checks out. So a bit flip
 * loses one record, a torn write loses the tail it tore, and every byte is
 * read a bounded number of times.
 */

import { crc32 } from './crc32';

/** Bytes of a record header. */
export const FRAME_HEADER_BYTES = 24;

/** The first bytes of every record header: a non-ASCII byte, then "RTI". */
const MAGIC = Uint8Array.of(0x89, 0x52, 0x54, 0x49);

/** Meta (JSON) bytes a record may have. */
export const MAX_META_BYTES = 16 * 1024 * 1024;

/** Body bytes a record may have: a request body at the listener's limit fits with room to spare. */
export const MAX_BODY_BYTES = 256 * 1024 * 1024;

/** One record read back. `meta` and `body` are views valid until the next record is read. */
export interface FrameRecord {
  readonly type: 'record';
  readonly kind: number;
  readonly meta: Uint8Array;
  readonly body: Uint8Array;
  /** File offset of the record's header, and of the byte after its payload. */
  readonly offset: number;
  readonly end: number;
}

/** Bytes that are not a readable record. */
export interface FrameDamage {
  readonly type: 'damage';
  readonly offset: number;
  readonly end: number;
  /** True when nothing readable follows: a write cut short, or a damaged end of file. */
  readonly atEnd: boolean;
  readonly reason: string;
}

/** The header of a record of `kind` with the given payload parts. */
export function frameHeader(kind: number, meta: Uint8Array, body: Uint8Array): Buffer {
  if (meta.length > MAX_META_BYTES || body.length > MAX_BODY_BYTES) throw new RangeError(`a journal record may have ${MAX_META_BYTES} meta and ${MAX_BODY_BYTES} body bytes`);
  const header = Buffer.alloc(FRAME_HEADER_BYTES);
  header.set(MAGIC, 0);
  header[4] = kind;
  header.writeUInt32LE(meta.length, 8);
  header.writeUInt32LE(body.length, 12);
  header.writeUInt32LE(crc32(body, crc32(meta)), 16);
  header.writeUInt32LE(crc32(header.subarray(0, 20)), 20);
  return header;
}

/** Random access to the bytes of one file. */
export interface ByteSource {
  readonly size: number;
  /** Bytes `[offset, offset + length)`, all within `size`; valid until the next call. */
  read(offset: number, length: number): Uint8Array;
}

/** A {@link ByteSource} over bytes in memory. */
export function bufferSource(bytes: Uint8Array): ByteSource {
  return { size: bytes.length, read: (offset, length) => bytes.subarray(offset, offset + length) };
}

interface Header {
  kind: number;
  metaLength: number;
  bodyLength: number;
  payloadCrc: number;
}

function parseHeader(bytes: Uint8Array): Header | undefined {
  for (let i = 0; i < MAGIC.length; i++) if (bytes[i] !== MAGIC[i]) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, FRAME_HEADER_BYTES);
  if (bytes[5] !== 0 || bytes[6] !== 0 || bytes[7] !== 0) return undefined;
  if (view.getUint32(20, true) !== crc32(bytes.subarray(0, 20))) return undefined;
  const metaLength = view.getUint32(8, true);
  const bodyLength = view.getUint32(12, true);
  if (metaLength > MAX_META_BYTES || bodyLength > MAX_BODY_BYTES) return undefined;
  return { kind: bytes[4], metaLength, bodyLength, payloadCrc: view.getUint32(16, true) };
}

/** Bytes scanned per read while looking for the next header after damage. */
const SCAN_CHUNK = 1024 * 1024;

/**
 * Where the next header that checks out starts, at or after `from`, or
 * `source.size` when there is none.
 */
function nextHeader(source: ByteSource, from: number): number {
  for (let start = from; start + FRAME_HEADER_BYTES <= source.size; start += SCAN_CHUNK) {
    // Overlap chunks by a header, so a header across a chunk edge is found.
    const length = Math.min(SCAN_CHUNK + FRAME_HEADER_BYTES, source.size - start);
    const bytes = source.read(start, length);
    const chunk = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
    for (let at = chunk.indexOf(MAGIC); at >= 0 && at < SCAN_CHUNK && at + FRAME_HEADER_BYTES <= chunk.length; at = chunk.indexOf(MAGIC, at + 1)) {
      if (parseHeader(chunk.subarray(at, at + FRAME_HEADER_BYTES))) return start + at;
    }
  }
  return source.size;
}

/** Every record of `source` from `offset` on, with the damaged stretches between them. */
export function* readFrames(source: ByteSource, offset = 0): Generator<FrameRecord | FrameDamage> {
  let at = offset;
  while (at < source.size) {
    if (source.size - at < FRAME_HEADER_BYTES) {
      yield { type: 'damage', offset: at, end: source.size, atEnd: true, reason: `${source.size - at} bytes too few for a record` };
      return;
    }
    const header = parseHeader(source.read(at, FRAME_HEADER_BYTES));
    if (header === undefined) {
      const next = nextHeader(source, at + 1);
      yield { type: 'damage', offset: at, end: next, atEnd: next === source.size, reason: 'not a record header' };
      at = next;
      continue;
    }
    const end = at + FRAME_HEADER_BYTES + header.metaLength + header.bodyLength;
    // What follows a good header is the record's own content, never searched for headers: it may be span data.
    if (end > source.size) {
      yield { type: 'damage', offset: at, end: source.size, atEnd: true, reason: `a record of ${end - at} bytes cut short at ${source.size - at}` };
      return;
    }
    const payload = source.read(at + FRAME_HEADER_BYTES, header.metaLength + header.bodyLength);
    if (crc32(payload) !== header.payloadCrc) {
      yield { type: 'damage', offset: at, end, atEnd: end === source.size, reason: 'a record whose content fails its checksum' };
    } else {
      yield { type: 'record', kind: header.kind, meta: payload.subarray(0, header.metaLength), body: payload.subarray(header.metaLength), offset: at, end };
    }
    at = end;
  }
}
