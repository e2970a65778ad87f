/** The status bar item: listener state, port and span count; click opens the Traces view. */

import * as vscode from 'vscode';
import type { ListenerState } from './listener';
import { formatCount } from './presentation';

/** Shows the listener at a glance. */
export class ListenerStatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('respanInspector.status', vscode.StatusBarAlignment.Left, 50);
  private state: ListenerState = { status: 'stopped' };
  private spans = 0;
  private traces = 0;
  private paused = false;
  private dropped = 0;

  constructor() {
    this.item.name = 'Respan Trace Inspector';
    this.render();
    this.item.show();
  }

  /** The text shown now (for tests). */
  get text(): string {
    return this.item.text;
  }

  setState(state: ListenerState): void {
    this.state = state;
    this.render();
  }

  setCounts(spans: number, traces: number): void {
    if (spans === this.spans && traces === this.traces) return;
    this.spans = spans;
    this.traces = traces;
    this.render();
  }

  setPaused(paused: boolean, dropped: number): void {
    this.paused = paused;
    this.dropped = dropped;
    this.render();
  }

  private render(): void {
    const item = this.item;
    const state = this.state;
    const counts = `${formatCount(this.spans)} span${this.spans === 1 ? '' : 's'}`;
    item.backgroundColor = undefined;
    item.command = 'respanInspector.traces.focus';
    switch (state.status) {
      case 'running': {
        const port = state.grpcPort !== undefined ? `:${state.httpPort} :${state.grpcPort}` : `:${state.httpPort}`;
        item.text = this.paused ? `$(debug-pause) Respan ${port} · paused` : `$(pulse) Respan ${port} · ${counts}`;
        const tooltip = new vscode.MarkdownString(
          `**Respan Trace Inspector** is listening on \`${state.url}\`${state.grpcPort !== undefined ? ` (OTLP/gRPC on port ${state.grpcPort})` : ''}.\n\n` +
            `${counts} in ${formatCount(this.traces)} trace${this.traces === 1 ? '' : 's'}.` +
            (this.paused ? `\n\nCapture is paused: ${formatCount(this.dropped)} span${this.dropped === 1 ? '' : 's'} dropped.` : '') +
            '\n\nClick to show the traces.',
        );
        item.tooltip = tooltip;
        item.accessibilityInformation = { label: `Respan Trace Inspector listening on port ${state.httpPort}, ${this.paused ? 'capture paused' : counts}` };
        break;
      }
      case 'starting':
        item.text = `$(sync~spin) Respan :${state.settings.httpPort}`;
        item.tooltip = 'Respan Trace Inspector: starting the listener…';
        break;
      case 'error':
        item.text = state.portInUse ? `$(error) Respan: port ${state.portInUse.port} in use` : '$(error) Respan: listener failed';
        item.tooltip = `Respan Trace Inspector could not start its listener: ${state.message}. Click to restart it.`;
        item.backgroundColor = new vscode.ThemeColor('statusBarItem.errorBackground');
        item.command = state.portInUse ? 'respanInspector.pickPort' : 'respanInspector.restartListener';
        item.accessibilityInformation = { label: `Respan Trace Inspector: ${state.message}` };
        break;
      case 'stopped':
        item.text = `$(circle-slash) Respan · ${counts}`;
        item.tooltip = 'Respan Trace Inspector: the listener is stopped. Click to start it.';
        item.command = 'respanInspector.startListener';
        break;
    }
  }

  dispose(): void {
    this.item.dispose();
  }
}
