/**
 * Maps a path recorded elsewhere (a container, CI, a colleague's machine, a
 * relative path in a trace) onto a file of the user's workspace by the
 * longest common path suffix. Pure: the host supplies the workspace files or
 * folders and checks what exists.
 */

import { fileUrlToPath } from './stack';

/**
 * A path in one spelling: `file://` URLs decoded, other URL schemes
 * (`webpack://`) dropped, backslashes turned to slashes, `.` and empty
 * segments removed and `..` resolved where a parent is known. A leading `/`,
 * `//` (UNC) or drive letter is kept.
 */
export function normalisePath(path: string): string {
  let text = fileUrlToPath(path.trim()).replace(/\\/g, '/');
  text = text.replace(/^[a-z][a-z0-9+.-]+:\/\//i, '');
  const unc = text.startsWith('//');
  const absolute = text.startsWith('/');
  const out: string[] = [];
  for (const segment of text.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment !== '..') {
      out.push(segment);
      continue;
    }
    const last = out[out.length - 1];
    const drive = last !== undefined && /^[A-Za-z]:$/.test(last) && out.length === 1;
    // `..` climbs a known parent; at a root or drive it goes nowhere; a relative path keeps it.
    if (last !== undefined && last !== '..' && !drive) out.pop();
    else if (last === undefined ? !absolute : last === '..') out.push(segment);
  }
  return (unc ? '//' : absolute ? '/' : '') + out.join('/');
}

/** Segments of a normalised path, without `..` (which cannot be matched against anything). */
function segmentsOf(path: string): string[] {
  return normalisePath(path)
    .split('/')
    .filter((segment) => segment !== '' && segment !== '..');
}

/** True for Windows-looking paths (a drive letter or a backslash). */
function looksWindows(path: string): boolean {
  return /^[A-Za-z]:[\\/]/.test(path) || path.includes('\\');
}

/** A workspace file found for a path. */
export interface WorkspaceMatch {
  /** The workspace file, exactly as it was given. */
  file: string;
  /** How many trailing path segments agree (1 = only the file name). */
  matchedSegments: number;
  /** The path names this very file (every segment agrees, same length). */
  exact: boolean;
  /** Another workspace file matched as many segments; {@link file} is the shortest such path. */
  ambiguous: boolean;
}

/** Options of {@link WorkspaceFileIndex}. */
export interface WorkspaceIndexOptions {
  /** Compare case-insensitively. Default: true when any workspace file looks like a Windows path. */
  ignoreCase?: boolean;
  /** Fewest trailing segments that must agree. Default 1 (the file name alone). */
  minSegments?: number;
}

interface Entry {
  file: string;
  segments: string[];
}

/**
 * An index of workspace files for repeated lookups (one per stack frame).
 * Built once from the file list, looked up by file name.
 */
export class WorkspaceFileIndex {
  private readonly byName = new Map<string, Entry[]>();
  private readonly ignoreCase: boolean;
  private readonly minSegments: number;

  constructor(files: readonly string[], options: WorkspaceIndexOptions = {}) {
    this.ignoreCase = options.ignoreCase ?? files.some(looksWindows);
    this.minSegments = Math.max(1, options.minSegments ?? 1);
    for (const file of files) {
      const segments = segmentsOf(file).map((segment) => this.fold(segment));
      if (segments.length === 0) continue;
      const name = segments[segments.length - 1];
      let entries = this.byName.get(name);
      if (!entries) this.byName.set(name, (entries = []));
      entries.push({ file, segments });
    }
  }

  private fold(segment: string): string {
    return this.ignoreCase ? segment.toLowerCase() : segment;
  }

  /** The workspace file that shares the longest path suffix with `path`, or undefined. */
  find(path: string): WorkspaceMatch | undefined {
    const query = segmentsOf(path).map((segment) => this.fold(segment));
    if (query.length === 0) return undefined;
    const entries = this.byName.get(query[query.length - 1]);
    if (!entries) return undefined;
    let best: Entry | undefined;
    let bestCount = 0;
    let ties = 0;
    for (const entry of entries) {
      let count = 0;
      while (
        count < query.length &&
        count < entry.segments.length &&
        query[query.length - 1 - count] === entry.segments[entry.segments.length - 1 - count]
      ) {
        count++;
      }
      if (count > bestCount) {
        best = entry;
        bestCount = count;
        ties = 0;
      } else if (count === bestCount && best) {
        ties++;
        // Deterministic among equals: the shortest path, then the first in sort order.
        if (entry.segments.length < best.segments.length || (entry.segments.length === best.segments.length && entry.file < best.file)) {
          best = entry;
        }
      }
    }
    if (!best || bestCount < this.minSegments) return undefined;
    const exact = bestCount === query.length && bestCount === best.segments.length && isAbsolute(path) === isAbsolute(best.file);
    return { file: best.file, matchedSegments: bestCount, exact, ambiguous: ties > 0 };
  }
}

function isAbsolute(path: string): boolean {
  const normalised = normalisePath(path);
  return normalised.startsWith('/') || /^[A-Za-z]:/.test(normalised);
}

/**
 * The workspace file for `path` (absolute, relative, Windows or `file://`),
 * chosen by the longest common path suffix; undefined when not even the file
 * name matches. For many lookups build a {@link WorkspaceFileIndex} once.
 */
export function mapToWorkspace(path: string, workspaceFiles: readonly string[], options?: WorkspaceIndexOptions): WorkspaceMatch | undefined {
  return new WorkspaceFileIndex(workspaceFiles, options).find(path);
}

/**
 * Paths under the workspace folders where `path` may live, most likely
 * first, for a host that checks existence instead of listing files: the path
 * itself when it is inside a folder; then, for a folder whose name occurs in
 * the path (`/app/myproj/src/x.py` in folder `…/myproj`), the rest after it;
 * then every shorter suffix of the path under every folder. Separators are
 * `/`; each path appears once.
 */
export function candidatePaths(path: string, workspaceFolders: readonly string[]): string[] {
  const query = segmentsOf(path);
  if (query.length === 0) return [];
  const folders = workspaceFolders.map((folder) => normalisePath(folder).replace(/\/$/, '')).filter((folder) => folder !== '');
  const normalised = normalisePath(path);
  const out: string[] = [];
  const add = (candidate: string) => {
    if (!out.includes(candidate)) out.push(candidate);
  };
  const join = (folder: string, segments: string[]) => `${folder}/${segments.join('/')}`;

  for (const folder of folders) if (normalised.startsWith(`${folder}/`)) add(normalised);
  for (const folder of folders) {
    const name = folder.slice(folder.lastIndexOf('/') + 1);
    const at = query.lastIndexOf(name);
    if (name !== '' && at >= 0 && at < query.length - 1) add(join(folder, query.slice(at + 1)));
  }
  for (let start = 0; start < query.length; start++) {
    for (const folder of folders) add(join(folder, query.slice(start)));
  }
  return out;
}
