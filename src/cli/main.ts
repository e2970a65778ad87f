#!/usr/bin/env node
/**
 * `respan-inspector`: the standalone inspector. Starts the listener, serves the
 * query API and the browser UI, prints what to point SDKs at, and shuts down
 * cleanly on Ctrl-C.
 */

import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  BYTES_PER_MB,
  DEFAULT_GRPC_PORT,
  DEFAULT_HOST,
  DEFAULT_HTTP_PORT,
  DEFAULT_MAX_DISK_MB,
  DEFAULT_MAX_MEMORY_MB,
  DEFAULT_MAX_SPANS,
  DEFAULT_MAX_TRACES,
  MIN_MAX_MEMORY_MB,
  API_TOKEN_ENV,
} from '../core/defaults';
import { ForwardConfigError, type ForwardApi } from '../core/forward/destination';
import type { ForwardFilter } from '../core/forward/filter';
import { parsePriceFlag, PriceSpecError, type CustomPrice } from '../core/cost/customPrices';
import { DEFAULT_FORWARD_SETTINGS } from '../core/forward/payload';
import { TraceStore } from '../core/store';
import { createNodeForwarder, forwardingEnvironment, type NodeForwarding } from '../server/forwarding';
import { parseAllowedOrigin } from '../server/guard';
import { startInspector } from '../server/listener';
import { defaultDataDir } from '../server/persist/dataDir';
import type { PersistenceState } from '../server/persist/diskJournal';
import { createCostEstimator, PRICE_DATA_URL, readPriceFile, updatePriceTable } from '../server/prices';
import type { StartedBy } from '../protocol/api';
import { IdleExit } from '../server/idle';
import { PortInUseError } from '../server/server';
import { packageVersion } from '../server/version';
import { startDemo, type DemoHandle } from './demo';

/** Parsed command line. */
export interface CliOptions {
  host: string;
  port: number;
  /** OTLP/gRPC port; null with --no-grpc. */
  grpcPort: number | null;
  /** Origins whose pages may send spans (--allow-origin, repeatable). */
  allowOrigins?: string[];
  /** Extra names accepted in the Host header (--allow-host, repeatable). */
  allowHosts?: string[];
  /** Token the API and UI require (--api-token); generated when bound beyond loopback. */
  apiToken?: string;
  open: boolean;
  demo: boolean;
  maxSpans: number;
  maxTraces: number;
  /** Approximate memory for captured spans, in MB (the store's byte bound). */
  maxMemoryMb: number;
  /** Keep traces on disk across restarts (--no-persist turns it off). */
  persist: boolean;
  /** The data folder (--data-dir); absent: {@link defaultDataDir}. */
  dataDir?: string;
  /** Disk the kept traces may use, in MB. */
  maxDiskMb: number;
  help: boolean;
  /** Auto-forward every captured span to Respan. */
  forward: boolean;
  forwardFilter: ForwardFilter;
  forwardApi: ForwardApi;
  /** Redaction rules applied before forwarding. */
  redact: string[];
  /** Per-model prices from --price, in order. */
  prices: CustomPrice[];
  /** JSON price files from --prices, in order. */
  priceFiles: string[];
  /** Where to fetch the price table's current data from (--update-prices); undefined keeps the bundled table. */
  updatePrices?: string;
  /** Serve the UI's source maps (--dev); they carry the UI's sources, so off unless asked. */
  dev?: boolean;
  /** Who started the process (--started-by), as `/api/status` tells clients. */
  startedBy: StartedBy;
  /** End this long after the last client left (--exit-when-idle); absent: run until stopped. */
  exitWhenIdleSeconds?: number;
}

