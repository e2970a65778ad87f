/**
 * Finds where a Traceloop/Respan decorated entity is defined. Decorated spans
 * carry no `code.*` attributes, only the entity name, so the host searches
 * workspace files for the decorator or wrapper that names it
 * (`@workflow(name="joke_workflow")`, `withTask({ name: "joke" }, …)`), or for
 * a function of that name as the last resort.
 */

/** Attribute map as both hosts see it. */
type AttributeMap = Readonly<Record<string, unknown>>;

/** Entity kinds of Traceloop/Respan decorators, as they end span names. */
export const ENTITY_KINDS = ['workflow', 'task', 'agent', 'tool', 'session'] as const;

/** A decorated entity's name and kind. */
export interface EntityRef {
  entityName: string;
  /** `workflow`, `task`, `agent`, `tool` or `session`, when known. */
  kind?: string;
}

/** `joke_creation.task` → `{entityName: 'joke_creation', kind: 'task'}`; undefined for other span names. */
export function splitEntitySpanName(spanName: string): EntityRef | undefined {
  const dot = spanName.lastIndexOf('.');
  if (dot <= 0) return undefined;
  const kind = spanName.slice(dot + 1);
  if (!(ENTITY_KINDS as readonly string[]).includes(kind)) return undefined;
  return { entityName: spanName.slice(0, dot), kind };
}

/**
 * The entity a span was produced by: `traceloop.entity.name` (or the Respan
 * spelling) with `traceloop.span.kind`, else the `{entity}.{kind}` span name;
 * undefined for spans of no decorated entity.
 */
export function entityRefOf(span: { name: string; attributes: AttributeMap }): EntityRef | undefined {
  const fromName = splitEntitySpanName(span.name);
  const attributes = span.attributes ?? {};
  const named = attributes['traceloop.entity.name'] ?? attributes['respan.entity.name'];
  const kindValue = attributes['traceloop.span.kind'];
  const kind = typeof kindValue === 'string' && kindValue !== '' && kindValue !== 'unknown' ? kindValue : fromName?.kind;
  if (typeof named === 'string' && named !== '') return kind === undefined ? { entityName: named } : { entityName: named, kind };
  return fromName;
}

/** How a definition was recognised, strongest first. */
export type EntityMatchKind =
  /** A decorator naming the entity: `@task(name="x")`, `@workflow({ name: "x" })`. */
  | 'named-decorator'
  /** A JS/TS wrapper naming the entity: `withWorkflow({ name: "x" }, …)`. */
  | 'named-wrapper'
  /** A decorator without a name on a function of that name: `@task` / `def x(`. */
  | 'decorated-function'
  /** `def x(`, `function x(`, `func x(`. */
  | 'function'
  /** `const x = (…) =>`, `const x = withTask(…)`. */
  | 'variable'
  /** A class method `x(…) {`. */
  | 'method'
  /** `class x`. */
  | 'class';

/** One way of recognising a definition, with how much to trust it (0–1). */
export interface EntityPattern {
  pattern: RegExp;
  match: EntityMatchKind;
  confidence: number;
}

