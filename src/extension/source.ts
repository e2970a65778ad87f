/**
 * Jump to source: from a span (or a location the panel names) to a line in a
 * workspace file, opened, revealed and highlighted. Resolution order, first
 * hit wins: the span's `code.*` location; a frame of its `code.stacktrace`;
 * the first workspace frame of its recorded exception; its decorated entity
 * found by name. Paths recorded elsewhere (containers, CI) map onto the
 * workspace by their longest matching suffix; compiled JavaScript maps back
 * to its source through a source map next to it.
 */

import { SourceMap } from 'node:module';
import { dirname, isAbsolute, resolve as resolvePath } from 'node:path';
import * as vscode from 'vscode';
import type { SourceLocation } from '../core/model';
import { exceptionOf } from '../core/source/exception';
import { findEntityDefinitions } from '../core/source/entity';
import { jumpTargetsOf, type JumpSource, type JumpTarget } from '../core/source/jump';
import { innermostFirst, type StackFrame } from '../core/source/stack';
import { candidatePaths, mapToWorkspace, normalisePath } from '../core/source/workspace';
import type { SourceTarget } from '../protocol/messages';

/** Which rule found the line. */
export type JumpOrigin = 'code' | 'code-stacktrace' | 'exception' | 'entity' | 'target';

/** Where a jump landed. */
export interface JumpResult {
  uri: vscode.Uri;
  /** 1-based. */
  line: number;
  /** 1-based. */
  column: number;
  origin: JumpOrigin;
  /** True when the position came through a source map. */
  sourceMapped?: boolean;
}

/** Folders no user code lives in: skipped when listing workspace files. */
const EXCLUDED = '**/{node_modules,.git,.venv,venv,env,__pycache__,site-packages,dist-packages,.tox,.mypy_cache,.pytest_cache,target,.gradle}/**';

/** Source files searched for decorated entities. */
const ENTITY_FILES = '**/*.{py,ts,tsx,mts,cts,js,jsx,mjs,cjs,go,java,kt,rb,cs}';

/** Files listed at most when searching for an entity, and read at most concurrently. */
const ENTITY_FILE_LIMIT = 5000;
const READ_CONCURRENCY = 16;
/** Larger files are generated or vendored: not where a decorator is. */
const MAX_FILE_BYTES = 2 * 1024 * 1024;

/** How long the jumped-to line stays highlighted. */
const HIGHLIGHT_MS = 2500;

/** Position in a file, 1-based. */
interface FilePosition {
  uri: vscode.Uri;
  line: number;
  column: number;
  sourceMapped?: boolean;
}

/** Opens spans' source locations in editors. */
export class SourceNavigator implements vscode.Disposable {
  private readonly highlight = vscode.window.createTextEditorDecorationType({
    isWholeLine: true,
    backgroundColor: new vscode.ThemeColor('editor.rangeHighlightBackground'),
    overviewRulerColor: new vscode.ThemeColor('editorOverviewRuler.rangeHighlightForeground'),
    overviewRulerLane: vscode.OverviewRulerLane.Full,
  });
  private highlightTimer: ReturnType<typeof setTimeout> | undefined;
  private highlighted: vscode.TextEditor | undefined;

  /**
   * @param viewColumn where to open files: returns the column, e.g. beside the inspector panel.
   */
  constructor(private readonly viewColumn: () => vscode.ViewColumn = () => vscode.ViewColumn.Active) {}

  /**
   * Jumps to a span's source. When nothing resolves, says so and offers a
   * workspace search for the most telling name (unless `quiet`).
   */
  async jumpToSpan(span: JumpSource, options: { quiet?: boolean } = {}): Promise<JumpResult | undefined> {
    const found = await this.resolveSpan(span);
    if (found) {
      await this.open(found);
      return found;
    }
    if (!options.quiet) this.reportNotFound(span);
    return undefined;
  }

  /** Opens a location the panel names (a `code.*` location or a stack frame it shows). */
  async openTarget(target: SourceTarget): Promise<JumpResult | undefined> {
    const position = await this.resolveLocation({ filePath: target.filePath, line: target.line, column: target.column });
    if (!position) return undefined;
    const result: JumpResult = { ...position, origin: 'target' };
    await this.open(result);
    return result;
  }

  /** Where a span's source is, without opening it. */
  async resolveSpan(span: JumpSource): Promise<JumpResult | undefined> {
    for (const target of orderTargets(jumpTargetsOf(span))) {
      if (target.kind === 'entity') {
        const found = await this.findEntity(target.entityName, target.entityKind);
        if (found) return { ...found, origin: 'entity' };
        continue;
      }
      if (target.from === 'exception') {
        const found = await this.firstWorkspaceFrame(span);
        if (found) return { ...found, origin: 'exception' };
        continue;
      }
      const found = await this.resolveLocation(target.location);
      if (found) return { ...found, origin: target.from };
    }
    return undefined;
  }