const USAGE = `Usage: respan-inspector [options]

Runs a local trace inspector for LLM apps: an OTLP and Respan ingest listener
with a trace UI in your browser.

Options:
  --port <n>         HTTP port for OTLP/HTTP, Respan paths, the API and the UI (default ${DEFAULT_HTTP_PORT})
  --grpc-port <n>    OTLP/gRPC port (default ${DEFAULT_GRPC_PORT})
  --no-grpc          run no OTLP/gRPC receiver
  --allow-origin <o> let web pages from origin <o> (e.g. http://localhost:3000, or
                     http://localhost:* for every port) send spans, for browser-side
                     SDKs; repeatable (default: no page may)
  --allow-host <h>   also answer requests addressed to host name <h>; repeatable
  --api-token <t>    require token <t> to read traces (API and UI); one is generated
                     when --host is not a loopback address (also read from the
                     ${API_TOKEN_ENV} environment variable, kept off the command line)
  --host <addr>      address to bind (default ${DEFAULT_HOST}; anything else exposes your traces)
  --no-open          do not open the browser
  --demo             run a built-in demo agent that sends traces every few seconds
  --dev              serve the UI's source maps (for debugging the UI; they carry its sources)
  --max-spans <n>    spans kept in memory before the oldest traces are evicted (default ${DEFAULT_MAX_SPANS})
  --max-traces <n>   traces kept in memory (default ${DEFAULT_MAX_TRACES})
  --max-memory-mb <n>
                     approximate memory for captured spans, in MB (default ${DEFAULT_MAX_MEMORY_MB});
                     past it the oldest traces are evicted, as with --max-spans
  --data-dir <dir>   keep traces in <dir> across restarts (default: ${defaultDataDir()})
  --no-persist       keep traces in memory only
  --max-disk-mb <n>  disk the kept traces may use, in MB (default ${DEFAULT_MAX_DISK_MB}); past it the
                     oldest traces are evicted, as with --max-spans
  --exit-when-idle <s>
                     end <s> seconds after the last client (a VS Code window, a browser
                     tab) left; without it the inspector runs until stopped
  --started-by <who> user (default) or extension: how /api/status names the starter
  -h, --help         show this help

Forwarding to Respan (reads RESPAN_API_KEY and RESPAN_BASE_URL from the environment;
with a key, POST /api/traces/<traceId>/forward sends one trace):
  --forward              forward every span captured from now on (needs RESPAN_API_KEY)
  --forward-filter <f>   all (default), or sdk: only what the Respan SDK itself would send
  --forward-api <api>    otlp (default; OTLP/JSON to <base>/v2/traces) or ingest (<base>/v1/traces/ingest)
  --redact <rule>        blank an attribute before it leaves the machine: a key, a glob such as
                         'gen_ai.prompt.*' or a /regex/; repeatable

Cost (spans without a reported cost are priced from the bundled genai-prices table, offline):
  --price <model=input:output[:cacheRead[:cacheWrite]]>
                         price a model at these USD per million tokens, over the table (a * in the
                         model matches anything, e.g. 'ft:gpt-4o-mini:*=0.3:1.2'); repeatable
  --prices <file>        the same from a JSON file: {"<model>": {"input": 2.5, "output": 10,
                         "cacheRead": 1.25, "cacheWrite": 3.75}}; repeatable; --price wins
  --update-prices[=<url>]
                         fetch the table's current data in the background (the only network use
                         for prices; default ${PRICE_DATA_URL})
`;

/** Thrown for a command line that cannot be used; the message says why. */
export class UsageError extends Error {}

function integer(flag: string, value: string | undefined, min: number, max: number): number {
  const parsed = Number(value);
  if (value === undefined || !Number.isInteger(parsed) || parsed < min || parsed > max) {
    throw new UsageError(`${flag} needs a whole number from ${min} to ${max}, got ${value === undefined ? 'nothing' : `"${value}"`}`);
  }
  return parsed;
}

