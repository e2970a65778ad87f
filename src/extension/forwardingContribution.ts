/**
 * Forwarding to Respan from this window: the API key kept in SecretStorage
 * (never in settings, logs or messages) and handed to the inspector process
 * by the `setApiKey` request; the forwarding settings applied by
 * `configure`; the forward command; and what the views show of it.
 */

import * as vscode from 'vscode';
import { FORWARD_ANSWER_WAIT_MS } from '../core/defaults';
import { checkApiKey } from '../core/forward/destination';
import type { ForwardingStatusJson } from '../protocol/api';
import { COMMANDS, CONTEXT_KEYS, registerCommands, type ItemArgument, type SpanRef } from './commands';
import type { InspectorConnection } from './connection';
import type { InspectorClient } from './inspectorClient';
import { DisposableStore } from './disposables';
import { readSettings, SECTION } from './settings';
import type { ListenerStatusBar } from './statusBar';
import { notAttached } from './tracesContribution';
import { chooseTrace } from './transferContribution';
import type { TracesTreeProvider } from './tree';

/** SecretStorage key of the Respan API key. */
export const API_KEY_SECRET = 'respanInspector.respanApiKey';

/** The key, the forward command and forwarding's state in the views. */
export class ForwardingContribution implements vscode.Disposable {
  private readonly disposables = new DisposableStore();
  private hasKey = false;
  private lastPause: string | null = null;
  /** The last status the process told. */
  status: ForwardingStatusJson | undefined;

  constructor(
    private readonly secrets: vscode.SecretStorage,
    private readonly connection: InspectorConnection,
    private readonly tree: TracesTreeProvider,
    private readonly statusBar: ListenerStatusBar,
    private readonly selection: () => SpanRef | undefined,
    private readonly output: vscode.LogOutputChannel,
  ) {
    const d = this.disposables;
    d.add(
      secrets.onDidChange(async (event) => {
        // Another window set or cleared the key: the process it shares may already have it, this one may not.
        if (event.key === API_KEY_SECRET) await this.sendKey((await secrets.get(API_KEY_SECRET)) ?? null);
      }),
    );
    d.add(
      connection.onEvent((event) => {
        if (event.type === 'forwarding') {
          this.show(event.data.status);
          this.tree.refreshTraces(event.data.traceIds);
          void this.readTraceStates();
        } else if (event.type === 'hello') void this.refresh();
      }),
    );
    d.add(vscode.workspace.onDidChangeConfiguration((event) => event.affectsConfiguration(`${SECTION}.forwarding`) && void this.applySettings()));
    d.add(
      registerCommands({
        setApiKey: (key) => this.setApiKey(key),
        clearApiKey: () => this.clearApiKey(),
        forwardTrace: (item) => this.forwardTrace(item),
      }),
    );
  }

  /** The stored key (a round trip to the UI side in remote windows). */
  async key(): Promise<string | undefined> {
    const key = (await this.secrets.get(API_KEY_SECRET))?.trim() || undefined;
    this.noteKey(key !== undefined);
    return key;
  }

  /** Whether a key is stored, for the forward command and the menus' `when` clauses. */
  private noteKey(present: boolean): void {
    this.hasKey = present;
    void vscode.commands.executeCommand('setContext', CONTEXT_KEYS.hasApiKey, present);
  }

  /** Hands `key` (null: forget it) to the process; its forwarding status, or undefined (logged) when it did not take it. */
  private handKey(client: InspectorClient, key: string | null): Promise<ForwardingStatusJson | undefined> {
    return client.call('setApiKey', { apiKey: key }).catch((error: Error) => {
      this.output.warn(`the inspector did not take the Respan API key: ${error.message}`);
      return undefined;
    });
  }

  /**
   * A process this window did not start may lack the key (started by hand,
   * or before the key was set): hand it over. One it started got it in its
   * environment.
   */
  async onAttached(client: InspectorClient, started: boolean): Promise<void> {
    if (started) return;
    const key = await this.key();
    if (key) await this.handKey(client, key);
  }

  private async sendKey(key: string | null): Promise<void> {
    this.noteKey(key !== null);
    const client = this.connection.client;
    if (!client) return;
    const status = await this.handKey(client, key);
    if (status) this.show(status);
  }

