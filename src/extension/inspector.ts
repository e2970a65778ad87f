/**
 * The extension, assembled from its feature contributions: this window's
 * attachment to the inspector process, the listener's UI, the Traces view,
 * the panel, jump to source, import and export, forwarding, the demo. Each
 * registers its own commands and is disposed with the rest. The extension
 * host only relays: traces live in the process.
 */

import { join } from 'node:path';
import * as vscode from 'vscode';
import { InspectorConnection } from './connection';
import { DemoContribution } from './demoContribution';
import { DisposableStore } from './disposables';
import { ForwardingContribution } from './forwardingContribution';
import type { InspectorClient } from './inspectorClient';
import { ListenerContribution, processToken } from './listenerContribution';
import { PanelContribution } from './panelContribution';
import { processSettingsOf, readSettings } from './settings';
import { SourceContribution } from './sourceContribution';
import { TracesContribution } from './tracesContribution';
import { saveExport, TransferContribution } from './transferContribution';

/** Everything the extension runs in one window, and its teardown. */
export class InspectorExtension implements vscode.Disposable {
  /** Log of the process's state and of forwarding ("Respan Trace Inspector" output). */
  readonly output: vscode.LogOutputChannel;
  readonly connection: InspectorConnection;
  readonly listener: ListenerContribution;
  readonly traces: TracesContribution;
  readonly panel: PanelContribution;
  readonly source: SourceContribution;
  readonly forwarding: ForwardingContribution;
  readonly transfer: TransferContribution;
  readonly demo: DemoContribution;
  /** Milliseconds from {@link start} until the window was attached to the process. */
  readonly startTimings = { attachMs: 0 };
  private readonly disposables = new DisposableStore();

  constructor(context: vscode.ExtensionContext) {
    const d = this.disposables;
    this.output = d.add(vscode.window.createOutputChannel('Respan Trace Inspector', { log: true }));
    this.connection = new InspectorConnection({
      settings: async () => {
        const settings = processSettingsOf(readSettings(), [...this.listener.extraHosts]);
        const [apiKey, apiToken] = await Promise.all([this.forwarding.key(), processToken(context.secrets, settings.listener.host)]);
        return { ...settings, ...(apiKey ? { apiKey } : {}), ...(apiToken ? { apiToken } : {}) };
      },
      command: { execPath: process.execPath, args: [context.asAbsolutePath(join('dist', 'cli.js'))] },
      logFile: join(context.globalStorageUri.fsPath, 'inspector-process.log'),
      onAttached: (client, started) => this.onAttached(client, started),
    });
    d.add(this.connection);
    this.listener = d.add(new ListenerContribution(context, this.connection, this.output));
    this.traces = d.add(new TracesContribution(this.connection, this.listener.statusBar));
    const selection = () => this.panel.panel.selection;
    this.source = d.add(new SourceContribution(this.connection, selection, () => this.panel.sourceColumn()));
    this.panel = d.add(
      new PanelContribution(
        context,
        this.connection,
        this.traces,
        { openSource: (target) => this.source.openTarget(target), copy: async (text) => vscode.env.clipboard.writeText(text), saveExport },
        this.output,
      ),
    );
    this.forwarding = d.add(new ForwardingContribution(context.secrets, this.connection, this.traces.tree, this.listener.statusBar, selection, this.output));
    this.transfer = d.add(new TransferContribution(this.connection, this.traces.tree, selection, (ref) => this.panel.panel.show(ref)));
    this.demo = d.add(new DemoContribution(context, this.connection));
  }

  /** Attaches to the inspector process (starting it) when `autoStart` is on. Never rejects. */
  async start(): Promise<void> {
    const started = performance.now();
    await this.listener.start();
    this.startTimings.attachMs = performance.now() - started;
  }

  /** Settings the process's command line cannot carry, for a process this window started. */
  private async onAttached(client: InspectorClient, started: boolean): Promise<void> {
    const settings = readSettings();
    if (started && Object.keys(settings.priceTable).length > 0) {
      const result = await client.call('configure', { prices: settings.priceTable }).catch(() => undefined);
      for (const error of result?.priceErrors ?? []) this.output.warn(`${error}; that price is left out`);
    }
    await this.forwarding.onAttached(client, started);
  }

  /** Leaves the process (it keeps running for other clients, and ends when idle if the extension started it) and releases everything. */
  async shutdown(): Promise<void> {
    await this.demo.stop();
    this.disposables.dispose();
  }

  dispose(): void {
    void this.shutdown();
  }
}
