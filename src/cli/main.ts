#!/usr/bin/env node
/**
 * `respan-inspector`: the standalone inspector. Starts the listener, serves the
 * query API and the browser UI, prints what to point SDKs at, and shuts down
 * cleanly on Ctrl-C.
 */

import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { TraceStore } from '../core/store';
import { InspectorServer, PortInUseError } from '../server/server';
import { startDemo, type DemoHandle } from './demo';

/** Parsed command line. */
export interface CliOptions {
  host: string;
  port: number;
  grpcPort: number;
  open: boolean;
  demo: boolean;
  maxSpans: number;
  maxTraces: number;
  help: boolean;
}

const USAGE = `Usage: respan-inspector [options]

Runs a local trace inspector for LLM apps: an OTLP and Respan ingest listener
with a trace UI in your browser.

Options:
  --port <n>         HTTP port for OTLP/HTTP, Respan paths, the API and the UI (default 4318)
  --grpc-port <n>    OTLP/gRPC port (default 4317)
  --host <addr>      address to bind (default 127.0.0.1; anything else exposes your traces)
  --no-open          do not open the browser
  --demo             run a built-in demo agent that sends traces every few seconds
  --max-spans <n>    spans kept in memory before the oldest traces are evicted (default 200000)
  --max-traces <n>   traces kept in memory (default 10000)
  -h, --help         show this help
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
  const options: CliOptions = { host: '127.0.0.1', port: 4318, grpcPort: 4317, open: true, demo: false, maxSpans: 200_000, maxTraces: 10_000, help: false };
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
      case '--max-spans':
        options.maxSpans = integer('--max-spans', value(), 1, 100_000_000);
        break;
      case '--max-traces':
        options.maxTraces = integer('--max-traces', value(), 1, 10_000_000);
        break;
      case '-h':
      case '--help':
        options.help = true;
        break;
      default:
        throw new UsageError(`unknown option ${argv[i]}`);
    }
  }
  return options;
}

/** The environment lines users set to send traces to a listener at `url`. */
export function environmentLines(url: string): string[] {
  return [`OTEL_EXPORTER_OTLP_ENDPOINT=${url}`, `OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf`, `RESPAN_BASE_URL=${url}/api`];
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host.startsWith('127.');
}

function openBrowser(url: string): void {
  const command = process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'cmd' : 'xdg-open';
  const args = process.platform === 'win32' ? ['/c', 'start', '', url] : [url];
  const child = spawn(command, args, { stdio: 'ignore', detached: true });
  // No browser opener on this machine (a server, a container): the printed URL is enough.
  child.on('error', () => undefined);
  child.unref();
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

  const store = new TraceStore({ maxSpans: options.maxSpans, maxTraces: options.maxTraces });
  const webviewDir = join(__dirname, 'webview');
  const server = new InspectorServer({ store, host: options.host, port: options.port, webviewDir: existsSync(webviewDir) ? webviewDir : undefined });
  try {
    await server.start();
  } catch (error) {
    if (error instanceof PortInUseError) {
      process.stderr.write(`respan-inspector: port ${error.port} is already in use (another inspector or collector?). Pick another with --port <n>.\n`);
      return 1;
    }
    throw error;
  }

  const url = server.url;
  const out = process.stdout;
  out.write(`\nRespan Trace Inspector is listening on ${url}\n\n`);
  out.write(`  Open the inspector:   ${url}/\n`);
  out.write(`  Query API:            ${url}/api/traces\n\n`);
  out.write('Point your app at it by setting:\n\n');
  for (const line of environmentLines(url)) out.write(`  export ${line}\n`);
  out.write('\n');
  if (!isLoopback(options.host)) {
    out.write(`Warning: bound to ${options.host}, so anyone who can reach this machine can send and read traces.\n\n`);
  }

  let demo: DemoHandle | undefined;
  if (options.demo) {
    demo = startDemo({ baseUrl: url });
    out.write('Demo agent running: a joke workflow trace arrives every 5 seconds.\n\n');
  }
  if (options.open) openBrowser(`${url}/`);

  await new Promise<void>((resolve) => {
    const shutdown = () => {
      process.off('SIGINT', shutdown);
      process.off('SIGTERM', shutdown);
      resolve();
    };
    process.on('SIGINT', shutdown);
    process.on('SIGTERM', shutdown);
  });
  out.write('\nShutting down…\n');
  await demo?.stop();
  await server.stop();
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
