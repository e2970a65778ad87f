/** The demo agent (sends traces to the inspector from the extension host's side) and the version command. */

import { createRequire } from 'node:module';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { DemoHandle, DemoOptions } from '../cli/demo';
import { registerCommands } from './commands';
import type { InspectorConnection } from './connection';
import { DisposableStore } from './disposables';
import { TRACES_VIEW_ID } from './tracesContribution';

/** Run Demo Agent and Show Version. */
export class DemoContribution implements vscode.Disposable {
  private readonly disposables = new DisposableStore();
  private demo: DemoHandle | undefined;

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly connection: InspectorConnection,
  ) {
    this.disposables.add(registerCommands({ runDemo: () => this.runDemo(), showVersion: () => this.showVersion() }));
  }

  private async runDemo(): Promise<void> {
    const state = this.connection.state;
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

  /** Stops the demo agent. */
  async stop(): Promise<void> {
    await this.demo?.stop().catch(() => undefined);
    this.demo = undefined;
  }

  dispose(): void {
    this.disposables.dispose();
    void this.stop();
  }
}
