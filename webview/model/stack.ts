/**
 * Finds the file/line of frames in an exception stack trace, so the details
 * panel can make them clickable. Recognises Node/V8 (`at fn (file:line:col)`),
 * Python (`File "x", line N, in fn`), Java/.NET-ish `(File.java:12)` and Go/Rust
 * `path/file.go:12`. Pure, DOM-free.
 */

import type { SourceTarget } from '../../src/protocol/messages';

/** One line of a stack trace, with the location it names when it names one. */
export interface StackLine {
  text: string;
  target?: SourceTarget;
}

const V8 = /^\s*at (?:(.*?) \()?(?:file:\/\/)?((?:[A-Za-z]:)?[^():]+):(\d+)(?::(\d+))?\)?\s*$/;
const PYTHON = /^\s*File "([^"]+)", line (\d+)(?:, in (.+))?\s*$/;
const PAREN = /\(([^():\s]+\.[A-Za-z]+):(\d+)\)\s*$/;
const BARE = /^\s*((?:[A-Za-z]:)?[\w./\\-]+\.[A-Za-z]+):(\d+)(?::(\d+))?\b/;

/** Splits a stack trace into lines and recognises the frames among them. */
export function parseStackTrace(stack: string): StackLine[] {
  return stack.split(/\r?\n/).map((text) => {
    const target = frameTarget(text);
    return target ? { text, target } : { text };
  });
}

function frameTarget(line: string): SourceTarget | undefined {
  let m = V8.exec(line);
  if (m && !m[2].startsWith('node:') && m[2] !== 'native') {
    return { filePath: m[2], line: Number(m[3]), column: m[4] ? Number(m[4]) : undefined, functionName: m[1] || undefined };
  }
  m = PYTHON.exec(line);
  if (m) return { filePath: m[1], line: Number(m[2]), functionName: m[3] };
  m = PAREN.exec(line);
  if (m) return { filePath: m[1], line: Number(m[2]) };
  m = BARE.exec(line);
  if (m) return { filePath: m[1], line: Number(m[2]), column: m[3] ? Number(m[3]) : undefined };
  return undefined;
}
