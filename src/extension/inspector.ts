/**
 * The extension, assembled: one trace store for the session, the listener on
 * it, the Traces view, the inspector panel, jump to source, the status bar,
 * terminal wiring and the commands. Created by `activate`, disposed by
 * `deactivate`.
 */

import { createRequire } from 'node:module';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { DemoHandle, DemoOptions } from '../cli/demo';
import { BYTES_PER_MB, FORWARD_ANSWER_WAIT_MS } from '../core/defaults';
import type { ForwardingChange } from '../core/forward/forwarder';
import { isLoopbackHost } from '../core/net/loopback';
import { isServiceError } from '../core/service/errors';
import { InspectorService } from '../core/service/inspectorService';
import { TraceStore } from '../core/store';
import { isInspectorStatus, type ForwardTraceJson } from '../protocol/api';
import { nodeTimers } from '../server/forwarding';
import { createCostEstimator } from '../server/prices';
import { COMMANDS, CONTEXT_KEYS } from './commands';
import { DisposableStore } from './disposables';
import { FORWARD_STATE_LABELS, ForwardingService } from './forwarding';
import { clientUrl, environmentText } from './environment';
import { ListenerController, type ListenerState, type ListenerSettings, type PortProblem, type ReceiverFactory } from './listener';
import { freePort } from './inspectorProcess';
import { InspectorPanel, InspectorPanelSerializer, PANEL_VIEW_TYPE, type SpanRef } from './panel';
import { PriceSettings } from './prices';
import { readSettings, sameListener, SECTION, updateSetting, type InspectorSettings } from './settings';
import { SourceNavigator, type JumpResult } from './source';
import { ListenerStatusBar } from './statusBar';
import { TerminalEnvironment } from './terminal';
import { TracesTreeProvider, type TracesNode } from './tree';
import type { EditorServices } from './viewRequests';

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

/** True when a Respan Trace Inspector answers its status route at host:port (so the port's holder can be named). */
async function isInspectorAt(host: string, port: number): Promise<boolean> {
  try {
    const response = await fetch(`${clientUrl(host, port)}/api/status`, { signal: AbortSignal.timeout(1000) });
    return isInspectorStatus(await response.json());
  } catch {
    return false;
  }
}

/** Everything the extension runs, and its teardown. */

/** The store's retention bounds from the settings. */
function retentionOf(settings: InspectorSettings): { maxSpans: number; maxTraces: number; maxBytes: number } {
  return { maxSpans: settings.maxSpans, maxTraces: settings.maxTraces, maxBytes: settings.maxMemoryMb * BYTES_PER_MB };
}
export class InspectorExtension implements vscode.Disposable {
  readonly store: TraceStore;
  /** Every operation of the panel and the commands, answered from the store and the forwarder. */
  readonly service: InspectorService;
  readonly listener: ListenerController;
  readonly tree: TracesTreeProvider;
  readonly treeView: vscode.TreeView<TracesNode>;
  readonly panel: InspectorPanel;
  readonly navigator: SourceNavigator;
  readonly terminal: TerminalEnvironment;
  readonly statusBar: ListenerStatusBar;
  /** Log of listener and forwarding events ("Respan Trace Inspector" output). */
  readonly output: vscode.LogOutputChannel;
  /** Per-model prices and the opt-in price table update. */
  readonly prices: PriceSettings;
  /** Forwarding to Respan; its key is read by {@link start}. */
  readonly forwarding: ForwardingService;
  private current: InspectorSettings;

  /** The settings in effect (read when they change). */
  get settings(): InspectorSettings {
    return this.current;
  }
  private readonly disposables = new DisposableStore();
  private demo: DemoHandle | undefined;
  /** Host names added for "open in browser" through a forwarded port, for this session. */
  private readonly extraHosts = new Set<string>();
  /** The last port-in-use notice, so a restart that fails the same way does not stack notices. */
  private notifiedPort: string | undefined;

