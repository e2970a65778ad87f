/**
 * The trace list's filters, and their spelling as the query string of
 * `GET /api/traces`. One table names each filter's query parameter, read by
 * both directions, so a client and the REST route never disagree on one.
 */

import { ServiceError } from '../core/service/errors';
import type { TraceOrder } from '../core/store';

/** Filters of the trace list; absent means "any". */
export interface TraceQuery {
  /** Free text, matched against names, ids, attributes. */
  q?: string;
  /** Only traces with at least one error span (`errors=1`). */
  errors?: boolean;
  /** Only pinned traces (`pinned=1`). */
  pinned?: boolean;
  environment?: string;
  model?: string;
  customer?: string;
  thread?: string;
  traceGroup?: string;
  service?: string;
  /** A span name (any span of the trace, not only its root). */
  name?: string;
  minDurationMs?: number;
  maxDurationMs?: number;
  /** Only traces that cost at least this many USD (`minCost`). */
  minCost?: number;
  /** Run id (`run`). */
  run?: string;
  /** `cost`: costliest first (`sort=cost`); default newest first. */
  sort?: TraceOrder;
  /**
   * Only these traces (`ids`, comma-separated): the ones of them that match
   * the other filters come back. A view refreshes the traces a change event
   * named this way, without fetching the whole list again.
   */
  traceIds?: string[];
  /** Most traces to return, in {@link sort} order. */
  limit?: number;
}

/** How a filter's value is written: free text (trimmed), a string, a flag (`1`), a number, an order, or comma-separated ids. */
export type TraceQueryValueKind = 'search' | 'text' | 'flag' | 'number' | 'order' | 'ids';

/** Every order of the list; the first is the default, left out of query strings. */
export const TRACE_ORDERS: readonly TraceOrder[] = ['newest', 'cost'];

/** Each filter's query parameter and the kind of its value. */
export const TRACE_QUERY_FIELDS: { readonly [K in keyof Required<TraceQuery>]: readonly [parameter: string, kind: TraceQueryValueKind] } = {
  q: ['q', 'search'],
  errors: ['errors', 'flag'],
  pinned: ['pinned', 'flag'],
  environment: ['environment', 'text'],
  model: ['model', 'text'],
  customer: ['customer', 'text'],
  thread: ['thread', 'text'],
  traceGroup: ['traceGroup', 'text'],
  service: ['service', 'text'],
  name: ['name', 'text'],
  minDurationMs: ['minDurationMs', 'number'],
  maxDurationMs: ['maxDurationMs', 'number'],
  minCost: ['minCost', 'number'],
  run: ['run', 'text'],
  sort: ['sort', 'order'],
  traceIds: ['ids', 'ids'],
  limit: ['limit', 'number'],
};

/**
 * The query string (with its leading `?`, or empty) of `GET /api/traces` for a
 * query. Empty fields are left out, so `{}` means "every trace".
 */
export function traceQueryToSearch(query: TraceQuery): string {
  const parts: string[] = [];
  for (const [field, [parameter, kind]] of Object.entries(TRACE_QUERY_FIELDS) as Array<[keyof TraceQuery, readonly [string, TraceQueryValueKind]]>) {
    const value = query[field];
    if (value === undefined) continue;
    if (kind === 'ids') {
      // Present even when empty: no ids means no traces, not every trace.
      parts.push(`${parameter}=${(value as string[]).map(encodeURIComponent).join(',')}`);
      continue;
    }
    if (kind === 'flag') {
      if (value === true) parts.push(`${parameter}=1`);
      continue;
    }
    if (kind === 'order') {
      if (value !== TRACE_ORDERS[0]) parts.push(`${parameter}=${encodeURIComponent(String(value))}`);
      continue;
    }
    const text = kind === 'search' ? String(value).trim() : kind === 'text' || Number.isFinite(value) ? String(value) : '';
    if (text !== '') parts.push(`${encodeURIComponent(parameter)}=${encodeURIComponent(text)}`);
  }
  return parts.length > 0 ? `?${parts.join('&')}` : '';
}

/** Anything with URLSearchParams' `get` (core and protocol are compiled without DOM or Node types). */
export interface SearchParams {
  get(name: string): string | null;
}

/**
 * The query a `GET /api/traces` query string asks for. Throws a
 * {@link ServiceError} (`invalid`) for a number parameter that is not one.
 */
export function traceQueryFromSearch(params: SearchParams): TraceQuery {
  const query: Record<string, unknown> = {};
  for (const [field, [parameter, kind]] of Object.entries(TRACE_QUERY_FIELDS)) {
    const raw = params.get(parameter);
    if (raw === null) continue;
    if (kind === 'ids') query[field] = raw.split(',').filter((id) => id !== '');
    else if (kind === 'flag') query[field] = raw !== '0' && raw !== 'false';
    else if (raw === '') continue;
    else if (kind === 'text' || kind === 'search') query[field] = raw;
    else if (kind === 'order') {
      if (!TRACE_ORDERS.includes(raw as TraceOrder)) throw new ServiceError('invalid', `query parameter ${parameter} must be ${TRACE_ORDERS.join(' or ')}, got "${raw.slice(0, 100)}"`);
      if (raw !== TRACE_ORDERS[0]) query[field] = raw;
    }
    else {
      const value = Number(raw);
      if (!Number.isFinite(value)) throw new ServiceError('invalid', `query parameter ${parameter} must be a number, got "${raw.slice(0, 100)}"`);
      query[field] = value;
    }
  }
  return query as TraceQuery;
}
