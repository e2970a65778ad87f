/**
 * How deep span content may nest. Every recursion over span content relies on
 * this bound: decoders cut attribute values at {@link MAX_NESTING_DEPTH}
 * (`DecodeLimits.maxDepth`), and JSON text parsed later from attribute strings
 * (messages, tool arguments, entity input/output, Respan metadata) is cut the
 * same way by {@link cutDeepNesting}, so no reader, serialiser or renderer
 * meets a structure deep enough to overflow the stack.
 */

/** Levels of arrays and objects kept in one value; deeper ones become {@link TOO_DEEP}. */
export const MAX_NESTING_DEPTH = 32;

/** Marker standing for a value nested deeper than the limit. */
export const TOO_DEEP = '[nested too deep]';

type Container = Record<string, unknown> | unknown[];

function isContainer(value: unknown): value is Container {
  return typeof value === 'object' && value !== null;
}

/**
 * Replaces, in place and without recursion, every array or object nested
 * deeper than `maxDepth` levels in `value` (fresh from `JSON.parse`) by
 * {@link TOO_DEEP}. Returns `value`.
 */
export function cutDeepNesting<T>(value: T, maxDepth: number = MAX_NESTING_DEPTH): T {
  if (!isContainer(value)) return value;
  const pending: Array<{ container: Container; depth: number }> = [{ container: value, depth: 1 }];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const { container, depth } = next;
    if (Array.isArray(container)) {
      for (let i = 0; i < container.length; i++) {
        const item = container[i];
        if (!isContainer(item)) continue;
        if (depth >= maxDepth) container[i] = TOO_DEEP;
        else pending.push({ container: item, depth: depth + 1 });
      }
      continue;
    }
    for (const key of Object.keys(container)) {
      const item = container[key];
      if (!isContainer(item)) continue;
      // defineProperty: JSON.parse makes `__proto__` an own key, which assignment would not replace.
      if (depth >= maxDepth) Object.defineProperty(container, key, { value: TOO_DEEP, enumerable: true, writable: true, configurable: true });
      else pending.push({ container: item, depth: depth + 1 });
    }
  }
  return value;
}