/** Parses `argv` (without node and the script). */
export function parseArgs(argv: readonly string[]): CliOptions {
  const options: CliOptions = {
    host: DEFAULT_HOST,
    port: DEFAULT_HTTP_PORT,
    grpcPort: DEFAULT_GRPC_PORT,
    open: true,
    demo: false,
    maxSpans: DEFAULT_MAX_SPANS,
    maxTraces: DEFAULT_MAX_TRACES,
    maxMemoryMb: DEFAULT_MAX_MEMORY_MB,
    persist: true,
    maxDiskMb: DEFAULT_MAX_DISK_MB,
    help: false,
    forward: false,
    forwardFilter: DEFAULT_FORWARD_SETTINGS.filter,
    forwardApi: DEFAULT_FORWARD_SETTINGS.api,
    redact: [],
    prices: [],
    priceFiles: [],
    startedBy: 'user',
  };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].includes('=') ? argv[i].split(/=(.*)/s, 2) : [argv[i], undefined];
    const value = () => inline ?? argv[++i];
    switch (flag) {
      case '--port':
        options.port = integer('--port', value(), 0, 65535);
        break;
      case '--grpc-port':
        options.grpcPort = integer('--grpc-port', value(), 0, 65535);
        break;
      case '--no-grpc':
        options.grpcPort = null;
        break;
      case '--allow-origin':
        (options.allowOrigins ??= []).push(originArg(value()));
        break;
      case '--allow-host': {
        const host = value();
        if (!host || /[\s/:@]/.test(host.replace(/^\[.*\]$/, ''))) throw new UsageError(`--allow-host needs a host name without port, e.g. mybox.local, got ${host === undefined ? 'nothing' : `"${host}"`}`);
        (options.allowHosts ??= []).push(host);
        break;
      }
      case '--api-token': {
        const token = value();
        if (!token || !/^[\x21-\x7e]+$/.test(token)) throw new UsageError('--api-token needs a token of printable characters without spaces');
        options.apiToken = token;
        break;
      }
      case '--host': {
        const host = value();
        if (!host) throw new UsageError('--host needs an address, e.g. 127.0.0.1');
        options.host = host;
        break;
      }
      case '--no-open':
        options.open = false;
        break;
      case '--open':
        options.open = true;
        break;
      case '--demo':
        options.demo = true;
        break;
      case '--dev':
        options.dev = true;
        break;
      case '--max-spans':
        options.maxSpans = integer('--max-spans', value(), 1, 100_000_000);
        break;
      case '--max-traces':
        options.maxTraces = integer('--max-traces', value(), 1, 10_000_000);
        break;
      case '--max-memory-mb':
        options.maxMemoryMb = integer('--max-memory-mb', value(), MIN_MAX_MEMORY_MB, 1_000_000);
        break;
      case '--data-dir': {
        const dir = value();
        if (!dir) throw new UsageError('--data-dir needs a folder, e.g. --data-dir ~/traces');
        options.dataDir = resolve(dir);
        break;
      }
      case '--no-persist':
        options.persist = false;
        break;
      case '--max-disk-mb':
        options.maxDiskMb = integer('--max-disk-mb', value(), 1, 100_000_000);
        break;
      case '--exit-when-idle':
        options.exitWhenIdleSeconds = integer('--exit-when-idle', value(), 0, 86_400);
        break;
      case '--started-by': {
        const who = value();
        if (who !== 'user' && who !== 'extension') throw new UsageError(`--started-by needs user or extension, got ${who === undefined ? 'nothing' : `"${who}"`}`);
        options.startedBy = who;
        break;
      }
      case '-h':
      case '--help':
        options.help = true;
        break;
      case '--forward':
        options.forward = true;
        break;
      case '--forward-filter': {
        const filter = value();
        if (filter !== 'all' && filter !== 'sdk') throw new UsageError(`--forward-filter needs all or sdk, got ${filter === undefined ? 'nothing' : `"${filter}"`}`);
        options.forwardFilter = filter;
        break;
      }
      case '--forward-api': {
        const api = value();
        if (api !== 'otlp' && api !== 'ingest') throw new UsageError(`--forward-api needs otlp or ingest, got ${api === undefined ? 'nothing' : `"${api}"`}`);
        options.forwardApi = api;
        break;
      }
      case '--redact': {
        const rule = value();
        if (!rule) throw new UsageError('--redact needs an attribute key, a glob such as gen_ai.prompt.* or a /regex/');
        options.redact.push(rule);
        break;
      }
      case '--price': {
        const spec = value();
        if (!spec) throw new UsageError('--price needs model=input:output[:cacheRead[:cacheWrite]] in USD per million tokens, e.g. gpt-4o=2.5:10:1.25');
        try {
          options.prices.push(parsePriceFlag(spec));
        } catch (error) {
          if (error instanceof PriceSpecError) throw new UsageError(`--price: ${error.message}`);
          throw error;
        }
        break;
      }
      case '--prices': {
        const file = value();
        if (!file) throw new UsageError('--prices needs a JSON file of model prices');
        options.priceFiles.push(file);
        break;
      }
      case '--update-prices':
        // Only the inline form takes a URL, so `--update-prices --no-open` keeps its meaning.
        options.updatePrices = inline || PRICE_DATA_URL;
        break;
      default:
        throw new UsageError(`unknown option ${argv[i]}`);
    }
  }
  return options;
}