  /** The first frame of the span's exception, innermost first and skipping libraries, that is a workspace file. */
  private async firstWorkspaceFrame(span: JumpSource): Promise<FilePosition | undefined> {
    const exception = exceptionOf(span);
    if (!exception || exception.frames.length === 0) return undefined;
    const frames = innermostFirst(exception.frames[0].language) ? exception.frames : [...exception.frames].reverse();
    const ordered: StackFrame[] = [...frames.filter((frame) => !frame.isLibrary), ...frames.filter((frame) => frame.isLibrary)];
    for (const frame of ordered.slice(0, 30)) {
      const found = await this.resolveLocation({ filePath: frame.filePath, line: frame.line, column: frame.column });
      if (found) return found;
    }
    return undefined;
  }

  /** A recorded file path and position mapped onto an existing file, through a source map when there is one. */
  async resolveLocation(location: Pick<SourceLocation, 'filePath' | 'line' | 'column'>): Promise<FilePosition | undefined> {
    const uri = await this.resolveFile(location.filePath);
    if (!uri) return undefined;
    const position: FilePosition = { uri, line: location.line ?? 1, column: location.column ?? 1 };
    return (await this.throughSourceMap(position)) ?? position;
  }

  /** The file a recorded path names: itself when it exists, else a workspace file by longest path suffix. */
  async resolveFile(recordedPath: string): Promise<vscode.Uri | undefined> {
    const normalised = normalisePath(recordedPath);
    if (normalised === '') return undefined;
    if (isAbsolute(normalised) && (await isFile(vscode.Uri.file(normalised)))) return vscode.Uri.file(normalised);
    const folders = vscode.workspace.workspaceFolders ?? [];
    const local = folders.filter((folder) => folder.uri.scheme === 'file').map((folder) => folder.uri.fsPath);
    // Cheap first: the likely places by path arithmetic, before listing files.
    for (const candidate of candidatePaths(normalised, local).slice(0, 24)) {
      const uri = vscode.Uri.file(candidate);
      if (await isFile(uri)) return uri;
    }
    const name = normalised.slice(normalised.lastIndexOf('/') + 1);
    if (name === '' || /[*?{}[\]]/.test(name)) return undefined;
    const files = await vscode.workspace.findFiles(`**/${name}`, EXCLUDED, 500);
    if (files.length === 0) return undefined;
    const byPath = new Map(files.map((uri) => [uri.scheme === 'file' ? uri.fsPath : uri.path, uri]));
    const match = mapToWorkspace(normalised, [...byPath.keys()]);
    return match ? byPath.get(match.file) : undefined;
  }

  /** Finds a decorated entity's definition in the workspace; the strongest match wins, then the shortest path. */
  async findEntity(entityName: string, kind?: string): Promise<FilePosition | undefined> {
    const files = await vscode.workspace.findFiles(ENTITY_FILES, EXCLUDED, ENTITY_FILE_LIMIT);
    files.sort((a, b) => a.path.length - b.path.length || (a.path < b.path ? -1 : 1));
    const open = new Map(vscode.workspace.textDocuments.map((document) => [document.uri.toString(), document]));
    let best: { position: FilePosition; confidence: number; order: number } | undefined;
    let next = 0;
    const worker = async () => {
      while (next < files.length) {
        const order = next++;
        const uri = files[order];
        const text = await readText(uri, open.get(uri.toString()));
        if (text === undefined || !text.includes(entityName)) continue;
        const definition = findEntityDefinitions(text, entityName, kind ? { kind } : {})[0];
        if (!definition) continue;
        if (!best || definition.confidence > best.confidence || (definition.confidence === best.confidence && order < best.order)) {
          best = { position: { uri, line: definition.line, column: definition.column }, confidence: definition.confidence, order };
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(READ_CONCURRENCY, files.length) }, worker));
    return best?.position;
  }

  /** Maps a position in compiled JavaScript to its original source when a source map sits beside it. */
  private async throughSourceMap(position: FilePosition): Promise<FilePosition | undefined> {
    if (position.uri.scheme !== 'file' || !/\.(c|m)?js$/.test(position.uri.fsPath)) return undefined;
    const mapFile = await findSourceMap(position.uri);
    if (!mapFile) return undefined;
    try {
      const payload = JSON.parse(new TextDecoder().decode(await vscode.workspace.fs.readFile(mapFile))) as ConstructorParameters<typeof SourceMap>[0];
      const entry = new SourceMap(payload).findEntry(position.line - 1, position.column - 1) as Partial<{ originalSource: string; originalLine: number; originalColumn: number }>;
      if (entry.originalSource === undefined || entry.originalLine === undefined) return undefined;
      const mapDir = dirname(mapFile.fsPath);
      const root = typeof (payload as { sourceRoot?: unknown }).sourceRoot === 'string' ? (payload as { sourceRoot: string }).sourceRoot : '';
      const source = entry.originalSource.startsWith('file://') ? vscode.Uri.parse(entry.originalSource).fsPath : resolvePath(mapDir, root, entry.originalSource);
      const uri = vscode.Uri.file(source);
      if (!(await isFile(uri))) return undefined;
      return { uri, line: entry.originalLine + 1, column: (entry.originalColumn ?? 0) + 1, sourceMapped: true };
    } catch {
      // A broken or foreign map: the compiled position is still right.
      return undefined;
    }
  }

