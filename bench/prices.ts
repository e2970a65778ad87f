/**
 * What the price table costs: bytes in the bundle (and so in the .vsix), the
 * bundle's load time at start-up, the table's own load on the first span that
 * needs a price, and the time to price one span. Prints figures; asserts
 * nothing.
 *
 *   npm run bench:prices
 *
 * Bundles are built as `npm run package` builds them (minified, the table
 * slimmed), once as they are and once with the table replaced by a stub, and
 * loaded in fresh processes, alternating, so both see the same machine.
 */

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { deflateRawSync } from 'node:zlib';
import * as esbuild from 'esbuild';
import { CostEstimator } from '../src/core/cost/estimator';
import type { Span } from '../src/core/model';
import { bundledPriceTable } from '../src/server/prices';
// @ts-expect-error: a build script without type declarations
import { slimPriceTable } from '../scripts/slimPriceTable.mjs';

const ROOT = resolve(__dirname, '..');
const RUNS = 11;
const SPANS = 200_000;

/** Replaces the price table with a stub, to measure the bundle without it. */
const withoutTable: esbuild.Plugin = {
  name: 'without-price-table',
  setup(build) {
    build.onResolve({ filter: /^@pydantic\/genai-prices$/ }, () => ({ path: 'stub', namespace: 'stub' }));
    build.onLoad({ filter: /.*/, namespace: 'stub' }, () => ({ contents: 'module.exports = { calcPrice: () => null, findProvider: () => undefined };', loader: 'js' }));
  },
};

async function bundle(entry: string, out: string, plugins: esbuild.Plugin[]): Promise<void> {
  const version = JSON.parse(readFileSync(join(ROOT, 'node_modules/@pydantic/genai-prices/package.json'), 'utf8')).version as string;
  await esbuild.build({
    entryPoints: [join(ROOT, entry)],
    outfile: out,
    bundle: true,
    minify: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    external: ['vscode'],
    legalComments: 'none',
    logLevel: 'silent',
    define: { GENAI_PRICES_VERSION: JSON.stringify(version) },
    plugins,
  });
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/** Milliseconds a fresh Node process takes to run `script` (which prints them). */
function timed(script: string): number {
  return Number(execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' }).trim());
}

const loadScript = (file: string) => `const t=process.hrtime.bigint();require(${JSON.stringify(file)});console.log(Number(process.hrtime.bigint()-t)/1e6)`;

/** A span as the decoders leave it: an OpenAI chat call with tokens. */
function chatSpan(model: string): Span {
  return {
    traceId: '1'.repeat(32),
    spanId: '1'.repeat(16),
    parentSpanId: null,
    name: 'openai.chat',
    kind: 'CLIENT',
    startTimeUnixNano: 1_764_700_000_000_000_000n,
    endTimeUnixNano: 1_764_700_001_000_000_000n,
    startTimeMs: 1_764_700_000_000,
    durationMs: 1000,
    status: { code: 'UNSET', message: '' },
    attributes: {},
    events: [],
    links: [],
    resource: {},
    scope: { name: 'bench', attributes: {} },
    origin: 'otlp',
    derived: { displayKind: 'llm', isError: false, model, provider: 'openai', tokens: { input: 1200, output: 150, cacheRead: 1024 } },
  };
}

function perSpanMicros(estimator: CostEstimator, models: (i: number) => string, count: number): number {
  const spans = Array.from({ length: count }, (_, i) => chatSpan(models(i)));
  const started = process.hrtime.bigint();
  for (const span of spans) estimator.apply(span);
  return Number(process.hrtime.bigint() - started) / 1e3 / count;
}

async function main(): Promise<void> {
  const folder = mkdtempSync(join(tmpdir(), 'respan-bench-prices-'));
  const withFile = join(folder, 'extension-with-table.js');
  const withoutFile = join(folder, 'extension-without-table.js');
  // The CLI's bundle stands for the extension's: the same code but for VS Code's API, which only loads inside VS Code.
  await bundle('src/cli/main.ts', withFile, [slimPriceTable]);
  await bundle('src/cli/main.ts', withoutFile, [withoutTable]);
  const tableFile = join(folder, 'prices.js');
  await bundle('src/server/prices.ts', tableFile, [slimPriceTable]);
  const fullTableFile = join(folder, 'prices-unslimmed.js');
  await bundle('src/server/prices.ts', fullTableFile, []);

  const size = (file: string) => ({ raw: statSync(file).size, zipped: deflateRawSync(readFileSync(file), { level: 9 }).length });
  const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;
  const [withSize, withoutSize] = [size(withFile), size(withoutFile)];
  const slimmedBy = size(fullTableFile).zipped - size(tableFile).zipped;
  console.log('Bundle (minified, as packaged):');
  console.log(`  without the table ${kb(withoutSize.raw)} (${kb(withoutSize.zipped)} compressed), with it ${kb(withSize.raw)} (${kb(withSize.zipped)} compressed)`);
  console.log(`  the table adds ${kb(withSize.raw - withoutSize.raw)}, ${kb(withSize.zipped - withoutSize.zipped)} compressed; slimming saves ${kb(slimmedBy)} compressed`);

  const withLoads: number[] = [];
  const withoutLoads: number[] = [];
  const tableLoads: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    withLoads.push(timed(loadScript(withFile)));
    withoutLoads.push(timed(loadScript(withoutFile)));
    tableLoads.push(
      timed(
        `const m=require(${JSON.stringify(tableFile)});const t=process.hrtime.bigint();const e=m.createCostEstimator();` +
          `e.apply(${JSON.stringify(chatSpan('gpt-4o'), (_, value) => (typeof value === 'bigint' ? Number(value) : value))});` +
          `console.log(Number(process.hrtime.bigint()-t)/1e6)`,
      ),
    );
  }
  console.log(`Start-up, loading the bundle (median of ${RUNS} fresh processes): ${median(withoutLoads).toFixed(1)} ms without the table, ${median(withLoads).toFixed(1)} ms with it`);
  console.log(`First span that needs a price (loads the table, prices one call): ${median(tableLoads).toFixed(1)} ms, once per process`);

  const estimator = new CostEstimator({ loadTable: bundledPriceTable });
  estimator.apply(chatSpan('gpt-4o'));
  const models = ['gpt-4o', 'gpt-4o-mini', 'o4-mini', 'claude-sonnet-4-20250514', 'gemini-2.5-pro'];
  perSpanMicros(estimator, (i) => models[i % models.length], 10_000);
  console.log(`Pricing a span, models already seen: ${perSpanMicros(estimator, (i) => models[i % models.length], SPANS).toFixed(2)} µs`);
  console.log(`Pricing a span whose model name was never seen (every span a new name, as a hostile sender could): ${perSpanMicros(estimator, (i) => `unknown-model-${i}`, 2000).toFixed(0)} µs`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
