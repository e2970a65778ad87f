/**
 * Stack trace parsing for "jump to source": Python, Node/V8, Firefox/Safari, Java (and other
 * JVM languages), Go, .NET, Ruby, PHP and Rust traces become frames with a
 * file, line and column, and the frame worth jumping to is picked out.
 */

/** Languages whose stack trace format is understood. */
export type StackLanguage = 'python' | 'javascript' | 'java' | 'go' | 'dotnet' | 'ruby' | 'php' | 'rust';

/** One frame of a stack trace. */
export interface StackFrame {
  /**
   * As written in the trace, except that `file://` URLs become paths. JVM
   * frames name only a file, so the package directory is prefixed
   * (`com/acme/Foo.java`) to help {@link mapToWorkspace}.
   */
  filePath: string;
  /** 1-based. */
  line?: number;
  /** 1-based. */
  column?: number;
  functionName?: string;
  /** The line of the trace this frame was read from. */
  raw: string;
  language: StackLanguage;
  /** True for dependencies, the standard library and runtime internals (see {@link isLibraryFrame}). */
  isLibrary: boolean;
}

const LANGUAGE_ALIASES: Record<string, StackLanguage> = {
  python: 'python',
  py: 'python',
  javascript: 'javascript',
  typescript: 'javascript',
  js: 'javascript',
  ts: 'javascript',
  node: 'javascript',
  nodejs: 'javascript',
  webjs: 'javascript',
  java: 'java',
  kotlin: 'java',
  scala: 'java',
  jvm: 'java',
  go: 'go',
  golang: 'go',
  dotnet: 'dotnet',
  csharp: 'dotnet',
  'c#': 'dotnet',
  '.net': 'dotnet',
  ruby: 'ruby',
  php: 'php',
  rust: 'rust',
};

/** The stack language for a hint such as a `telemetry.sdk.language` value (`nodejs`, `dotnet`, …). */
export function stackLanguageOf(hint: string | undefined): StackLanguage | undefined {
  return hint === undefined ? undefined : LANGUAGE_ALIASES[hint.trim().toLowerCase()];
}

/** Positive integer from decimal text, else undefined. */
function positive(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  return Number.isSafeInteger(value) && value > 0 ? value : undefined;
}

/** `file:///abs/x.mjs` → `/abs/x.mjs`; `file:///C:/x.js` → `C:/x.js`; other text unchanged. */
export function fileUrlToPath(path: string): string {
  const match = /^file:\/\/([^/]*)(\/.*)?$/i.exec(path);
  if (!match) return path;
  let rest = match[2] ?? '';
  try {
    rest = decodeURIComponent(rest);
  } catch {
    // Malformed escapes: keep the text as written.
  }
  if (match[1] !== '' && match[1].toLowerCase() !== 'localhost') return `//${match[1]}${rest}`;
  return /^\/[A-Za-z]:[/\\]/.test(rest) ? rest.slice(1) : rest;
}

/** Removes a trailing balanced `(…)` argument list: `main.(*T).run(0x1, {0x2})` → `main.(*T).run`. */
function stripTrailingArguments(text: string): string {
  const trimmed = text.trimEnd();
  if (!trimmed.endsWith(')')) return trimmed;
  let depth = 0;
  for (let i = trimmed.length - 1; i >= 0; i--) {
    if (trimmed[i] === ')') depth++;
    else if (trimmed[i] === '(' && --depth === 0) return i === 0 ? trimmed : trimmed.slice(0, i);
  }
  return trimmed;
}

type Draft = Omit<StackFrame, 'isLibrary'>;

/** Reads one line; `previous` is the nearest earlier non-blank line (Go and Rust name the function there). */
type LineParser = (line: string, previous: string | undefined) => Draft | undefined;

function frame(language: StackLanguage, raw: string, filePath: string, line?: number, column?: number, functionName?: string): Draft {
  const draft: Draft = { filePath, raw, language };
  if (line !== undefined) draft.line = line;
  if (column !== undefined) draft.column = column;
  if (functionName !== undefined && functionName !== '') draft.functionName = functionName;
  return draft;
}

