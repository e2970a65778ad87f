/** The version of the package this process runs, read from its `package.json`. */

import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

const PACKAGE_NAME = 'respan-trace-inspector';

/**
 * The `version` of the nearest `respan-trace-inspector` package.json above
 * `from` (the bundle sits one folder below it, the sources two); `unknown`
 * when none is found.
 */
export function packageVersion(from: string = __dirname): string {
  let folder = from;
  for (let depth = 0; depth < 4; depth++) {
    try {
      const manifest = JSON.parse(readFileSync(join(folder, 'package.json'), 'utf8')) as { name?: unknown; version?: unknown };
      if (manifest.name === PACKAGE_NAME && typeof manifest.version === 'string') return manifest.version;
    } catch {
      // No readable manifest here: look one folder up.
    }
    folder = dirname(folder);
  }
  return 'unknown';
}
