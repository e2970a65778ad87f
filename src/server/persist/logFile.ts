/** The files of the journal: their names, the log being appended to, and making folder changes durable. */

import { closeSync, fdatasync, fsyncSync, ftruncateSync, openSync, writevSync } from 'node:fs';
import { JOURNAL_FORMAT, JOURNAL_VERSION, encodeRecord, type FileRole } from './records';

const FILE_NAME = /^journal-(\d{8})\.(log|snapshot)(\.partial)?$/;

/** The name of generation `generation`'s log or snapshot (a snapshot being written is `.partial`). */
export function fileName(generation: number, role: FileRole, partial = false): string {
  return `journal-${String(generation).padStart(8, '0')}.${role}${partial ? '.partial' : ''}`;
}

/** What a file name says, or undefined for a file that is not the journal's. */
export function parseFileName(name: string): { generation: number; role: FileRole; partial: boolean } | undefined {
  const match = FILE_NAME.exec(name);
  return match ? { generation: Number(match[1]), role: match[2] as FileRole, partial: match[3] !== undefined } : undefined;
}

/** Writes `buffers` in one call at the file's current position; a short write is undone and thrown. Returns the bytes written. */
export function writeAll(fd: number, buffers: Uint8Array[], sizeBefore: number, path: string): number {
  let length = 0;
  for (const buffer of buffers) length += buffer.length;
  const written = writevSync(fd, buffers);
  if (written !== length) {
    ftruncateSync(fd, sizeBefore);
    throw new Error(`only ${written} of ${length} bytes could be written to ${path}`);
  }
  return length;
}

/** The log file being appended to. */
export class LogFile {
  size = 0;
  private dirty = false;
  private syncing: Promise<void> | undefined;

  private constructor(
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

  /** Writes one record; returns where it starts and its length. */
  append(buffers: Uint8Array[]): { offset: number; length: number } {
    const offset = this.size;
    const length = writeAll(this.fd, buffers, offset, this.path);
    this.size += length;
    this.dirty = true;
    return { offset, length };
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

/** Makes file creations, renames and removals in `dir` durable; not every platform can open a folder for it. */
export function syncDirectory(dir: string): void {
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
