/**
 * The extension, assembled: one trace store for the session, the listener on
 * it, the Traces view, the inspector panel, jump to source, the status bar,
 * terminal wiring and the commands. Created by `activate`, disposed by
 * `deactivate`.
 */

import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { DemoHandle, DemoOptions } from '../cli/demo';
import type { ForwardResult } from '../protocol/messages';
import { COMMANDS, CONTEXT_KEYS } from './commands';
import { DisposableStore } from './disposables';
import { environmentText } from './environment';
import { CaptureStore, ListenerController, type ListenerState, type ReceiverFactory } from './listener';
import { InspectorPanel, InspectorPanelSerializer, PANEL_VIEW_TYPE, type SpanRef } from './panel';
import { readSettings, sameListener, SECTION, updateSetting, type InspectorSettings } from './settings';
import { SourceNavigator, type JumpResult } from './source';
import { ListenerStatusBar } from './statusBar';
import { TerminalEnvironment } from './terminal';
import { TracesTreeProvider, type TracesNode } from './tree';
import { exportTraceJson, importTraces, type ViewServices } from './viewRequests';

/** The Traces view's id (package.json `views`). */
export const TRACES_VIEW_ID = 'respanInspector.traces';

/** Options for tests: a different receiver factory. */
export interface InspectorOptions {
  receivers?: ReceiverFactory;
}

/** A command argument that names a trace or span: a tree node, or a plain `{traceId, spanId?}`. */
type ItemArgument = TracesNode | SpanRef | undefined;

function refOf(argument: ItemArgument): SpanRef | undefined {
  if (argument === undefined || argument === null || typeof argument !== 'object') return undefined;
  if ('kind' in argument) {
    if (argument.kind === 'trace') return { traceId: argument.traceId };
    if (argument.kind === 'span') return { traceId: argument.traceId, spanId: argument.spanId };
    return undefined;
  }
  return typeof argument.traceId === 'string' ? argument : undefined;
}

/** A free TCP port on `host`, as a suggestion when the configured one is taken. */
function freePort(host: string): Promise<number | undefined> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(undefined));
    server.listen(0, host, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : undefined;
      server.close(() => resolve(port));
    });
  });
}

/** Everything the extension runs, and its teardown. */
export class InspectorExtension implements vscode.Disposable {
  readonly store: CaptureStore;
  readonly listener: ListenerController;
  readonly tree: TracesTreeProvider;
  readonly treeView: vscode.TreeView<TracesNode>;
  readonly panel: InspectorPanel;
  readonly navigator: SourceNavigator;
  readonly terminal: TerminalEnvironment;
  readonly statusBar: ListenerStatusBar;
  private settings: InspectorSettings;
  private readonly disposables = new DisposableStore();
  private demo: DemoHandle | undefined;
  /** The last port-in-use notice, so a restart that fails the same way does not stack notices. */
  private notifiedPort: string | undefined;

  constructor(
    private readonly context: vscode.ExtensionContext,
    options: InspectorOptions = {},
  ) {
    this.settings = readSettings();
    const d = this.disposables;
    this.store = new CaptureStore({ maxSpans: this.settings.maxSpans, maxTraces: this.settings.maxTraces });
    this.listener = new ListenerController({
      store: this.store,
      webviewDir: context.asAbsolutePath(join('dist', 'webview')),
      receivers: options.receivers,
    });
    this.navigator = d.add(new SourceNavigator(() => this.sourceColumn()));
    this.panel = d.add(new InspectorPanel({ extensionUri: context.extensionUri, store: this.store, services: this.viewServices(), endpoints: () => this.listener.endpoints }));
    this.tree = d.add(new TracesTreeProvider(this.store));
    this.treeView = d.add(vscode.window.createTreeView(TRACES_VIEW_ID, { treeDataProvider: this.tree, showCollapseAll: true }));
    this.terminal = new TerminalEnvironment(context.environmentVariableCollection);
    this.statusBar = d.add(new ListenerStatusBar());

    d.add(vscode.window.registerFileDecorationProvider(this.tree));
    d.add(vscode.window.registerWebviewPanelSerializer(PANEL_VIEW_TYPE, new InspectorPanelSerializer(this.panel)));
    d.addCallback(this.store.onChange((change) => {
      this.statusBar.setCounts(change.spanCount, change.traceCount);
      this.panel.notifyStoreChange(change);
      void this.setContext(CONTEXT_KEYS.hasTraces, change.traceCount > 0);
    }));
    d.add(this.listener.onDidChangeState((state) => this.onListenerState(state)));
    d.add(this.panel.onDidChangeSelection((selection) => this.followPanelSelection(selection)));
    d.add(vscode.workspace.onDidChangeConfiguration((event) => this.onConfigurationChange(event)));
    this.registerCommands();
    // Terminal variables and the view title follow state from the start.
    this.onListenerState(this.listener.state);
    this.updateTitle();
    void this.setContext(CONTEXT_KEYS.paused, false);
    void this.setContext(CONTEXT_KEYS.filtered, false);
    void this.setContext(CONTEXT_KEYS.hasTraces, false);
  }

