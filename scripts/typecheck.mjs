// Type-checks every layer with its own tsconfig (each layer sees only the
// library types it may use), then checks the import rules between layers.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const { references } = JSON.parse(readFileSync(new URL('../tsconfig.json', import.meta.url), 'utf8'));
let failed = false;
for (const { path } of references) {
  const result = spawnSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', path], { stdio: 'inherit' });
  if (result.status !== 0) {
    console.error(`Type errors in ${path}`);
    failed = true;
  }
}
const boundaries = spawnSync(process.execPath, ['scripts/check-boundaries.mjs'], { stdio: 'inherit' });
process.exit(failed || boundaries.status !== 0 ? 1 : 0);
