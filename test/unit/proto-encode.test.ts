/**
 * Decoded spans encoded back to OTLP protobuf (the journal's compact form)
 * decode to the same spans.
 */
import * as assert from 'node:assert/strict';
import type { Span } from '../../src/core/model';
import { DEFAULT_DECODE_LIMITS } from '../../src/core/otlp/common';
import { decodeOtlpJson } from '../../src/core/otlp/json';
import { decodeOtlpProto } from '../../src/core/otlp/proto';
import { encodeSpansProto } from '../../src/core/otlp/protoEncode';
import { randomOtlpRequest, seededRandom } from '../fixtures/otlp';

function byId(spans: Span[]): Map<string, Span> {
  return new Map(spans.map((span) => [`${span.traceId}/${span.spanId}`, span]));
}

function roundTrip(spans: Span[]): Span[] {
  const result = decodeOtlpProto(encodeSpansProto(spans));
  assert.deepEqual(result.rejected, []);
  return result.spans;
}

describe('OTLP protobuf encoding of decoded spans', () => {
  it('gives back every field of random requests (ids, times, kinds, status, attributes of every value type, events, links, dropped counts, resource, scope)', () => {
    const random = seededRandom(1207);
    for (let i = 0; i < 300; i++) {
      const original = decodeOtlpJson(randomOtlpRequest(random, 6), DEFAULT_DECODE_LIMITS).spans;
      const decoded = byId(roundTrip(original));
      assert.equal(decoded.size, original.length);
      for (const span of original) assert.deepEqual(decoded.get(`${span.traceId}/${span.spanId}`), span, `request ${i}`);
    }
  });

  it('keeps resource and scope objects shared by the spans that shared them', () => {
    const original = decodeOtlpJson(randomOtlpRequest(seededRandom(5), 6), DEFAULT_DECODE_LIMITS).spans;
    const decoded = roundTrip(original);
    const distinct = (spans: Span[], of: (span: Span) => object) => new Set(spans.map(of)).size;
    assert.equal(distinct(decoded, (span) => span.resource), distinct(original, (span) => span.resource));
    assert.equal(distinct(decoded, (span) => span.scope), distinct(original, (span) => span.scope));
  });

  it('writes long and non-ASCII strings, values beyond int64 and special numbers as the decoders give them back', () => {
    const base = decodeOtlpJson(randomOtlpRequest(seededRandom(9), 1), DEFAULT_DECODE_LIMITS).spans[0];
    const span: Span = {
      ...base,
      name: 'é'.repeat(300) + '🙂'.repeat(70_000),
      attributes: {
        long: 'x'.repeat(200_000),
        negative: -123456789012,
        smallNegative: -1,
        beyondInt64: 2n ** 70n,
        int64Min: -(2n ** 63n),
        fraction: 0.1,
        infinite: Infinity,
        nan: NaN,
        nothing: null,
        nested: { list: [1, 'two', [true, { deep: null }]] },
        __proto__: 'own key',
      } as Span['attributes'],
    };
    Object.defineProperty(span.attributes, '__proto__', { value: 'own key', enumerable: true, writable: true, configurable: true });
    const [decoded] = roundTrip([span]);
    assert.deepEqual(decoded, { ...span, attributes: { ...span.attributes, beyondInt64: (2n ** 70n).toString() } });
  });
});
