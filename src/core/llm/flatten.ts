/**
 * Rebuilds the structures that Traceloop and OpenInference flatten into
 * dotted attribute keys (`llm.input_messages.0.message.contents.1.message_content.text`),
 * so one message reader can serve flattened and structured senders alike.
 */

import { MAX_NESTING_DEPTH } from '../nesting';
import type { AttributeMap } from './values';

type Node = { [key: string]: unknown };

const INDEX = /^\d{1,9}$/;

/**
 * The segments of a key below the prefix, at most {@link MAX_NESTING_DEPTH}
 * of them: the rest of a longer key stays one dotted segment, so the rebuilt
 * structure nests no deeper than any other value while losing nothing.
 */
function segmentsOf(key: string): string[] {
  const segments = key.split('.');
  if (segments.length <= MAX_NESTING_DEPTH) return segments;
  return [...segments.slice(0, MAX_NESTING_DEPTH - 1), segments.slice(MAX_NESTING_DEPTH - 1).join('.')];
}

function newNode(): Node {
  // No prototype: keys such as `__proto__` or `constructor` are just keys here.
  return Object.create(null) as Node;
}

function isNode(value: unknown): value is Node {
  return typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === null;
}

/**
 * Objects whose keys are all indices become arrays, ordered by index with
 * gaps closed: senders skip indices and emit them out of order.
 */
function finish(value: unknown): unknown {
  if (!isNode(value)) return value;
  const keys = Object.keys(value);
  if (keys.length > 0 && keys.every((key) => INDEX.test(key))) {
    return keys
      .map(Number)
      .sort((a, b) => a - b)
      .map((index) => finish(value[String(index)]));
  }
  const out: Record<string, unknown> = {};
  for (const key of keys) out[key] = finish(value[key]);
  return out;
}

/**
 * The items under `prefix.{i}.…`, ordered by `i`, each rebuilt into nested
 * objects and arrays (`tool_calls.0.function.name` → `{tool_calls: [{function: {name}}]}`).
 * Keys whose first segment after the prefix is not an index are ignored. When
 * a key is both a value and a parent of other keys, the value wins. Keys of
 * more than `MAX_NESTING_DEPTH` segments keep their tail as one dotted key.
 */
export function unflattenIndexed(attributes: AttributeMap, prefix: string): unknown[] {
  const dotted = `${prefix}.`;
  const root = newNode();
  let found = false;
  // Sorted so that the value-versus-parent conflict resolves the same way
  // whatever order the sender used.
  const keys = Object.keys(attributes)
    .filter((key) => key.startsWith(dotted))
    .sort();
  for (const key of keys) {
    const segments = segmentsOf(key.slice(dotted.length));
    if (!INDEX.test(segments[0])) continue;
    let node = root;
    let blocked = false;
    for (let i = 0; i < segments.length - 1; i++) {
      const next = node[segments[i]];
      if (next === undefined) {
        const child = newNode();
        node[segments[i]] = child;
        node = child;
      } else if (isNode(next)) {
        node = next;
      } else {
        blocked = true;
        break;
      }
    }
    const last = segments[segments.length - 1];
    if (blocked || isNode(node[last])) continue;
    node[last] = attributes[key];
    found = true;
  }
  if (!found) return [];
  const items = finish(root);
  return Array.isArray(items) ? items : [];
}
