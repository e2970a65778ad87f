/**
 * Where "jump to source" should go for a span, as an ordered list of targets
 * for the host to try until one resolves to a workspace file.
 */

import { sourceLocationOf } from '../derive';
import type { Attributes, SourceLocation } from '../model';
import { entityRefOf } from './entity';
import { exceptionOf, type ExceptionSource } from './exception';
import { parseStackTrace, relevantFrame, stackLanguageOf, type StackFrame } from './stack';

/** One place a span's code may be found. */
export type JumpTarget =
  | {
      kind: 'location';
      /** `code`: the span's `code.*` attributes; `code-stacktrace`: its `code.stacktrace`; `exception`: its recorded exception. */
      from: 'code' | 'code-stacktrace' | 'exception';
      location: SourceLocation;
      /** The stack frame the location was read from, for the last two. */
      frame?: StackFrame;
    }
  | {
      /** A decorated entity: search the workspace with {@link findEntityDefinition}. */
      kind: 'entity';
      entityName: string;
      entityKind?: string;
    };

/** What {@link jumpTargetsOf} reads: a `Span`, a `SpanJson`, or a fixture. */
export interface JumpSource extends ExceptionSource {
  name: string;
}

function frameLocation(frame: StackFrame): SourceLocation {
  const location: SourceLocation = { filePath: frame.filePath };
  if (frame.line !== undefined) location.line = frame.line;
  if (frame.column !== undefined) location.column = frame.column;
  if (frame.functionName !== undefined) location.functionName = frame.functionName;
  return location;
}

/**
 * Jump targets of a span, most precise first: its `code.*` location; the
 * relevant frame of `code.stacktrace`; its decorated entity (to be searched
 * for); the relevant frame of its last recorded exception. Empty when none
 * applies.
 */
export function jumpTargetsOf(span: JumpSource): JumpTarget[] {
  const attributes = span.attributes ?? {};
  const targets: JumpTarget[] = [];
  // The webview's JSON attributes carry the same values (bigints as text), which derive reads alike.
  const code = sourceLocationOf(attributes as Attributes);
  if (code) targets.push({ kind: 'location', from: 'code', location: code });

  const language = span.resource?.['telemetry.sdk.language'];
  const hint = typeof language === 'string' && stackLanguageOf(language) ? language : undefined;
  const stacktrace = attributes['code.stacktrace'];
  if (typeof stacktrace === 'string') {
    const frame = relevantFrame(parseStackTrace(stacktrace, hint));
    if (frame) targets.push({ kind: 'location', from: 'code-stacktrace', location: frameLocation(frame), frame });
  }

  const entity = entityRefOf({ name: span.name, attributes });
  if (entity) targets.push(entity.kind === undefined ? { kind: 'entity', entityName: entity.entityName } : { kind: 'entity', entityName: entity.entityName, entityKind: entity.kind });

  const exception = exceptionOf(span, hint);
  const frame = exception && relevantFrame(exception.frames);
  if (frame) targets.push({ kind: 'location', from: 'exception', location: frameLocation(frame), frame });
  return targets;
}