  constructor(
    private readonly context: vscode.ExtensionContext,
    options: InspectorOptions = {},
  ) {
    this.current = readSettings();
    const d = this.disposables;
    this.output = d.add(vscode.window.createOutputChannel('Respan Trace Inspector', { log: true }));
    this.store = new TraceStore({ ...retentionOf(this.settings), costs: createCostEstimator(this.settings.prices) });
    this.prices = new PriceSettings(this.store.costs, this.output);
    this.forwarding = d.add(new ForwardingService(this.store, context.secrets, this.output));
    this.service = new InspectorService({ store: this.store, forwarding: this.forwarding, timers: nodeTimers });
    this.listener = new ListenerController({
      service: this.service,
      webviewDir: context.asAbsolutePath(join('dist', 'webview')),
      receivers: options.receivers,
      // Called only for stored spans: paused capture forwards nothing either.
      onSpans: (spans) => this.forwarding.captured(spans),
    });
    this.navigator = d.add(new SourceNavigator(() => this.sourceColumn()));
    this.panel = d.add(new InspectorPanel({ extensionUri: context.extensionUri, service: this.service, editor: this.editorServices(), endpoints: () => this.listener.endpoints }));
    this.tree = d.add(new TracesTreeProvider(this.store));
    this.treeView = d.add(vscode.window.createTreeView(TRACES_VIEW_ID, { treeDataProvider: this.tree, showCollapseAll: true }));
    this.terminal = new TerminalEnvironment(context.environmentVariableCollection);
    this.statusBar = d.add(new ListenerStatusBar());

    d.add(vscode.window.registerFileDecorationProvider(this.tree));
    d.add(vscode.window.registerWebviewPanelSerializer(PANEL_VIEW_TYPE, new InspectorPanelSerializer(this.panel)));
    d.addCallback(this.store.onChange((change) => {
      this.statusBar.setCounts(change.spanCount, change.traceCount);
      void this.setContext(CONTEXT_KEYS.hasTraces, change.traceCount > 0);
    }));
    d.add(this.listener.onDidChangeState((state) => this.onListenerState(state)));
    d.add(this.forwarding.onDidChange((change) => this.onForwardingChange(change)));
    d.add(this.panel.onDidChangeSelection((selection) => void this.followPanelSelection(selection)));
    d.add(vscode.workspace.onDidChangeConfiguration((event) => this.onConfigurationChange(event)));
    this.registerCommands();
    // Terminal variables and the view title follow state from the start.
    this.onListenerState(this.listener.state);
    this.updateTitle();
    void this.setContext(CONTEXT_KEYS.paused, false);
    void this.setContext(CONTEXT_KEYS.filtered, false);
    void this.setContext(CONTEXT_KEYS.hasTraces, false);
  }

  /** Sets up forwarding, then starts the listener when `autoStart` is on. Resolves once it runs or failed; never rejects. */
  async start(): Promise<void> {
    const started = performance.now();
    this.onForwardingChange(undefined);
    // The key read (a round trip to the UI side in remote windows) does not hold up activation or the listener.
    this.keyLoaded = this.forwarding.loadKey().then(
      () => void (this.startTimings.keyMs = performance.now() - started),
      (error: Error) => this.output.error(`could not read the Respan API key: ${error.message}`),
    );
    if (this.settings.invalidOrigins.length > 0) this.reportInvalidOrigins();
    this.prices.apply(this.settings);
    if (this.settings.autoStart) await this.listener.start(this.listenerSettings());
    this.startTimings.listenerMs = performance.now() - started;
  }

  /** Says which `allowedOrigins` entries were left out, and what an origin looks like. */
  private reportInvalidOrigins(): void {
    const invalid = this.settings.invalidOrigins;
    if (invalid.length === 0) return;
    const message = `respanInspector.allowedOrigins: ${invalid.map((entry) => `"${entry.slice(0, 100)}"`).join(', ')} ${invalid.length === 1 ? 'is not an origin and was' : 'are not origins and were'} left out; write scheme, host and port, like http://localhost:3000, or http://localhost:* for every port.`;
    this.output.warn(message);
    void vscode.window.showWarningMessage(`Respan Trace Inspector: ${message}`);
  }

  /** Settles once the stored Respan API key was read (or found missing). */
  keyLoaded: Promise<void> = Promise.resolve();