  /** Starts the listener when `autoStart` is on. Resolves once it runs or failed; never rejects. */
  async start(): Promise<void> {
    if (this.settings.autoStart) await this.listener.start(this.settings.listener);
  }

  // -------------------------------------------------------------------------
  // Listener state and settings

  private onListenerState(state: ListenerState): void {
    this.statusBar.setState(state);
    this.terminal.update(this.listener.endpoints, this.settings.terminalEnvironment);
    this.panel.notifyEndpoints(this.listener.endpoints);
    void this.setContext(CONTEXT_KEYS.listenerState, state.status);
    this.updateTitle();
    if (state.status === 'running') this.notifiedPort = undefined;
    if (state.status === 'error') this.reportStartFailure(state);
  }

  private reportStartFailure(state: Extract<ListenerState, { status: 'error' }>): void {
    if (state.portInUse) {
      const key = `${state.portInUse.host}:${state.portInUse.port}`;
      if (this.notifiedPort === key) return;
      this.notifiedPort = key;
      const message = `Respan Trace Inspector: port ${state.portInUse.port} on ${state.portInUse.host} is already in use (another inspector or an OpenTelemetry collector?), so the listener did not start.`;
      // Not awaited: the promise settles only when the notification is dismissed.
      void vscode.window.showErrorMessage(message, 'Pick Another Port', 'Retry').then((choice) => {
        if (choice === 'Pick Another Port') void vscode.commands.executeCommand(COMMANDS.pickPort);
        else if (choice === 'Retry') void vscode.commands.executeCommand(COMMANDS.restartListener);
      });
      return;
    }
    void vscode.window.showErrorMessage(`Respan Trace Inspector: the listener did not start: ${state.message}`, 'Retry').then((choice) => {
      if (choice) void vscode.commands.executeCommand(COMMANDS.restartListener);
    });
  }

  private onConfigurationChange(event: vscode.ConfigurationChangeEvent): void {
    if (!event.affectsConfiguration(SECTION)) return;
    const previous = this.settings;
    const next = readSettings();
    this.settings = next;
    if (next.maxSpans !== previous.maxSpans || next.maxTraces !== previous.maxTraces) {
      // Retention applies in place: restarting would not change it, and traces survive.
      this.store.setLimits({ maxSpans: next.maxSpans, maxTraces: next.maxTraces });
    }
    if (next.terminalEnvironment !== previous.terminalEnvironment) this.terminal.update(this.listener.endpoints, next.terminalEnvironment);
    const state = this.listener.state;
    const wasWanted = state.status === 'running' || state.status === 'starting' || state.status === 'error';
    if (!sameListener(next.listener, previous.listener) && (wasWanted || next.autoStart)) {
      this.notifiedPort = undefined;
      void this.listener.start(next.listener);
    } else if (next.autoStart && !previous.autoStart && state.status === 'stopped') {
      void this.listener.start(next.listener);
    }
  }

  private updateTitle(): void {
    const parts: string[] = [];
    const state = this.listener.state;
    if (state.status === 'running') parts.push(`:${state.httpPort}`);
    else if (state.status === 'error') parts.push('listener failed');
    else if (state.status === 'stopped') parts.push('stopped');
    if (!this.store.isCapturing) parts.push('paused');
    this.treeView.description = parts.join(' · ');
    const filter = this.tree.filter;
    this.treeView.message = filter ? `Filtered by "${filter}"` : undefined;
  }

  private setContext(key: string, value: unknown): Thenable<unknown> {
    return vscode.commands.executeCommand('setContext', key, value);
  }

