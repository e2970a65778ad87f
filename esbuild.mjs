// Builds every bundle from one script: the Node bundles (CLI, VS Code extension,
// VS Code test index) with `vscode` external, and the browser bundle of the UI.
// Usage: node esbuild.mjs [--watch] [--production]
import * as esbuild from 'esbuild';
import { existsSync, readFileSync } from 'node:fs';
import { slimPriceTable } from './scripts/slimPriceTable.mjs';

const watch = process.argv.includes('--watch');
const production = process.argv.includes('--production');

/** The price table's version, shown with every estimated cost. */
const genaiPricesVersion = JSON.parse(readFileSync('node_modules/@pydantic/genai-prices/package.json', 'utf8')).version;

/** @type {import('esbuild').BuildOptions} */
const common = {
  bundle: true,
  sourcemap: production ? false : 'linked',
  minify: production,
  logLevel: 'info',
  legalComments: 'none',
  define: { GENAI_PRICES_VERSION: JSON.stringify(genaiPricesVersion) },
};

const builds = [
  {
    ...common,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    // mocha stays external: the test index loads it from node_modules at run time.
    external: ['vscode', 'mocha'],
    plugins: [slimPriceTable],
    outdir: 'dist',
    entryPoints: {
      cli: 'src/cli/main.ts',
      extension: 'src/extension/extension.ts',
      // The demo agent (with the OpenTelemetry SDK) apart, so the extension loads it only when asked.
      demo: 'src/cli/demo.ts',
      'vscode-test-index': 'test/vscode/index.ts',
    },
  },
  {
    ...common,
    platform: 'browser',
    target: ['chrome120'],
    format: 'iife',
    outdir: 'dist/webview',
    entryPoints: { webview: 'webview/main.tsx' },
    // Minified in every build: a page opens with half the script to parse (its linked map keeps it readable in dev).
    minify: true,
    loader: { '.ttf': 'file' },
    jsx: 'automatic',
    jsxImportSource: 'preact',
  },
];

// A missing entry point stops the build before it starts: watch mode would otherwise go on without that bundle.
const missing = builds.flatMap((options) => Object.entries(options.entryPoints).filter(([, file]) => !existsSync(file)));
if (missing.length > 0) {
  for (const [name, file] of missing) console.error(`esbuild.mjs: entry point "${name}" does not exist: ${file}`);
  process.exit(1);
}

if (watch) {
  const contexts = await Promise.all(builds.map((options) => esbuild.context(options)));
  await Promise.all(contexts.map((context) => context.watch()));
} else {
  await Promise.all(builds.map((options) => esbuild.build(options)));
}
