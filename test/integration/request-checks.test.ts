/**
 * Requests no browser sends but a hostile local process or proxy can: request
 * targets starting with `//` and repeated `Host` headers. Each is answered 400
 * with a message, after the Host check, written and read on a raw socket so
 * nothing normalises the request on the way.
 */
import * as assert from 'node:assert/strict';
import { TraceStore } from '../../src/core/store';
import { InspectorServer } from '../../src/server/server';
import { rawSocketExchange } from '../support/rawHttp';

describe('request checks: targets and Host headers on a raw socket', function () {
  this.timeout(30_000);
  let server: InspectorServer;
  let port: number;

  before(async () => {
    server = new InspectorServer({ store: new TraceStore(), port: 0 });
    await server.start();
    port = server.port;
  });
  after(() => server.stop());

  const exchange = (target: string, hostLines: string[]) => rawSocketExchange(port, `GET ${target} HTTP/1.1\r\n${hostLines.map((host) => `Host: ${host}\r\n`).join('')}Connection: close\r\n\r\n`);
  const errorOf = (body: string) => (JSON.parse(body) as { error: string }).error;

  describe('request targets starting with //', () => {
    for (const target of ['//', '///', '//@', '//@/api/traces', '//evil.example/api/traces', '//localhost/api/status', '//?x=1']) {
      it(`answers GET ${target} with 400 and says what a target must be`, async () => {
        const response = await exchange(target, [`localhost:${port}`]);
        assert.equal(response.status, 400, response.head);
        assert.match(errorOf(response.body), /request target .* must be a path starting with a single "\/"/);
        assert.doesNotMatch(response.body, /internal error|traces"|spanCount/);
      });
    }

    it('checks the Host first: a foreign Host with a // target is refused as such (403)', async () => {
      const response = await exchange('//', ['evil.example']);
      assert.equal(response.status, 403);
      assert.match(errorOf(response.body), /is not this inspector/);
    });

    it('still answers ordinary targets, the absolute form included', async () => {
      assert.equal((await exchange('/api/status', [`localhost:${port}`])).status, 200);
      assert.equal((await exchange('/api/traces?q=a//b', [`localhost:${port}`])).status, 200);
      assert.equal((await exchange(`http://localhost:${port}/api/status`, [`localhost:${port}`])).status, 200);
    });
  });

  describe('repeated Host headers (RFC 9112: 400)', () => {
    for (const hosts of [
      ['localhost:PORT', 'evil.example'],
      ['evil.example', 'localhost'],
      ['127.0.0.1:PORT', '127.0.0.1:PORT'],
    ]) {
      it(`refuses Host: ${hosts.join(' + Host: ')} with 400`, async () => {
        const lines = hosts.map((host) => host.replace('PORT', String(port)));
        for (const target of ['/api/status', '/api/traces', '/']) {
          const response = await exchange(target, lines);
          assert.equal(response.status, 400, `${target}: ${response.head}`);
          assert.match(errorOf(response.body), /exactly one Host header/);
        }
      });
    }

    it('answers one Host header', async () => {
      assert.equal((await exchange('/api/status', [`localhost:${port}`])).status, 200);
    });
  });
});