  // -------------------------------------------------------------------------
  // Panel and tree

  private viewServices(): ViewServices {
    return {
      openSource: async (target) => (await this.navigator.openTarget(target)) !== undefined,
      copy: async (text) => vscode.env.clipboard.writeText(text),
      saveExport: (name, content) => this.saveExport(name, content),
      forwardTrace: async (): Promise<ForwardResult> => ({ ok: false, message: 'Forwarding to Respan is not available in this version of the extension yet.' }),
      canForward: () => false,
    };
  }

  /** Where source files open: beside the panel when it is showing, else the active editor group. */
  private sourceColumn(): vscode.ViewColumn {
    const panel = this.panel.webviewPanel;
    if (!panel || !panel.visible || panel.viewColumn === undefined) return vscode.ViewColumn.Active;
    const other = vscode.window.visibleTextEditors.find((editor) => editor.viewColumn !== undefined && editor.viewColumn !== panel.viewColumn);
    return other?.viewColumn ?? vscode.ViewColumn.Beside;
  }

  private followPanelSelection(selection: SpanRef | undefined): void {
    void this.setContext(CONTEXT_KEYS.hasSelection, selection !== undefined);
    // Revealing in a hidden view would open the side bar: only follow while the tree is on screen.
    if (!selection || !this.treeView.visible) return;
    const node = selection.spanId ? this.tree.spanNode(selection.traceId, selection.spanId) : this.tree.traceNode(selection.traceId);
    if (!node) return;
    const current = this.treeView.selection[0];
    if (current && current.kind !== 'more' && current.traceId === selection.traceId && (current.kind === 'span' ? current.spanId : undefined) === selection.spanId) return;
    this.treeView.reveal(node, { select: true, focus: false, expand: false }).then(undefined, () => undefined);
  }

  // -------------------------------------------------------------------------
  // Commands

  private registerCommands(): void {
    const register = (id: string, handler: (...args: never[]) => unknown) => this.disposables.add(vscode.commands.registerCommand(id, handler));
    register(COMMANDS.showInspector, () => this.panel.show());
    register(COMMANDS.openInInspector, (argument: ItemArgument) => this.openInInspector(argument));
    register(COMMANDS.openInBrowser, () => this.openInBrowser());
    register(COMMANDS.clearTraces, () => this.clearTraces());
    register(COMMANDS.pauseCapture, () => this.setCapturing(false));
    register(COMMANDS.resumeCapture, () => this.setCapturing(true));
    register(COMMANDS.filterTraces, (text?: string) => this.filterTraces(text));
    register(COMMANDS.clearFilter, () => this.applyFilter(undefined));
    register(COMMANDS.exportTrace, (argument: ItemArgument) => this.exportTrace(argument));
    register(COMMANDS.importTraceFile, (file?: vscode.Uri) => this.importTraceFile(file));
    register(COMMANDS.copyEnvironment, (shell?: 'posix' | 'powershell' | 'dotenv') => this.copyEnvironment(shell));
    register(COMMANDS.restartListener, () => this.listener.start(this.settings.listener));
    register(COMMANDS.startListener, () => this.listener.start(this.settings.listener));
    register(COMMANDS.stopListener, () => this.listener.stop());
    register(COMMANDS.pickPort, () => this.pickPort());
    register(COMMANDS.jumpToSource, (argument: ItemArgument) => this.jumpToSource(argument));
    register(COMMANDS.copyTraceId, (argument: ItemArgument) => this.copyId(argument, 'trace'));
    register(COMMANDS.copySpanId, (argument: ItemArgument) => this.copyId(argument, 'span'));
    register(COMMANDS.pinTrace, (argument: ItemArgument) => this.pin(argument, true));
    register(COMMANDS.unpinTrace, (argument: ItemArgument) => this.pin(argument, false));
    register(COMMANDS.deleteTrace, (argument: ItemArgument) => this.deleteTrace(argument));
    register(COMMANDS.runDemo, () => this.runDemo());
    register(COMMANDS.showVersion, () => this.showVersion());
  }

  private openInInspector(argument: ItemArgument): void {
    const ref = refOf(argument);
    // Focus stays in the tree so the keyboard keeps walking it; the panel follows.
    this.panel.show(ref, { preserveFocus: true });
  }

