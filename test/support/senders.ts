/**
 * What the sender tests share: a listener with a store that settles quickly,
 * the fake provider, and senders run as child processes (they install global
 * OpenTelemetry state).
 */

import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { TraceStore } from '../../src/core/store';
import { InspectorServer } from '../../src/server/server';
import { startFakeProvider, type FakeProvider, type FakeProviderScript } from './fakeProvider';

const execFileAsync = promisify(execFile);

/** Options of {@link runSender}. */
export interface SenderRunOptions {
  /** Added to this process's environment. */
  env?: Record<string, string | undefined>;
  /** Milliseconds before the child is killed; default 60 s. */
  timeout?: number;
}

/** Runs `node --import tsx script ...args` to completion (a sender flushes before it exits) and returns its standard output. */
export async function runSender(script: string, args: string[], options: SenderRunOptions = {}): Promise<string> {
  const { stdout } = await execFileAsync(process.execPath, ['--import', 'tsx', script, ...args], {
    timeout: options.timeout ?? 60_000,
    maxBuffer: 16 * 1024 * 1024,
    env: { ...process.env, ...options.env },
  });
  return stdout;
}

/** A listener on port 0 over a store that flushes within 5 ms, and the fake provider the senders call. */
export interface SenderTarget {
  store: TraceStore;
  server: InspectorServer;
  provider: FakeProvider;
  close(): Promise<void>;
}

/** Starts a {@link SenderTarget}; `script` scripts the fake provider's replies. */
export async function startSenderTarget(script?: FakeProviderScript): Promise<SenderTarget> {
  const store = new TraceStore({ schedule: (flush) => setTimeout(flush, 5) });
  const server = new InspectorServer({ store, port: 0 });
  await server.start();
  const provider = await startFakeProvider(script);
  return {
    store,
    server,
    provider,
    close: async () => {
      await provider.close();
      await server.stop();
    },
  };
}