  /** Milliseconds from {@link start} until the stored key was read and until the listener ran. */
  readonly startTimings = { keyMs: 0, listenerMs: 0 };

  // -------------------------------------------------------------------------
  // Listener state and settings

  private onListenerState(state: ListenerState): void {
    if (state.status === 'running') this.output.info(`listening on ${state.url}${state.grpcPort !== undefined ? `, OTLP/gRPC on port ${state.grpcPort}` : ''}`);
    else if (state.status === 'error') this.output.error(`listener did not start: ${state.message}`);
    else this.output.info(`listener ${state.status}`);
    this.statusBar.setState(state);
    this.terminal.update(this.listener.endpoints, this.settings.terminalEnvironment);
    this.panel.notifyEndpoints(this.listener.endpoints);
    void this.setContext(CONTEXT_KEYS.listenerState, state.status);
    this.updateTitle();
    if (state.status === 'running') {
      this.notifiedPort = undefined;
      if (state.grpcProblem) this.reportGrpcProblem(state.grpcProblem);
    }
    if (state.status === 'error') void this.reportStartFailure(state);
  }

  private reportGrpcProblem(problem: PortProblem): void {
    const key = `grpc:${problem.portInUse?.port ?? problem.message}`;
    if (this.notifiedPort === key) return;
    this.notifiedPort = key;
    const what = problem.portInUse ? `port ${problem.portInUse.port} is already in use` : problem.message;
    void vscode.window
      .showWarningMessage(`Respan Trace Inspector: OTLP/gRPC is off because ${what}. OTLP/HTTP and the Respan paths work as usual.`, 'Change gRPC Port', 'Turn Off gRPC')
      .then((choice) => {
        if (choice === 'Change gRPC Port') void vscode.commands.executeCommand(COMMANDS.pickPort, 'grpc');
        else if (choice === 'Turn Off gRPC') void updateSetting('grpcEnabled', false);
      });
  }

