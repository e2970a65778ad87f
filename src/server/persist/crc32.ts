/**
 * CRC-32 (the zlib/PNG polynomial) of record payloads. Node has a native one
 * from 20.15 and 22.2; older runtimes (the Node inside older VS Code
 * releases) get the table-driven one below, which gives the same values.
 */

import * as zlib from 'node:zlib';

const TABLE = new Int32Array(256);
for (let n = 0; n < 256; n++) {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  TABLE[n] = c;
}

/** The table-driven CRC-32 of `bytes`, continuing from `previous` (as zlib's `crc32(data, value)`). */
export function crc32Portable(bytes: Uint8Array, previous = 0): number {
  let crc = ~previous;
  for (let i = 0; i < bytes.length; i++) crc = TABLE[(crc ^ bytes[i]) & 0xff] ^ (crc >>> 8);
  return ~crc >>> 0;
}

const native = (zlib as { crc32?: (data: Uint8Array, value?: number) => number }).crc32;

/** CRC-32 of `bytes`, continuing from `previous`: the native one when the runtime has it. */
export const crc32: (bytes: Uint8Array, previous?: number) => number = native ? (bytes, previous = 0) => native(bytes, previous) : crc32Portable;
