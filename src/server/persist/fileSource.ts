/** Reading a journal file through one reused window, so memory stays bounded by the largest record. */

import { readSync } from 'node:fs';
import type { ByteSource } from './frames';

/** Bytes read ahead at a time. */
const WINDOW_BYTES = 8 * 1024 * 1024;

/** A {@link ByteSource} over an open file of `size` bytes. */
export function fileSource(fd: number, size: number): ByteSource {
  let buffer = Buffer.alloc(0);
  let windowStart = 0;
  let windowLength = 0;
  return {
    size,
    read(offset, length) {
      if (offset < windowStart || offset + length > windowStart + windowLength) {
        const wanted = Math.min(Math.max(length, WINDOW_BYTES), size - offset);
        if (buffer.length < wanted) buffer = Buffer.allocUnsafe(wanted);
        let filled = 0;
        while (filled < wanted) {
          const read = readSync(fd, buffer, filled, wanted - filled, offset + filled);
          if (read === 0) throw new Error(`the file ended at ${offset + filled} of ${size} bytes while it was read`);
          filled += read;
        }
        windowStart = offset;
        windowLength = wanted;
      }
      return buffer.subarray(offset - windowStart, offset - windowStart + length);
    },
  };
}