  private async reportStartFailure(state: Extract<ListenerState, { status: 'error' }>): Promise<void> {
    if (state.portInUse) {
      const { host, port } = state.portInUse;
      const key = `${host}:${port}`;
      if (this.notifiedPort === key) return;
      this.notifiedPort = key;
      const holder = (await isInspectorAt(host, port))
        ? 'another Respan Trace Inspector (another VS Code window, or the standalone command) already listens there'
        : 'another program (an OpenTelemetry collector?) holds it';
      const message = `Respan Trace Inspector: port ${port} on ${host} is already in use: ${holder}. The listener did not start.`;
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
    if (event.affectsConfiguration(`${SECTION}.forwarding`)) {
      // The service reads the current forwarder at each request: a rebuilt one needs no listener restart.
      this.forwarding.reloadSettings();
      const problem = this.forwarding.problem;
      if (problem) void vscode.window.showErrorMessage(`Respan Trace Inspector: forwarding settings not applied: ${problem}`);
    }
    const previous = this.settings;
    const next = readSettings();
    this.current = next;
    if (next.invalidOrigins.join('\n') !== previous.invalidOrigins.join('\n')) this.reportInvalidOrigins();
    this.prices.apply(next, previous);
    if (next.maxSpans !== previous.maxSpans || next.maxTraces !== previous.maxTraces || next.maxMemoryMb !== previous.maxMemoryMb) {
      // Retention applies in place: restarting would not change it, and traces survive.
      this.store.setLimits(retentionOf(next));
    }
    if (next.terminalEnvironment !== previous.terminalEnvironment) this.terminal.update(this.listener.endpoints, next.terminalEnvironment);
    const state = this.listener.state;
    const wasWanted = state.status === 'running' || state.status === 'starting' || state.status === 'error';
    if (!sameListener(next.listener, previous.listener) && (wasWanted || next.autoStart)) {
      this.notifiedPort = undefined;
      void this.listener.start(this.listenerSettings());
    } else if (next.autoStart && !previous.autoStart && state.status === 'stopped') {
      void this.listener.start(this.listenerSettings());
    }
  }

  /** The listener settings with the host names allowed this session. */
  private listenerSettings(): ListenerSettings {
    return this.extraHosts.size === 0 ? this.settings.listener : { ...this.settings.listener, allowedHosts: [...this.extraHosts] };
  }

  private updateTitle(): void {
    const parts: string[] = [];
    const state = this.listener.state;
    if (state.status === 'running') parts.push(`:${state.httpPort}`);
    else if (state.status === 'error') parts.push('listener failed');
    else if (state.status === 'stopped') parts.push('stopped');
    if (!this.service.capture.capturing) parts.push('paused');
    this.treeView.description = parts.join(' · ');
    const filter = this.tree.filter;
    this.treeView.message = filter ? `Filtered by "${filter}"` : undefined;
  }

  private setContext(key: string, value: unknown): Thenable<unknown> {
    return vscode.commands.executeCommand('setContext', key, value);
  }

  // -------------------------------------------------------------------------
  // Panel and tree

  private editorServices(): EditorServices {
    return {
      openSource: async (target) => (await this.navigator.openTarget(target)) !== undefined,
      copy: async (text) => vscode.env.clipboard.writeText(text),
      saveExport: (name, content) => this.saveExport(name, content),
    };
  }

  /** Where source files open: beside the panel when it is showing, else the active editor group. */
  private sourceColumn(): vscode.ViewColumn {
    const panel = this.panel.webviewPanel;
    if (!panel || !panel.visible || panel.viewColumn === undefined) return vscode.ViewColumn.Active;
    const other = vscode.window.visibleTextEditors.find((editor) => editor.viewColumn !== undefined && editor.viewColumn !== panel.viewColumn);
    return other?.viewColumn ?? vscode.ViewColumn.Beside;
  }

  private async followPanelSelection(selection: SpanRef | undefined): Promise<void> {
    void this.setContext(CONTEXT_KEYS.hasSelection, selection !== undefined);
    // Revealing in a hidden view would open the side bar: only follow while the tree is on screen.
    if (!selection || !this.treeView.visible) return;
    // A root refresh landing during reveal would drop the selection: let pending ones land first.
    await this.tree.whenRefreshed();
    if (this.panel.selection !== selection) return;
    const node = selection.spanId ? this.tree.spanNode(selection.traceId, selection.spanId) : this.tree.traceNode(selection.traceId);
    if (!node) return;
    const current = this.treeView.selection[0];
    if (current && current.kind !== 'more' && current.traceId === selection.traceId && (current.kind === 'span' ? current.spanId : undefined) === selection.spanId) return;
    await this.treeView.reveal(node, { select: true, focus: false, expand: false }).then(undefined, (error: Error) => {
      this.output.debug(`could not reveal the panel's selection in the tree: ${error.message}`);
    });
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
    register(COMMANDS.restartListener, () => this.listener.start(this.listenerSettings()));
    register(COMMANDS.startListener, () => this.listener.start(this.listenerSettings()));
    register(COMMANDS.stopListener, () => this.listener.stop());
    register(COMMANDS.pickPort, (kind?: 'http' | 'grpc') => this.pickPort(kind === 'grpc' ? 'grpc' : 'http'));
    register(COMMANDS.jumpToSource, (argument: ItemArgument) => this.jumpToSource(argument));
    register(COMMANDS.copyTraceId, (argument: ItemArgument) => this.copyId(argument, 'trace'));
    register(COMMANDS.copySpanId, (argument: ItemArgument) => this.copyId(argument, 'span'));
    register(COMMANDS.pinTrace, (argument: ItemArgument) => this.pin(argument, true));
    register(COMMANDS.unpinTrace, (argument: ItemArgument) => this.pin(argument, false));
    register(COMMANDS.deleteTrace, (argument: ItemArgument) => this.deleteTrace(argument));
    register(COMMANDS.runDemo, () => this.runDemo());
    register(COMMANDS.setApiKey, (key?: string) => this.setApiKey(key));
    register(COMMANDS.clearApiKey, () => this.clearApiKey());
    register(COMMANDS.forwardTrace, (argument: ItemArgument) => this.forwardTrace(argument));
    register(COMMANDS.showVersion, () => this.showVersion());
  }

  private openInInspector(argument: ItemArgument): void {
    let ref = refOf(argument);
    if (ref && ref.spanId === undefined) {
      // A trace clicked in the tree: show it from the top, whatever was selected in it before.
      const entry = this.store.get(ref.traceId);
      const head = entry?.rootSpan ?? entry?.earliestSpan;
      if (head) ref = { traceId: ref.traceId, spanId: head.spanId };
    }
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
    const external = await vscode.env.asExternalUri(vscode.Uri.parse(state.uiUrl));
    const name = external.authority.replace(/^[^@]*@/, '').replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
    const allowed = state.settings.allowedHosts ?? [];
    if (!isLoopbackHost(name) && !allowed.includes(name)) {
      // A forwarding proxy's public name reaches the listener in the Host header, which it refuses unless allowed.
      this.extraHosts.add(name);
      const next = await this.listener.start(this.listenerSettings());
      if (next.status !== 'running') return false;
      return vscode.env.openExternal(await vscode.env.asExternalUri(vscode.Uri.parse(next.uiUrl)));
    }
    return vscode.env.openExternal(external);
  }

  private async clearTraces(): Promise<void> {
    await this.service.handle('deleteTraces', {});
  }

  private async setCapturing(capturing: boolean): Promise<void> {
    const { droppedSpans } = await this.service.handle('setCapture', { capturing });
    this.statusBar.setPaused(!capturing, droppedSpans);
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
    let file;
    try {
      file = await this.service.handle('exportTrace', { traceId });
    } catch (error) {
      void vscode.window.showWarningMessage(`Respan Trace Inspector: ${(error as Error).message}`);
      return false;
    }
    return this.saveExport(file.fileName, file.content);
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
    const name = uri.path.slice(uri.path.lastIndexOf('/') + 1);
    let content: string;
    try {
      content = new TextDecoder().decode(await vscode.workspace.fs.readFile(uri));
    } catch (error) {
      void vscode.window.showErrorMessage(`Respan Trace Inspector: could not import ${uri.fsPath}: ${(error as Error).message}`);
      return 0;
    }
    try {
      const result = await this.service.handle('importTraces', { content, fileName: name });
      if (result.imported === 0) {
        void vscode.window.showErrorMessage(`Respan Trace Inspector: ${name} holds no spans.`);
        return 0;
      }
      const note = result.rejected > 0 ? `; ${result.message}` : '';
      void vscode.window.showInformationMessage(`Respan Trace Inspector: imported ${result.imported} spans from ${name}${note}`);
      this.panel.show({ traceId: result.traceIds[0] });
      return result.imported;
    } catch (error) {
      void vscode.window.showErrorMessage(`Respan Trace Inspector: ${(error as Error).message}`);
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

  private async pickPort(kind: 'http' | 'grpc'): Promise<number | undefined> {
    const { host, httpPort, grpcPort } = this.settings.listener;
    const suggestion = await freePort(host);
    const current = kind === 'http' ? httpPort : grpcPort;
    const answer = await vscode.window.showInputBox({
      title: kind === 'http' ? 'Respan Trace Inspector: HTTP Port' : 'Respan Trace Inspector: OTLP/gRPC Port',
      prompt: `${kind === 'http' ? 'Port for OTLP/HTTP, the Respan paths and the browser UI' : 'Port for OTLP/gRPC'} (now ${current}). 0 picks a free port at every start.`,
      value: suggestion !== undefined ? String(suggestion) : String(current + 2),
      validateInput: (text) => (/^\d+$/.test(text.trim()) && Number(text) <= 65535 ? undefined : 'A whole number from 0 to 65535'),
    });
    if (answer === undefined) return undefined;
    const port = Number(answer.trim());
    // The settings change restarts the listener.
    await updateSetting(kind === 'http' ? 'httpPort' : 'grpcPort', port);
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

  private async pin(argument: ItemArgument, pinned: boolean): Promise<boolean> {
    const ref = refOf(argument);
    if (!ref) return false;
    return this.service.handle('pinTrace', { traceId: ref.traceId, pinned }).then(
      () => true,
      (error: unknown) => this.unlessGone(error),
    );
  }

  private async deleteTrace(argument: ItemArgument): Promise<boolean> {
    const ref = refOf(argument);
    if (!ref) return false;
    return this.service.handle('deleteTraces', { traceIds: [ref.traceId] }).then(
      () => true,
      (error: unknown) => this.unlessGone(error),
    );
  }

  /** False for a trace that left the store meanwhile (nothing to tell); anything else is thrown on. */
  private unlessGone(error: unknown): false {
    if (isServiceError(error, 'not-found')) return false;
    throw error;
  }

  // -------------------------------------------------------------------------
  // Forwarding

  private lastForwardPause: string | null = null;

  private onForwardingChange(change: ForwardingChange | undefined): void {
    const forwarding = this.forwarding;
    const forwarder = forwarding.forwarder;
    this.tree.forwardingAvailable = forwarder !== undefined;
    this.tree.forwardLabel = (traceId) => FORWARD_STATE_LABELS[forwarding.traceState(traceId)];
    void this.setContext(CONTEXT_KEYS.hasApiKey, forwarding.hasApiKey);
    const status = change?.status ?? forwarder?.status();
    this.statusBar.setForwarding(status);
    if (change) this.tree.refreshTraces(change.traceIds);
    else this.tree.refreshRoot();
    // A refused key stops sending: say so once, with the way out.
    const pause = status?.pausedBy === 'auth' ? status.pausedReason : null;
    if (pause && pause !== this.lastForwardPause) {
      void vscode.window.showErrorMessage(`Respan Trace Inspector: forwarding stopped: ${pause}.`, 'Set Respan API Key').then((choice) => {
        if (choice) void vscode.commands.executeCommand(COMMANDS.setApiKey);
      });
    }
    this.lastForwardPause = pause;
  }

  private async setApiKey(key?: string): Promise<boolean> {
    const value =
      key ??
      (await vscode.window.showInputBox({
        title: 'Set Respan API Key',
        prompt: 'Your Respan API key, for forwarding traces to Respan. Kept in VS Code\'s secret storage, never in settings.',
        password: true,
        ignoreFocusOut: true,
        validateInput: (text) => (text.trim() === '' ? 'Paste your Respan API key' : undefined),
      }));
    if (value === undefined) return false;
    try {
      await this.forwarding.setApiKey(value);
      void vscode.window.showInformationMessage('Respan Trace Inspector: Respan API key saved. Forward a trace from the Traces view or the inspector panel.');
      return true;
    } catch (error) {
      void vscode.window.showErrorMessage(`Respan Trace Inspector: that API key was not saved: ${(error as Error).message}`);
      return false;
    }
  }

  private async clearApiKey(): Promise<void> {
    await this.forwarding.clearApiKey();
    void vscode.window.showInformationMessage('Respan Trace Inspector: Respan API key removed.');
  }

  private async forwardTrace(argument: ItemArgument): Promise<Pick<ForwardTraceJson, 'ok' | 'message'> | undefined> {
    const traceId = await this.chooseTrace(argument, 'Forward which trace to Respan?');
    if (!traceId) return undefined;
    if (!this.forwarding.hasApiKey) {
      const choice = await vscode.window.showWarningMessage('Respan Trace Inspector: set your Respan API key to forward traces.', 'Set Respan API Key');
      if (!choice || !(await this.setApiKey())) return undefined;
    }
    const result = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: 'Respan Trace Inspector: sending the trace to Respan…' }, () =>
      this.service.handle('forwardTrace', { traceId, waitMs: FORWARD_ANSWER_WAIT_MS }).then(
        ({ ok, message }) => ({ ok, message }),
        (error: Error) => ({ ok: false, message: error.message }),
      ),
    );
    if (result.ok) void vscode.window.showInformationMessage(`Respan Trace Inspector: ${result.message}`);
    else void vscode.window.showErrorMessage(`Respan Trace Inspector: ${result.message}`);
    return result;
  }

  // -------------------------------------------------------------------------
  // Demo and version

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

