/** The inspector process in tests: settings that start it on free ports, a trace to send it, and whether a process is alive. */

import * as assert from 'node:assert/strict';
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