/**
 * The forwarder of the standalone command, from the options and the
 * environment. Throws {@link UsageError} for `--forward` without a key, and
 * `ForwardConfigError` for an unsafe base URL or an invalid redaction rule.
 */
export function standaloneForwarding(options: CliOptions, env: Record<string, string | undefined>, store: TraceStore, log: (level: 'info' | 'warn' | 'error', message: string) => void): NodeForwarding {
  const { apiKey, baseUrl } = forwardingEnvironment(env);
  if (options.forward && apiKey === undefined) {
    throw new UsageError('--forward needs your Respan API key in the RESPAN_API_KEY environment variable (get one from the Respan API keys page)');
  }
  return createNodeForwarder({
    store,
    apiKey,
    baseUrl,
    settings: { api: options.forwardApi, filter: options.forwardFilter, redact: options.redact },
    autoForward: options.forward,
    log,
  });
}

/** An `--allow-origin` value checked and normalised (see {@link parseAllowedOrigin}). */
function originArg(value: string | undefined): string {
  const origin = value === undefined ? undefined : parseAllowedOrigin(value);
  if (origin === undefined) {
    throw new UsageError(
      `--allow-origin needs an origin such as http://localhost:3000 (scheme, host and port only) or http://localhost:* (every port), got ${value === undefined ? 'nothing' : `"${value}"`}`,
    );
  }
  return origin;
}

/** The environment lines users set to send traces over OTLP/gRPC to `endpoint`. */
export function grpcEnvironmentLines(endpoint: string): string[] {
  return [`OTEL_EXPORTER_OTLP_ENDPOINT=${endpoint}`, 'OTEL_EXPORTER_OTLP_PROTOCOL=grpc'];
}

/** The environment lines users set to send traces to a listener at `url`. */
export function environmentLines(url: string): string[] {
  return [`OTEL_EXPORTER_OTLP_ENDPOINT=${url}`, `OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf`, `RESPAN_BASE_URL=${url}/api`];
}

function openBrowser(url: string): void {
  const command = process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'cmd' : 'xdg-open';
  const args = process.platform === 'win32' ? ['/c', 'start', '', url] : [url];
  const child = spawn(command, args, { stdio: 'ignore', detached: true });
  // No browser opener on this machine (a server, a container): the printed URL is enough.
  child.on('error', () => undefined);
  child.unref();
}

