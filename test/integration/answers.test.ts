import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { sendAnswer, writeInTurns } from '../../src/server/answers';

/** Another process GETs `url` and reads the answer as fast as it comes. */
function fastReader(url: string): Promise<void> {
  const reader = spawn(process.execPath, ['-e', `require('http').get(${JSON.stringify(url)}, (answer) => answer.resume().on('end', () => process.exit(0)))`], { stdio: 'ignore' });
  return new Promise<void>((resolve) => reader.on('exit', () => resolve()));
}

describe('writing answers', function () {
  this.timeout(60_000);

  it('gives other work turns while a large JSON answer goes to a reader that keeps up', async () => {
    // Each write goes out on the next tick and, when the reader keeps up, its 'drain' too: waiting for it lets no timer or other I/O run.
    const value = { spans: Array.from({ length: 50_000 }, (_, i) => ({ spanId: String(i), attributes: { text: 'x'.repeat(500) } })) };
    let ticks = 0;
    let ticksWhileWriting = -1;
    const server = createServer((_request, response) => {
      const watch = setInterval(() => ticks++, 1);
      void sendAnswer(response, { status: 200, value }).then(() => {
        ticksWhileWriting = ticks;
        clearInterval(watch);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    await fastReader(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
    server.close();
    assert.ok(ticksWhileWriting > 0, 'a timer never ran while the answer was written');
  });

  it('stops writing to a destroyed sink', async () => {
    let written = 0;
    const sink = new Writable({
      write(_chunk, _encoding, done) {
        if (++written === 3) sink.destroy();
        done();
      },
    });
    sink.on('error', () => undefined);
    await writeInTurns(sink, Array.from({ length: 100 }, () => 'y'));
    assert.equal(written, 3);
  });
});
