// Extension-host test index: VS Code (code-server through scripts/vscode-test.mjs,
// or the desktop build through @vscode/test-electron) loads this bundle inside the
// extension host and awaits run(). The suites are bundled in by esbuild; mocha
// stays external (see esbuild.mjs) because it loads its parts at run time.
import { renameSync, writeFileSync } from 'node:fs';
import Mocha from 'mocha';
import * as vscode from 'vscode';

/** One test's outcome as written to the results file. */
export interface TestOutcome {
  /** Position in the run, so passes and failures can be listed in the order they ran. */
  order: number;
  title: string;
  fullTitle: string;
  /** Milliseconds; absent for a hook or a suite that failed before timing. */
  duration?: number;
  message?: string;
  stack?: string;
}

/** The results file that scripts/vscode-test.mjs polls for. */
export interface SuiteResults {
  passes: TestOutcome[];
  failures: TestOutcome[];
  environment: { vscode: string; node: string };
}

/** Environment variable naming the file to write {@link SuiteResults} to; absent under @vscode/test-electron. */
export const RESULTS_ENV = 'RESPAN_TEST_RESULTS';

function outcome(order: number, test: Mocha.Runnable, error?: unknown): TestOutcome {
  const result: TestOutcome = { order, title: test.title, fullTitle: test.fullTitle(), duration: test.duration };
  if (error !== undefined) {
    result.message = error instanceof Error ? error.message : String(error);
    result.stack = error instanceof Error ? error.stack : undefined;
  }
  return result;
}

/** Writes via a temp file and a rename so the harness never reads half a file. */
function writeResults(path: string, results: SuiteResults): void {
  writeFileSync(`${path}.tmp`, JSON.stringify(results, null, 2));
  renameSync(`${path}.tmp`, path);
}

/** Runs every suite under test/vscode/suite; rejects when any test fails. */
export async function run(): Promise<void> {
  const resultsPath = process.env[RESULTS_ENV];
  const results: SuiteResults = {
    passes: [],
    failures: [],
    environment: { vscode: vscode.version, node: process.version },
  };
  // RESPAN_TEST_GREP runs only the matching tests (when working on one suite).
  const grep = process.env.RESPAN_TEST_GREP;
  const mocha = new Mocha({ ui: 'bdd', timeout: 20_000, color: resultsPath === undefined, reporter: 'spec', ...(grep ? { grep } : {}) });
  // Sets up describe/it as globals before the suites' top-level code runs.
  mocha.suite.emit('pre-require', globalThis as unknown as Mocha.MochaGlobals, 'test/vscode/suite', mocha);
  try {
    // One line per suite file: literal specifiers let esbuild bundle them, and importing
    // here (after pre-require) lets their top-level describe() calls find mocha's globals.
    await import('./suite/activation.test');
    await import('./suite/traces.test');
    await import('./suite/source.test');
    await import('./suite/panel.test');
    await import('./suite/forwarding.test');
    await import('./suite/process.test');
    // A measurement, not a test: only for bench/extension-stall.ts.
    if (process.env.RESPAN_BENCH_STALL === '1') await import('./suite/stall.bench');
    // Last: its final test deactivates the extension.
    await import('./suite/lifecycle.test');
  } catch (error) {
    results.failures.push({
      order: 0,
      title: 'load suites',
      fullTitle: 'loading test/vscode/suite',
      message: error instanceof Error ? error.message : String(error),
      stack: error instanceof Error ? error.stack : undefined,
    });
  }

  if (results.failures.length === 0) {
    await new Promise<void>((resolve) => {
      const runner = mocha.run(() => resolve());
      let order = 0;
      runner.on('pass', (test) => results.passes.push(outcome((order += 1), test)));
      runner.on('fail', (test, error) => results.failures.push(outcome((order += 1), test, error)));
    });
  }

  if (resultsPath !== undefined) writeResults(resultsPath, results);
  if (results.failures.length > 0) {
    throw new Error(`${results.failures.length} extension-host test(s) failed: ${results.failures.map((failure) => failure.fullTitle).join('; ')}`);
  }
}
