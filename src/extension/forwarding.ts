/**
 * Forwarding to Respan inside VS Code: the forwarder of src/server/forwarding
 * with its API key kept in SecretStorage (never in settings, logs or
 * messages), its settings from `respanInspector.forwarding.*`, and what the
 * views show of it.
 */

import * as vscode from 'vscode';
import { DEFAULT_RESPAN_BASE_URL } from '../core/defaults';
import { checkApiKey, type ForwardApi } from '../core/forward/destination';
import type { ForwardFilter } from '../core/forward/filter';
import type { Forwarder, ForwardingChange, TraceForwardState } from '../core/forward/forwarder';
import { DEFAULT_FORWARD_SETTINGS } from '../core/forward/payload';
import type { Span } from '../core/model';
import type { ForwardingAccess } from '../core/service/forwarding';
import type { TraceStore } from '../core/store';
import { createNodeForwarder, type NodeForwarding } from '../server/forwarding';
import { SECTION } from './settings';

/** SecretStorage key of the Respan API key. */
export const API_KEY_SECRET = 'respanInspector.respanApiKey';

/** The `respanInspector.forwarding.*` settings. */
export interface ForwardingSettings {
  baseUrl: string;
  autoForward: boolean;
  api: ForwardApi;
  filter: ForwardFilter;
  redact: string[];
}

/** Reads the forwarding settings. */
export function readForwardingSettings(): ForwardingSettings {
  const config = vscode.workspace.getConfiguration(`${SECTION}.forwarding`);
  const api = config.get<string>('api', DEFAULT_FORWARD_SETTINGS.api);
  const filter = config.get<string>('filter', DEFAULT_FORWARD_SETTINGS.filter);
  const redact = config.get<unknown>('redact', []);
  return {
    baseUrl: config.get<string>('baseUrl', DEFAULT_RESPAN_BASE_URL).trim() || DEFAULT_RESPAN_BASE_URL,
    autoForward: config.get<boolean>('autoForward', false),
    api: api === 'ingest' ? 'ingest' : 'otlp',
    filter: filter === 'sdk' ? 'sdk' : 'all',
    redact: Array.isArray(redact) ? redact.filter((rule): rule is string => typeof rule === 'string' && rule.trim() !== '') : [],
  };
}

/** Short words for a trace's forwarding state, shown in the tree. */
export const FORWARD_STATE_LABELS: Record<TraceForwardState, string | undefined> = {
  none: undefined,
  pending: 'queued for Respan',
  sending: 'sending to Respan',
  sent: 'sent to Respan',
  failed: 'forward failed',
  skipped: 'not forwarded (filtered)',
};

/** The extension's forwarder and its key; the service reaches the forwarder through it. */
export class ForwardingService implements ForwardingAccess, vscode.Disposable {
  private node: NodeForwarding | undefined;
  private settings: ForwardingSettings;
  private apiKey: string | undefined;
  private configError: string | undefined;
  private readonly changeEmitter = new vscode.EventEmitter<ForwardingChange | undefined>();
  private readonly disposables: vscode.Disposable[] = [];
  private unsubscribe: (() => void) | undefined;
  /** Forwarding state changed (undefined: the forwarder was replaced). */
  readonly onDidChange = this.changeEmitter.event;
  readonly missingKeyHint = 'set it with the command "Respan Trace Inspector: Set Respan API Key"';

  /** Builds the forwarder without a key; {@link loadKey} hands it the stored one. */
  constructor(
    private readonly store: TraceStore,
    private readonly secrets: vscode.SecretStorage,
    private readonly output: vscode.LogOutputChannel,
  ) {
    this.settings = readForwardingSettings();
    this.disposables.push(
      secrets.onDidChange(async (event) => {
        // Another window set or cleared the key.
        if (event.key === API_KEY_SECRET) this.useKey(await secrets.get(API_KEY_SECRET));
      }),
    );
    this.rebuild();
  }

  /**
   * Reads the key from SecretStorage (a round trip to the UI side in remote
   * windows, so the listener starts meanwhile instead of waiting for it).
   */
  async loadKey(): Promise<void> {
    const key = await this.secrets.get(API_KEY_SECRET);
    if (key !== undefined) this.useKey(key);
  }

