/**
 * The listener, as this window sees it: the inspector process it attached to
 * or started, in the status bar and the terminals' environment; the commands
 * that start, stop and move it; settings changes that need a new process
 * (applied only when no other client shares it) and those that apply at once.
 */

import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import { isLoopbackHost } from '../core/net/loopback';
import { COMMANDS, CONTEXT_KEYS, registerCommands, type ShellSyntax } from './commands';
import type { ConnectionState, InspectorConnection } from './connection';
import { DisposableStore } from './disposables';
import { environmentText } from './environment';
import { freePort } from './inspectorProcess';
import { readSettings, retentionOf, sameListener, SECTION, updateSetting, type InspectorSettings } from './settings';
import { ListenerStatusBar } from './statusBar';
import { TerminalEnvironment } from './terminal';
import { notAttached } from './tracesContribution';

/** SecretStorage key of the access token of a process bound beyond loopback (shared by this machine's windows). */
const PROCESS_TOKEN_SECRET = 'respanInspector.processToken';

/** The access token for a process bound to `host`: none on loopback, else the one every window of this user shares. */
export async function processToken(secrets: vscode.SecretStorage, host: string): Promise<string | undefined> {
  if (isLoopbackHost(host)) return undefined;
  const stored = await secrets.get(PROCESS_TOKEN_SECRET);
  if (stored) return stored;
  const token = randomBytes(24).toString('base64url');
  await secrets.store(PROCESS_TOKEN_SECRET, token);
  return token;
}

/** The listener's UI and commands. */
export class ListenerContribution implements vscode.Disposable {
  readonly statusBar: ListenerStatusBar;
  readonly terminal: TerminalEnvironment;
  /** Host names added for "open in browser" through a forwarded port, for this session. */
  readonly extraHosts = new Set<string>();
  private current: InspectorSettings;
  private readonly disposables = new DisposableStore();
  /** The last port notice, so a restart that fails the same way does not stack notices. */
  private notifiedPort: string | undefined;

  constructor(
    context: vscode.ExtensionContext,
    private readonly connection: InspectorConnection,
    private readonly output: vscode.LogOutputChannel,
  ) {
    this.current = readSettings();
    const d = this.disposables;
    this.statusBar = d.add(new ListenerStatusBar());
    this.terminal = new TerminalEnvironment(context.environmentVariableCollection);
    d.add(connection.onDidChangeState((state) => this.onState(state)));
    d.add(
      connection.onEvent((event) => {
        if (event.type === 'change' || event.type === 'hello' || event.type === 'resync') this.statusBar.setCounts(event.data.spanCount, event.data.traceCount);
      }),
    );
    d.add(vscode.workspace.onDidChangeConfiguration((event) => event.affectsConfiguration(SECTION) && void this.onConfigurationChange()));
    d.add(
      registerCommands({
        startListener: () => connection.start(),
        restartListener: () => connection.start(),
        stopListener: () => this.stop(),
        pickPort: (kind) => this.pickPort(kind === 'grpc' ? 'grpc' : 'http'),
        copyEnvironment: (shell) => this.copyEnvironment(shell),
        openInBrowser: () => this.openInBrowser(),
      }),
    );
    this.onState(connection.state);
  }

  /** The settings in effect (read again when they change). */
  get settings(): InspectorSettings {
    return this.current;
  }

  /** Attaches (or starts the process) when `autoStart` is on. Resolves once attached or failed; never rejects. */
  async start(): Promise<void> {
    if (this.settings.invalidOrigins.length > 0) this.reportInvalidOrigins();
    for (const error of this.settings.priceErrors) this.output.warn(`${error}; that price is left out`);
    if (this.settings.autoStart) await this.connection.start();
  }

  private async stop(): Promise<ConnectionState> {
    const stopped = await this.connection.stopProcess();
    if (!stopped) void vscode.window.showInformationMessage('Respan Trace Inspector: this window left the inspector; it keeps running for its other clients (other windows, browser tabs) or until it was started by hand.');
    return this.connection.state;
  }

  private onState(state: ConnectionState): void {
    if (state.status === 'running') this.output.info(`${state.started ? 'started' : 'attached to'} the inspector process ${state.process.pid} on ${state.url}${state.grpcPort !== undefined ? `, OTLP/gRPC on port ${state.grpcPort}` : ''}`);
    else if (state.status === 'error') this.output.error(`no inspector: ${state.message}`);
    else if (state.status === 'starting' && state.lost) this.output.warn(`${state.lost}; attaching again`);
    else this.output.info(`listener ${state.status}`);
    this.statusBar.setState(state);
    this.terminal.update(this.connection.endpoints, this.settings.terminalEnvironment);
    void vscode.commands.executeCommand('setContext', CONTEXT_KEYS.listenerState, state.status);
    if (state.status === 'running') this.notifiedPort = undefined;
    if (state.status === 'error') void this.reportStartFailure(state);
  }

