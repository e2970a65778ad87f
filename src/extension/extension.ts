/**
 * Entry point of the Respan Trace Inspector extension. Activation builds the
 * {@link InspectorExtension} and starts the listener; deactivation stops it
 * and releases everything.
 */

import * as vscode from 'vscode';
import { InspectorExtension } from './inspector';

/**
 * What `activate` returns. TEST-ONLY: the extension-host suites reach the
 * running extension through it (`extension.exports`); nothing else should
 * depend on it, and it may change without notice.
 */
export interface InspectorTestApi {
  readonly inspector: InspectorExtension;
  /** Milliseconds `activate` took, listener start included. */
  readonly activationMs: number;
  /** Milliseconds of it spent building the views and registering (before the asynchronous start). */
  readonly setupMs: number;
  /** Runs {@link deactivate}, exactly what VS Code runs, so a test can check that it frees the port. */
  deactivate(): Promise<void>;
}

let running: InspectorExtension | undefined;

/** Builds the extension and starts the listener (when `autoStart` is on). A failed start is reported, never thrown. */
export async function activate(context: vscode.ExtensionContext): Promise<InspectorTestApi> {
  const started = performance.now();
  const inspector = new InspectorExtension(context);
  running = inspector;
  // Disposed by VS Code too, should deactivate not be called (a crashed host).
  context.subscriptions.push(inspector);
  const setupMs = performance.now() - started;
  await inspector.start();
  return { inspector, activationMs: performance.now() - started, setupMs, deactivate };
}

/** Stops the listener and releases everything; VS Code waits for the returned promise. */
export async function deactivate(): Promise<void> {
  const inspector = running;
  running = undefined;
  await inspector?.shutdown();
}
