/** Command ids of the extension and their signatures; package.json contributes the same ids with titles and menus. */

import * as vscode from 'vscode';
import type { ConnectionState } from './connection';
import type { JumpResult } from './source';

/** Every command the extension registers: one id per signature of {@link CommandSignatures}, and no other. */
export const COMMANDS: { readonly [K in keyof CommandSignatures]: `respanInspector.${K}` } = {
  showInspector: 'respanInspector.showInspector',
  openInBrowser: 'respanInspector.openInBrowser',
  clearTraces: 'respanInspector.clearTraces',
  pauseCapture: 'respanInspector.pauseCapture',
  resumeCapture: 'respanInspector.resumeCapture',
  filterTraces: 'respanInspector.filterTraces',
  clearFilter: 'respanInspector.clearFilter',
  exportTrace: 'respanInspector.exportTrace',
  importTraceFile: 'respanInspector.importTraceFile',
  copyEnvironment: 'respanInspector.copyEnvironment',
  restartListener: 'respanInspector.restartListener',
  startListener: 'respanInspector.startListener',
  stopListener: 'respanInspector.stopListener',
  pickPort: 'respanInspector.pickPort',
  openInInspector: 'respanInspector.openInInspector',
  jumpToSource: 'respanInspector.jumpToSource',
  copyTraceId: 'respanInspector.copyTraceId',
  copySpanId: 'respanInspector.copySpanId',
  pinTrace: 'respanInspector.pinTrace',
  unpinTrace: 'respanInspector.unpinTrace',
  deleteTrace: 'respanInspector.deleteTrace',
  runDemo: 'respanInspector.runDemo',
  showVersion: 'respanInspector.showVersion',
  setApiKey: 'respanInspector.setApiKey',
  clearApiKey: 'respanInspector.clearApiKey',
  forwardTrace: 'respanInspector.forwardTrace',
};

/** Context keys the manifest's `when` clauses read. */
export const CONTEXT_KEYS = {
  /** `running`, `starting`, `stopped` or `error`. */
  listenerState: 'respanInspector.listenerState',
  paused: 'respanInspector.paused',
  filtered: 'respanInspector.filtered',
  hasTraces: 'respanInspector.hasTraces',
  /** The panel has a span or trace selected. */
  hasSelection: 'respanInspector.hasSelection',
  /** A Respan API key is stored. */
  hasApiKey: 'respanInspector.hasApiKey',
} as const;

/** A trace, and optionally a span in it. */
export interface SpanRef {
  traceId: string;
  spanId?: string;
}

/** A command argument that names a trace or span: a tree node, or a plain `{traceId, spanId?}`. */
export type ItemArgument = { kind: 'trace'; traceId: string } | { kind: 'span'; traceId: string; spanId: string } | { kind: 'more' } | SpanRef | undefined;

/** The trace/span an argument names. */
export function refOf(argument: ItemArgument): SpanRef | undefined {
  if (argument === undefined || argument === null || typeof argument !== 'object') return undefined;
  if ('kind' in argument) {
    if (argument.kind === 'trace') return { traceId: argument.traceId };
    if (argument.kind === 'span') return { traceId: argument.traceId, spanId: argument.spanId };
    return undefined;
  }
  return typeof argument.traceId === 'string' ? argument : undefined;
}

/** Shells whose syntax "Copy Environment Variables" writes. */
export type ShellSyntax = 'posix' | 'powershell' | 'dotenv';

/**
 * Every command's arguments and result: each contribution registers its
 * handlers through {@link registerCommands}, which checks them against this
 * map, and tests run them through {@link runCommand} with the same types.
 */
export interface CommandSignatures {
  showInspector(): void;
  openInInspector(item?: ItemArgument): Promise<void>;
  openInBrowser(): Promise<boolean>;
  clearTraces(): Promise<void>;
  pauseCapture(): Promise<void>;
  resumeCapture(): Promise<void>;
  filterTraces(text?: string): Promise<void>;
  clearFilter(): void;
  exportTrace(item?: ItemArgument): Promise<boolean>;
  importTraceFile(file?: vscode.Uri): Promise<number>;
  copyEnvironment(shell?: ShellSyntax): Promise<string | undefined>;
  restartListener(): Promise<ConnectionState>;
  startListener(): Promise<ConnectionState>;
  stopListener(): Promise<ConnectionState>;
  pickPort(kind?: 'http' | 'grpc'): Promise<number | undefined>;
  jumpToSource(item?: ItemArgument): Promise<JumpResult | undefined>;
  copyTraceId(item?: ItemArgument): Promise<string | undefined>;
  copySpanId(item?: ItemArgument): Promise<string | undefined>;
  pinTrace(item?: ItemArgument): Promise<boolean>;
  unpinTrace(item?: ItemArgument): Promise<boolean>;
  deleteTrace(item?: ItemArgument): Promise<boolean>;
  runDemo(): Promise<void>;
  showVersion(): string;
  setApiKey(key?: string): Promise<boolean>;
  clearApiKey(): Promise<void>;
  forwardTrace(item?: ItemArgument): Promise<{ ok: boolean; message: string } | undefined>;
}

/** A command by its short name (`pinTrace` for `respanInspector.pinTrace`). */
export type CommandName = keyof typeof COMMANDS;

/** Registers `handlers` under their commands' ids; the returned disposable unregisters them all. */
export function registerCommands<K extends CommandName>(handlers: Pick<CommandSignatures, K>): vscode.Disposable {
  return vscode.Disposable.from(
    ...(Object.keys(handlers) as K[]).map((name) => vscode.commands.registerCommand(COMMANDS[name], handlers[name])),
  );
}

/** Runs a command by its short name, typed by {@link CommandSignatures}. */
export function runCommand<K extends CommandName>(name: K, ...args: Parameters<CommandSignatures[K]>): Thenable<Awaited<ReturnType<CommandSignatures[K]>>> {
  return vscode.commands.executeCommand(COMMANDS[name], ...args);
}
