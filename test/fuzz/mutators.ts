/**
 * Input mutations for the fuzz harness: byte-level (bit flips, interesting
 * bytes, truncation, splices, chunk copies and deletions, varint bombs), JSON
 * structure edits (type swaps, deletions, renames, deep nesting, huge values),
 * and gzip (valid, corrupted, truncated, or a gzip header on plain bytes).
 * All randomness comes from the caller's seeded generator.
 */

import { gzipSync } from 'node:zlib';

/** A seeded random source in [0, 1). */
export type Random = () => number;

function int(random: Random, below: number): number {
  return Math.floor(random() * below);
}

function pick<T>(random: Random, items: readonly T[]): T {
  return items[int(random, items.length)];
}

const INTERESTING_BYTES = [0x00, 0x01, 0x7f, 0x80, 0xff, 0x0a, 0x12, 0x22, 0x7b, 0x7d, 0x5b, 0x5d, 0x22, 0x5c];

/** One random byte-level mutation of `input`, possibly using `other` (another seed) for splices. */
export function mutateBytes(random: Random, input: Buffer, other: Buffer): Buffer {
  const at = (length: number) => int(random, Math.max(1, length));
  switch (int(random, 9)) {
    case 0: {
      const out = Buffer.from(input);
      for (let flips = 1 + int(random, 8); flips > 0 && out.length > 0; flips--) out[at(out.length)] ^= 1 << int(random, 8);
      return out;
    }
    case 1: {
      const out = Buffer.from(input);
      if (out.length > 0) out[at(out.length)] = pick(random, INTERESTING_BYTES);
      return out;
    }
    case 2:
      return input.subarray(0, at(input.length));
    case 3:
      return Buffer.concat([input.subarray(0, at(input.length)), other.subarray(at(other.length))]);
    case 4: {
      const start = at(input.length);
      const chunk = input.subarray(start, start + 1 + int(random, 64));
      const where = at(input.length);
      return Buffer.concat([input.subarray(0, where), chunk, chunk, input.subarray(where)]);
    }
    case 5: {
      const start = at(input.length);
      return Buffer.concat([input.subarray(0, start), input.subarray(start + 1 + int(random, 32))]);
    }
    case 6: {
      const noise = Buffer.from(Array.from({ length: 1 + int(random, 16) }, () => int(random, 256)));
      const where = at(input.length);
      return Buffer.concat([input.subarray(0, where), noise, input.subarray(where)]);
    }
    case 7: {
      // An overlong varint or a huge length prefix where a tag or length is expected.
      const bomb = pick(random, [Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f]), Buffer.alloc(11, 0xff), Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x07])]);
      const where = at(input.length);
      return Buffer.concat([input.subarray(0, where), bomb, input.subarray(where)]);
    }
    default:
      return Buffer.from(input.toString('latin1').split('').reverse().join('').slice(0, at(input.length)), 'latin1');
  }
}

type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

function replacement(random: Random): JsonValue {
  switch (int(random, 14)) {
    case 0:
      return null;
    case 1:
      return pick(random, [true, false]);
    case 2:
      return pick(random, [0, -1, 1.5, 1e308, -1e308, 2 ** 53 + 2, 4294967296]);
    case 3:
      return pick(random, ['', '--', 'zz', '0'.repeat(32), 'f'.repeat(33), '-1', '1e9', 'NaN', 'Infinity', 'STATUS_CODE_ERROR', 'SPAN_KIND_CLIENT', '__proto__']);
    case 4:
      return 'x'.repeat(int(random, 200_000));
    case 5:
      return '9'.repeat(1 + int(random, 40));
    case 6:
      return [];
    case 7:
      return {};
    case 8: {
      let deep: JsonValue = 'bottom';
      for (let i = int(random, 3_000); i > 0; i--) deep = random() < 0.5 ? [deep] : { arrayValue: { values: [deep] } };
      return deep;
    }
    case 9:
      return Array.from({ length: int(random, 5_000) }, (_, i) => ({ key: `k${i}`, value: { intValue: String(i) } }));
    case 10:
      return { stringValue: 'x', intValue: '1', kvlistValue: { values: [{ key: '__proto__', value: { boolValue: true } }] } };
    case 11:
      return { bytesValue: '!!not base64!!' };
    case 12:
      return { doubleValue: pick(random, ['NaN', 'Infinity', '-Infinity', 'x', '1']) };
    default:
      return { key: 'k', value: { arrayValue: { values: [{ kvlistValue: {} }] } } };
  }
}

const KEY_RENAMES: Record<string, string[]> = {
  traceId: ['trace_id', 'TraceId', 'traceid'],
  spanId: ['span_id', 'spanID'],
  resourceSpans: ['resource_spans', 'resourceLogs', 'resourceMetrics'],
  scopeSpans: ['scope_spans', 'instrumentationLibrarySpans'],
  startTimeUnixNano: ['start_time_unix_nano', 'startTime'],
  attributes: ['attrs', 'Attributes'],
};

/** Every container in `value` with a path to it, for picking a node to edit. */
function containers(value: JsonValue, out: Array<JsonValue[] | { [key: string]: JsonValue }> = [], depth = 0): Array<JsonValue[] | { [key: string]: JsonValue }> {
  if (value === null || typeof value !== 'object' || depth > 64) return out;
  out.push(value);
  for (const inner of Array.isArray(value) ? value : Object.values(value)) containers(inner, out, depth + 1);
  return out;
}

/** One random structural edit of a JSON document (returns the edited document). */
export function mutateJson(random: Random, document: unknown): unknown {
  const root = structuredClone(document) as JsonValue;
  const nodes = containers(root);
  if (nodes.length === 0) return replacement(random);
  for (let edits = 1 + int(random, 3); edits > 0; edits--) {
    const node = pick(random, nodes);
    if (Array.isArray(node)) {
      const action = int(random, 4);
      if (action === 0 && node.length > 0) node.splice(int(random, node.length), 1);
      else if (action === 1 && node.length > 0) node.push(...Array.from({ length: 1 + int(random, 50) }, () => structuredClone(node[0])));
      else if (action === 2 && node.length > 0) node[int(random, node.length)] = replacement(random);
      else node.push(replacement(random));
      continue;
    }
    const keys = Object.keys(node);
    if (keys.length === 0) {
      node[pick(random, ['traceId', 'spans', 'resourceSpans', 'value', 'attributes'])] = replacement(random);
      continue;
    }
    const key = pick(random, keys);
    const action = int(random, 5);
    if (action === 0) delete node[key];
    else if (action === 1 && KEY_RENAMES[key]) {
      node[pick(random, KEY_RENAMES[key])] = node[key];
      delete node[key];
    } else if (action === 2) node[key] = [node[key]];
    else if (action === 3) node[key] = { values: node[key] };
    else node[key] = replacement(random);
  }
  return root;
}

/** The wire form of a mutated payload: plain, gzip, corrupt gzip, or a gzip claim on plain bytes. */
export function encodeBody(random: Random, body: Buffer): { body: Buffer; gzip: boolean } {
  const roll = random();
  if (roll < 0.7) return { body, gzip: false };
  if (roll < 0.82) return { body: gzipSync(body), gzip: true };
  if (roll < 0.9) {
    const gz = gzipSync(body);
    for (let flips = 1 + int(random, 4); flips > 0; flips--) gz[int(random, gz.length)] ^= 1 << int(random, 8);
    return { body: gz, gzip: true };
  }
  if (roll < 0.95) {
    const gz = gzipSync(body);
    return { body: gz.subarray(0, int(random, gz.length)), gzip: true };
  }
  return { body, gzip: true };
}
