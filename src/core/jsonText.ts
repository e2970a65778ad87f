/**
 * JSON text in pieces, so a large answer is written a piece at a time with
 * other work in between instead of one `JSON.stringify` holding the event
 * loop. Joined, the pieces are exactly `JSON.stringify(value)`.
 */

/** Characters of a string written as one piece; longer strings come in several. */
const STRING_PIECE_CHARS = 64 * 1024;

/**
 * The JSON text of `value` in pieces: containers less than `depth` levels
 * deep are written member by member (`depth` 2: an answer object and the
 * items of its arrays), deeper values whole; long strings in slices.
 */
export function* jsonTextPieces(value: unknown, depth: number): Generator<string> {
  if (typeof value === 'string') {
    yield* stringPieces(value);
    return;
  }
  if (depth <= 0 || typeof value !== 'object' || value === null || typeof (value as { toJSON?: unknown }).toJSON === 'function') {
    const text = JSON.stringify(value);
    if (text !== undefined) yield text;
    return;
  }
  if (Array.isArray(value)) {
    yield '[';
    for (let i = 0; i < value.length; i++) {
      if (i > 0) yield ',';
      const item: unknown = value[i];
      if (omitted(item)) yield 'null';
      else yield* jsonTextPieces(item, depth - 1);
    }
    yield ']';
    return;
  }
  yield '{';
  let first = true;
  for (const key of Object.keys(value)) {
    const member: unknown = (value as Record<string, unknown>)[key];
    if (omitted(member)) continue;
    yield `${first ? '' : ','}${JSON.stringify(key)}:`;
    first = false;
    yield* jsonTextPieces(member, depth - 1);
  }
  yield '}';
}

/** Values JSON leaves out of an object (and writes as null in an array). */
function omitted(value: unknown): boolean {
  return value === undefined || typeof value === 'function' || typeof value === 'symbol';
}

/** A string's JSON text in slices that never part a surrogate pair (a lone half would be escaped). */
function* stringPieces(text: string): Generator<string> {
  if (text.length <= STRING_PIECE_CHARS) {
    yield JSON.stringify(text);
    return;
  }
  yield '"';
  for (let at = 0; at < text.length; ) {
    let end = Math.min(at + STRING_PIECE_CHARS, text.length);
    const last = text.charCodeAt(end - 1);
    if (end < text.length && last >= 0xd800 && last <= 0xdbff) end--;
    yield JSON.stringify(text.slice(at, end)).slice(1, -1);
    at = end;
  }
  yield '"';
}

/** Pieces joined between the pauses of {@link joinInSteps}. */
const JOIN_STEP_PIECES = 256;

/** The pieces joined into one text, pausing every {@link JOIN_STEP_PIECES} pieces, for `runInSteps`. */
export function* joinInSteps(pieces: Iterable<string>): Generator<void, string> {
  const parts: string[] = [];
  for (const piece of pieces) {
    if (parts.push(piece) % JOIN_STEP_PIECES === 0) yield;
  }
  return parts.join('');
}
