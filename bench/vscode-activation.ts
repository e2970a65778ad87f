/**
 * Activation time of the extension in a real VS Code (code-server and Node 24,
 * started by scripts/vscode-test.mjs as for the tests). Each run starts a fresh
 * code-server, where the extension activates on start-up; the extension times
 * its own `activate()`, and the extension-host test that checks activation
 * records those figures in test-results/extension-activation.json. Prints each
 * run's figures and their medians.
 *
 *   npm run bench:activation [-- --runs 5]
 *
 * The extension's inspector listens on its default port 4318 during a run, like
 * the VS Code test suite: do not run both at once.
 */

import { runVsCodeTestForFigures, runsArgument } from './vscodeRuns';

/** The extension-host test (test/vscode/suite/lifecycle.test.ts) that records the figures. */
const RECORDING_TEST = 'activation started the listener';

/** What the extension measured, in milliseconds. */
interface ActivationFigures {
  /** `activate()` from its first line until the window is attached to the inspector process. */
  activationMs: number;
  /** Of that, building the views and registering, before the asynchronous start. */
  setupMs: number;
  /** From the end of setup until attached: reading the stored key, then finding the process or starting it. */
  attachMs: number;
}

const COLUMNS: ReadonlyArray<keyof ActivationFigures> = ['activationMs', 'setupMs', 'attachMs'];

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

async function main(): Promise<void> {
  const count = runsArgument(3);
  console.log(`Extension activation in VS Code (code-server), ${count} run(s), ms\n`);
  console.log(`run   ${COLUMNS.map((column) => column.padStart(12)).join('')}`);
  const results: ActivationFigures[] = [];
  for (let run = 1; run <= count; run++) {
    const figures = await runVsCodeTestForFigures<ActivationFigures>(RECORDING_TEST, 'extension-activation.json');
    results.push(figures);
    console.log(`${String(run).padEnd(6)}${COLUMNS.map((column) => figures[column].toFixed(1).padStart(12)).join('')}`);
  }
  console.log(`${'median'.padEnd(6)}${COLUMNS.map((column) => median(results.map((figures) => figures[column])).toFixed(1).padStart(12)).join('')}`);
  console.log('\nactivationMs: activate() until attached to the inspector process; setupMs: views and registration; attachMs: the key, then starting (or finding) the process.');
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
