/**
 * Writing the routes' answers: JSON values in pieces, texts and bytes in
 * slices, each a turn of the event loop apart once a stretch took its
 * budget, so sending a large trace never holds up the listener.
 */

import type { ServerResponse } from 'node:http';
import type { Writable } from 'node:stream';
import { jsonTextPieces } from '../core/jsonText';
import { STEP_BUDGET_MS } from '../core/steps';
import type { ApiErrorJson } from '../protocol/api';
import { BINARY_MEDIA_TYPE } from '../protocol/service';
import { jsonAnswer, type RouteAnswer } from './apiRoutes';
import { nextTurn } from './turns';

/** Answers that never carry span content to other origins or into caches. */
export const BASE_HEADERS = { 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff' };

/** Bytes of a binary answer written at a time. */
const BINARY_SLICE_BYTES = 256 * 1024;
/** Characters of JSON text gathered into one write. */
const TEXT_WRITE_CHARS = 64 * 1024;
/** A JSON answer object and its arrays' items are written one by one (a trace's spans, a list's traces). */
const ANSWER_PIECE_DEPTH = 2;

/** Sends a route's answer: its status, headers and body, ended. */
export async function sendAnswer(response: ServerResponse, answer: RouteAnswer): Promise<void> {
  if ('bytes' in answer) {
    const { bytes } = answer;
    response.writeHead(answer.status, { ...BASE_HEADERS, 'Content-Type': BINARY_MEDIA_TYPE, 'Content-Length': String(bytes.length), ...answer.headers });
    await writeInTurns(response, byteSlices(bytes));
  } else {
    response.writeHead(answer.status, { ...BASE_HEADERS, 'Content-Type': 'application/json; charset=utf-8', ...answer.headers });
    await writeInTurns(response, gathered('json' in answer ? textSlices(answer.json) : jsonTextPieces(answer.value, ANSWER_PIECE_DEPTH)));
  }
  response.end();
}

/**
 * Writes chunks as the socket takes them, giving other work a turn whenever
 * a stretch took {@link STEP_BUDGET_MS}: a large answer never holds the
 * listener. Waiting for 'drain' alone is not a turn: when the reader keeps up
 * it comes before any other I/O is looked at.
 */
export async function writeInTurns(response: Writable, chunks: Iterable<string | Uint8Array>): Promise<void> {
  let since = Date.now();
  for (const chunk of chunks) {
    if (response.destroyed) return;
    if (!response.write(chunk)) await drained(response);
    if (Date.now() - since >= STEP_BUDGET_MS) {
      await nextTurn();
      since = Date.now();
    }
  }
}

function* byteSlices(bytes: Uint8Array): Generator<Uint8Array> {
  for (let at = 0; at < bytes.length; at += BINARY_SLICE_BYTES) yield bytes.subarray(at, at + BINARY_SLICE_BYTES);
}

/** A text already made, in slices of {@link TEXT_WRITE_CHARS}. */
function* textSlices(text: string): Generator<string> {
  for (let at = 0; at < text.length; at += TEXT_WRITE_CHARS) yield text.slice(at, at + TEXT_WRITE_CHARS);
}

/** Text pieces gathered into writes of at least {@link TEXT_WRITE_CHARS}. */
function* gathered(pieces: Iterable<string>): Generator<string> {
  let parts: string[] = [];
  let chars = 0;
  for (const piece of pieces) {
    parts.push(piece);
    chars += piece.length;
    if (chars < TEXT_WRITE_CHARS) continue;
    yield parts.join('');
    parts = [];
    chars = 0;
  }
  if (chars > 0) yield parts.join('');
}

/** Resolves when the response can take more, or is closed. */
function drained(response: Writable): Promise<void> {
  return new Promise<void>((resolve) => {
    const done = () => {
      response.off('drain', done);
      response.off('close', done);
      resolve();
    };
    response.on('drain', done);
    response.on('close', done);
  });
}

/** Answers `{error: message}` with `status`. */
export function sendError(response: ServerResponse, status: number, message: string, headers: Record<string, string> = {}): void {
  void sendAnswer(response, jsonAnswer({ error: message } satisfies ApiErrorJson, status, headers));
}
