/**
 * The extension host's worst event-loop stall in a real VS Code (code-server
 * and Node 24, started by scripts/vscode-test.mjs as for the tests), measured
 * inside the extension host by test/vscode/suite/stall.bench.ts: with nothing
 * arriving (the floor: what the workbench itself costs the thread), then while
 * 20,000 spans a second arrive for ten seconds and a 100,000-span trace opens
 * in the inspector panel. Beside each figure, the same measure taken at the
 * same time by an idle Node process (bench/stall-control.ts): on a machine
 * whose cores the load fills, that is the floor no extension host can go
 * under. Each run starts a fresh code-server. Prints each run's figures.
 *
 *   npm run bench:stall [-- --runs 3]
 *
 * Serialise with the VS Code suite (it shares the harness):
 *   flock /tmp/vscode-suite.lock npm run bench:stall
 */

import type { Stall } from './stallMonitor';
import { runVsCodeTestForFigures, runsArgument } from './vscodeRuns';

/** The extension host's stalls, beside an idle process's under the same load, and the host's use of one core. */
interface HostStall extends Stall {
  control: Stall;
  /** CPU time of the extension host over wall time (1 = one core busy). */
  hostCpuShare: number;
}

interface StallFigures {
  floor: HostStall;
  /** 20,000 spans/s for 10 s. */
  flood: HostStall;
  /** The same, while the large trace opens. */
  loaded: HostStall;
  /** Large answers the panel relay carried: their size and the time to fetch them from the process. */
  relayed: Array<{ type: string; bytes: number; fetchMs: number }>;
  bigTrace: { sent: number; refused: number };
  /** From the open command until the last answer about the large trace went to the panel. */
  openedMs: number;
}

const ms = (value: number) => value.toFixed(1).padStart(10);

async function main(): Promise<void> {
  const count = runsArgument(1);
  console.log(`Extension host event-loop stall in VS Code (code-server), ${count} run(s), ms\n`);
  console.log(`run  phase  ${['host max', 'host p99', 'idle max', 'idle p99', 'host CPU'].map((title) => title.padStart(10)).join('')}`);
  for (let run = 1; run <= count; run++) {
    const figures = await runVsCodeTestForFigures<StallFigures>('Extension host stall', 'extension-stall.json', { RESPAN_BENCH_STALL: '1', RESPAN_VSCODE_TIMEOUT: '400' });
    const { bigTrace, openedMs, relayed } = figures;
    if (bigTrace.refused > 0) console.log(`(the large trace lost ${bigTrace.refused} batches)`);
    for (const phase of ['floor', 'flood', 'loaded'] as const) {
      const { maxMs, p99Ms, control, hostCpuShare } = figures[phase];
      console.log(`${String(run).padEnd(5)}${phase.padEnd(7)}${[maxMs, p99Ms, control.maxMs, control.p99Ms].map(ms).join('')}${`${(hostCpuShare * 100).toFixed(0)}%`.padStart(10)}`);
    }
    console.log(`     the large trace opened in ${openedMs.toFixed(0)} ms`);
    for (const entry of relayed) console.log(`     relayed ${entry.type}: ${(entry.bytes / 1e6).toFixed(1)} MB, fetched in ${entry.fetchMs.toFixed(0)} ms`);
  }
  console.log('\nfloor: nothing arriving; flood: 20,000 spans/s for 10 s; loaded: the same while a 100,000-span trace opens in the panel (opened: until the last answer about it went to the panel).');
  console.log('host: the extension host; idle: an idle Node process measuring itself the same way at the same time (the machine\'s floor under that load); host CPU: its CPU time over wall time.');
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