  private async reportStartFailure(state: Extract<ConnectionState, { status: 'error' }>): Promise<void> {
    const key = state.portInUse ? `${state.portInUse.host}:${state.portInUse.port}` : state.message;
    if (this.notifiedPort === key) return;
    this.notifiedPort = key;
    if (state.portInUse) {
      const { host, port } = state.portInUse;
      const message = `Respan Trace Inspector: port ${port} on ${host} is already in use by another program (an OpenTelemetry collector?). The listener did not start.`;
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

  /** Says which `allowedOrigins` entries were left out, and what an origin looks like. */
  private reportInvalidOrigins(): void {
    const invalid = this.settings.invalidOrigins;
    if (invalid.length === 0) return;
    const message = `respanInspector.allowedOrigins: ${invalid.map((entry) => `"${entry.slice(0, 100)}"`).join(', ')} ${invalid.length === 1 ? 'is not an origin and was' : 'are not origins and were'} left out; write scheme, host and port, like http://localhost:3000, or http://localhost:* for every port.`;
    this.output.warn(message);
    void vscode.window.showWarningMessage(`Respan Trace Inspector: ${message}`);
  }

  private async onConfigurationChange(): Promise<void> {
    const previous = this.current;
    const next = readSettings();
    this.current = next;
    if (next.invalidOrigins.join('\n') !== previous.invalidOrigins.join('\n')) this.reportInvalidOrigins();
    if (next.terminalEnvironment !== previous.terminalEnvironment) this.terminal.update(this.connection.endpoints, next.terminalEnvironment);
    const client = this.connection.client;
    const retention = retentionOf(next);
    const prices = JSON.stringify(next.priceTable) !== JSON.stringify(previous.priceTable);
    if (client && (JSON.stringify(retention) !== JSON.stringify(retentionOf(previous)) || prices)) {
      // Retention and prices apply in place: traces survive, no restart.
      const result = await client.call('configure', { retention, ...(prices ? { prices: next.priceTable } : {}) }).catch((error: Error) => {
        this.output.warn(`settings not applied: ${error.message}`);
        return undefined;
      });
      for (const error of result?.priceErrors ?? []) this.output.warn(`${error}; that price is left out`);
    }
    const state = this.connection.state;
    const wanted = state.status !== 'stopped';
    // Where and whether traces are kept on disk is fixed when the process starts, like its sockets.
    const newProcess = !sameListener(next.listener, previous.listener) || next.persist !== previous.persist || next.dataDir !== previous.dataDir;
    if (newProcess && (wanted || next.autoStart)) await this.moveListener(next, previous);
    else if (next.autoStart && !previous.autoStart && state.status === 'stopped') await this.connection.start();
  }

  /**
   * Listener settings changed: a process this window started and no other
   * client uses is stopped and started anew; a shared one keeps running, and
   * this window moves to the new port if it changed (or says why nothing changed).
   */
  private async moveListener(next: InspectorSettings, previous: InspectorSettings): Promise<void> {
    this.notifiedPort = undefined;
    const state = this.connection.state;
    if (state.status !== 'running') {
      await this.connection.start();
      return;
    }
    const stopped = await this.connection.stopProcess();
    await this.connection.start();
    if (stopped) return;
    if (next.listener.httpPort !== previous.listener.httpPort) {
      void vscode.window.showInformationMessage(
        `Respan Trace Inspector: the inspector on port ${state.httpPort} is shared with other clients, so it keeps running for them; this window now uses port ${next.listener.httpPort === 0 ? 'a free one' : next.listener.httpPort}.`,
      );
    } else {
      // Same port, shared process: it cannot be moved under the other clients.
      void vscode.window.showWarningMessage(
        `Respan Trace Inspector: the inspector on port ${state.httpPort} is shared with other clients (other windows, browser tabs), so the new listener settings apply when it next starts.`,
      );
    }
  }

  private async copyEnvironment(shell?: ShellSyntax): Promise<string | undefined> {
    const endpoints = this.connection.endpoints;
    if (!endpoints) return notAttached();
    let format = shell;
    if (!format) {
      const choices: Array<vscode.QuickPickItem & { format: ShellSyntax }> = [
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
    // The settings change moves the listener.
    await updateSetting(kind === 'http' ? 'httpPort' : 'grpcPort', port);
    return port;
  }

  private async openInBrowser(): Promise<boolean> {
    const state = this.connection.state;
    if (state.status !== 'running') {
      void vscode.window.showWarningMessage('Respan Trace Inspector: the listener is not running, so there is no browser UI to open.');
      return false;
    }
    // Remote windows (SSH, containers, Codespaces) need the port forwarded: asExternalUri does that.
    const external = await vscode.env.asExternalUri(vscode.Uri.parse(state.uiUrl));
    const name = external.authority.replace(/^[^@]*@/, '').replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
    const allowed = state.settings.allowedHosts ?? [];
    if (!isLoopbackHost(name) && !allowed.includes(name)) {
      // A forwarding proxy's public name reaches the listener in the Host header, which it refuses unless allowed: that takes a new process.
      this.extraHosts.add(name);
      if (!(await this.connection.stopProcess())) {
        void vscode.window.showWarningMessage(`Respan Trace Inspector: the inspector is shared with other clients, so it cannot be restarted to answer ${name}; open it from this machine instead.`);
        await this.connection.start();
        return false;
      }
      const next = await this.connection.start();
      if (next.status !== 'running') return false;
      return vscode.env.openExternal(await vscode.env.asExternalUri(vscode.Uri.parse(next.uiUrl)));
    }
    return vscode.env.openExternal(external);
  }

  dispose(): void {
    this.disposables.dispose();
    this.terminal.update(null, false);
  }
}
