/**
 * Where the inspector keeps its traces, and the lock that lets one process at
 * a time write there.
 */

import { closeSync, mkdirSync, openSync, readFileSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { homedir, hostname } from 'node:os';
import { join } from 'node:path';
import { DATA_FOLDER_NAME } from '../../core/defaults';

/**
 * The data folder for one user of the machine: `$XDG_DATA_HOME` (else
 * `~/.local/share`) on Linux and other Unix, `~/Library/Application Support`
 * on macOS, `%LOCALAPPDATA%` on Windows.
 */
export function defaultDataDir(env: Record<string, string | undefined> = process.env, platform: NodeJS.Platform = process.platform, home: string = homedir()): string {
  if (platform === 'win32') return join(env.LOCALAPPDATA || join(home, 'AppData', 'Local'), DATA_FOLDER_NAME);
  if (platform === 'darwin') return join(home, 'Library', 'Application Support', DATA_FOLDER_NAME);
  // The XDG spec ignores a relative XDG_DATA_HOME.
  const xdg = env.XDG_DATA_HOME;
  return join(xdg && xdg.startsWith('/') ? xdg : join(home, '.local', 'share'), DATA_FOLDER_NAME);
}

/** Creates the data folder (readable by this user only: traces hold prompts and replies). */
export function ensureDataDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
}

const LOCK_FILE = 'inspector.lock';

/** What the lock file says. */
interface LockOwner {
  pid: number;
  host: string;
  startedAtMs: number;
}

/** The lock of a data folder, held by this process. */
export interface DataDirLock {
  /** Removes the lock file (when it is still this process's). */
  release(): void;
}

/** Another live process holds the lock. */
export interface LockHeld {
  readonly heldBy: { pid: number; host: string };
}

function readOwner(path: string): LockOwner | undefined {
  try {
    const parsed = JSON.parse(readFileSync(path, 'utf8')) as Partial<LockOwner>;
    if (typeof parsed.pid === 'number' && typeof parsed.host === 'string' && typeof parsed.startedAtMs === 'number') return parsed as LockOwner;
  } catch {
    // Unreadable or half-written: treated as no owner.
  }
  return undefined;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Milliseconds in which an unreadable lock file is taken to be one another process is still writing. */
const LOCK_WRITE_GRACE_MS = 5_000;

function isFresh(path: string): boolean {
  try {
    return Date.now() - statSync(path).mtimeMs < LOCK_WRITE_GRACE_MS;
  } catch {
    return false;
  }
}

function removeStale(path: string): void {
  try {
    unlinkSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}

/**
 * Takes the lock of `dir`: creates `inspector.lock` holding this process's id,
 * or reports the live process that holds it. A lock left by a process that
 * is gone (killed, crashed) is taken over. A lock written on another host
 * (a data folder on a shared drive) counts as held: its process cannot be
 * checked from here.
 */
export function lockDataDir(dir: string): DataDirLock | LockHeld {
  const path = join(dir, LOCK_FILE);
  const owner: LockOwner = { pid: process.pid, host: hostname(), startedAtMs: Date.now() };
  for (let attempt = 0; attempt < 2; attempt++) {
    let fd: number;
    try {
      fd = openSync(path, 'wx', 0o600);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = readOwner(path);
      if (holder === undefined && isFresh(path)) return { heldBy: { pid: 0, host: owner.host } };
      if (holder && holder.pid !== process.pid && (holder.host !== owner.host || isAlive(holder.pid))) return { heldBy: { pid: holder.pid, host: holder.host } };
      removeStale(path);
      continue;
    }
    try {
      writeSync(fd, JSON.stringify(owner));
    } finally {
      closeSync(fd);
    }
    return {
      release() {
        if (readOwner(path)?.pid === process.pid) removeStale(path);
      },
    };
  }
  // Two processes took over the same stale lock at once, and the other won.
  const holder = readOwner(path);
  return { heldBy: { pid: holder?.pid ?? 0, host: holder?.host ?? owner.host } };
}