/** Gives queued spans a few seconds to reach Respan, then says plainly what did not. */
async function finishForwarding(forwarding: NodeForwarding, out: NodeJS.WriteStream): Promise<void> {
  const { forwarder } = forwarding;
  if (forwarder.status().counts.pending > 0) {
    forwarder.flush();
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 5000);
      void forwarder.whenSettled().then(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
  const { unsent } = forwarder.status();
  if (unsent > 0) out.write(`${unsent} captured span${unsent === 1 ? ' was' : 's were'} not forwarded to Respan (see the messages above).\n`);
  forwarding.dispose();
}

/** Where traces are kept, for the startup banner. */
function persistenceLine(state: PersistenceState | undefined): string {
  if (state === undefined) return 'in memory only (--no-persist)';
  if (state.status === 'off') return 'in memory only (see above)';
  const { traces, spans, ms } = state.restored;
  const restored = traces > 0 ? `; restored ${traces} trace${traces === 1 ? '' : 's'} (${spans} spans) in ${(ms / 1000).toFixed(1)} s` : '';
  return `in ${state.dataDir}${restored}`;
}

/** The trace store with the retention bounds and prices of the command line (`--price` before `--prices` files). */
export function createStore(options: Pick<CliOptions, 'maxSpans' | 'maxTraces' | 'maxMemoryMb'>, filePrices: readonly CustomPrice[] = [], flagPrices: readonly CustomPrice[] = []): TraceStore {
  return new TraceStore({
    maxSpans: options.maxSpans,
    maxTraces: options.maxTraces,
    maxBytes: options.maxMemoryMb * BYTES_PER_MB,
    costs: createCostEstimator([...flagPrices, ...filePrices]),
  });
}

/** The prices of the `--prices` files; throws {@link UsageError} naming what is wrong. */
function filePricesOf(files: readonly string[]): CustomPrice[] {
  const prices: CustomPrice[] = [];
  for (const file of files) {
    try {
      prices.push(...readPriceFile(file));
    } catch (error) {
      throw new UsageError(`--prices ${file}: ${(error as Error).message}`);
    }
  }
  return prices;
}

/** Runs the standalone inspector until SIGINT/SIGTERM. */
export async function main(argv: readonly string[]): Promise<number> {
  process.setSourceMapsEnabled(true);
  let options: CliOptions;
  try {
    options = parseArgs(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`respan-inspector: ${error.message}\n\n${USAGE}`);
    return 2;
  }
  if (options.help) {
    process.stdout.write(USAGE);
    return 0;
  }

  let store: TraceStore;
  try {
    store = createStore(options, filePricesOf(options.priceFiles), options.prices);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`respan-inspector: ${error.message}\n`);
    return 2;
  }
  let forwarding: NodeForwarding | undefined;
  try {
    forwarding = standaloneForwarding(options, process.env, store, (level, message) => {
      (level === 'info' ? process.stdout : process.stderr).write(`respan-inspector: forwarding: ${message}\n`);
    });
  } catch (error) {
    if (!(error instanceof UsageError) && !(error instanceof ForwardConfigError)) throw error;
    if (options.forward || options.redact.length > 0) {
      process.stderr.write(`respan-inspector: ${error.message}\n`);
      return 2;
    }
    process.stderr.write(`respan-inspector: forwarding to Respan is unavailable: ${error.message}\n`);
  }
  const forwarder = forwarding?.forwarder;
  const webviewDir = join(__dirname, 'webview');
  const inspector = await startInspector({
    store,
    host: options.host,
    httpPort: options.port,
    grpcPort: options.grpcPort,
    webviewDir: existsSync(webviewDir) ? webviewDir : undefined,
    sourceMaps: options.dev,
    allowedOrigins: options.allowOrigins,
    allowedHosts: options.allowHosts,
    apiToken: options.apiToken ?? (process.env[API_TOKEN_ENV]?.trim() || undefined),
    onSpans: forwarder ? (spans) => forwarder.captured(spans) : undefined,
    forwarding: forwarder,
    persistence: options.persist
      ? {
          dataDir: options.dataDir ?? defaultDataDir(),
          maxDiskBytes: options.maxDiskMb * BYTES_PER_MB,
          log: (level, message) => (level === 'info' ? process.stdout : process.stderr).write(`respan-inspector: ${message}\n`),
        }
      : undefined,
    identity: { version: packageVersion(), startedBy: options.startedBy, exitWhenIdleSeconds: options.exitWhenIdleSeconds },
  });
  const { http, grpc, apiToken } = inspector;
  if (!http) {
    await inspector.stop();
    forwarding?.dispose();
    const error = inspector.errors.http;
    if (error instanceof PortInUseError) {
      process.stderr.write(`respan-inspector: port ${error.port} is already in use (another inspector or collector?). Pick another with --port <n>.\n`);
      return 1;
    }
    throw error ?? new Error('the HTTP listener did not start');
  }
  if (inspector.errors.grpc) {
    const error = inspector.errors.grpc;
    const reason = error instanceof PortInUseError ? `port ${error.port} is already in use (another collector or inspector?)` : error.message;
    process.stderr.write(`respan-inspector: OTLP/gRPC is off: ${reason}. OTLP/HTTP still works; pick another gRPC port with --grpc-port <n>.\n`);
  }

  const url = http.url;
  const uiUrl = inspector.uiUrl ?? `${url}/`;
  const out = process.stdout;
  out.write(`\nRespan Trace Inspector is listening on ${url}\n\n`);
  out.write(`  Open the inspector:   ${uiUrl}\n`);
  out.write(`  Query API:            ${url}/api/traces\n`);
  if (grpc) out.write(`  OTLP/gRPC:            ${grpc.endpoint}\n`);
  out.write(`  Traces kept:          ${persistenceLine(inspector.persistence?.state)}\n`);
  out.write('\n');
  out.write('Point your app at it by setting:\n\n');
  for (const line of environmentLines(url)) out.write(`  export ${line}\n`);
  if (grpc) {
    out.write('\nor, for OTLP/gRPC exporters:\n\n');
    for (const line of grpcEnvironmentLines(grpc.endpoint)) out.write(`  export ${line}\n`);
  }
  out.write('\n');
  if (forwarder?.autoForward) {
    const { filter, redact } = forwarder.settings;
    out.write(`Forwarding every captured span to ${forwarder.endpoint} (filter: ${filter}${redact.length ? `; redacting ${redact.join(', ')}` : ''}).\n\n`);
  } else if (forwarder?.hasApiKey) {
    const auth = apiToken ? ' -H "Authorization: Bearer <access token>"' : '';
    out.write(`Forward a trace to Respan with:  curl -X POST${auth} ${url}/api/traces/<traceId>/forward\n\n`);
  }
  if (inspector.exposed) {
    out.write(`Warning: bound to ${options.host}, so anyone who can reach this machine can send traces here.\n`);
    out.write('Requests must name this machine by an IP address it listens on, or by a name given with --allow-host.\n');
    out.write('Reading them needs the access token (the UI link above carries it; scripts send "Authorization: Bearer <token>"):\n\n');
    out.write(`  ${apiToken}\n\n`);
  }

  let demo: DemoHandle | undefined;
  if (options.demo) {
    demo = startDemo({ baseUrl: url });
    out.write('Demo agent running: a joke workflow trace arrives every 5 seconds.\n\n');
  }
  if (options.open) openBrowser(uiUrl);
  if (options.updatePrices !== undefined) {
    updatePriceTable(store.costs, options.updatePrices).then(
      (label) => out.write(`Prices: now from ${label}.\n`),
      (error: Error) => process.stderr.write(`respan-inspector: the price table could not be updated (${error.message}); the bundled table stays in use.\n`),
    );
  }

  let idle: IdleExit | undefined;
  let stopIdleWatch: (() => void) | undefined;
  await new Promise<void>((resolve) => {
    const shutdown = () => {
      process.off('SIGINT', shutdown);
      process.off('SIGTERM', shutdown);
      resolve();
    };
    process.on('SIGINT', shutdown);
    process.on('SIGTERM', shutdown);
    if (options.exitWhenIdleSeconds !== undefined) {
      const seconds = options.exitWhenIdleSeconds;
      idle = new IdleExit(seconds * 1000, () => {
        out.write(`\nNo client for ${seconds} s (--exit-when-idle).\n`);
        shutdown();
      });
      stopIdleWatch = http.onClientsChange((clients) => idle?.clientsChanged(clients));
    }
  });
  stopIdleWatch?.();
  idle?.dispose();
  out.write('\nShutting down…\n');
  await demo?.stop();
  if (forwarding) await finishForwarding(forwarding, out);
  await inspector.stop();
  return 0;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`respan-inspector: ${(error as Error).message}\n`);
      process.exit(1);
    },
  );
}
