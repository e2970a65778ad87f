/**
 * Runs one extension-host test in a fresh code-server (scripts/vscode-test.mjs,
 * as for the suite) and reads the figures it wrote: the shared part of the
 * benchmarks measured inside the real VS Code.
 */

import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** The `--runs N` argument of the command line, else `fallback`. */
export function runsArgument(fallback: number): number {
  const index = process.argv.indexOf('--runs');
  const value = index >= 0 ? Number(process.argv[index + 1]) : fallback;
  if (!Number.isInteger(value) || value <= 0) throw new Error('--runs needs a positive integer');
  return value;
}

/**
 * Runs the extension-host tests whose titles match `grep` with `env` added,
 * and reads `test-results/{figuresFile}`, which they write; rejects with the
 * harness's output when it fails or writes nothing.
 */
export function runVsCodeTestForFigures<T>(grep: string, figuresFile: string, env: Record<string, string> = {}): Promise<T> {
  const file = join(root, 'test-results', figuresFile);
  rmSync(file, { force: true });
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, ['scripts/vscode-test.mjs', '--no-build', '--no-ui'], {
      cwd: root,
      env: { ...process.env, ...env, RESPAN_TEST_GREP: grep },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0 || !existsSync(file)) reject(new Error(`scripts/vscode-test.mjs exited with ${code} without figures:\n${output}`));
      else resolvePromise(JSON.parse(readFileSync(file, 'utf8')) as T);
    });
  });
}
