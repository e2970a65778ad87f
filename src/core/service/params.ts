/**
 * Reading a request's parameters, which arrive as JSON from outside (a script
 * over HTTP, a webview): each reader checks one field and throws a
 * {@link ServiceError} (`invalid`) naming it when it is wrong.
 */

import { TRACE_ORDERS, TRACE_QUERY_FIELDS, type TraceQuery } from '../../protocol/query';
import type { TraceOrder, TraceQuery as StoreTraceQuery } from '../store';
import { ServiceError } from './errors';

/** The parameters object of a request; absent parameters read as none. */
export function paramsObject(value: unknown): Record<string, unknown> {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) throw new ServiceError('invalid', 'the parameters must be a JSON object');
  return value as Record<string, unknown>;
}

function wrong(name: string, expected: string, value: unknown): ServiceError {
  const got = value === null ? 'null' : Array.isArray(value) ? 'a list' : typeof value;
  return new ServiceError('invalid', `${name} must be ${expected}, got ${got}`);
}

const TRACE_ID = /^[0-9a-fA-F]{32}$/;
const SPAN_ID = /^[0-9a-fA-F]{16}$/;

/** A trace id: 32 hex digits, any case; lowercased. */
export function traceIdParam(params: Record<string, unknown>, name = 'traceId'): string {
  const value = params[name];
  if (typeof value !== 'string' || !TRACE_ID.test(value)) throw wrong(name, 'a trace id of 32 hex digits', value);
  return value.toLowerCase();
}

/** A span id: 16 hex digits, any case; lowercased. */
export function spanIdParam(params: Record<string, unknown>, name = 'spanId'): string {
  const value = params[name];
  if (typeof value !== 'string' || !SPAN_ID.test(value)) throw wrong(name, 'a span id of 16 hex digits', value);
  return value.toLowerCase();
}

/** An optional list of trace ids, lowercased. */
export function traceIdsParam(params: Record<string, unknown>, name = 'traceIds'): string[] | undefined {
  const value = params[name];
  if (value === undefined) return undefined;
  if (!Array.isArray(value)) throw wrong(name, 'a list of trace ids', value);
  return value.map((id: unknown, index) => {
    if (typeof id !== 'string' || !TRACE_ID.test(id)) throw wrong(`${name}[${index}]`, 'a trace id of 32 hex digits', id);
    return id.toLowerCase();
  });
}

/** A required boolean. */
export function booleanParam(params: Record<string, unknown>, name: string): boolean {
  const value = params[name];
  if (typeof value !== 'boolean') throw wrong(name, 'true or false', value);
  return value;
}

/** An optional boolean (absent is false). */
export function flagParam(params: Record<string, unknown>, name: string): boolean {
  const value = params[name];
  if (value === undefined) return false;
  if (typeof value !== 'boolean') throw wrong(name, 'true or false', value);
  return value;
}

/** An optional finite number. */
export function numberParam(params: Record<string, unknown>, name: string): number | undefined {
  const value = params[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value)) throw wrong(name, 'a number', value);
  return value;
}

/** A required string. */
export function stringParam(params: Record<string, unknown>, name: string): string {
  const value = params[name];
  if (typeof value !== 'string') throw wrong(name, 'a string', value);
  return value;
}

/** An optional string. */
export function optionalStringParam(params: Record<string, unknown>, name: string): string | undefined {
  return params[name] === undefined ? undefined : stringParam(params, name);
}

/** The trace list's filters from a request, each checked against its kind in the one table of filters. */
export function traceQueryParam(params: Record<string, unknown>, name = 'query'): TraceQuery {
  const query = paramsObject(params[name]);
  const read: Record<string, unknown> = {};
  for (const [field, [, kind]] of Object.entries(TRACE_QUERY_FIELDS)) {
    const value = query[field];
    if (value === undefined) continue;
    const label = `${name}.${field}`;
    if ((kind === 'text' || kind === 'search') && typeof value !== 'string') throw wrong(label, 'a string', value);
    if (kind === 'flag' && typeof value !== 'boolean') throw wrong(label, 'true or false', value);
    if (kind === 'number' && (typeof value !== 'number' || !Number.isFinite(value))) throw wrong(label, 'a number', value);
    if (kind === 'order' && !TRACE_ORDERS.includes(value as TraceOrder)) throw wrong(label, TRACE_ORDERS.join(' or '), value);
    if (kind === 'ids' && (!Array.isArray(value) || !value.every((id) => typeof id === 'string'))) throw wrong(label, 'a list of trace ids', value);
    read[field] = value;
  }
  return read as TraceQuery;
}

/** The store's query for the list's filters. */
export function storeQueryOf(query: TraceQuery): StoreTraceQuery {
  return {
    text: query.q?.trim() || undefined,
    errorsOnly: query.errors,
    pinnedOnly: query.pinned,
    name: query.name,
    service: query.service,
    model: query.model,
    customer: query.customer,
    thread: query.thread,
    traceGroup: query.traceGroup,
    environment: query.environment,
    minDurationMs: query.minDurationMs,
    maxDurationMs: query.maxDurationMs,
    minCost: query.minCost,
    run: query.run,
    sort: query.sort,
    traceIds: query.traceIds,
    limit: query.limit,
  };
}