  private async openInBrowser(): Promise<boolean> {
    const state = this.listener.state;
    if (state.status !== 'running') {
      void vscode.window.showWarningMessage('Respan Trace Inspector: the listener is not running, so there is no browser UI to open.');
      return false;
    }
    // Remote windows (SSH, containers, Codespaces) need the port forwarded: asExternalUri does that.
    const external = await vscode.env.asExternalUri(vscode.Uri.parse(`${state.url}/`));
    return vscode.env.openExternal(external);
  }

  private clearTraces(): void {
    this.store.clear();
    this.store.flush();
  }

  private setCapturing(capturing: boolean): void {
    this.store.setCapturing(capturing);
    this.statusBar.setPaused(!capturing, this.store.dropped);
    void this.setContext(CONTEXT_KEYS.paused, !capturing);
    this.updateTitle();
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

  /** A trace from the argument, the panel's selection, or a quick pick. */
  private async chooseTrace(argument: ItemArgument, purpose: string): Promise<string | undefined> {
    const ref = refOf(argument) ?? this.panel.selection;
    if (ref) return ref.traceId;
    const { traces } = this.store.list({ limit: 100 });
    if (traces.length === 0) {
      void vscode.window.showInformationMessage('Respan Trace Inspector: no traces yet.');
      return undefined;
    }
    const picked = await vscode.window.showQuickPick(
      traces.map((entry) => {
        const head = entry.rootSpan ?? entry.earliestSpan;
        return { label: head?.name ?? entry.traceId, description: `${entry.spans.size} spans`, detail: entry.traceId, traceId: entry.traceId };
      }),
      { title: purpose, matchOnDetail: true },
    );
    return picked?.traceId;
  }

  private async exportTrace(argument: ItemArgument): Promise<boolean> {
    const traceId = await this.chooseTrace(argument, 'Export which trace?');
    if (!traceId) return false;
    const json = exportTraceJson(this.store, traceId);
    if (json === undefined) {
      void vscode.window.showWarningMessage('Respan Trace Inspector: that trace is no longer in the inspector.');
      return false;
    }
    return this.saveExport(`trace-${traceId}.json`, json);
  }

  private async saveExport(suggestedName: string, content: string): Promise<boolean> {
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
    const target = await vscode.window.showSaveDialog({
      title: 'Export Trace as OTLP JSON',
      defaultUri: folder ? vscode.Uri.joinPath(folder, suggestedName) : undefined,
      filters: { 'OTLP JSON': ['json'] },
    });
    if (!target) return false;
    await vscode.workspace.fs.writeFile(target, new TextEncoder().encode(content));
    return true;
  }

  private async importTraceFile(file?: vscode.Uri): Promise<number> {
    const uri =
      file ??
      (
        await vscode.window.showOpenDialog({
          title: 'Import Trace File',
          canSelectMany: false,
          filters: { 'OTLP JSON or Respan ingest JSON': ['json'] },
        })
      )?.[0];
    if (!uri) return 0;
    try {
      const content = new TextDecoder().decode(await vscode.workspace.fs.readFile(uri));
      const result = importTraces(this.store, content);
      const name = uri.path.slice(uri.path.lastIndexOf('/') + 1);
      if (result.accepted === 0) {
        void vscode.window.showErrorMessage(`Respan Trace Inspector: nothing could be imported from ${name}${result.message ? `: ${result.message}` : '.'}`);
        return 0;
      }
      const note = result.rejected > 0 ? `; ${result.message}` : '';
      void vscode.window.showInformationMessage(`Respan Trace Inspector: imported ${result.accepted} spans from ${name}${note}`);
      this.store.flush();
      this.panel.show({ traceId: result.traceIds[0] });
      return result.accepted;
    } catch (error) {
      void vscode.window.showErrorMessage(`Respan Trace Inspector: could not import ${uri.fsPath}: ${(error as Error).message}`);
      return 0;
    }
  }

  private async copyEnvironment(shell?: 'posix' | 'powershell' | 'dotenv'): Promise<string | undefined> {
    const endpoints = this.listener.endpoints;
    if (!endpoints) {
      void vscode.window.showWarningMessage('Respan Trace Inspector: the listener is not running; start it first.');
      return undefined;
    }
    let format = shell;
    if (!format) {
      const choices: Array<vscode.QuickPickItem & { format: 'posix' | 'powershell' | 'dotenv' }> = [
        { label: 'bash / zsh / sh', description: 'export NAME=value', format: 'posix' },
        { label: 'PowerShell', description: '$env:NAME="value"', format: 'powershell' },
        { label: '.env file', description: 'NAME=value', format: 'dotenv' },
      ];
      if (process.platform === 'win32') choices.unshift(choices.splice(1, 1)[0]);
      format = (await vscode.window.showQuickPick(choices, { title: 'Copy Environment Variables for…' }))?.format;
      if (!format) return undefined;
    }
    const text = environmentText(endpoints, format);
    await vscode.env.clipboard.writeText(text);
    void vscode.window.showInformationMessage('Respan Trace Inspector: environment variables copied. Paste them into the shell that runs your app.');
    return text;
  }

  private async pickPort(): Promise<number | undefined> {
    const host = this.settings.listener.host;
    const suggestion = await freePort(host);
    const answer = await vscode.window.showInputBox({
      title: 'Respan Trace Inspector: HTTP Port',
      prompt: `Port for OTLP/HTTP, the Respan paths and the browser UI (${this.settings.listener.httpPort} is taken). 0 picks a free port at every start.`,
      value: suggestion !== undefined ? String(suggestion) : '4319',
      validateInput: (text) => (/^\d+$/.test(text.trim()) && Number(text) <= 65535 ? undefined : 'A whole number from 0 to 65535'),
    });
    if (answer === undefined) return undefined;
    const port = Number(answer.trim());
    // The settings change restarts the listener.
    await updateSetting('httpPort', port);
    return port;
  }

  private async jumpToSource(argument: ItemArgument): Promise<JumpResult | undefined> {
    const ref = refOf(argument) ?? this.panel.selection;
    if (!ref?.spanId) {
      void vscode.window.showInformationMessage('Respan Trace Inspector: select a span first (in the Traces view or the inspector panel).');
      return undefined;
    }
    const span = this.store.getSpan(ref.traceId, ref.spanId);
    if (!span) {
      void vscode.window.showWarningMessage('Respan Trace Inspector: that span is no longer in the inspector.');
      return undefined;
    }
    return this.navigator.jumpToSpan(span);
  }

  private async copyId(argument: ItemArgument, what: 'trace' | 'span'): Promise<string | undefined> {
    const ref = refOf(argument);
    const id = what === 'trace' ? ref?.traceId : ref?.spanId;
    if (!id) return undefined;
    await vscode.env.clipboard.writeText(id);
    vscode.window.setStatusBarMessage(`$(copy) Copied ${what} id ${id}`, 2500);
    return id;
  }

  private pin(argument: ItemArgument, pinned: boolean): boolean {
    const ref = refOf(argument);
    return ref ? this.store.setPinned(ref.traceId, pinned) : false;
  }

  private deleteTrace(argument: ItemArgument): boolean {
    const ref = refOf(argument);
    return ref ? this.store.delete(ref.traceId) : false;
  }

  private async runDemo(): Promise<void> {
    const state = this.listener.state;
    if (state.status !== 'running') {
      void vscode.window.showWarningMessage('Respan Trace Inspector: start the listener before running the demo.');
      return;
    }
    await this.demo?.stop();
    // The demo carries the OpenTelemetry SDK: a separate bundle, loaded only when asked for.
    const load = createRequire(__filename);
    const { startDemo } = load(this.context.asAbsolutePath(join('dist', 'demo.js'))) as { startDemo(options: DemoOptions): DemoHandle };
    this.demo = startDemo({ baseUrl: state.url, runs: 3, intervalMs: 1500 });
    void vscode.commands.executeCommand(`${TRACES_VIEW_ID}.focus`);
    void vscode.window.showInformationMessage('Respan Trace Inspector: the demo agent sends three joke-workflow traces to the listener.');
  }

  private showVersion(): string {
    const { version } = this.context.extension.packageJSON as { version?: string };
    const message = `Respan Trace Inspector ${version ?? 'unknown'} running in VS Code ${vscode.version}`;
    void vscode.window.showInformationMessage(message);
    return message;
  }

  /** Releases everything and stops the listener (frees its ports). */
  async shutdown(): Promise<void> {
    this.disposables.dispose();
    this.terminal.update(null, false);
    await this.demo?.stop().catch(() => undefined);
    this.demo = undefined;
    await this.listener.stop();
  }

  dispose(): void {
    void this.shutdown();
  }
}

