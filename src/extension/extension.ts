/**
 * Entry point of the Respan Trace Inspector extension. Activation builds the
 * {@link InspectorExtension} and attaches to the inspector process (starting
 * it); deactivation leaves it, and it keeps running for its other clients.
 */

import * as vscode from 'vscode';
import { InspectorExtension } from './inspector';

/**
 * What `activate` returns. TEST-ONLY: the extension-host suites reach the
 * running extension through it (`extension.exports`); nothing else should
 * depend on it, and it may change without notice.
 */
export interface InspectorTestApi {
  /** The running extension (a new one after {@link reactivate}). */
  readonly inspector: InspectorExtension;
  /** Milliseconds `activate` took, attaching to the process included. */
  readonly activationMs: number;
  /** Milliseconds of it spent building the views and registering (before the asynchronous start). */
  readonly setupMs: number;
  /** Runs {@link deactivate}, exactly what VS Code runs when a window closes or reloads. */
  deactivate(): Promise<void>;
  /** Builds and starts the extension again in this window, as a reload does. */
  reactivate(): Promise<void>;
}

let running: InspectorExtension | undefined;

async function build(context: vscode.ExtensionContext): Promise<{ setupMs: number }> {
  const started = performance.now();
  const inspector = new InspectorExtension(context);
  running = inspector;
  // Disposed by VS Code too, should deactivate not be called (a crashed host).
  context.subscriptions.push(inspector);
  const setupMs = performance.now() - started;
  await inspector.start();
  return { setupMs };
}

/** Builds the extension and attaches to the inspector process (when `autoStart` is on). A failed start is reported, never thrown. */
export async function activate(context: vscode.ExtensionContext): Promise<InspectorTestApi> {
  const started = performance.now();
  const { setupMs } = await build(context);
  return {
    get inspector() {
      return running!;
    },
    activationMs: performance.now() - started,
    setupMs,
    deactivate,
    reactivate: async () => {
      await deactivate();
      await build(context);
    },
  };
}

/** Leaves the inspector process and releases everything; VS Code waits for the returned promise. */
export async function deactivate(): Promise<void> {
  const inspector = running;
  running = undefined;
  await inspector?.shutdown();
}
