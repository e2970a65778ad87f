/**
 * OTLP/JSON decoding (opentelemetry-proto `docs/specification.md`): camelCase and
 * snake_case field names, hex ids, int64 as strings or numbers, enums as numbers
 * or names. A malformed span is rejected on its own; the rest of the request is
 * kept.
 */

import { describe, int64Value, parseJsonId, parseJsonInt64 } from '../encoding';
import type { AttributeValue, Attributes, DecodeResult, InstrumentationScope, Rejections, Span, SpanEvent, SpanLink } from '../model';
import { StringInterner } from '../intern';
import { MalformedPayloadError, setOwn } from '../model';
import { runToEnd } from '../steps';
import { decodeUtf8 } from '../utf8';
import { decodeCanonicalOtlpJsonInSteps } from './jsonWire';
import { DECODE_STEP_SPANS, DEFAULT_DECODE_LIMITS, TOO_DEEP, assembleSpan, overSpanLimit, rejectSpan, spanKindOf, spanLimitOf, statusCodeOf, traceStateText, truncated, type DecodeLimits } from './common';

/** A parsed JSON object. */
export type JsonObject = Record<string, unknown>;

/** True for a JSON object (not an array, not null). */
export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A field by its lowerCamelCase name or its snake_case proto name. */
export function field(object: JsonObject, camel: string, snake: string): unknown {
  const value = object[camel];
  return value === undefined ? object[snake] : value;
}

/**
 * Quotes bare integer literals of 16 or more digits outside strings, so that
 * JSON.parse keeps int64 values (times in ns, large intValues) exact.
 * Only called when a quick test saw such a literal.
 */
export function quoteLargeIntegers(text: string): string {
  let out = '';
  let copiedUpTo = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (inString) {
      if (code === 92 /* \ */) i++;
      else if (code === 34 /* " */) inString = false;
      continue;
    }
    if (code === 34) {
      inString = true;
      continue;
    }
    if (code === 45 /* - */ || (code >= 48 && code <= 57)) {
      const isDigit = (at: number) => at < text.length && text.charCodeAt(at) >= 48 && text.charCodeAt(at) <= 57;
      let end = i + 1;
      while (isDigit(end)) end++;
      const integerEnd = end;
      // Consume the whole number token, so fraction and exponent digits are never read as a number of their own.
      if (text.charCodeAt(end) === 46 /* . */) for (end++; isDigit(end); ) end++;
      const exponent = text.charCodeAt(end);
      if (exponent === 101 /* e */ || exponent === 69 /* E */) {
        end++;
        if (text.charCodeAt(end) === 43 /* + */ || text.charCodeAt(end) === 45 /* - */) end++;
        while (isDigit(end)) end++;
      }
      const digits = integerEnd - i - (code === 45 ? 1 : 0);
      if (end === integerEnd && digits >= 16) {
        out += `${text.slice(copiedUpTo, i)}"${text.slice(i, end)}"`;
        copiedUpTo = end;
      }
      i = end - 1;
    }
  }
  return copiedUpTo === 0 ? text : out + text.slice(copiedUpTo);
}