  /** Opens `position`, puts the cursor there, centres it and highlights the line for a moment. */
  async open(position: FilePosition): Promise<vscode.TextEditor> {
    const document = await vscode.workspace.openTextDocument(position.uri);
    const line = Math.min(Math.max(position.line, 1), document.lineCount) - 1;
    const column = Math.min(Math.max(position.column, 1) - 1, document.lineAt(line).text.length);
    const at = new vscode.Position(line, column);
    const editor = await vscode.window.showTextDocument(document, { viewColumn: this.viewColumn(), selection: new vscode.Range(at, at), preview: true });
    editor.revealRange(new vscode.Range(at, at), vscode.TextEditorRevealType.InCenterIfOutsideViewport);
    this.flash(editor, line);
    return editor;
  }

  private flash(editor: vscode.TextEditor, line: number): void {
    clearTimeout(this.highlightTimer);
    this.highlighted?.setDecorations(this.highlight, []);
    editor.setDecorations(this.highlight, [new vscode.Range(line, 0, line, 0)]);
    this.highlighted = editor;
    this.highlightTimer = setTimeout(() => {
      editor.setDecorations(this.highlight, []);
      this.highlighted = undefined;
    }, HIGHLIGHT_MS);
  }

  private reportNotFound(span: JumpSource): void {
    const targets = jumpTargetsOf(span);
    const entity = targets.find((target) => target.kind === 'entity');
    const location = targets.find((target) => target.kind === 'location');
    const term = entity?.kind === 'entity' ? entity.entityName : location?.kind === 'location' ? baseName(location.location.filePath) : span.name;
    const message =
      targets.length === 0
        ? `"${span.name}" carries no code location, stack trace or entity name to jump to.`
        : entity?.kind === 'entity'
          ? `Could not find where "${entity.entityName}" is defined in this workspace.`
          : `Could not find ${location?.kind === 'location' ? location.location.filePath : span.name} in this workspace.`;
    void vscode.window.showWarningMessage(message, `Search Workspace for "${term}"`).then((choice) => {
      if (choice) void vscode.commands.executeCommand('workbench.action.findInFiles', { query: term, triggerSearch: true, isRegex: false });
    });
  }

  dispose(): void {
    clearTimeout(this.highlightTimer);
    this.highlight.dispose();
  }
}

/** The order: recorded locations (code attributes, code stack, exception) before an entity search. */
function orderTargets(targets: JumpTarget[]): JumpTarget[] {
  const rank = (target: JumpTarget) => (target.kind === 'entity' ? 3 : target.from === 'code' ? 0 : target.from === 'code-stacktrace' ? 1 : 2);
  return [...targets].sort((a, b) => rank(a) - rank(b));
}

function baseName(path: string): string {
  const normalised = normalisePath(path);
  return normalised.slice(normalised.lastIndexOf('/') + 1);
}

async function isFile(uri: vscode.Uri): Promise<boolean> {
  try {
    return ((await vscode.workspace.fs.stat(uri)).type & vscode.FileType.File) !== 0;
  } catch {
    return false;
  }
}

async function readText(uri: vscode.Uri, open: vscode.TextDocument | undefined): Promise<string | undefined> {
  // An open editor may hold unsaved changes: search what the user sees.
  if (open) return open.getText();
  try {
    const stat = await vscode.workspace.fs.stat(uri);
    if (stat.size > MAX_FILE_BYTES) return undefined;
    return new TextDecoder().decode(await vscode.workspace.fs.readFile(uri));
  } catch {
    return undefined;
  }
}

/** The source map of a compiled file: its `sourceMappingURL` when it names a file, else `<file>.map`. */
async function findSourceMap(file: vscode.Uri): Promise<vscode.Uri | undefined> {
  try {
    const bytes = await vscode.workspace.fs.readFile(file);
    const tail = new TextDecoder().decode(bytes.subarray(Math.max(0, bytes.length - 4096)));
    const url = /\/\/[#@]\s*sourceMappingURL=(\S+)\s*$/.exec(tail)?.[1];
    if (url && !url.startsWith('data:')) {
      const mapped = vscode.Uri.file(resolvePath(dirname(file.fsPath), decodeURIComponent(url)));
      if (await isFile(mapped)) return mapped;
    }
  } catch {
    return undefined;
  }
  const beside = vscode.Uri.file(`${file.fsPath}.map`);
  return (await isFile(beside)) ? beside : undefined;
}
