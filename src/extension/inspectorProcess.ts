/**
 * The inspector process behind every window of this machine user: found on
 * its port (it identifies itself at `/api/status`) or started the way VS Code
 * starts a language server: the editor's own runtime (`process.execPath` with
 * `ELECTRON_RUN_AS_NODE=1`) running `dist/cli.js`, detached, so closing the
 * window that started it leaves the other windows' inspector running. It ends
 * on its own a while after its last window left (`--exit-when-idle`). No
 * `vscode` here, so it is tested outside VS Code.
 */

import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { createServer } from 'node:net';
import { get as httpGet } from 'node:http';
import { dirname } from 'node:path';
import { API_TOKEN_ENV } from '../core/defaults';
import { isInspectorStatus, type StatusJson } from '../protocol/api';
import { clientUrl } from './environment';

/** Seconds an extension-started process stays up after its last window closed (a reload reattaches well within it). */
export const EXIT_WHEN_IDLE_SECONDS = 60;

/** Where and how the process listens (the `respanInspector.*` settings that need a new process). */
export interface ListenerSettings {
  host: string;
  /** 0 picks a free port. */
  httpPort: number;
  /** Run the OTLP/gRPC receiver. */
  grpcEnabled: boolean;
  /** OTLP/gRPC port; 0 picks a free port. */
  grpcPort: number;
  /** Host names accepted in `Host` besides loopback (e.g. a forwarded port's public name). */
  allowedHosts?: readonly string[];
  /** Origins whose web pages may send spans (browser-side SDKs); see `parseAllowedOrigin`. */
  allowedOrigins?: readonly string[];
}

/** Everything the process is started with; settings become its flags, the key its environment. */
export interface ProcessSettings {
  listener: ListenerSettings;
  maxSpans: number;
  maxTraces: number;
  maxMemoryMb: number;
  /** Keep traces on disk across restarts (`respanInspector.persist`); false passes `--no-persist`. */
  persist: boolean;
  /** The data folder (`respanInspector.dataDir`); absent: the process's default. */
  dataDir?: string;
  forwarding?: {
    autoForward: boolean;
    api: 'otlp' | 'ingest';
    filter: 'all' | 'sdk';
    redact: readonly string[];
    baseUrl: string;
  };
  /** The Respan API key: reaches the process through its environment, never its command line. */
  apiKey?: string;
  /** The access token the process requires beyond loopback: through its environment too. */
  apiToken?: string;
  /** Seconds the process stays up after its last client left. Default {@link EXIT_WHEN_IDLE_SECONDS}. */
  exitWhenIdleSeconds?: number;
  /** Fetch the price table's current data in the background. */
  updatePrices?: boolean;
}

/** How to run the CLI: the runtime and the arguments before the inspector's flags. */
export interface ProcessCommand {
  execPath: string;
  /** E.g. `[<extension>/dist/cli.js]`, or `['--import', 'tsx', 'src/cli/main.ts']` in tests. */
  args: readonly string[];
}

/** The process's flags for `settings` (no secret among them). */
export function processArgs(settings: ProcessSettings, httpPort: number): string[] {
  const { listener } = settings;
  const args = ['--no-open', '--started-by', 'extension', '--exit-when-idle', String(settings.exitWhenIdleSeconds ?? EXIT_WHEN_IDLE_SECONDS)];
  args.push('--host', listener.host, '--port', String(httpPort));
  if (listener.grpcEnabled) args.push('--grpc-port', String(listener.grpcPort));
  else args.push('--no-grpc');
  for (const origin of listener.allowedOrigins ?? []) args.push('--allow-origin', origin);
  for (const host of listener.allowedHosts ?? []) args.push('--allow-host', host);
  if (settings.updatePrices) args.push('--update-prices');
  args.push('--max-spans', String(settings.maxSpans), '--max-traces', String(settings.maxTraces), '--max-memory-mb', String(settings.maxMemoryMb));
  if (!settings.persist) args.push('--no-persist');
  else if (settings.dataDir !== undefined) args.push('--data-dir', settings.dataDir);
  const forwarding = settings.forwarding;
  if (forwarding) {
    // Auto-forward without a key would refuse to start: the process then runs without it.
    if (forwarding.autoForward && settings.apiKey) args.push('--forward');
    args.push('--forward-api', forwarding.api, '--forward-filter', forwarding.filter);
    for (const rule of forwarding.redact) args.push('--redact', rule);
  }
  return args;
}

/** The process's environment: the editor's, the runtime switch, and the Respan key and base URL. */
export function processEnvironment(settings: ProcessSettings, base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...base, ELECTRON_RUN_AS_NODE: '1' };
  // Whatever the editor inherited must not stand in for the user's stored key and chosen base URL.
  delete env.RESPAN_API_KEY;
  delete env.RESPAN_BASE_URL;
  delete env[API_TOKEN_ENV];
  if (settings.apiKey) env.RESPAN_API_KEY = settings.apiKey;
  if (settings.apiToken) env[API_TOKEN_ENV] = settings.apiToken;
  if (settings.forwarding) env.RESPAN_BASE_URL = settings.forwarding.baseUrl;
  return env;
}

/** Something that is not a Respan Trace Inspector holds the port. */
export class PortTakenError extends Error {
  constructor(
    readonly host: string,
    readonly port: number,
  ) {
    super(`port ${port} on ${host} is already in use`);
  }
}