const LARGE_INTEGER_LITERAL = /[:[,]\s*-?\d{16}/;

/** Parses JSON text, keeping large integers exact; malformed text is a {@link MalformedPayloadError}. */
export function parseJsonText(text: string): unknown {
  const source = LARGE_INTEGER_LITERAL.test(text) ? quoteLargeIntegers(text) : text;
  try {
    return JSON.parse(source);
  } catch (error) {
    throw new MalformedPayloadError(`invalid JSON: ${(error as Error).message}`);
  }
}

/** A body's text decoded, then parsed by {@link parseJsonText}: two parts that cannot be cut, with a pause after each. */
export function* parseJsonBytesInSteps(bytes: Uint8Array): Generator<void, unknown> {
  const text = decodeUtf8(bytes);
  yield;
  const body = parseJsonText(text);
  yield;
  return body;
}

/** Short string values shared across requests (JSON.parse copies every value longer than 10 characters). */
const interner = new StringInterner();

/**
 * Reads the values every OTLP/JSON signal shares (`AnyValue`, attribute lists,
 * `InstrumentationScope`) within the {@link DecodeLimits}.
 */
export class JsonValueDecoder {
  constructor(readonly limits: DecodeLimits) {}

  anyValue(value: unknown, depth: number): AttributeValue {
    if (!isObject(value)) {
      // Not an AnyValue: keep plain JSON scalars rather than lose them.
      if (typeof value === 'string') return this.text(value);
      if (typeof value === 'number' || typeof value === 'boolean') return value;
      return null;
    }
    for (const key in value) {
      const inner = value[key];
      switch (key) {
        case 'stringValue':
        case 'string_value':
          return this.text(typeof inner === 'string' ? inner : String(inner));
        case 'boolValue':
        case 'bool_value':
          return inner === true || inner === 'true';
        case 'intValue':
        case 'int_value': {
          const parsed = parseJsonInt64(inner);
          return parsed === undefined ? this.text(String(inner)) : int64Value(parsed);
        }
        case 'doubleValue':
        case 'double_value':
          // Proto JSON writes NaN and the infinities as strings; keep them readable.
          return typeof inner === 'number' ? inner : typeof inner === 'string' && inner.trim() !== '' && !Number.isNaN(Number(inner)) ? Number(inner) : this.text(String(inner));
        case 'bytesValue':
        case 'bytes_value':
          return typeof inner === 'string' ? this.text(inner) : null;
        case 'arrayValue':
        case 'array_value': {
          if (depth >= this.limits.maxDepth) return TOO_DEEP;
          const values = isObject(inner) ? inner.values : undefined;
          if (!Array.isArray(values)) return [];
          const count = Math.min(values.length, this.limits.maxArrayLength);
          const out: AttributeValue[] = new Array(count);
          for (let i = 0; i < count; i++) out[i] = this.anyValue(values[i], depth + 1);
          return out;
        }
        case 'kvlistValue':
        case 'kvlist_value': {
          if (depth >= this.limits.maxDepth) return TOO_DEEP;
          const values = isObject(inner) ? inner.values : undefined;
          const out: Record<string, AttributeValue> = {};
          if (Array.isArray(values)) this.keyValues(values, out, depth + 1, this.limits.maxArrayLength);
          return out;
        }
      }
    }
    return null;
  }

  text(value: string): string {
    if (value.length > this.limits.maxStringLength) return truncated(value, this.limits.maxStringLength);
    // JSON.parse (V8) already shares strings of up to 10 characters.
    return value.length <= 10 ? value : interner.intern(value);
  }

  /** Decodes `[{key, value}]` into `target`; returns how many were dropped at the limit. */
  keyValues(list: unknown[], target: Attributes, depth: number, limit: number): number {
    let kept = 0;
    let dropped = 0;
    for (const entry of list) {
      if (!isObject(entry) || typeof entry.key !== 'string') {
        dropped++;
        continue;
      }
      if (kept >= limit) {
        dropped++;
        continue;
      }
      // setOwn only for the one key plain assignment would mishandle; a call per attribute adds up.
      if (entry.key === '__proto__') setOwn(target, entry.key, this.anyValue(entry.value, depth));
      else target[entry.key] = this.anyValue(entry.value, depth);
      kept++;
    }
    return dropped;
  }

  /** Attributes of a span, event, link, resource or scope; a string describing the problem if unusable. */
  attributes(value: unknown, target: Attributes): number | string {
    if (value === undefined || value === null) return 0;
    if (!Array.isArray(value)) return `attributes must be an array of {key, value}, got ${describe(value)}`;
    return this.keyValues(value, target, 0, this.limits.maxAttributes);
  }

  scope(value: unknown): InstrumentationScope {
    const scope: InstrumentationScope = { name: '', attributes: {} };
    if (!isObject(value)) return scope;
    if (typeof value.name === 'string') scope.name = this.text(value.name);
    if (typeof value.version === 'string' && value.version !== '') scope.version = this.text(value.version);
    this.attributes(value.attributes, scope.attributes);
    return scope;
  }
}

class JsonSpanDecoder extends JsonValueDecoder {
  /** The last trace id, as sent and as parsed: consecutive spans mostly share it (one parse, one string). */
  private lastTraceText: unknown;
  private lastTraceId = '';
  /** Parsed span and parent ids of this request by their text: each parsed once, a parent id shares its parent's string. */
  private readonly spanIds = new Map<string, string>();

  private traceIdOf(value: unknown): string | { error: string } {
    if (typeof value === 'string' && value === this.lastTraceText) return this.lastTraceId;
    const parsed = parseJsonId(value, 16);
    if (typeof parsed === 'string') {
      this.lastTraceText = value;
      this.lastTraceId = parsed;
    }
    return parsed;
  }

  private spanIdOf(value: unknown): string | { error: string } {
    if (typeof value !== 'string') return parseJsonId(value, 8);
    const known = this.spanIds.get(value);
    if (known !== undefined) return known;
    const parsed = parseJsonId(value, 8);
    if (typeof parsed === 'string') this.spanIds.set(value, parsed);
    return parsed;
  }

  events(value: unknown): { events: SpanEvent[]; dropped: number } | string {
    if (value === undefined || value === null) return { events: [], dropped: 0 };
    if (!Array.isArray(value)) return `events must be an array, got ${describe(value)}`;
    const events: SpanEvent[] = [];
    let dropped = 0;
    for (const raw of value) {
      if (!isObject(raw) || events.length >= this.limits.maxEvents) {
        dropped++;
        continue;
      }
      const attributes: Attributes = {};
      const attributeResult = this.attributes(raw.attributes, attributes);
      const event: SpanEvent = {
        name: typeof raw.name === 'string' ? this.text(raw.name) : '',
        timeUnixNano: parseJsonInt64(field(raw, 'timeUnixNano', 'time_unix_nano')) ?? 0n,
        attributes,
      };
      const droppedAttributes = (typeof attributeResult === 'number' ? attributeResult : 0) + Number(field(raw, 'droppedAttributesCount', 'dropped_attributes_count') ?? 0);
      if (droppedAttributes) event.droppedAttributesCount = droppedAttributes;
      events.push(event);
    }
    return { events, dropped };
  }

  links(value: unknown): { links: SpanLink[]; dropped: number } {
    const links: SpanLink[] = [];
    let dropped = 0;
    if (!Array.isArray(value)) return { links, dropped };
    for (const raw of value) {
      const traceId = isObject(raw) ? parseJsonId(field(raw, 'traceId', 'trace_id'), 16) : { error: '' };
      const spanId = isObject(raw) ? parseJsonId(field(raw, 'spanId', 'span_id'), 8) : { error: '' };
      if (!isObject(raw) || typeof traceId !== 'string' || typeof spanId !== 'string' || links.length >= this.limits.maxLinks) {
        dropped++;
        continue;
      }
      const link: SpanLink = { traceId, spanId, attributes: {} };
      this.attributes(raw.attributes, link.attributes);
      const traceState = field(raw, 'traceState', 'trace_state');
      const kept = typeof traceState === 'string' ? traceStateText(traceState, this.limits) : '';
      if (kept !== '') link.traceState = kept;
      links.push(link);
    }
    return { links, dropped };
  }

  span(raw: unknown, resource: Attributes, scope: InstrumentationScope): Span | string {
    if (!isObject(raw)) return `span must be an object, got ${describe(raw)}`;
    const traceId = this.traceIdOf(field(raw, 'traceId', 'trace_id'));
    if (typeof traceId !== 'string') return traceId.error;
    const spanId = this.spanIdOf(field(raw, 'spanId', 'span_id'));
    if (typeof spanId !== 'string') return spanId.error;
    const rawParent = field(raw, 'parentSpanId', 'parent_span_id');
    let parentSpanId: string | null = null;
    if (rawParent !== undefined && rawParent !== null && rawParent !== '') {
      const parsed = this.spanIdOf(rawParent);
      if (typeof parsed !== 'string') return `parent ${parsed.error}`;
      parentSpanId = parsed;
    }
    const start = parseJsonInt64(field(raw, 'startTimeUnixNano', 'start_time_unix_nano'));
    if (start === undefined) return `startTimeUnixNano must be a decimal string or number, got ${describe(field(raw, 'startTimeUnixNano', 'start_time_unix_nano'))}`;
    const end = parseJsonInt64(field(raw, 'endTimeUnixNano', 'end_time_unix_nano')) ?? start;
    const name = raw.name;
    if (name !== undefined && name !== null && typeof name !== 'string') return `name must be a string, got ${describe(name)}`;

    const attributes: Attributes = {};
    const droppedAttributes = this.attributes(raw.attributes, attributes);
    if (typeof droppedAttributes === 'string') return droppedAttributes;
    const events = this.events(raw.events);
    if (typeof events === 'string') return events;
    const links = this.links(raw.links);
    const status = isObject(raw.status) ? raw.status : {};
    const flags = raw.flags;
    const traceState = field(raw, 'traceState', 'trace_state');

    return assembleSpan({
      traceId,
      spanId,
      parentSpanId,
      traceState: typeof traceState === 'string' ? traceStateText(traceState, this.limits) : undefined,
      flags: typeof flags === 'number' ? flags : undefined,
      name: this.text(name ?? ''),
      kind: spanKindOf(raw.kind),
      startTimeUnixNano: start,
      endTimeUnixNano: end,
      statusCode: statusCodeOf(status.code),
      statusMessage: typeof status.message === 'string' ? this.text(status.message) : '',
      attributes,
      events: events.events,
      links: links.links,
      droppedAttributesCount: droppedAttributes + Number(field(raw, 'droppedAttributesCount', 'dropped_attributes_count') ?? 0),
      droppedEventsCount: events.dropped + Number(field(raw, 'droppedEventsCount', 'dropped_events_count') ?? 0),
      droppedLinksCount: links.dropped + Number(field(raw, 'droppedLinksCount', 'dropped_links_count') ?? 0),
      resource,
      scope,
      origin: 'otlp',
    });
  }
}

/**
 * Where one signal's items sit in an OTLP/JSON export. Fields are named as
 * `[lowerCamelCase, snake_case]`; where several are listed, the first present
 * wins (the later ones are pre-1.0 names).
 */
export interface JsonExportLayout {
  /** The export's kind in error messages: `trace`, `logs`. */
  signal: string;
  /** The resource groups: `resourceSpans`. */
  groups: readonly [string, string];
  /** The other signals' resource groups, so that a request sent to the wrong path is told so. */
  otherSignals: readonly string[];
  /** What that request is told. */
  wrongSignal: string;
  /** The scope groups of a resource group: `scopeSpans`. */
  scopeGroups: readonly (readonly [string, string])[];
  /** The scope of a scope group: `scope`. */
  scopes: readonly string[];
  /** The items of a scope group: `spans`. */
  items: readonly [string, string];
  /** The items in the over-limit reason: `spans`, `log records`. */
  itemsNoun: string;
}

/**
 * Walks a parsed OTLP/JSON export laid out as `layout` says, within the
 * per-request limit; `read` decodes one item with its resource and scope and
 * returns why it is rejected, if it is. A malformed group or item is rejected
 * on its own; throws {@link MalformedPayloadError} only when the request as a
 * whole is unusable.
 */
export function readJsonExport(
  body: unknown,
  layout: JsonExportLayout,
  decoder: JsonValueDecoder,
  result: Rejections,
  read: (raw: unknown, resource: Attributes, scope: InstrumentationScope) => string | undefined,
): void {
  runToEnd(readJsonExportInSteps(body, layout, decoder, result, read));
}

/** {@link readJsonExport} in steps: pauses every {@link DECODE_STEP_SPANS} items (the body must not change meanwhile). */
export function* readJsonExportInSteps(
  body: unknown,
  layout: JsonExportLayout,
  decoder: JsonValueDecoder,
  result: Rejections,
  read: (raw: unknown, resource: Attributes, scope: InstrumentationScope) => string | undefined,
): Generator<void, void> {
  const [groupsName] = layout.groups;
  if (!isObject(body)) throw new MalformedPayloadError(`an OTLP ${layout.signal} export must be a JSON object, got ${describe(body)}`);
  const groups = field(body, ...layout.groups);
  if (groups === undefined || groups === null) {
    if (layout.otherSignals.some((name) => name in body)) throw new MalformedPayloadError(layout.wrongSignal);
    return;
  }
  if (!Array.isArray(groups)) throw new MalformedPayloadError(`${groupsName} must be an array, got ${describe(groups)}`);

  const [scopeGroupsName] = layout.scopeGroups[0];
  const [itemsName] = layout.items;
  const reject = (path: string, reason: string) => rejectSpan(result, () => path, reason);
  let budget = spanLimitOf(decoder.limits);
  let untilPause = DECODE_STEP_SPANS;
  for (let r = 0; r < groups.length; r++) {
    const group: unknown = groups[r];
    const groupPath = `${groupsName}[${r}]`;
    if (!isObject(group)) {
      reject(groupPath, `must be an object, got ${describe(group)}`);
      continue;
    }
    const resource: Attributes = {};
    const resourceObject = group.resource;
    if (isObject(resourceObject)) decoder.attributes(resourceObject.attributes, resource);
    let scopeGroups: unknown;
    for (const names of layout.scopeGroups) if ((scopeGroups = field(group, ...names)) !== undefined && scopeGroups !== null) break;
    if (scopeGroups === undefined || scopeGroups === null) continue;
    if (!Array.isArray(scopeGroups)) {
      reject(`${groupPath}.${scopeGroupsName}`, `must be an array, got ${describe(scopeGroups)}`);
      continue;
    }
    for (let s = 0; s < scopeGroups.length; s++) {
      const scopeGroup: unknown = scopeGroups[s];
      const scopePath = `${groupPath}.${scopeGroupsName}[${s}]`;
      if (!isObject(scopeGroup)) {
        reject(scopePath, `must be an object, got ${describe(scopeGroup)}`);
        continue;
      }
      let scopeObject: unknown;
      for (const name of layout.scopes) if ((scopeObject = scopeGroup[name]) !== undefined && scopeObject !== null) break;
      const scope = decoder.scope(scopeObject);
      const items = field(scopeGroup, ...layout.items);
      if (items === undefined || items === null) continue;
      if (!Array.isArray(items)) {
        reject(`${scopePath}.${itemsName}`, `must be an array, got ${describe(items)}`);
        continue;
      }
      for (let i = 0; i < items.length; i++) {
        if (--untilPause === 0) {
          untilPause = DECODE_STEP_SPANS;
          yield;
        }
        if (budget <= 0) {
          reject(`${scopePath}.${itemsName}[${i}]`, overSpanLimit(decoder.limits, layout.itemsNoun));
          continue;
        }
        budget--;
        const problem = read(items[i], resource, scope);
        if (problem !== undefined) reject(`${scopePath}.${itemsName}[${i}]`, problem);
      }
    }
  }
}

/** Where spans sit in an `ExportTraceServiceRequest`. */
const TRACE_LAYOUT: JsonExportLayout = {
  signal: 'trace',
  groups: ['resourceSpans', 'resource_spans'],
  otherSignals: ['resourceLogs', 'resource_logs', 'resourceMetrics', 'resource_metrics'],
  wrongSignal: 'this is an OTLP logs or metrics export; this endpoint takes traces (resourceSpans)',
  scopeGroups: [
    ['scopeSpans', 'scope_spans'],
    ['instrumentationLibrarySpans', 'instrumentation_library_spans'],
  ],
  scopes: ['scope', 'instrumentationLibrary', 'instrumentation_library'],
  items: ['spans', 'spans'],
  itemsNoun: 'spans',
};

/**
 * Decodes a parsed OTLP/JSON `ExportTraceServiceRequest`. Throws
 * {@link MalformedPayloadError} only when the request as a whole is unusable.
 */
export function decodeOtlpJson(body: unknown, limits: DecodeLimits = DEFAULT_DECODE_LIMITS): DecodeResult {
  return runToEnd(decodeOtlpJsonInSteps(body, limits));
}

/** {@link decodeOtlpJson} in steps: pauses every {@link DECODE_STEP_SPANS} spans. */
export function* decodeOtlpJsonInSteps(body: unknown, limits: DecodeLimits = DEFAULT_DECODE_LIMITS): Generator<void, DecodeResult> {
  const result: DecodeResult = { spans: [], rejected: [] };
  const decoder = new JsonSpanDecoder(limits);
  yield* readJsonExportInSteps(body, TRACE_LAYOUT, decoder, result, (raw, resource, scope) => {
    const span = decoder.span(raw, resource, scope);
    if (typeof span === 'string') return span;
    result.spans.push(span);
    return undefined;
  });
  return result;
}

/** Decodes OTLP/JSON text. */
export function decodeOtlpJsonText(text: string, limits: DecodeLimits = DEFAULT_DECODE_LIMITS): DecodeResult {
  return decodeOtlpJson(parseJsonText(text), limits);
}

/**
 * Decodes an OTLP/JSON request body: the canonical form SDKs send straight
 * from the bytes (see `jsonWire.ts`), anything else through `JSON.parse`.
 */
export function decodeOtlpJsonBytes(bytes: Uint8Array, limits: DecodeLimits = DEFAULT_DECODE_LIMITS): DecodeResult {
  return runToEnd(decodeOtlpJsonBytesInSteps(bytes, limits));
}

/**
 * {@link decodeOtlpJsonBytes} in steps: spans are read a step at a time, and
 * it pauses between the parts that cannot be cut (decoding the text, then
 * `JSON.parse`) of a body handed to the general decoder.
 */
export function* decodeOtlpJsonBytesInSteps(bytes: Uint8Array, limits: DecodeLimits = DEFAULT_DECODE_LIMITS): Generator<void, DecodeResult> {
  const canonical = yield* decodeCanonicalOtlpJsonInSteps(bytes, limits);
  if (canonical !== undefined) return canonical;
  yield;
  return yield* decodeOtlpJsonInSteps(yield* parseJsonBytesInSteps(bytes), limits);
}
