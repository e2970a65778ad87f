/**
 * The extension host's worst event-loop stall in a real VS Code (code-server
 * and Node 24, started by scripts/vscode-test.mjs as for the tests), measured
 * inside the extension host by test/vscode/suite/stall.bench.ts: with nothing
 * arriving (the floor: what the workbench itself costs the thread), then while
 * 20,000 spans a second arrive for ten seconds and a 100,000-span trace opens
 * in the inspector panel. Each run starts a fresh code-server. Prints each
 * run's figures.
 *
 *   npm run bench:stall [-- --runs 3]
 *
 * Serialise with the VS Code suite (it shares the harness):
 *   flock /tmp/vscode-suite.lock npm run bench:stall
 */

import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const figuresFile = join(root, 'test-results', 'extension-stall.json');

interface Stall {
  /** Longest event-loop delay seen (perf_hooks histogram). */
  maxMs: number;
  p99Ms: number;
  /** Longest extra wait of a 10 ms timer. */
  timerMaxLagMs: number;
}

interface StallFigures {
  floor: Stall;
  /** 20,000 spans/s for 10 s. */
  flood: Stall;
  /** The same, while the large trace opens. */
  loaded: Stall;
  /** Large answers the panel relay carried: their size and the time to fetch them from the process. */
  relayed: Array<{ type: string; bytes: number; fetchMs: number }>;
  bigTrace: { sent: number; refused: number };
  /** From the open command until the last answer about the large trace went to the panel. */
  openedMs: number;
}

function runs(): number {
  const index = process.argv.indexOf('--runs');
  const value = index >= 0 ? Number(process.argv[index + 1]) : 1;
  if (!Number.isInteger(value) || value <= 0) throw new Error('--runs needs a positive integer');
  return value;
}

function runOnce(): Promise<StallFigures> {
  rmSync(figuresFile, { force: true });
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, ['scripts/vscode-test.mjs', '--no-build', '--no-ui'], {
      cwd: root,
      env: { ...process.env, RESPAN_BENCH_STALL: '1', RESPAN_TEST_GREP: 'Extension host stall', RESPAN_VSCODE_TIMEOUT: '400' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0 || !existsSync(figuresFile)) reject(new Error(`scripts/vscode-test.mjs exited with ${code} without figures:\n${output}`));
      else resolvePromise(JSON.parse(readFileSync(figuresFile, 'utf8')) as StallFigures);
    });
  });
}

const ms = (value: number) => value.toFixed(1).padStart(10);

async function main(): Promise<void> {
  const count = runs();
  console.log(`Extension host event-loop stall in VS Code (code-server), ${count} run(s), ms\n`);
  const header = ['floor max', 'floor p99', 'flood max', 'flood p99', 'open max', 'open p99', 'opened'];
  console.log(`run   ${header.map((title) => title.padStart(10)).join('')}`);
  for (let run = 1; run <= count; run++) {
    const { floor, flood, loaded, bigTrace, openedMs, relayed } = await runOnce();
    if (bigTrace.refused > 0) console.log(`(the large trace lost ${bigTrace.refused} batches)`);
    console.log(`${String(run).padEnd(6)}${[floor.maxMs, floor.p99Ms, flood.maxMs, flood.p99Ms, loaded.maxMs, loaded.p99Ms, openedMs].map(ms).join('')}`);
    for (const entry of relayed) console.log(`      relayed ${entry.type}: ${(entry.bytes / 1e6).toFixed(1)} MB, fetched in ${entry.fetchMs.toFixed(0)} ms`);
  }
  console.log('\nfloor: nothing arriving; flood: 20,000 spans/s for 10 s; open: the same while a 100,000-span trace opens in the panel (opened: until the last answer about it went to the panel).');
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