  /** The forwarder, unless its settings are invalid. */
  get forwarder(): Forwarder | undefined {
    return this.node?.forwarder;
  }

  current(): Forwarder | undefined {
    return this.forwarder;
  }

  unavailableReason(): string {
    return this.configError ?? 'not set up';
  }

  onChange(listener: (change: ForwardingChange) => void): () => void {
    const subscription = this.changeEmitter.event((change) => {
      if (change) listener(change);
    });
    return () => subscription.dispose();
  }

  /** True when a key is stored. */
  get hasApiKey(): boolean {
    return this.apiKey !== undefined;
  }

  /** Why forwarding is unavailable (an invalid base URL or redaction rule), if it is. */
  get problem(): string | undefined {
    return this.configError;
  }

  /** Hook for receivers: spans just captured (auto-forward decides whether they go). */
  captured(spans: readonly Span[]): void {
    this.node?.forwarder.captured(spans);
  }

  /** Stores the key and hands it to the forwarder (which retries what a wrong key stopped). */
  async setApiKey(key: string): Promise<void> {
    // Checked before it is stored: a key the forwarder refuses must not linger in SecretStorage.
    const trimmed = checkApiKey(key.trim());
    await this.secrets.store(API_KEY_SECRET, trimmed);
    this.useKey(trimmed);
  }

  /** Forgets the key, here and in SecretStorage. */
  async clearApiKey(): Promise<void> {
    await this.secrets.delete(API_KEY_SECRET);
    this.useKey(undefined);
  }

  /**
   * Applies changed `respanInspector.forwarding.*` settings to the running
   * forwarder (queued spans stay queued), or builds it when the previous
   * settings were invalid.
   */
  reloadSettings(): void {
    this.settings = readForwardingSettings();
    const forwarder = this.node?.forwarder;
    if (!forwarder) {
      this.rebuild();
      return;
    }
    const { baseUrl, autoForward, api, filter, redact } = this.settings;
    try {
      forwarder.setBaseUrl(baseUrl);
      forwarder.setSettings({ api, filter, redact });
      // Auto-forward needs a key: with none it starts when one is set.
      forwarder.setAutoForward(autoForward && forwarder.hasApiKey);
      this.configError = undefined;
    } catch (error) {
      this.configError = error instanceof Error ? error.message : String(error);
      this.output.warn(`forwarding settings not applied: ${this.configError}`);
    }
    this.changeEmitter.fire(undefined);
  }

  /** A trace's forwarding state (`none` when never forwarded or unavailable). */
  traceState(traceId: string): TraceForwardState {
    return this.node?.forwarder.traceStatus(traceId).state ?? 'none';
  }

  private useKey(key: string | undefined): void {
    this.apiKey = key?.trim() || undefined;
    const forwarder = this.node?.forwarder;
    if (!forwarder) {
      this.rebuild();
      return;
    }
    if (this.apiKey === undefined) forwarder.clearApiKey();
    else {
      forwarder.setApiKey(this.apiKey);
      if (this.settings.autoForward && !forwarder.autoForward) forwarder.setAutoForward(true);
    }
    this.changeEmitter.fire(undefined);
  }

  private rebuild(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    this.node?.dispose();
    this.node = undefined;
    this.configError = undefined;
    const { baseUrl, autoForward, api, filter, redact } = this.settings;
    try {
      this.node = createNodeForwarder({
        store: this.store,
        apiKey: this.apiKey,
        baseUrl,
        settings: { api, filter, redact },
        autoForward: autoForward && this.apiKey !== undefined,
        log: (level, message) => this.output[level](`forwarding: ${message}`),
        userAgent: 'respan-trace-inspector-vscode',
      });
      this.unsubscribe = this.node.forwarder.onChange((change) => this.changeEmitter.fire(change));
    } catch (error) {
      // A bad base URL, key or redaction rule: reported, and forwarding stays off until fixed.
      this.configError = error instanceof Error ? error.message : String(error);
      this.output.warn(`forwarding is off: ${this.configError}`);
    }
    this.changeEmitter.fire(undefined);
  }

  dispose(): void {
    this.unsubscribe?.();
    this.node?.dispose();
    this.node = undefined;
    for (const disposable of this.disposables) disposable.dispose();
    this.changeEmitter.dispose();
  }
}
