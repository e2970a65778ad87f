// Runs the extension-host suite (test/vscode/suite) in a desktop VS Code through
// @vscode/test-electron, for machines that can reach Microsoft's download servers
// (the offline harness is scripts/vscode-test.mjs). It pins the same VS Code
// release as the offline harness so both runners test against one API. The
// workbench UI tests (test/vscode/ui) need the web workbench and run only there.
// On a Linux machine without a display, run it under xvfb-run.
//
// Usage: node scripts/vscode-test-electron.mjs
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runTests } from '@vscode/test-electron';

/** Keep in step with VSCODE_VERSION in scripts/vscode-test.mjs. */
const VSCODE_VERSION = '1.139.1';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const fixtureWorkspace = join(root, 'test', 'vscode', 'fixtures', 'workspace');

const build = spawnSync(process.execPath, ['esbuild.mjs'], { cwd: root, stdio: 'inherit' });
if (build.status !== 0) process.exit(build.status ?? 1);

const workspace = mkdtempSync(join(tmpdir(), 'respan-vscode-electron-'));
if (existsSync(fixtureWorkspace)) cpSync(fixtureWorkspace, workspace, { recursive: true });

let exitCode = 0;
try {
  exitCode = await runTests({
    version: VSCODE_VERSION,
    extensionDevelopmentPath: root,
    extensionTestsPath: join(root, 'dist', 'vscode-test-index.js'),
    // Other installed extensions stay off so that only ours is under test.
    launchArgs: [workspace, '--disable-extensions', '--disable-workspace-trust'],
    extensionTestsEnv: { RESPAN_EXPECTED_VSCODE_VERSION: VSCODE_VERSION },
  });
} catch (error) {
  console.error(`[vscode-test-electron] ${error instanceof Error ? error.message : error}`);
  exitCode = 1;
} finally {
  rmSync(workspace, { recursive: true, force: true });
}
process.exit(exitCode);
