/**
 * Reading request bodies with a size bound that holds after decompression, so
 * a small gzip bomb is refused without ever being inflated in full.
 */

import type { IncomingMessage } from 'node:http';
import { createGunzip, createInflate, type Gunzip, type Inflate } from 'node:zlib';

/** An HTTP failure with the status and the plain message to answer with. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

function tooLarge(limit: number): HttpError {
  return new HttpError(413, `request body is larger than the limit of ${limit} bytes (after decompression)`);
}

function decompressorFor(encoding: string): Gunzip | Inflate | undefined {
  switch (encoding) {
    case '':
    case 'identity':
      return undefined;
    case 'gzip':
    case 'x-gzip':
      return createGunzip();
    case 'deflate':
      return createInflate();
    default:
      throw new HttpError(415, `unsupported Content-Encoding "${encoding}"; supported: gzip, deflate, identity`);
  }
}

/**
 * The body of `request`, decompressed per its `Content-Encoding`, at most
 * `maxBytes` long once decompressed. Rejects with an {@link HttpError}: 413 past
 * the limit, 400 for a body that does not decompress, 415 for an unknown encoding.
 */
export function readBody(request: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const encoding = String(request.headers['content-encoding'] ?? '').trim().toLowerCase();
  const declaredLength = Number(request.headers['content-length']);
  return new Promise<Buffer>((resolve, reject) => {
    let decompressor: Gunzip | Inflate | undefined;
    try {
      decompressor = decompressorFor(encoding);
    } catch (error) {
      request.resume();
      reject(error);
      return;
    }
    if (!decompressor && declaredLength > maxBytes) {
      request.resume();
      reject(tooLarge(maxBytes));
      return;
    }
    const chunks: Buffer[] = [];
    let received = 0;
    let settled = false;
    const fail = (error: HttpError) => {
      if (settled) return;
      settled = true;
      request.unpipe();
      decompressor?.destroy();
      // Drain what the client is still sending so the answer reaches it.
      request.resume();
      reject(error);
    };
    const output = decompressor ?? request;
    output.on('data', (chunk: Buffer) => {
      if (settled) return;
      received += chunk.length;
      if (received > maxBytes) return fail(tooLarge(maxBytes));
      chunks.push(chunk);
    });
    output.on('end', () => {
      if (settled) return;
      settled = true;
      resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, received));
    });
    output.on('error', (error: Error) =>
      fail(decompressor ? new HttpError(400, `the body is not valid ${encoding} data: ${error.message}`) : new HttpError(400, `could not read the body: ${error.message}`)),
    );
    if (decompressor) {
      let compressed = 0;
      request.on('data', (chunk: Buffer) => {
        compressed += chunk.length;
        if (compressed > maxBytes) fail(tooLarge(maxBytes));
      });
      request.on('error', (error) => fail(new HttpError(400, `could not read the body: ${error.message}`)));
      request.pipe(decompressor);
    }
  });
}
