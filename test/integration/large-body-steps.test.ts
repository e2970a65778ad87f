/**
 * The real process decodes a large trace body in steps, letting other work
 * through meanwhile. Shown by the order the process does its work in, not by
 * time: a one-span body pipelined right behind a 100,000-span body on the same
 * connection can only be read once the large body is complete, so it is
 * decoded and stored before the large one only if the large body's decode
 * gives way. Both carry the same span under different names; the store keeps
 * the version stored last. Decoded in one go, the large body is stored first
 * and the small body's version is kept; in steps, the small body is stored
 * during the large body's decode, and the large body's version is kept.
 *
 * The last byte of the large body goes in one write with the whole small
 * request, so the small request is in the socket as soon as the large body
 * can be complete: when it is read depends on nothing but the server.
 */

import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { connect } from 'node:net';
import { resolve } from 'node:path';
import type { Span } from '../../src/core/model';
import { encodeOtlpJson } from '../../src/core/otlp/export';
import { encodeSpansProto } from '../../src/core/otlp/protoEncode';
import type { SpanJson, StatusJson } from '../../src/protocol/api';
import { hexId, makeSpan } from '../support/spans';
import { startCli, type CliProcess } from '../support/processes';

const ROOT = resolve(__dirname, '../..');
const SPANS = 100_000;
const TRACE = hexId('steps', 32);
const SHARED = hexId('shared', 16);

/** One trace of {@link SPANS} spans, one of them the span {@link SHARED} named `name`. */
function largeTrace(name: string): Span[] {
  const spans = [makeSpan({ trace: 'steps', id: 'shared', name })];
  for (let n = 1; n < SPANS; n++) spans.push(makeSpan({ trace: 'steps', id: `s${n.toString(36)}`, parent: 'shared', name: `step ${n % 100}`, startMs: 1_700_000_000_000 + n, attributes: { index: n } }));
  return spans;
}

function encode(spans: Span[], encoding: 'protobuf' | 'json'): Buffer {
  return Buffer.from(encoding === 'protobuf' ? encodeSpansProto(spans) : JSON.stringify(encodeOtlpJson(spans)));
}

/**
 * Sends the two requests on one connection, `second` pipelined behind
 * `first` (the last byte of `first` and all of `second` in one write), and
 * returns the status codes of the answers, in order.
 */
async function pipelined(port: number, contentType: string, first: Buffer, second: Buffer): Promise<number[]> {
  const head = (length: number, close: boolean) =>
    Buffer.from(`POST /v1/traces HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: ${contentType}\r\nContent-Length: ${length}\r\n${close ? 'Connection: close\r\n' : ''}\r\n`);
  const socket = connect(port, '127.0.0.1');
  const received: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => received.push(chunk));
  const closed = new Promise<void>((resolveClosed, reject) => {
    socket.on('error', reject);
    socket.on('close', () => resolveClosed());
  });
  await new Promise<void>((written) => socket.write(Buffer.concat([head(first.length, false), first.subarray(0, first.length - 1)]), () => written()));
  socket.write(Buffer.concat([first.subarray(first.length - 1), head(second.length, true), second]));
  await closed;
  return [...Buffer.concat(received).toString('latin1').matchAll(/HTTP\/1\.1 (\d{3})/g)].map((match) => Number(match[1]));
}

describe('large trace bodies in the real process', function () {
  this.timeout(180_000);
  let inspector: CliProcess;

  before(async () => {
    execFileSync(process.execPath, ['esbuild.mjs'], { cwd: ROOT, stdio: 'pipe' });
    inspector = await startCli(['--no-open', '--no-persist', '--no-grpc', '--port', '0']);
  });
  after(() => inspector?.child.kill('SIGKILL'));

  for (const encoding of ['protobuf', 'json'] as const) {
    it(`stores a small ${encoding} body sent behind a 100,000-span body while the large body is still decoding`, async () => {
      await fetch(`${inspector.url}/api/traces`, { method: 'DELETE' });
      const large = encode(largeTrace('from the large body'), encoding);
      const small = encode([makeSpan({ trace: 'steps', id: 'shared', name: 'from the small body' })], encoding);
      const port = Number(new URL(inspector.url).port);
      const statuses = await pipelined(port, encoding === 'protobuf' ? 'application/x-protobuf' : 'application/json', large, small);
      assert.deepEqual(statuses, [200, 200]);

      const status = (await (await fetch(`${inspector.url}/api/status`)).json()) as StatusJson;
      assert.equal(status.spanCount, SPANS);
      const shared = (await (await fetch(`${inspector.url}/api/traces/${TRACE}/spans/${SHARED}`)).json()) as SpanJson;
      // Stored last: the large body, whose decode let the small body through before it ended.
      assert.equal(shared.name, 'from the large body');
    });
  }
});
