/**
 * The price table in the inspector process: `@pydantic/genai-prices`, bundled
 * and offline. It is loaded when the first span needs a price, not at
 * start-up. Fetching newer prices is an explicit opt-in
 * (`--update-prices`, `respanInspector.updatePrices`): it runs in the
 * background, and the bundled table prices spans until it is done.
 */

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { CostEstimator } from '../core/cost/estimator';
import { parsePriceTable, type CustomPrice } from '../core/cost/customPrices';
import type { PriceTableSource } from '../core/cost/priceTable';

/** Set by esbuild.mjs when bundling; absent when running from source. */
declare const GENAI_PRICES_VERSION: string | undefined;

/** Where the maintainers publish the table's current data (the library's own `REMOTE_DATA_JSON_URL`). */
export const PRICE_DATA_URL = 'https://raw.githubusercontent.com/pydantic/genai-prices/main/prices/new_data/v2/data.json';

/** Largest price data accepted (today's is about 1 MB). */
const MAX_PRICE_DATA_BYTES = 32 * 1024 * 1024;
const FETCH_TIMEOUT_MS = 30_000;

type GenaiPricesModule = typeof import('@pydantic/genai-prices');

let loaded: GenaiPricesModule | undefined;

/** The library, loaded on first use (its data is most of its 0.5 MB). */
function library(): GenaiPricesModule {
  // A require, not an import: esbuild then evaluates the module only when this runs.
  loaded ??= require('@pydantic/genai-prices') as GenaiPricesModule;
  return loaded;
}

/** The library's version, which dates its bundled data. */
function bundledVersion(): string {
  if (typeof GENAI_PRICES_VERSION === 'string') return GENAI_PRICES_VERSION;
  // Running from source (tests): the package is in node_modules, beside its package.json.
  const packageJson = join(dirname(createRequire(__filename).resolve('@pydantic/genai-prices')), '..', 'package.json');
  return (JSON.parse(readFileSync(packageJson, 'utf8')) as { version: string }).version;
}

/** The bundled price table. */
export function bundledPriceTable(): PriceTableSource {
  return { prices: library(), label: `genai-prices ${bundledVersion()} (bundled)` };
}

/** A cost estimator with the bundled table (loaded when first needed) and the user's prices. */
export function createCostEstimator(customPrices: readonly CustomPrice[] = []): CostEstimator {
  return new CostEstimator({ loadTable: bundledPriceTable, customPrices });
}

/** Checks fetched price data has the shape the library reads: providers with an id and models. */
function providerData(text: string): unknown[] {
  const data: unknown = JSON.parse(text);
  if (!Array.isArray(data) || data.length === 0) throw new Error('the price data is not a list of providers');
  for (const provider of data) {
    const { id, models } = (provider ?? {}) as { id?: unknown; models?: unknown };
    if (typeof id !== 'string' || !Array.isArray(models)) throw new Error('the price data has a provider without an id or models');
  }
  return data;
}

async function download(url: string): Promise<string> {
  let response: Response;
  try {
    response = await fetch(url, { signal: AbortSignal.timeout(FETCH_TIMEOUT_MS), redirect: 'follow' });
  } catch (error) {
    // fetch says only "fetch failed"; the reason (DNS, refused, timeout) is its cause.
    const cause = (error as Error).cause as Error | undefined;
    throw new Error(`${url} could not be reached: ${cause?.message ?? (error as Error).message}`);
  }
  if (!response.ok) throw new Error(`${url} answered ${response.status}`);
  const declared = Number(response.headers.get('content-length'));
  if (declared > MAX_PRICE_DATA_BYTES) throw new Error(`${url} sent ${declared} bytes, more than ${MAX_PRICE_DATA_BYTES}`);
  const body = new Uint8Array(await response.arrayBuffer());
  if (body.length > MAX_PRICE_DATA_BYTES) throw new Error(`${url} sent more than ${MAX_PRICE_DATA_BYTES} bytes`);
  return new TextDecoder().decode(body);
}

/**
 * Fetches the table's current data from `url` and has `estimator` price
 * spans with it from then on. Resolves with the new table's label, or rejects
 * with why (the bundled table then stays in use). Only this reaches the
 * network, and only when the user asked for it.
 */
export async function updatePriceTable(estimator: CostEstimator, url: string = PRICE_DATA_URL): Promise<string> {
  const data = providerData(await download(url));
  const prices = library();
  prices.updatePrices(({ setProviderData }) => setProviderData(data as Parameters<typeof setProviderData>[0]));
  await prices.waitForUpdate();
  const label = `genai-prices data fetched ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC from ${new URL(url).host}`;
  estimator.useTable({ prices, label });
  return label;
}

/** The prices of a JSON price file (`--prices`); throws with what is wrong, naming the entry. */
export function readPriceFile(path: string): CustomPrice[] {
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new Error((error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : `not JSON: ${(error as Error).message}`);
  }
  const { prices, errors } = parsePriceTable(value, path);
  if (errors.length > 0) throw new Error(errors.join('; '));
  return prices;
}
