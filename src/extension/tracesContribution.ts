/**
 * The Traces view and what acts on the traces it lists: filter, pause and
 * resume capture, clear, pin, delete, copy ids. Everything goes to the
 * inspector process; the view refreshes on its live events.
 */

import * as vscode from 'vscode';
import { isServiceError } from '../core/service/errors';
import type { ServiceCall } from '../protocol/service';
import { CONTEXT_KEYS, refOf, registerCommands, type ItemArgument } from './commands';
import type { ConnectionState, InspectorConnection } from './connection';
import { DisposableStore } from './disposables';
import type { ListenerStatusBar } from './statusBar';
import { TracesTreeProvider, type TracesNode } from './tree';

/** The Traces view's id (package.json `views`). */
export const TRACES_VIEW_ID = 'respanInspector.traces';

/** Says the inspector is not attached, for commands that need it. */
export function notAttached(): undefined {
  void vscode.window.showWarningMessage('Respan Trace Inspector: the listener is not running; start it first.');
  return undefined;
}

/** The Traces view and its commands. */
export class TracesContribution implements vscode.Disposable {
  readonly tree: TracesTreeProvider;
  readonly treeView: vscode.TreeView<TracesNode>;
  private readonly disposables = new DisposableStore();
  private capturing = true;

  constructor(
    private readonly connection: InspectorConnection,
    private readonly statusBar: ListenerStatusBar,
  ) {
    const d = this.disposables;
    this.tree = d.add(new TracesTreeProvider(() => connection.client?.call));
    this.treeView = d.add(vscode.window.createTreeView(TRACES_VIEW_ID, { treeDataProvider: this.tree, showCollapseAll: true }));
    d.add(vscode.window.registerFileDecorationProvider(this.tree));
    d.add(
      connection.onEvent((event) => {
        if (event.type === 'change') {
          this.tree.storeChanged(event.data);
          void this.setContext(CONTEXT_KEYS.hasTraces, event.data.traceCount > 0);
        } else if (event.type === 'hello' || event.type === 'resync') {
          // A new attachment, or events were dropped: read everything again.
          this.tree.refreshRoot();
          void this.setContext(CONTEXT_KEYS.hasTraces, event.data.traceCount > 0);
          if (event.type === 'hello') void this.readCapture();
        }
      }),
    );
    d.add(connection.onDidChangeState((state) => this.onState(state)));
    d.add(
      registerCommands({
        clearTraces: () => this.run((call) => call('deleteTraces', {}).then(() => undefined)),
        pauseCapture: () => this.setCapturing(false),
        resumeCapture: () => this.setCapturing(true),
        filterTraces: (text) => this.filterTraces(text),
        clearFilter: () => this.applyFilter(undefined),
        copyTraceId: (item) => this.copyId(item, 'trace'),
        copySpanId: (item) => this.copyId(item, 'span'),
        pinTrace: (item) => this.pin(item, true),
        unpinTrace: (item) => this.pin(item, false),
        deleteTrace: (item) => this.deleteTrace(item),
      }),
    );
    this.updateTitle();
    void this.setContext(CONTEXT_KEYS.paused, false);
    void this.setContext(CONTEXT_KEYS.filtered, false);
    void this.setContext(CONTEXT_KEYS.hasTraces, false);
  }

  private onState(state: ConnectionState): void {
    if (state.status !== 'running') this.tree.refreshRoot();
    this.updateTitle();
  }

  /** Runs `action` with the process's service, or says it is not attached. */
  private async run<T>(action: (call: ServiceCall) => Promise<T>): Promise<T | undefined> {
    const call = this.connection.client?.call;
    return call ? action(call) : notAttached();
  }

  /** Capture is the process's: another window may have paused it. */
  private async readCapture(): Promise<void> {
    const status = await this.connection.client?.call('status', {}).catch(() => undefined);
    if (status) this.showCapture(status.capturing, status.droppedSpans);
  }

  private async setCapturing(capturing: boolean): Promise<void> {
    const result = await this.run((call) => call('setCapture', { capturing }));
    if (result) this.showCapture(result.capturing, result.droppedSpans);
  }

  private showCapture(capturing: boolean, dropped: number): void {
    this.capturing = capturing;
    this.statusBar.setPaused(!capturing, dropped);
    void this.setContext(CONTEXT_KEYS.paused, !capturing);
    this.updateTitle();
  }

  private updateTitle(): void {
    const parts: string[] = [];
    const state = this.connection.state;
    if (state.status === 'running') parts.push(`:${state.httpPort}`);
    else if (state.status === 'error') parts.push('listener failed');
    else if (state.status === 'stopped') parts.push('stopped');
    else if (state.lost) parts.push('reconnecting');
    if (!this.capturing) parts.push('paused');
    this.treeView.description = parts.join(' · ');
    const filter = this.tree.filter;
    this.treeView.message = filter ? `Filtered by "${filter}"` : undefined;
  }

  private async filterTraces(text?: string): Promise<void> {
    const value =
      text ??
      (await vscode.window.showInputBox({
        title: 'Filter Traces',
        value: this.tree.filter ?? '',
        prompt: 'Text in span names, ids or attribute values. Add is:error for failed traces, is:pinned for pinned ones. Empty shows all.',
        placeHolder: 'e.g. joke is:error',
      }));
    if (value === undefined) return;
    this.applyFilter(value);
  }

  private applyFilter(text: string | undefined): void {
    this.tree.setFilter(text);
    void this.setContext(CONTEXT_KEYS.filtered, this.tree.filter !== undefined);
    this.updateTitle();
  }

  private async copyId(argument: ItemArgument, what: 'trace' | 'span'): Promise<string | undefined> {
    const ref = refOf(argument);
    const id = what === 'trace' ? ref?.traceId : ref?.spanId;
    if (!id) return undefined;
    await vscode.env.clipboard.writeText(id);
    vscode.window.setStatusBarMessage(`$(copy) Copied ${what} id ${id}`, 2500);
    return id;
  }

  private async pin(argument: ItemArgument, pinned: boolean): Promise<boolean> {
    const ref = refOf(argument);
    if (!ref) return false;
    const done = await this.run((call) => call('pinTrace', { traceId: ref.traceId, pinned }).then(() => true, unlessGone));
    if (done) this.tree.refreshTraces([ref.traceId]);
    return done ?? false;
  }

  private async deleteTrace(argument: ItemArgument): Promise<boolean> {
    const ref = refOf(argument);
    if (!ref) return false;
    return (await this.run((call) => call('deleteTraces', { traceIds: [ref.traceId] }).then(() => true, unlessGone))) ?? false;
  }

  private setContext(key: string, value: unknown): Thenable<unknown> {
    return vscode.commands.executeCommand('setContext', key, value);
  }

  dispose(): void {
    this.disposables.dispose();
  }
}

/** False for a trace that left the inspector meanwhile (nothing to tell); anything else is thrown on. */
export function unlessGone(error: unknown): false {
  if (isServiceError(error, 'not-found')) return false;
  throw error;
}