/** What is on a port: an inspector (with its status), nothing, or something else. */
export type PortOccupant = { kind: 'inspector'; status: StatusJson } | { kind: 'free' } | { kind: 'other' };

/** Most of a status answer worth reading: anything longer is not an inspector's. */
const MAX_STATUS_BYTES = 64 * 1024;

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function probeOnce(url: string, apiToken?: string): Promise<PortOccupant | 'unsure'> {
  return new Promise((resolve) => {
    const headers = apiToken ? { Authorization: `Bearer ${apiToken}` } : {};
    const request = httpGet(`${url}/api/status`, { agent: false, timeout: 2000, headers }, (response) => {
      const chunks: Buffer[] = [];
      let size = 0;
      response.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_STATUS_BYTES) request.destroy();
        else chunks.push(chunk);
      });
      response.on('end', () => {
        let body: unknown;
        try {
          body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        } catch {
          body = undefined;
        }
        resolve(isInspectorStatus(body) ? { kind: 'inspector', status: body } : { kind: 'other' });
      });
      response.on('error', () => resolve({ kind: 'other' }));
    });
    request.on('timeout', () => request.destroy());
    // A reset or a timeout is not yet an answer: a process that was just killed resets connections for a moment, a busy one is slow.
    request.on('error', (error: NodeJS.ErrnoException) => resolve(error.code === 'ECONNREFUSED' ? { kind: 'free' } : 'unsure'));
  });
}

/**
 * Asks `/api/status` at `url`: an inspector, nothing listening, or another
 * program. Always on a fresh connection: a pooled one may still point at a
 * process that has just died. A reset or a timeout is asked again a few
 * times before it counts as another program.
 */
export async function probe(url: string, apiToken?: string): Promise<PortOccupant> {
  for (let attempt = 0; attempt < 3; attempt++) {
    const found = await probeOnce(url, apiToken);
    if (found !== 'unsure') return found;
    await delay(250);
  }
  return { kind: 'other' };
}

/** A free TCP port on `host`. */
export function freePort(host: string): Promise<number | undefined> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(undefined));
    server.listen(0, host, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : undefined;
      server.close(() => resolve(port));
    });
  });
}

/** The inspector this window uses: its URL and status, and whether this window started it. */
export interface AttachedInspector {
  url: string;
  status: StatusJson;
  started: boolean;
}

/** Options of {@link attachOrStart}. */
export interface AttachOptions {
  settings: ProcessSettings;
  command: ProcessCommand;
  /** The process's stdout and stderr go here (appended). */
  logFile: string;
  /** Milliseconds to wait for a started process to answer. Default 20 s. */
  startTimeoutMs?: number;
}

/**
 * Attaches to the inspector on the configured port, or starts one there.
 * Rejects with {@link PortTakenError} when another program holds the port.
 * Two windows starting at once end up on the same process: the loser of the
 * port race exits and the probe then finds the winner.
 */
export async function attachOrStart(options: AttachOptions): Promise<AttachedInspector> {
  const { listener } = options.settings;
  // Port 0 means "any free port": there is nothing to attach to, so this window's own process takes one.
  const port = listener.httpPort !== 0 ? listener.httpPort : await freePort(listener.host);
  if (port === undefined) throw new Error(`no free port on ${listener.host}`);
  const url = clientUrl(listener.host, port);
  const token = options.settings.apiToken;
  const found = await probe(url, token);
  if (found.kind === 'inspector') return { url, status: found.status, started: false };
  if (found.kind === 'other') throw new PortTakenError(listener.host, port);

  mkdirSync(dirname(options.logFile), { recursive: true });
  const log = openSync(options.logFile, 'a');
  let exited = false;
  let pid: number | undefined;
  try {
    const child = spawn(options.command.execPath, [...options.command.args, ...processArgs(options.settings, port)], {
      detached: true,
      stdio: ['ignore', log, log],
      env: processEnvironment(options.settings),
      windowsHide: true,
    });
    child.on('exit', () => (exited = true));
    child.on('error', () => (exited = true));
    child.unref();
    pid = child.pid;
  } finally {
    closeSync(log);
  }
  const deadline = Date.now() + (options.startTimeoutMs ?? 20_000);
  for (;;) {
    const now = await probe(url, token);
    if (now.kind === 'inspector') return { url, status: now.status, started: now.status.pid === pid };
    if (exited) {
      // Lost the race to another window's process, or the port is held by another program.
      const after = await probe(url, token);
      if (after.kind === 'inspector') return { url, status: after.status, started: false };
      if (after.kind === 'other') throw new PortTakenError(listener.host, port);
      throw new Error(`the inspector process ended at start; see its log: ${options.logFile}`);
    }
    if (Date.now() > deadline) throw new Error(`the inspector process did not answer within ${Math.round((options.startTimeoutMs ?? 20_000) / 1000)} s; see its log: ${options.logFile}`);
    await delay(100);
  }
}

/**
 * Asks an inspector process this window started to end (SIGTERM: it finishes
 * forwarding and closes its ports). False when it is already gone.
 */
export function stopProcess(pid: number): boolean {
  try {
    process.kill(pid, 'SIGTERM');
    return true;
  } catch {
    return false;
  }
}
