/**
 * esbuild.mjs refuses to build when an entry point is missing, naming it,
 * instead of building (or watching) without that bundle.
 */

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '../..');
/** Every entry point esbuild.mjs names. */
const ENTRIES = ['src/cli/main.ts', 'src/extension/extension.ts', 'src/cli/demo.ts', 'test/vscode/index.ts', 'webview/main.tsx'];

describe('build script', () => {
  let dir: string;
  beforeEach(() => {
    // A copy of the build script with stand-ins for every entry point but the webview's.
    dir = mkdtempSync(join(tmpdir(), 'rti-build-'));
    mkdirSync(join(dir, 'scripts'));
    copyFileSync(join(ROOT, 'esbuild.mjs'), join(dir, 'esbuild.mjs'));
    copyFileSync(join(ROOT, 'scripts', 'slimPriceTable.mjs'), join(dir, 'scripts', 'slimPriceTable.mjs'));
    symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
    for (const entry of ENTRIES.filter((file) => file !== 'webview/main.tsx')) {
      mkdirSync(join(dir, dirname(entry)), { recursive: true });
      writeFileSync(join(dir, entry), 'export {};\n');
    }
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  for (const args of [[], ['--watch']]) {
    it(`fails on a missing entry point and names it${args.length > 0 ? ' (watch mode)' : ''}`, () => {
      const result = spawnSync(process.execPath, ['esbuild.mjs', ...args], { cwd: dir, encoding: 'utf8', timeout: 15_000 });
      assert.equal(result.status, 1, result.stderr);
      assert.match(result.stderr, /entry point "webview" does not exist: webview\/main\.tsx/);
      assert.equal(existsSync(join(dir, 'dist')), false, 'nothing was built');
    });
  }
});