const PYTHON = /^\s*File "(.+?)", line (\d+)(?:, in (.+?))?\s*$/;

const parsePython: LineParser = (line) => {
  const match = PYTHON.exec(line);
  return match ? frame('python', line.trim(), match[1], positive(match[2]), undefined, match[3]) : undefined;
};

const DOTNET = /^\s*at (.+?) in (.+?):line (\d+)\s*$/;

const parseDotnet: LineParser = (line) => {
  const match = DOTNET.exec(line);
  return match ? frame('dotnet', line.trim(), match[2], positive(match[3]), undefined, stripTrailingArguments(match[1])) : undefined;
};

const JVM = /^\s*at\s+(\S+?)\(([^()]*)\)\s*$/;
const JVM_LOCATION = /^([^:/\\]+\.(?:java|kt|kts|scala|groovy|clj|cljc))(?::(\d+))?$/;

const parseJvm: LineParser = (line) => {
  const match = JVM.exec(line);
  if (!match) return undefined;
  const location = JVM_LOCATION.exec(match[2]);
  if (!location) return undefined;
  // Drop a module or class loader prefix: `java.base/java.lang.Thread.run`, `app//com.x.Y.m`.
  const method = match[1].replace(/^.*\//, '');
  const className = method.slice(0, method.lastIndexOf('.'));
  const packageName = className.includes('.') ? className.slice(0, className.lastIndexOf('.')) : '';
  const filePath = packageName ? `${packageName.replace(/\./g, '/')}/${location[1]}` : location[1];
  return frame('java', line.trim(), filePath, positive(location[2]), undefined, method);
};

const RUST_LOCATION = /^\s*at\s+(.+\.rs):(\d+)(?::(\d+))?\s*$/;
const RUST_FUNCTION = /^\s*\d+:\s+(.+?)\s*$/;

/** The panic site Rust prints first, and alone without `RUST_BACKTRACE`: `thread 'main' panicked at src/main.rs:5:9:` (before 1.73: `panicked at 'boom', src/main.rs:5:9`). */
const RUST_PANIC = /\bpanicked at (?:'.*', )?(\S+\.rs):(\d+):(\d+):?\s*$/;

const parseRust: LineParser = (line, previous) => {
  const panic = RUST_PANIC.exec(line);
  if (panic) return frame('rust', line.trim(), panic[1], positive(panic[2]), positive(panic[3]));
  const match = RUST_LOCATION.exec(line);
  if (!match) return undefined;
  const fn = previous !== undefined ? RUST_FUNCTION.exec(previous) : null;
  // Symbols end with a hash in release builds: `app::main::h1a2b3c4d5e6f7a8b`.
  const functionName = fn ? fn[1].replace(/::h[0-9a-f]{16}$/, '') : undefined;
  return frame('rust', line.trim(), match[1], positive(match[2]), positive(match[3]), functionName);
};

const V8_CALL = /^\s*at\s+(?:async\s+)?(?:new\s+)?(.*?)\s+\((.*)\)\s*$/;
const V8_BARE = /^\s*at\s+(?:async\s+)?(\S.*?)\s*$/;
const LINE_COLUMN = /^(.*?):(\d+)(?::(\d+))?$/;

/** Splits `path:line:column`; undefined when there is no line (`<anonymous>`, `native`). */
function splitLocation(location: string): { path: string; line?: number; column?: number } | undefined {
  // `eval at fn (file.js:1:2), <anonymous>:3:4`: the file is the eval's caller.
  const evalMatch = /\(([^()]+:\d+(?::\d+)?)\)/.exec(location);
  if (location.startsWith('eval at') && evalMatch) return splitLocation(evalMatch[1]);
  const match = LINE_COLUMN.exec(location.trim());
  if (!match || match[1] === '') return undefined;
  return { path: fileUrlToPath(match[1]), line: positive(match[2]), column: positive(match[3]) };
}

const parseV8: LineParser = (line) => {
  const call = V8_CALL.exec(line);
  if (call) {
    const location = splitLocation(call[2]);
    if (!location) return undefined;
    const functionName = call[1].replace(/\s*\[as [^\]]+\]$/, '');
    return frame('javascript', line.trim(), location.path, location.line, location.column, functionName);
  }
  const bare = V8_BARE.exec(line);
  if (!bare) return undefined;
  const location = splitLocation(bare[1]);
  return location && frame('javascript', line.trim(), location.path, location.line, location.column);
};

