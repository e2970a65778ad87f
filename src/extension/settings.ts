/** The `respanInspector.*` settings, read in one place. Every key is documented in package.json. */

import * as vscode from 'vscode';
import { parsePriceTable, type CustomPrice } from '../core/cost/customPrices';
import { DEFAULT_GRPC_PORT, DEFAULT_HOST, DEFAULT_HTTP_PORT, DEFAULT_MAX_MEMORY_MB, DEFAULT_MAX_SPANS, DEFAULT_MAX_TRACES, DEFAULT_RESPAN_BASE_URL, MIN_MAX_MEMORY_MB } from '../core/defaults';
import { DEFAULT_FORWARD_SETTINGS } from '../core/forward/payload';
import type { ConfigureParamsJson } from '../protocol/api';
import { parseAllowedOrigin } from '../server/guard';
import { EXIT_WHEN_IDLE_SECONDS, type ListenerSettings, type ProcessSettings } from './inspectorProcess';

/** Settings namespace. */
export const SECTION = 'respanInspector';

/** Everything the extension reads from its settings. */
export interface InspectorSettings {
  listener: ListenerSettings;
  maxSpans: number;
  maxTraces: number;
  /** Approximate memory for captured spans, in MB. */
  maxMemoryMb: number;
  /** Keep captured traces on disk across restarts. */
  persist: boolean;
  /** The folder traces are kept in; undefined: the inspector's default per-user data folder. */
  dataDir: string | undefined;
  autoStart: boolean;
  /** Give new integrated terminals the listener's environment variables. */
  terminalEnvironment: boolean;
  /** `respanInspector.allowedOrigins` entries that are not origins (left out of {@link ListenerSettings.allowedOrigins}). */
  invalidOrigins: string[];
  /** `respanInspector.prices`: per-model prices over the price table. */
  prices: CustomPrice[];
  /** Why `respanInspector.prices` entries were left out. */
  priceErrors: string[];
  /** `respanInspector.updatePrices`: fetch the price table's current data. */
  updatePrices: boolean;
  /** `respanInspector.prices` as written, for the process to read. */
  priceTable: Record<string, unknown>;
  /** `respanInspector.forwarding.*`. */
  forwarding: NonNullable<ConfigureParamsJson['forwarding']>;
  /** `respanInspector.exitWhenIdleSeconds`: how long a process this window started outlives its last client. */
  exitWhenIdleSeconds: number;
}

function port(value: unknown, fallback: number): number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= 65535 ? value : fallback;
}

function positive(value: unknown, fallback: number): number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 1 ? Math.floor(value) : fallback;
}

/** Reads the settings; out-of-range values fall back to the defaults. */
export function readSettings(): InspectorSettings {
  const config = vscode.workspace.getConfiguration(SECTION);
  const host = config.get<string>('host', DEFAULT_HOST).trim();
  const allowedOrigins: string[] = [];
  const invalidOrigins: string[] = [];
  for (const entry of config.get<unknown[]>('allowedOrigins', [])) {
    const origin = typeof entry === 'string' ? parseAllowedOrigin(entry) : undefined;
    if (origin === undefined) invalidOrigins.push(String(entry));
    else allowedOrigins.push(origin);
  }
  const priceTable = config.get<unknown>('prices', {});
  const prices = parsePriceTable(priceTable, `${SECTION}.prices`);
  const api = config.get<string>('forwarding.api', DEFAULT_FORWARD_SETTINGS.api);
  const filter = config.get<string>('forwarding.filter', DEFAULT_FORWARD_SETTINGS.filter);
  const redact = config.get<unknown>('forwarding.redact', []);
  return {
    listener: {
      host: host === '' ? DEFAULT_HOST : host,
      httpPort: port(config.get('httpPort'), DEFAULT_HTTP_PORT),
      grpcEnabled: config.get<boolean>('grpcEnabled', true),
      grpcPort: port(config.get('grpcPort'), DEFAULT_GRPC_PORT),
      allowedOrigins,
    },
    maxSpans: positive(config.get('maxSpans'), DEFAULT_MAX_SPANS),
    maxTraces: positive(config.get('maxTraces'), DEFAULT_MAX_TRACES),
    maxMemoryMb: Math.max(MIN_MAX_MEMORY_MB, positive(config.get('maxMemoryMB'), DEFAULT_MAX_MEMORY_MB)),
    persist: config.get<boolean>('persist', true),
    dataDir: config.get<string>('dataDir', '').trim() || undefined,
    autoStart: config.get<boolean>('autoStart', true),
    terminalEnvironment: config.get<boolean>('terminal.injectEnvironment', true),
    invalidOrigins,
    prices: prices.prices,
    priceErrors: prices.errors,
    updatePrices: config.get<boolean>('updatePrices', false),
    priceTable: typeof priceTable === 'object' && priceTable !== null && !Array.isArray(priceTable) ? (priceTable as Record<string, unknown>) : {},
    forwarding: {
      baseUrl: config.get<string>('forwarding.baseUrl', DEFAULT_RESPAN_BASE_URL).trim() || DEFAULT_RESPAN_BASE_URL,
      autoForward: config.get<boolean>('forwarding.autoForward', false),
      api: api === 'ingest' ? 'ingest' : 'otlp',
      filter: filter === 'sdk' ? 'sdk' : 'all',
      redact: Array.isArray(redact) ? redact.filter((rule): rule is string => typeof rule === 'string' && rule.trim() !== '') : [],
    },
    exitWhenIdleSeconds: positive(config.get('exitWhenIdleSeconds'), EXIT_WHEN_IDLE_SECONDS),
  };
}

/** The retention part of `configure` for `settings`. */
export function retentionOf(settings: InspectorSettings): NonNullable<ConfigureParamsJson['retention']> {
  return { maxSpans: settings.maxSpans, maxTraces: settings.maxTraces, maxMemoryMb: settings.maxMemoryMb };
}

/** What a process this window starts runs with (the secrets are added by the caller). */
export function processSettingsOf(settings: InspectorSettings, allowedHosts: readonly string[]): ProcessSettings {
  return {
    listener: allowedHosts.length === 0 ? settings.listener : { ...settings.listener, allowedHosts },
    ...retentionOf(settings),
    persist: settings.persist,
    ...(settings.dataDir !== undefined ? { dataDir: settings.dataDir } : {}),
    forwarding: settings.forwarding,
    exitWhenIdleSeconds: settings.exitWhenIdleSeconds,
    updatePrices: settings.updatePrices,
  };
}

/** True when two listener settings bind the same sockets. */
export function sameListener(a: ListenerSettings, b: ListenerSettings): boolean {
  return (
    a.host === b.host &&
    a.httpPort === b.httpPort &&
    a.grpcEnabled === b.grpcEnabled &&
    a.grpcPort === b.grpcPort &&
    (a.allowedHosts ?? []).join(',') === (b.allowedHosts ?? []).join(',') &&
    (a.allowedOrigins ?? []).join(',') === (b.allowedOrigins ?? []).join(',')
  );
}

/**
 * Writes a setting where the user will find it: the workspace folder or
 * workspace when it is set there, otherwise the user settings.
 */
export async function updateSetting(key: string, value: unknown): Promise<void> {
  const config = vscode.workspace.getConfiguration(SECTION);
  const inspected = config.inspect(key);
  const target =
    inspected?.workspaceFolderValue !== undefined
      ? vscode.ConfigurationTarget.WorkspaceFolder
      : inspected?.workspaceValue !== undefined
        ? vscode.ConfigurationTarget.Workspace
        : vscode.ConfigurationTarget.Global;
  await config.update(key, value, target);
}
