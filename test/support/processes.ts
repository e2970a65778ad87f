/** The inspector process in tests: the command started on its own, settings that start it on free ports, a trace to send it, and whether a process is alive. */

import * as assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { encodeOtlpJson } from '../../src/core/otlp/export';
import { freePort, type ProcessSettings } from '../../src/extension/inspectorProcess';
import { makeSpan } from './spans';

/** Whether a process with this id exists (signal 0 tests for it without sending anything). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Small bounds, memory only, forwarding to nowhere, on free loopback ports; the Respan key when given. */
export async function settingsOnFreePorts(apiKey?: string): Promise<ProcessSettings> {
  return {
    listener: { host: '127.0.0.1', httpPort: (await freePort('127.0.0.1'))!, grpcEnabled: true, grpcPort: (await freePort('127.0.0.1'))! },
    maxSpans: 1000,
    maxTraces: 100,
    maxMemoryMb: 64,
    persist: false,
    forwarding: { autoForward: false, api: 'otlp', filter: 'all', redact: [], baseUrl: 'http://127.0.0.1:9/api' },
    ...(apiKey ? { apiKey } : {}),
  };
}

/** Sends a one-span trace named `{label}-root` over OTLP/HTTP JSON; its trace id. */
export async function sendTrace(url: string, label: string): Promise<string> {
  const span = makeSpan({ trace: label, id: 'root', name: `${label}-root` });
  const response = await fetch(`${url}/v1/traces`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(encodeOtlpJson([span])) });
  assert.equal(response.status, 200);
  return span.traceId;
}

/** A `dist/cli.js` a test started, and what it printed so far. */
export interface CliProcess {
  child: ChildProcess;
  url: string;
  output(): string;
}

/** Starts `node [nodeArgs] dist/cli.js [args]` from the repository (built first) and resolves once it says where it listens. */
export async function startCli(args: string[], options: { nodeArgs?: string[]; env?: Record<string, string>; timeoutMs?: number } = {}): Promise<CliProcess> {
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), 'dist/cli.js', ...args], { cwd: resolve(__dirname, '../..'), stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...options.env } });
  let output = '';
  const url = await new Promise<string>((resolveUrl, reject) => {
    const timer = setTimeout(() => reject(new Error(`the inspector did not start:\n${output}`)), options.timeoutMs ?? 15_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listening on (http:\/\/\S+)/.exec(output);
      if (!match) return;
      clearTimeout(timer);
      resolveUrl(match[1]);
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the inspector exited with ${code}:\n${output}`));
    });
  });
  return { child, url, output: () => output };
}
