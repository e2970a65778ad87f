/** The status bar item: the inspector process's state, port and span count; click opens the Traces view. */

import * as vscode from 'vscode';
import type { ForwardingStatusJson } from '../protocol/api';
import type { ConnectionState } from './connection';
import { formatCount } from './presentation';

/** Least time between two redraws for new counts: every redraw is a message to the workbench, and a flood sends many changes a second. */
const COUNTS_INTERVAL_MS = 250;

/** Shows the listener at a glance. */
export class ListenerStatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('respanInspector.status', vscode.StatusBarAlignment.Left, 50);
  private state: ConnectionState = { status: 'stopped' };
  private spans = 0;
  private traces = 0;
  private paused = false;
  private dropped = 0;
  private forwarding: ForwardingStatusJson | undefined;
  /** A count change waiting to be shown: while spans flood in, the item is redrawn at most every {@link COUNTS_INTERVAL_MS}. */
  private countsTimer: ReturnType<typeof setTimeout> | undefined;

  constructor() {
    this.item.name = 'Respan Trace Inspector';
    this.render();
    this.item.show();
  }

  /** The text shown now (for tests). */
  get text(): string {
    return this.item.text;
  }

  setState(state: ConnectionState): void {
    this.state = state;
    this.render();
  }

  setCounts(spans: number, traces: number): void {
    if (spans === this.spans && traces === this.traces) return;
    this.spans = spans;
    this.traces = traces;
    this.countsTimer ??= setTimeout(() => {
      this.countsTimer = undefined;
      this.render();
    }, COUNTS_INTERVAL_MS);
  }

  /** The forwarder's state, summarised in the tooltip (and flagged when it stopped). */
  setForwarding(status: ForwardingStatusJson | undefined): void {
    this.forwarding = status;
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
        // The HTTP port is what SDKs are pointed at; the gRPC port is in the tooltip.
        const port = `:${state.httpPort}`;
        const stuck = this.forwarding?.pausedBy === 'auth' || (this.forwarding?.counts.failed ?? 0) > 0;
        item.text = (this.paused ? `$(debug-pause) Respan ${port} · paused` : `$(pulse) Respan ${port} · ${counts}`) + (stuck ? ' $(cloud-upload)$(warning)' : '');
        const tooltip = new vscode.MarkdownString(
          `**Respan Trace Inspector** is listening on \`${state.url}\`${state.grpcPort !== undefined ? ` (OTLP/gRPC on port ${state.grpcPort})` : ''}, ` +
            `in process ${state.process.pid} (${state.started ? 'started by this window' : state.process.startedBy === 'user' ? 'started by hand' : 'shared with other windows'}).\n\n` +
            `${counts} in ${formatCount(this.traces)} trace${this.traces === 1 ? '' : 's'}.` +
            (state.settings.grpcEnabled && state.grpcPort === undefined ? '\n\nOTLP/gRPC is off: its port was taken (see the inspector process log).' : '') +
            forwardingText(this.forwarding) +
            (this.paused ? `\n\nCapture is paused: ${formatCount(this.dropped)} span${this.dropped === 1 ? '' : 's'} dropped.` : '') +
            '\n\nClick to show the traces.',
        );
        item.tooltip = tooltip;
        item.accessibilityInformation = { label: `Respan Trace Inspector listening on port ${state.httpPort}, ${this.paused ? 'capture paused' : counts}` };
        break;
      }
      case 'starting':
        item.text = state.lost ? `$(sync~spin) Respan: reconnecting` : `$(sync~spin) Respan :${state.settings.httpPort}`;
        item.tooltip = state.lost ? `Respan Trace Inspector: ${state.lost}; attaching again (or starting a new one).` : 'Respan Trace Inspector: starting the listener…';
        if (state.lost) item.backgroundColor = new vscode.ThemeColor('statusBarItem.warningBackground');
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
    clearTimeout(this.countsTimer);
    this.item.dispose();
  }
}

/** One tooltip paragraph about forwarding, empty when there is nothing to say. */
function forwardingText(status: ForwardingStatusJson | undefined): string {
  if (!status || (!status.hasApiKey && status.unsent === 0)) return '';
  const { sent, failed, pending, sending } = status.counts;
  const parts = [`${formatCount(sent)} sent`];
  if (pending + sending > 0) parts.push(`${formatCount(pending + sending)} on the way`);
  if (failed > 0) parts.push(`${formatCount(failed)} failed`);
  const auto = status.autoForward ? 'auto-forward on' : 'auto-forward off';
  const paused = status.pausedReason ? ` Stopped: ${status.pausedReason}.` : '';
  return `\n\nForwarding to Respan (${auto}): ${parts.join(', ')} spans.${paused}`;
}