/** Firefox and Safari: `create@https://app.example/app.js:10:5`, `run/<@file:///x.js:3:1`, `@debugger eval code:1:1`. */
const GECKO = /^\s*([^@\s]*)@(.+?):(\d+)(?::(\d+))?\s*$/;

const parseGecko: LineParser = (line) => {
  const match = GECKO.exec(line);
  if (!match) return undefined;
  // `outer/<` is an anonymous function inside `outer`.
  const functionName = match[1].replace(/\/<+$/, '').replace(/\*$/, '');
  return frame('javascript', line.trim(), fileUrlToPath(match[2]), positive(match[3]), positive(match[4]), functionName);
};

const GO_LOCATION = /^\s+(\S.*?\.go):(\d+)(?:\s+\+0x[0-9a-fA-F]+)?\s*$/;

const parseGo: LineParser = (line, previous) => {
  const match = GO_LOCATION.exec(line);
  if (!match) return undefined;
  let functionName: string | undefined;
  if (previous !== undefined && !GO_LOCATION.test(previous) && !/^goroutine \d+/.test(previous.trim())) {
    functionName = stripTrailingArguments(
      previous
        .trim()
        .replace(/^created by\s+/, '')
        .replace(/\s+in goroutine \d+$/, ''),
    );
  }
  return frame('go', line.trim(), match[1], positive(match[2]), undefined, functionName);
};

