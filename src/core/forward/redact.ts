/**
 * Redaction: attribute values blanked before anything leaves the machine.
 *
 * A rule is one of:
 * - `/regex/flags`: a regular expression searched for in the key (write `^…$`
 *   to anchor it); flags from `imsu`;
 * - a glob with `*` (any run of characters, dots included) or `?` (one
 *   character), matched against the whole key;
 * - anything else: one exact key.
 * Globs and exact keys ignore case: a rule is a promise to hide something, and
 * `Authorization` and `authorization` are the same secret.
 *
 * Rules are matched against attribute keys of spans, events, links, resources
 * and scopes. Values nested in a map or list are matched by their dotted path
 * (`metadata.api_key`, `prompt_messages.0.content`), so one glob such as
 * `gen_ai.prompt.*.content` covers both the flattened Traceloop attributes and
 * nested ingest fields. A matched value is replaced as a whole by
 * {@link REDACTED}, whatever its type. JSON held inside a string attribute is
 * not parsed: name the attribute itself to blank it.
 */

import type { AttributeValue, Attributes, InstrumentationScope, Span } from '../model';
import { ForwardConfigError } from './destination';

/** What a redacted value becomes on the wire. */
export const REDACTED = '[redacted]';

/** Decides whether the value at an attribute key path is blanked. */
export interface Redactor {
  /** The rules as the user wrote them. */
  readonly rules: readonly string[];
  /** True when no rule is set, so spans can be sent untouched. */
  readonly empty: boolean;
  matches(keyPath: string): boolean;
}

/**
 * `target[key] = value` as an own property, also for the key `__proto__`
 * (plain assignment would change the prototype and keep the old value: a
 * redaction that silently did nothing).
 */
export function assignOwn<T>(target: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The matcher of one rule; throws {@link ForwardConfigError} for an invalid one. */
function compileRule(rule: string): RegExp {
  const regex = /^\/(.+)\/([a-z]*)$/s.exec(rule);
  if (regex) {
    if (!/^[imsu]*$/.test(regex[2])) throw new ForwardConfigError(`redaction rule ${rule}: only the regular expression flags i, m, s and u are allowed`);
    try {
      return new RegExp(regex[1], regex[2]);
    } catch (error) {
      throw new ForwardConfigError(`redaction rule ${rule} is not a valid regular expression: ${(error as Error).message}`);
    }
  }
  const glob = rule
    .split(/([*?])/)
    .map((piece) => (piece === '*' ? '.*' : piece === '?' ? '.' : escapeRegExp(piece)))
    .join('');
  return new RegExp(`^${glob}$`, 'is');
}

/**
 * Compiles redaction rules. Empty and blank rules are ignored; an invalid
 * regular expression throws {@link ForwardConfigError} naming it.
 */
export function compileRedaction(rules: readonly string[]): Redactor {
  const kept = rules.map((rule) => rule.trim()).filter((rule) => rule !== '');
  const patterns = kept.map(compileRule);
  return {
    rules: kept,
    empty: patterns.length === 0,
    matches: (keyPath) => patterns.some((pattern) => pattern.test(keyPath)),
  };
}

/** The value with matched nested paths blanked, or the value itself when nothing matched. */
function redactValue(value: AttributeValue, path: string, redactor: Redactor): AttributeValue {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) {
    let out: AttributeValue[] | undefined;
    value.forEach((item, index) => {
      const itemPath = `${path}.${index}`;
      const next = redactor.matches(itemPath) ? REDACTED : redactValue(item, itemPath, redactor);
      if (next !== item) (out ??= value.slice())[index] = next;
    });
    return out ?? value;
  }
  let out: Record<string, AttributeValue> | undefined;
  for (const key in value) {
    const childPath = `${path}.${key}`;
    const item = value[key];
    const next = redactor.matches(childPath) ? REDACTED : redactValue(item, childPath, redactor);
    if (next !== item) assignOwn((out ??= { ...value }), key, next);
  }
  return out ?? value;
}

/** Attributes with matched keys blanked; the same object when nothing matched (no copy on the common path). */
export function redactAttributes(attributes: Attributes, redactor: Redactor): Attributes {
  if (redactor.empty) return attributes;
  let out: Attributes | undefined;
  for (const key in attributes) {
    const value = attributes[key];
    const next = redactor.matches(key) ? REDACTED : redactValue(value, key, redactor);
    if (next !== value) assignOwn((out ??= { ...attributes }), key, next);
  }
  return out ?? attributes;
}

/**
 * A span with matched attributes blanked in its own attributes, events,
 * links, resource and scope. Returns `span` itself when nothing matched and
 * never mutates it. `resourceCache` lets callers keep one redacted copy per
 * shared resource/scope object (so spans of one resource still group together).
 */
export function redactSpan(span: Span, redactor: Redactor, resourceCache?: WeakMap<object, unknown>): Span {
  if (redactor.empty) return span;
  const cached = <T extends object>(source: T, make: () => T): T => {
    if (resourceCache === undefined) return make();
    let value = resourceCache.get(source) as T | undefined;
    if (value === undefined) resourceCache.set(source, (value = make()));
    return value;
  };
  const attributes = redactAttributes(span.attributes, redactor);
  const resource = cached(span.resource, () => redactAttributes(span.resource, redactor));
  const scope = cached<InstrumentationScope>(span.scope, () => {
    const scopeAttributes = redactAttributes(span.scope.attributes, redactor);
    return scopeAttributes === span.scope.attributes ? span.scope : { ...span.scope, attributes: scopeAttributes };
  });
  let eventsChanged = false;
  const events = span.events.map((event) => {
    const eventAttributes = redactAttributes(event.attributes, redactor);
    if (eventAttributes === event.attributes) return event;
    eventsChanged = true;
    return { ...event, attributes: eventAttributes };
  });
  let linksChanged = false;
  const links = span.links.map((link) => {
    const linkAttributes = redactAttributes(link.attributes, redactor);
    if (linkAttributes === link.attributes) return link;
    linksChanged = true;
    return { ...link, attributes: linkAttributes };
  });
  if (attributes === span.attributes && resource === span.resource && scope === span.scope && !eventsChanged && !linksChanged) return span;
  return { ...span, attributes, resource, scope, events: eventsChanged ? events : span.events, links: linksChanged ? links : span.links };
}
