/**
 * Terminal wiring: new integrated terminals get the variables that point
 * OpenTelemetry and Respan SDKs at the listener, so a program started there
 * sends its traces here with no setup.
 */

import * as vscode from 'vscode';
import type { ListenerEndpoints } from '../protocol/messages';
import { listenerEnvironment } from './environment';

/** Keeps the extension's environment variable collection in step with the listener. */
export class TerminalEnvironment {
  constructor(private readonly collection: vscode.GlobalEnvironmentVariableCollection) {
    // Stale values after a crash or a port change would point terminals at nothing: rebuilt on every activation.
    collection.persistent = false;
  }

  /** Sets the variables for a running listener, or removes them (listener down, or turned off in settings). */
  update(endpoints: ListenerEndpoints | null, enabled: boolean): void {
    if (!endpoints || !enabled) {
      this.collection.clear();
      return;
    }
    const variables = listenerEnvironment(endpoints);
    this.collection.description = new vscode.MarkdownString(`Respan Trace Inspector: send traces to its listener at \`${endpoints.otlpEndpoint}\``);
    for (const [name, value] of Object.entries(variables)) this.collection.replace(name, value);
    const stale: string[] = [];
    this.collection.forEach((name) => {
      if (!(name in variables)) stale.push(name);
    });
    for (const name of stale) this.collection.delete(name);
  }

  /** The variables new terminals get now (empty when none). */
  current(): Record<string, string> {
    const out: Record<string, string> = {};
    this.collection.forEach((name, mutator) => (out[name] = mutator.value));
    return out;
  }
}