  private async applySettings(): Promise<void> {
    const client = this.connection.client;
    if (!client) return;
    const result = await client.call('configure', { forwarding: readSettings().forwarding }).catch((error: Error) => ({ priceErrors: [], forwardingProblem: error.message }));
    if (result.forwardingProblem) void vscode.window.showErrorMessage(`Respan Trace Inspector: forwarding settings not applied: ${result.forwardingProblem}`);
    await this.refresh();
  }

  private async refresh(): Promise<void> {
    const status = await this.connection.client?.call('forwardingStatus', {}).catch(() => undefined);
    this.tree.forwardingAvailable = status !== undefined;
    this.show(status);
    await this.readTraceStates();
    this.tree.refreshRoot();
  }

  private async readTraceStates(): Promise<void> {
    const states = await this.connection.client?.call('forwardingTraces', {}).catch(() => undefined);
    this.tree.forwardStates = states?.traces ?? {};
  }

  private show(status: ForwardingStatusJson | undefined): void {
    this.status = status;
    this.statusBar.setForwarding(status);
    // A refused key stops sending: say so once, with the way out.
    const pause = status?.pausedBy === 'auth' ? status.pausedReason : null;
    if (pause && pause !== this.lastPause) {
      void vscode.window.showErrorMessage(`Respan Trace Inspector: forwarding stopped: ${pause}.`, 'Set Respan API Key').then((choice) => {
        if (choice) void vscode.commands.executeCommand(COMMANDS.setApiKey);
      });
    }
    this.lastPause = pause;
  }

  private async setApiKey(key?: string): Promise<boolean> {
    const value =
      key ??
      (await vscode.window.showInputBox({
        title: 'Set Respan API Key',
        prompt: "Your Respan API key, for forwarding traces to Respan. Kept in VS Code's secret storage, never in settings.",
        password: true,
        ignoreFocusOut: true,
        validateInput: (text) => (text.trim() === '' ? 'Paste your Respan API key' : undefined),
      }));
    if (value === undefined) return false;
    let checked: string;
    try {
      // Checked before it is stored: a key the forwarder refuses must not linger in SecretStorage.
      checked = checkApiKey(value);
    } catch (error) {
      void vscode.window.showErrorMessage(`Respan Trace Inspector: that API key was not saved: ${(error as Error).message}`);
      return false;
    }
    await this.secrets.store(API_KEY_SECRET, checked);
    await this.sendKey(checked);
    void vscode.window.showInformationMessage('Respan Trace Inspector: Respan API key saved. Forward a trace from the Traces view or the inspector panel.');
    return true;
  }

  private async clearApiKey(): Promise<void> {
    await this.secrets.delete(API_KEY_SECRET);
    await this.sendKey(null);
    void vscode.window.showInformationMessage('Respan Trace Inspector: Respan API key removed.');
  }

  private async forwardTrace(argument: ItemArgument): Promise<{ ok: boolean; message: string } | undefined> {
    const traceId = await chooseTrace(argument, this.selection(), this.tree, 'Forward which trace to Respan?');
    if (!traceId) return undefined;
    const client = this.connection.client;
    if (!client) return notAttached();
    if (!this.hasKey && !this.status?.hasApiKey) {
      const choice = await vscode.window.showWarningMessage('Respan Trace Inspector: set your Respan API key to forward traces.', 'Set Respan API Key');
      if (!choice || !(await this.setApiKey())) return undefined;
    }
    const result = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: 'Respan Trace Inspector: sending the trace to Respan…' }, () =>
      client.call('forwardTrace', { traceId, waitMs: FORWARD_ANSWER_WAIT_MS }).then(
        ({ ok, message }) => ({ ok, message }),
        (error: Error) => ({ ok: false, message: error.message }),
      ),
    );
    if (result.ok) void vscode.window.showInformationMessage(`Respan Trace Inspector: ${result.message}`);
    else void vscode.window.showErrorMessage(`Respan Trace Inspector: ${result.message}`);
    return result;
  }

  dispose(): void {
    this.disposables.dispose();
  }
}
