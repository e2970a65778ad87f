// Enforces the layer boundaries of ARCHITECTURE.md on import specifiers, so a
// stray `import 'vscode'` or `import 'node:http'` fails the build instead of
// waiting for a reviewer. The per-layer tsconfig files enforce the `lib`/`types`
// side (no DOM in host code, no Node in core).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join, relative, resolve, dirname, sep } from 'node:path';

const root = resolve(dirname(new URL(import.meta.url).pathname), '..');
const nodeBuiltins = new Set(builtinModules.flatMap((name) => [name, `node:${name}`]));

/** Which layers (folders) and packages each layer may import. */
const rules = {
  'src/core': { layers: ['src/core'], packages: ['protobufjs'], node: false },
  // The service's handlers answer in the protocol's shapes, through its request table.
  'src/core/service': { layers: ['src/core', 'src/protocol'], packages: [], node: false },
  'src/protocol': { layers: ['src/core', 'src/protocol'], packages: [], node: false },
  'src/server': { layers: ['src/core', 'src/protocol', 'src/server'], packages: ['@grpc/grpc-js', '@pydantic/genai-prices'], node: true },
  'src/cli': { layers: ['src/core', 'src/protocol', 'src/server', 'src/cli'], packages: ['@opentelemetry/'], node: true },
  'src/extension': { layers: ['src/core', 'src/protocol', 'src/server', 'src/cli', 'src/extension'], packages: ['vscode', '@opentelemetry/'], node: true },
  webview: { layers: ['src/core', 'src/protocol', 'webview'], packages: ['preact', '@vscode/codicons'], node: false },
};

const importPattern = /(?:^|[^.\w])(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|(?:^|[^.\w])import(?:\s+|\s*\(\s*)['"]([^'"]+)['"]|require\(\s*['"]([^'"]+)['"]\s*\)/gm;

function* sourceFiles(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yield* sourceFiles(path);
    else if (/\.(ts|tsx)$/.test(name) && !name.endsWith('.d.ts')) yield path;
  }
}

/** The most specific layer holding `file` (a folder inside a layer may have rules of its own). */
function layerOf(file) {
  const path = relative(root, file).split(sep).join('/');
  return Object.keys(rules)
    .filter((layer) => path.startsWith(`${layer}/`))
    .sort((a, b) => b.length - a.length)[0];
}

const problems = [];
for (const [layer, rule] of Object.entries(rules)) {
  let files;
  try {
    files = [...sourceFiles(join(root, layer))].filter((file) => layerOf(file) === layer);
  } catch {
    continue;
  }
  for (const file of files) {
    const text = readFileSync(file, 'utf8');
    for (const match of text.matchAll(importPattern)) {
      const specifier = match[1] ?? match[2] ?? match[3];
      const where = relative(root, file);
      if (specifier.startsWith('.')) {
        const target = relative(root, resolve(dirname(file), specifier)).split(sep).join('/');
        if (!rule.layers.some((allowed) => target === allowed || target.startsWith(`${allowed}/`))) {
          problems.push(`${where}: imports ${specifier} (${layer} may import only ${rule.layers.join(', ')})`);
        }
      } else if (nodeBuiltins.has(specifier)) {
        if (!rule.node) problems.push(`${where}: imports Node built-in ${specifier} (${layer} must run without Node)`);
      } else if (!rule.packages.some((allowed) => specifier === allowed || specifier.startsWith(allowed.endsWith('/') ? allowed : `${allowed}/`))) {
        problems.push(`${where}: imports package ${specifier} (${layer} may import only ${rule.packages.join(', ') || 'no packages'})`);
      }
    }
  }
}

if (problems.length > 0) {
  console.error(`Layer boundaries broken (see ARCHITECTURE.md):\n  ${problems.join('\n  ')}`);
  process.exit(1);
}
console.log('Layer boundaries hold.');
