/**
 * OTLP protobuf decoding (HTTP `application/x-protobuf` and gRPC) and the
 * protobuf answers receivers send back.
 */

import { bytesToBase64, int64Value, longToBigInt, parseBytesId, type LongLike } from '../encoding';
import type { AttributeValue, Attributes, DecodeResult, InstrumentationScope, Span, SpanEvent, SpanLink } from '../model';
import { MalformedPayloadError } from '../model';
import { DEFAULT_DECODE_LIMITS, TOO_DEEP, assembleSpan, spanKindOf, statusCodeOf, truncated, type DecodeLimits } from './common';
import { OtlpTypes } from './schema';

/* Shapes protobufjs decodes into, for the fields read here. */
interface PbKeyValue {
  key: string;
  value?: PbAnyValue | null;
}
interface PbAnyValue {
  value?: 'stringValue' | 'boolValue' | 'intValue' | 'doubleValue' | 'arrayValue' | 'kvlistValue' | 'bytesValue';
  stringValue?: string;
  boolValue?: boolean;
  intValue?: LongLike | number;
  doubleValue?: number;
  arrayValue?: { values?: PbAnyValue[] } | null;
  kvlistValue?: { values?: PbKeyValue[] } | null;
  bytesValue?: Uint8Array;
}
interface PbScope {
  name?: string;
  version?: string;
  attributes?: PbKeyValue[];
}
interface PbEvent {
  timeUnixNano?: LongLike | number;
  name?: string;
  attributes?: PbKeyValue[];
  droppedAttributesCount?: number;
}
interface PbLink {
  traceId?: Uint8Array;
  spanId?: Uint8Array;
  traceState?: string;
  attributes?: PbKeyValue[];
}
interface PbSpan {
  traceId?: Uint8Array;
  spanId?: Uint8Array;
  traceState?: string;
  parentSpanId?: Uint8Array;
  flags?: number;
  name?: string;
  kind?: number;
  startTimeUnixNano?: LongLike | number;
  endTimeUnixNano?: LongLike | number;
  attributes?: PbKeyValue[];
  droppedAttributesCount?: number;
  events?: PbEvent[];
  droppedEventsCount?: number;
  links?: PbLink[];
  droppedLinksCount?: number;
  status?: { message?: string; code?: number } | null;
}
interface PbScopeSpans {
  scope?: PbScope | null;
  spans?: PbSpan[];
}
interface PbResourceSpans {
  resource?: { attributes?: PbKeyValue[] } | null;
  scopeSpans?: PbScopeSpans[];
  instrumentationLibrarySpans?: PbScopeSpans[];
}
interface PbExportRequest {
  resourceSpans?: PbResourceSpans[];
}

class ProtoSpanDecoder {
  constructor(private readonly limits: DecodeLimits) {}

  anyValue(value: PbAnyValue | null | undefined, depth: number): AttributeValue {
    if (!value) return null;
    switch (value.value) {
      case 'stringValue':
        return this.text(value.stringValue ?? '');
      case 'boolValue':
        return value.boolValue === true;
      case 'intValue':
        return int64Value(longToBigInt(value.intValue, true));
      case 'doubleValue':
        return value.doubleValue ?? 0;
      case 'bytesValue':
        return bytesToBase64(value.bytesValue ?? new Uint8Array(0));
      case 'arrayValue': {
        if (depth >= this.limits.maxDepth) return TOO_DEEP;
        const values = value.arrayValue?.values ?? [];
        const count = Math.min(values.length, this.limits.maxArrayLength);
        const out: AttributeValue[] = new Array(count);
        for (let i = 0; i < count; i++) out[i] = this.anyValue(values[i], depth + 1);
        return out;
      }
      case 'kvlistValue': {
        if (depth >= this.limits.maxDepth) return TOO_DEEP;
        const out: Record<string, AttributeValue> = {};
        this.keyValues(value.kvlistValue?.values, out, depth + 1, this.limits.maxArrayLength);
        return out;
      }
      default:
        return null;
    }
  }

  text(value: string): string {
    return value.length > this.limits.maxStringLength ? truncated(value, this.limits.maxStringLength) : value;
  }

  /** Decodes key/values into `target`; returns how many were dropped at the limit. */
  keyValues(list: PbKeyValue[] | undefined, target: Attributes, depth = 0, limit = this.limits.maxAttributes): number {
    if (!list) return 0;
    const kept = Math.min(list.length, limit);
    for (let i = 0; i < kept; i++) target[list[i].key] = this.anyValue(list[i].value, depth);
    return list.length - kept;
  }

  scope(value: PbScope | null | undefined): InstrumentationScope {
    const scope: InstrumentationScope = { name: value?.name ?? '', attributes: {} };
    if (value?.version) scope.version = value.version;
    this.keyValues(value?.attributes, scope.attributes);
    return scope;
  }

