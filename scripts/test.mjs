// The whole test suite, the one command the README and CI run (`npm test`):
// build the bundles, type-check every layer, run mocha (unit, integration and
// real-Chromium browser tests), then the extension's suite in a real VS Code.
// Ends with one line `N passed, N failed` over all phases.
// Usage: node scripts/test.mjs [--no-vscode]
import { spawn } from 'node:child_process';

const skipVscode = process.argv.includes('--no-vscode');

/** Runs a command, echoing its output, and returns its exit code and output. */
function run(label, command, args) {
  console.log(`\n=== ${label} ===`);
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let output = '';
    child.stdout.on('data', (chunk) => {
      process.stdout.write(chunk);
      output += chunk;
    });
    child.on('close', (code, signal) => resolve({ code: code ?? (signal ? 1 : 0), output }));
  });
}

const node = process.execPath;
const totals = { passed: 0, failed: 0 };
let failedPhases = [];

const build = await run('build', node, ['esbuild.mjs']);
if (build.code !== 0) failedPhases.push('build');
const typecheck = await run('type-check and layer boundaries', node, ['scripts/typecheck.mjs']);
if (typecheck.code !== 0) failedPhases.push('typecheck');

const mocha = await run('unit, integration and browser tests (mocha)', node, ['node_modules/mocha/bin/mocha.js', '--color']);
const count = (pattern, text) => Number(pattern.exec(text.replace(/\x1b\[[0-9;]*m/g, ''))?.[1] ?? 0);
totals.passed += count(/(\d+) passing/, mocha.output);
totals.failed += count(/(\d+) failing/, mocha.output);
if (mocha.code !== 0) failedPhases.push('mocha');
if (count(/(\d+) pending/, mocha.output) > 0) {
  console.error('Some tests are pending (skipped): a skipped test is not a passed test.');
  failedPhases.push('pending tests');
}

if (!skipVscode) {
  const vscode = await run('extension tests in a real VS Code', node, ['scripts/vscode-test.mjs', '--no-build']);
  const summary = /^(\d+) passed, (\d+) failed$/m.exec(vscode.output);
  totals.passed += Number(summary?.[1] ?? 0);
  totals.failed += Number(summary?.[2] ?? 0);
  if (vscode.code !== 0) failedPhases.push('vscode');
}

if (failedPhases.length > 0) console.log(`\nFailed: ${failedPhases.join(', ')}`);
console.log(`\n${totals.passed} passed, ${totals.failed} failed`);
process.exit(failedPhases.length > 0 ? 1 : 0);
