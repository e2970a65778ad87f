/**
 * The settings a client applies to a running inspector (`configure`,
 * `setApiKey`): each part read and checked here, then handed to the store,
 * the cost estimator or the forwarder. The key is checked and passed on,
 * never repeated in an answer or an error.
 */

import { parsePriceTable } from '../cost/customPrices';
import { BYTES_PER_MB, MIN_MAX_MEMORY_MB } from '../defaults';
import { checkApiKey, ForwardConfigError } from '../forward/destination';
import type { Forwarder } from '../forward/forwarder';
import type { TraceStore } from '../store';
import type { ConfigureResultJson } from '../../protocol/api';
import { ServiceError } from './errors';
import { booleanParam, paramsObject, stringParam } from './params';

/** Where the `prices` of `configure` say they came from, in every cost they price. */
export const CONFIGURED_PRICES_ORIGIN = 'respanInspector.prices';

function wholeNumber(params: Record<string, unknown>, name: string, min: number): number {
  const value = params[name];
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) throw new ServiceError('invalid', `retention.${name} must be a whole number of at least ${min}`);
  return value;
}

function oneOf<T extends string>(params: Record<string, unknown>, name: string, values: readonly T[]): T {
  const value = params[name];
  if (typeof value !== 'string' || !(values as readonly string[]).includes(value)) throw new ServiceError('invalid', `forwarding.${name} must be one of ${values.join(', ')}`);
  return value as T;
}

/** The forwarding part of `configure`, checked. */
function forwardingParams(value: unknown): { baseUrl: string; autoForward: boolean; api: 'otlp' | 'ingest'; filter: 'all' | 'sdk'; redact: string[] } {
  const read = paramsObject(value);
  const redact = read.redact;
  if (!Array.isArray(redact) || redact.some((rule) => typeof rule !== 'string')) throw new ServiceError('invalid', 'forwarding.redact must be a list of strings');
  return {
    baseUrl: stringParam(read, 'baseUrl'),
    autoForward: booleanParam(read, 'autoForward'),
    api: oneOf(read, 'api', ['otlp', 'ingest']),
    filter: oneOf(read, 'filter', ['all', 'sdk']),
    redact: redact as string[],
  };
}

/**
 * Applies a `configure` request; `forwarder` is undefined in an inspector
 * without forwarding. Besides the answer, the auto-forward setting when the
 * forwarding part was applied (undefined otherwise): it starts once a key arrives.
 */
export function applyConfiguration(params: unknown, store: TraceStore, forwarder: Forwarder | undefined): { result: ConfigureResultJson; autoForward: boolean | undefined } {
  const read = paramsObject(params);
  // Every part is checked before anything changes: a wrong request changes nothing.
  const retention = read.retention === undefined ? undefined : paramsObject(read.retention);
  const limits = retention && {
    maxSpans: wholeNumber(retention, 'maxSpans', 1),
    maxTraces: wholeNumber(retention, 'maxTraces', 1),
    maxBytes: wholeNumber(retention, 'maxMemoryMb', MIN_MAX_MEMORY_MB) * BYTES_PER_MB,
  };
  const prices = read.prices === undefined ? undefined : parsePriceTable(read.prices, CONFIGURED_PRICES_ORIGIN);
  const forwarding = read.forwarding === undefined ? undefined : forwardingParams(read.forwarding);

  if (limits) store.setLimits(limits);
  if (prices) store.costs.setCustomPrices(prices.prices);
  let forwardingProblem: string | null = null;
  if (forwarding) {
    if (!forwarder) forwardingProblem = 'forwarding to Respan is not available in this inspector';
    else {
      try {
        forwarder.setBaseUrl(forwarding.baseUrl);
        forwarder.setSettings({ api: forwarding.api, filter: forwarding.filter, redact: forwarding.redact });
        // Auto-forward needs a key: with none it starts once one is set.
        forwarder.setAutoForward(forwarding.autoForward && forwarder.hasApiKey);
      } catch (error) {
        if (!(error instanceof ForwardConfigError)) throw error;
        forwardingProblem = error.message;
      }
    }
  }
  return {
    result: { priceErrors: prices?.errors ?? [], forwardingProblem },
    autoForward: forwarding && forwardingProblem === null ? forwarding.autoForward : undefined,
  };
}

/**
 * Applies a `setApiKey` request. A refused key is `invalid` with the reason,
 * which never quotes the key.
 */
export function applyApiKey(params: unknown, forwarder: Forwarder, autoForward: boolean): void {
  const value = paramsObject(params).apiKey;
  if (value === null) {
    forwarder.clearApiKey();
    return;
  }
  if (typeof value !== 'string') throw new ServiceError('invalid', 'apiKey must be a string, or null to forget the key');
  let key: string;
  try {
    key = checkApiKey(value);
  } catch (error) {
    if (error instanceof ForwardConfigError) throw new ServiceError('invalid', error.message);
    throw error;
  }
  forwarder.setApiKey(key);
  if (autoForward && !forwarder.autoForward) forwarder.setAutoForward(true);
}