  span(raw: PbSpan, resource: Attributes, scope: InstrumentationScope): Span | string {
    const traceId = parseBytesId(raw.traceId, 16);
    if (typeof traceId !== 'string') return traceId.error;
    const spanId = parseBytesId(raw.spanId, 8);
    if (typeof spanId !== 'string') return spanId.error;
    let parentSpanId: string | null = null;
    if (raw.parentSpanId && raw.parentSpanId.length > 0) {
      const parsed = parseBytesId(raw.parentSpanId, 8);
      if (typeof parsed !== 'string') return `parent ${parsed.error}`;
      parentSpanId = parsed;
    }
    const attributes: Attributes = {};
    const droppedAttributes = this.keyValues(raw.attributes, attributes);
    const rawEvents = raw.events ?? [];
    const events: SpanEvent[] = [];
    for (let i = 0; i < rawEvents.length && i < this.limits.maxEvents; i++) {
      const rawEvent = rawEvents[i];
      const event: SpanEvent = { name: rawEvent.name ?? '', timeUnixNano: longToBigInt(rawEvent.timeUnixNano, false), attributes: {} };
      const dropped = this.keyValues(rawEvent.attributes, event.attributes) + (rawEvent.droppedAttributesCount ?? 0);
      if (dropped) event.droppedAttributesCount = dropped;
      events.push(event);
    }
    const links: SpanLink[] = [];
    let droppedLinks = 0;
    for (const rawLink of raw.links ?? []) {
      const linkTrace = parseBytesId(rawLink.traceId, 16);
      const linkSpan = parseBytesId(rawLink.spanId, 8);
      if (typeof linkTrace !== 'string' || typeof linkSpan !== 'string' || links.length >= this.limits.maxLinks) {
        droppedLinks++;
        continue;
      }
      const link: SpanLink = { traceId: linkTrace, spanId: linkSpan, attributes: {} };
      if (rawLink.traceState) link.traceState = rawLink.traceState;
      this.keyValues(rawLink.attributes, link.attributes);
      links.push(link);
    }
    const start = longToBigInt(raw.startTimeUnixNano, false);
    const end = longToBigInt(raw.endTimeUnixNano, false);
    return assembleSpan({
      traceId,
      spanId,
      parentSpanId,
      traceState: raw.traceState,
      flags: raw.flags,
      name: raw.name ?? '',
      kind: spanKindOf(raw.kind ?? 0),
      startTimeUnixNano: start,
      endTimeUnixNano: end === 0n ? start : end,
      statusCode: statusCodeOf(raw.status?.code ?? 0),
      statusMessage: raw.status?.message ?? '',
      attributes,
      events,
      links,
      droppedAttributesCount: droppedAttributes + (raw.droppedAttributesCount ?? 0),
      droppedEventsCount: rawEvents.length - events.length + (raw.droppedEventsCount ?? 0),
      droppedLinksCount: droppedLinks + (raw.droppedLinksCount ?? 0),
      resource,
      scope,
      origin: 'otlp',
    });
  }
}

/**
 * Decodes an OTLP protobuf `ExportTraceServiceRequest`. Throws
 * {@link MalformedPayloadError} when the bytes are not one.
 */
export function decodeOtlpProto(bytes: Uint8Array, limits: DecodeLimits = DEFAULT_DECODE_LIMITS): DecodeResult {
  let request: PbExportRequest;
  try {
    request = OtlpTypes.ExportTraceServiceRequest.decode(bytes) as unknown as PbExportRequest;
  } catch (error) {
    throw new MalformedPayloadError(`invalid OTLP protobuf: ${(error as Error).message}`);
  }
  const decoder = new ProtoSpanDecoder(limits);
  const result: DecodeResult = { spans: [], rejected: [] };
  const resourceSpans = request.resourceSpans ?? [];
  for (let r = 0; r < resourceSpans.length; r++) {
    const group = resourceSpans[r];
    const resource: Attributes = {};
    decoder.keyValues(group.resource?.attributes, resource);
    const scopeGroups = group.scopeSpans?.length ? group.scopeSpans : group.instrumentationLibrarySpans ?? [];
    for (let s = 0; s < scopeGroups.length; s++) {
      const scope = decoder.scope(scopeGroups[s].scope);
      const spans = scopeGroups[s].spans ?? [];
      for (let i = 0; i < spans.length; i++) {
        const span = decoder.span(spans[i], resource, scope);
        if (typeof span === 'string') result.rejected.push({ path: `resourceSpans[${r}].scopeSpans[${s}].spans[${i}]`, reason: span });
        else result.spans.push(span);
      }
    }
  }
  return result;
}

/** Protobuf `ExportTraceServiceResponse`, with `partialSuccess` when spans were rejected. */
export function encodeExportResponseProto(rejectedSpans: number, errorMessage: string): Uint8Array {
  const message = rejectedSpans > 0 || errorMessage ? { partialSuccess: { rejectedSpans, errorMessage } } : {};
  return OtlpTypes.ExportTraceServiceResponse.encode(OtlpTypes.ExportTraceServiceResponse.create(message)).finish();
}

/** Protobuf `google.rpc.Status`, the body of OTLP/HTTP protobuf error answers. */
export function encodeRpcStatusProto(code: number, message: string): Uint8Array {
  return OtlpTypes.RpcStatus.encode(OtlpTypes.RpcStatus.create({ code, message })).finish();
}

/** Decodes a protobuf `ExportTraceServiceResponse` (for tests and the forwarder). */
export function decodeExportResponseProto(bytes: Uint8Array): { rejectedSpans: number; errorMessage: string } {
  const decoded = OtlpTypes.ExportTraceServiceResponse.decode(bytes) as unknown as {
    partialSuccess?: { rejectedSpans?: LongLike | number; errorMessage?: string };
  };
  return {
    rejectedSpans: Number(longToBigInt(decoded.partialSuccess?.rejectedSpans, true)),
    errorMessage: decoded.partialSuccess?.errorMessage ?? '',
  };
}

/** Decodes a protobuf `google.rpc.Status` (for tests). */
export function decodeRpcStatusProto(bytes: Uint8Array): { code: number; message: string } {
  const decoded = OtlpTypes.RpcStatus.decode(bytes) as unknown as { code?: number; message?: string };
  return { code: decoded.code ?? 0, message: decoded.message ?? '' };
}

/** Encodes an OTLP export request given as protobufjs-compatible plain objects (tests, benchmarks). */
export function encodeExportRequestProto(request: Record<string, unknown>): Uint8Array {
  const type = OtlpTypes.ExportTraceServiceRequest;
  const message = type.fromObject(request);
  return type.encode(message).finish();
}