// The first line also carries the message: `/app/x.rb:12:in 'create': boom (RuntimeError)`.
const RUBY = /^\s*(?:from\s+)?(.+?):(\d+):in\s+[`'](.*?)'(?::\s.*)?\s*$/;

const parseRuby: LineParser = (line) => {
  const match = RUBY.exec(line);
  return match ? frame('ruby', line.trim(), match[1], positive(match[2]), undefined, match[3].replace(/^block (?:\(\d+ levels\) )?in /, '')) : undefined;
};

const PHP_FRAME = /^\s*#\d+\s+(.+?)\((\d+)\):\s*(.*?)\s*$/;
/**
 * The throw site that PHP prints before its trace (`Uncaught X: boom in /app/src/Foo.php:12`).
 * The `thrown in … on line 12` after the trace repeats it and is not read.
 */
const PHP_THROW = /\bin (\S+\.php):(\d+)\s*$/;

const parsePhp: LineParser = (line) => {
  const match = PHP_FRAME.exec(line);
  if (match) return frame('php', line.trim(), match[1], positive(match[2]), undefined, stripTrailingArguments(match[3]));
  const thrown = PHP_THROW.exec(line);
  return thrown ? frame('php', line.trim(), thrown[1], positive(thrown[2])) : undefined;
};

/** Tried in this order; the formats barely overlap, a hint moves its parser first. */
const PARSERS: readonly (readonly [StackLanguage, LineParser])[] = [
  ['python', parsePython],
  ['dotnet', parseDotnet],
  ['java', parseJvm],
  ['rust', parseRust],
  ['javascript', parseV8],
  ['javascript', parseGecko],
  ['go', parseGo],
  ['ruby', parseRuby],
  ['php', parsePhp],
];

/**
 * Frames of a stack trace, in the order they appear in the text (Python lists
 * the innermost call last, the others first; {@link relevantFrame} knows).
 * Lines that are not frames (messages, source excerpts, `... 5 more`) and
 * frames without a file (`<anonymous>`, `Native Method`) are skipped. `hint`
 * is a language name or a `telemetry.sdk.language` value. Never throws.
 */
export function parseStackTrace(text: string, hint?: string): StackFrame[] {
  if (typeof text !== 'string' || text === '') return [];
  const preferred = stackLanguageOf(hint);
  const parsers = preferred ? [...PARSERS.filter(([l]) => l === preferred), ...PARSERS.filter(([l]) => l !== preferred)] : PARSERS;
  const frames: StackFrame[] = [];
  let previous: string | undefined;
  for (const line of text.split(/\r?\n/)) {
    if (line.trim() === '') continue;
    for (const [, parse] of parsers) {
      const draft = parse(line, previous);
      if (draft) {
        frames.push({ ...draft, isLibrary: isLibraryFrame(draft) });
        break;
      }
    }
    previous = line;
  }
  return frames;
}

const LIBRARY_PATHS: readonly RegExp[] = [
  /(?:^|\/)node_modules\//,
  /^node:/,
  /^internal\//,
  /^(?:bun|deno):/,
  /(?:^|\/)(?:site|dist)-packages\//,
  /^<.*>$/,
  /^<(?:frozen|internal:)/,
  // Python's standard library: `/usr/lib/python3.12/`, `…/lib/python3.11/`, Windows `Python311/Lib/`.
  /(?:^|\/)lib\/python\d+(?:\.\d+)?\//i,
  /(?:^|\/)python\d*\/lib\//i,
  // Go: module cache and GOROOT sources.
  /(?:^|\/)pkg\/mod\//,
  /(?:^|\/)(?:usr\/local\/go|usr\/lib\/go[^/]*|libexec|sdk\/go[^/]*)\/src\//,
  // Ruby gems and standard library, PHP Composer packages, Rust toolchain and crates.
  /(?:^|\/)gems\//,
  /(?:^|\/)lib\/ruby\/\d/,
  /(?:^|\/)vendor\//,
  /^\/rustc\//,
  /(?:^|\/)\.cargo\/(?:registry|git)\//,
  /(?:^|\/)\.rustup\//,
];

const LIBRARY_FUNCTIONS: Partial<Record<StackLanguage, RegExp>> = {
  java: /^(?:java|javax|jdk|sun|com\.sun|kotlin|kotlinx|scala|groovy|clojure|org\.junit|junit|org\.springframework|org\.apache|io\.netty|reactor|okhttp3|com\.fasterxml)\./,
  dotnet: /^(?:System|Microsoft)\./,
  go: /^(?:runtime|testing|net\/http|reflect|sync)\./,
};

/**
 * True for frames of dependencies, standard libraries and runtime internals:
 * paths under `node_modules`, `site-packages`, `dist-packages`, `node:`,
 * `<frozen …>`, a Python/Ruby/Go standard library, a package cache; JVM and
 * .NET frames of platform and framework namespaces.
 */
export function isLibraryFrame(frame: Pick<StackFrame, 'filePath' | 'functionName' | 'language'>): boolean {
  const path = frame.filePath.replace(/\\/g, '/');
  if (LIBRARY_PATHS.some((pattern) => pattern.test(path))) return true;
  const functions = LIBRARY_FUNCTIONS[frame.language];
  return functions !== undefined && frame.functionName !== undefined && functions.test(frame.functionName);
}

/** True when the trace of `language` lists the innermost call first. */
export function innermostFirst(language: StackLanguage): boolean {
  return language !== 'python';
}

/**
 * The frame to jump to: the innermost frame in the user's own code, else the
 * innermost frame of all, else undefined. For a Python trace with chained
 * exceptions this is in the last traceback printed (the one finally raised).
 */
export function relevantFrame(frames: readonly StackFrame[]): StackFrame | undefined {
  if (frames.length === 0) return undefined;
  const ordered = innermostFirst(frames[0].language) ? frames : [...frames].reverse();
  return ordered.find((frame) => !frame.isLibrary) ?? ordered[0];
}