/** A definition found in a file. */
export interface EntityDefinition {
  /** 1-based. */
  line: number;
  /** 1-based, in UTF-16 code units. */
  column: number;
  match: EntityMatchKind;
  /** 0–1; named decorators and wrappers are 1. */
  confidence: number;
  /** The decorator kind matched (`workflow`, `task`, …), for decorator and wrapper matches. */
  decoratorKind?: string;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

const DECORATORS = '(?:a?workflow|a?task|a?agent|a?tool)';
const WRAPPERS = '(?:Workflow|Task|Agent|Tool)';
const MODIFIERS = '(?:(?:public|private|protected|static|async|override|readonly)[ \\t]+)*';

/**
 * Regular expressions (global, multiline) that find the definition of
 * `entityName`, strongest first. Patterns for plain functions, variables,
 * methods and classes are included only when the name is an identifier.
 */
export function entityDefinitionPatterns(entityName: string): EntityPattern[] {
  const name = escapeRegExp(entityName);
  const patterns: EntityPattern[] = [
    {
      // Keyword or positional name; `[^()]*?` spans lines and stops at nested calls.
      pattern: new RegExp(`@(?:[\\w$]+\\.)*(${DECORATORS})\\s*\\(\\s*(?:[^()]*?\\bname\\s*[=:]\\s*)?(['"\`])${name}\\2`, 'gm'),
      match: 'named-decorator',
      confidence: 1,
    },
    {
      pattern: new RegExp(`\\bwith(${WRAPPERS})\\s*(?:<[^>]*>\\s*)?\\(\\s*\\{[^{}]*?\\bname\\s*:\\s*(['"\`])${name}\\2`, 'gm'),
      match: 'named-wrapper',
      confidence: 1,
    },
  ];
  if (!/^[A-Za-z_$][\w$]*$/.test(entityName)) return patterns;
  patterns.push(
    {
      // Python: a decorator with no `name=` (it would name another entity), other decorators, then the def.
      pattern: new RegExp(
        `@(?:[\\w$]+\\.)*(${DECORATORS})[ \\t]*(?:\\((?![^()]*\\bname\\s*=)[^()]*\\))?[ \\t]*(?:#.*)?\\r?\\n(?:[ \\t]*@.*\\r?\\n)*[ \\t]*(?:async[ \\t]+)?def[ \\t]+${name}[ \\t]*\\(`,
        'gm',
      ),
      match: 'decorated-function',
      confidence: 0.9,
    },
    {
      // TS: a method decorator with no `name:`, then the method.
      pattern: new RegExp(
        `@(?:[\\w$]+\\.)*(${DECORATORS})\\s*\\(\\s*(?:\\{(?![^{}]*\\bname\\s*:)[^{}]*\\})?\\s*\\)\\s*(?:@.*\\s*)*${MODIFIERS}${name}\\s*(?:<[^>]*>)?\\s*\\(`,
        'gm',
      ),
      match: 'decorated-function',
      confidence: 0.85,
    },
    { pattern: new RegExp(`^[ \\t]*(?:async[ \\t]+)?def[ \\t]+${name}[ \\t]*\\(`, 'gm'), match: 'function', confidence: 0.6 },
    { pattern: new RegExp(`\\b(?:async\\s+)?function\\s*\\*?\\s*${name}\\s*(?:<[^>]*>)?\\s*\\(`, 'gm'), match: 'function', confidence: 0.6 },
    { pattern: new RegExp(`^func[ \\t]+(?:\\([^)]*\\)[ \\t]*)?${name}[ \\t]*[[(]`, 'gm'), match: 'function', confidence: 0.6 },
    {
      pattern: new RegExp(
        `\\b(?:const|let|var)\\s+${name}\\s*(?::[^=;]+)?=\\s*(?:async\\b|function\\b|\\(|<|[\\w$]+\\s*=>|(?:[\\w$]+\\.)*with${WRAPPERS}\\b)`,
        'gm',
      ),
      match: 'variable',
      confidence: 0.55,
    },
    {
      pattern: new RegExp(`^[ \\t]*${MODIFIERS}${name}[ \\t]*(?:<[^>\\n]*>)?[ \\t]*\\([^)\\n]*\\)[ \\t]*(?::[^{\\n]+)?\\{`, 'gm'),
      match: 'method',
      confidence: 0.4,
    },
    { pattern: new RegExp(`^[ \\t]*(?:export[ \\t]+)?(?:default[ \\t]+)?class[ \\t]+${name}\\b`, 'gm'), match: 'class', confidence: 0.35 },
  );
  return patterns;
}

/** Index of the first character of each line. */
function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  return starts;
}

function position(starts: readonly number[], offset: number): { line: number; column: number } {
  let low = 0;
  let high = starts.length - 1;
  while (low < high) {
    const mid = (low + high + 1) >> 1;
    if (starts[mid] <= offset) low = mid;
    else high = mid - 1;
  }
  return { line: low + 1, column: offset - starts[low] + 1 };
}

const DECORATED = new Set<EntityMatchKind>(['named-decorator', 'named-wrapper', 'decorated-function']);

/** Options of {@link findEntityDefinitions}. */
export interface FindEntityOptions {
  /** The entity's kind (`task`, …): a decorator or wrapper of that kind ranks above one of another kind. */
  kind?: string;
}

/**
 * Every definition of `entityName` in `fileText`, strongest first, then in
 * file order. A decorator of another kind than `options.kind` loses 0.1 of
 * confidence. One result per line, the strongest.
 */
export function findEntityDefinitions(fileText: string, entityName: string, options: FindEntityOptions = {}): EntityDefinition[] {
  if (typeof fileText !== 'string' || fileText === '' || entityName === '') return [];
  const starts = lineStarts(fileText);
  const byLine = new Map<number, EntityDefinition>();
  const wantedKind = options.kind?.toLowerCase();
  for (const { pattern, match, confidence } of entityDefinitionPatterns(entityName)) {
    for (const found of fileText.matchAll(pattern)) {
      // Point at the definition, not at indentation the pattern consumed.
      const offset = (found.index ?? 0) + (found[0].length - found[0].trimStart().length);
      // Group 1 of the decorator and wrapper patterns is the kind; `atask` is the old async spelling of `task`.
      const decoratorKind = DECORATED.has(match) ? found[1].toLowerCase().replace(/^a(?=workflow|task|agent|tool)/, '') : undefined;
      const score = wantedKind !== undefined && decoratorKind !== undefined && decoratorKind !== wantedKind ? confidence - 0.1 : confidence;
      const { line, column } = position(starts, offset);
      const existing = byLine.get(line);
      if (existing && existing.confidence >= score) continue;
      const definition: EntityDefinition = { line, column, match, confidence: score };
      if (decoratorKind !== undefined) definition.decoratorKind = decoratorKind;
      byLine.set(line, definition);
    }
  }
  return [...byLine.values()].sort((a, b) => b.confidence - a.confidence || a.line - b.line || a.column - b.column);
}

/** The most likely definition of `entityName` in `fileText`, or undefined. See {@link findEntityDefinitions}. */
export function findEntityDefinition(fileText: string, entityName: string, options?: FindEntityOptions): EntityDefinition | undefined {
  return findEntityDefinitions(fileText, entityName, options)[0];
}
