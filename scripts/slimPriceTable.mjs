// An esbuild plugin that bundles @pydantic/genai-prices without the parts of
// its data no price needs: model descriptions, price comments, pricing page
// links, context windows and the usage extractors for raw API responses (the
// inspector reads tokens from spans). Half the table's bytes in the .vsix.
// The data is cut out of the library's module text, checked against what the
// library itself holds, and the build fails loudly if either step does not
// hold (a new library release that lays its module out differently).
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { isDeepStrictEqual } from 'node:util';

const require = createRequire(import.meta.url);

/** Fields of providers and models that no price calculation reads. */
const UNUSED_FIELDS = new Set(['description', 'price_comments', 'pricing_urls', 'context_window', 'extractors']);

/** Where the bundled data begins: `const E=[` (minified) or `const E = [`. */
const DATA_START = /\bconst E\s*=\s*\[/g;

/** The end (exclusive) of the array literal starting at `text[start]` (`[`), skipping strings. */
function literalEnd(text, start) {
  let depth = 0;
  for (let i = start; i < text.length; i++) {
    const c = text[i];
    if (c === '"' || c === '`' || c === "'") {
      for (i++; text[i] !== c; i++) if (text[i] === '\\') i++;
    } else if (c === '[' || c === '{') depth++;
    else if (c === ']' || c === '}') {
      depth--;
      if (depth === 0) return i + 1;
    }
  }
  throw new Error('genai-prices: the end of the bundled data was not found');
}

/** The library's module text with its bundled data slimmed. */
async function slimmedModule(path) {
  const text = await readFile(path, 'utf8');
  const starts = [...text.matchAll(DATA_START)];
  if (starts.length !== 1) throw new Error(`genai-prices: expected one "const E = [" in ${path}, found ${starts.length}`);
  const start = starts[0].index + starts[0][0].length - 1;
  const end = literalEnd(text, start);
  const data = (0, eval)(`(${text.slice(start, end)})`);
  const held = await require('@pydantic/genai-prices').waitForUpdate();
  if (!isDeepStrictEqual(data, held)) throw new Error(`genai-prices: the data cut out of ${path} is not the data the library holds`);
  const slim = JSON.stringify(data, (key, value) => (UNUSED_FIELDS.has(key) ? undefined : value));
  return `${text.slice(0, start)}${slim}${text.slice(end)}`;
}

/** @type {import('esbuild').Plugin} */
export const slimPriceTable = {
  name: 'slim-price-table',
  setup(build) {
    build.onLoad({ filter: /[\\/]@pydantic[\\/]genai-prices[\\/]dist[\\/]index\.c?js$/ }, async (args) => ({ contents: await slimmedModule(args.path), loader: 'js' }));
  },
};
