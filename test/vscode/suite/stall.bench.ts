// The extension host's worst event-loop stall, measured inside it (the
// extension runs in this same thread), for bench/extension-stall.ts: first
// with nothing arriving (the floor), then while 20,000 spans a second arrive
// for ten seconds, then the same while a 100,000-span trace opens in the panel. Records the
// figures in test-results/extension-stall.json; asserts nothing about time.
// Loaded only when RESPAN_BENCH_STALL=1 (see test/vscode/index.ts).
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { monitorStalls, type Stall } from '../../../bench/stallMonitor';
import type { ServiceRelay } from '../../../src/extension/inspectorClient';
import { EXTENSION_ID, inspector, listenerUrl, waitFor } from './support';

const SECONDS = 10;
const SPANS_PER_SECOND = 20_000;
const BIG_TRACE_SPANS = 100_000;
const BIG_TRACE_ID = 'b16'.padEnd(32, '0');

/**
 * Stalls seen while `during` runs, in this extension host and, side by side, in
 * an idle Node process under the same load (the machine's floor); and the
 * share of one core the extension host used meanwhile.
 */
async function measure(during: () => Promise<unknown>): Promise<Stall & { control: Stall; hostCpuShare: number }> {
  const control = await startControl();
  const monitor = monitorStalls();
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  let stall: Stall;
  try {
    await during();
  } finally {
    stall = monitor.stop();
  }
  const cpu = process.cpuUsage(cpuBefore);
  const hostCpuShare = (cpu.user + cpu.system) / 1000 / (performance.now() - started);
  return { ...stall, control: await control.stop(), hostCpuShare };
}

/** Starts bench/stall-control.ts and resolves once it measures (its start-up is not part of any figure); `stop` ends it and reads what it measured. */
async function startControl(): Promise<{ stop(): Promise<Stall> }> {
  const root = vscode.extensions.getExtension(EXTENSION_ID)!.extensionPath;
  const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'bench', 'stall-control.ts')], { cwd: root, stdio: ['pipe', 'pipe', 'inherit'], env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' } });
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  const closed = new Promise<void>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`stall-control exited with ${code}`))));
  });
  await Promise.race([closed, waitFor('the idle process to measure', () => output.startsWith('ready\n'), 30_000)]);
  return {
    async stop() {
      child.stdin!.end();
      await closed;
      return JSON.parse(output.slice('ready\n'.length)) as Stall;
    },
  };
}

function load(url: string, ...args: string[]): Promise<string> {
  const script = join(vscode.extensions.getExtension(EXTENSION_ID)!.extensionPath, 'bench', 'stall-load.mjs');
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, url, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(output.trim()) : reject(new Error(`stall-load ${args[0]} exited with ${code}`))));
  });
}

describe('Extension host stall (bench)', function () {
  this.timeout(180_000);

  it('records the worst stall with no ingest, and while spans flood in and a 100,000-span trace opens', async () => {
    const ext = await inspector();
    const url = await listenerUrl();
    await vscode.commands.executeCommand('respanInspector.traces.focus');
    const floor = await measure(() => new Promise((resolve) => setTimeout(resolve, SECONDS * 1000)));
    const flood = await measure(() => load(url, 'flood', String(SPANS_PER_SECOND), String(SECONDS)));
    const big = await load(url, 'big', BIG_TRACE_ID, String(BIG_TRACE_SPANS));
    // Where the time of opening goes: the relay's fetch of the answer, and handing it to the webview.
    const relayed: Array<{ type: string; bytes: number; fetchMs: number }> = [];
    let lastBigAnswerAt = 0;
    const client = ext.connection.client!;
    const relay = client.relay.bind(client);
    const measured: ServiceRelay = async (type, params, onPiece) => {
      const started = performance.now();
      let bytes = 0;
      const result = await relay(type, params, (piece) => {
        bytes += piece.length;
        return onPiece(piece);
      });
      relayed.push({ type, bytes, fetchMs: performance.now() - started });
      // The view has the large trace once an answer about it (whole, or its lean form's last slice) went through.
      if ((params as { traceId?: string } | undefined)?.traceId === BIG_TRACE_ID && (type === 'getTrace' || type === 'getLeanTrace')) lastBigAnswerAt = performance.now();
      return result;
    };
    Object.assign(client, { relay: measured });
    let opened = 0;
    const loaded = await measure(async () => {
      const flood = load(url, 'flood', String(SPANS_PER_SECOND), String(SECONDS));
      await new Promise((resolve) => setTimeout(resolve, 2000));
      const started = performance.now();
      await vscode.commands.executeCommand('respanInspector.openInInspector', { traceId: BIG_TRACE_ID });
      // Opened: no answer about the large trace for a second after the last one.
      await waitFor('the panel to load the large trace', () => lastBigAnswerAt > 0 && performance.now() - lastBigAnswerAt > 1000, 120_000);
      opened = lastBigAnswerAt - started;
      return flood;
    });
    const root = vscode.extensions.getExtension(EXTENSION_ID)!.extensionPath;
    mkdirSync(join(root, 'test-results'), { recursive: true });
    writeFileSync(join(root, 'test-results', 'extension-stall.json'), JSON.stringify({ floor, flood, loaded, bigTrace: JSON.parse(big), openedMs: opened, relayed: relayed.filter((entry) => entry.bytes > 100_000) }, null, 2));
  });
});
