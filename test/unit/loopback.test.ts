/**
 * The one loopback predicate: only what reaches this machine without asking
 * DNS counts, whoever asks (listener token, Host check, CLI warning,
 * forwarding over plain http, the extension's browser link).
 */
import * as assert from 'node:assert/strict';
import { isLoopbackHost } from '../../src/core/net/loopback';

describe('isLoopbackHost', () => {
  const loopback = [
    'localhost',
    'LOCALHOST',
    'LocalHost',
    '127.0.0.1',
    '127.0.0.0',
    '127.255.255.255',
    '127.1.2.3',
    '::1',
    '[::1]',
    '0:0:0:0:0:0:0:1',
    '[0:0:0:0:0:0:0:1]',
    '0000:0000:0000:0000:0000:0000:0000:0001',
    '::0:1',
    '::ffff:127.0.0.1',
    '[::ffff:127.0.0.1]',
    '::FFFF:127.9.8.7',
    '::ffff:7f00:1',
    '[::ffff:7f00:1]',
    '0:0:0:0:0:ffff:127.0.0.1',
  ];
  const notLoopback = [
    // Names Node resolves through DNS: they go wherever DNS points.
    'x.localhost',
    'app.localhost',
    'localhost.',
    'localhost.example.com',
    '127.0.0.1.nip.io',
    '127.evil.example',
    'evil.example',
    '',
    // Other machines, every interface, and malformed addresses.
    '128.0.0.1',
    '126.255.255.255',
    '10.0.0.1',
    '0.0.0.0',
    '127.0.0.300',
    '127.0.0',
    '127.0.0.1.',
    ' 127.0.0.1',
    // Other spellings of 127.0.0.1 that some parsers read and others send to DNS: refused, the safe side.
    '127.1',
    '0x7f.0.0.1',
    '0177.0.0.1',
    '127.0.0.01',
    '2130706433',
    '::',
    '::2',
    '[::2]',
    '::1:0',
    '1::1',
    '::1::',
    ':::1',
    '::ffff:128.0.0.1',
    '::ffff:8000:1',
    '::127.0.0.1',
    '::ffff:127.0.0.1:1',
    '0:0:0:0:0:0:0:0:1',
    '::1%lo',
    '[::1',
    '::1]',
    '[localhost]',
    '[127.0.0.1]',
  ];
  for (const host of loopback) it(`counts ${JSON.stringify(host)} as loopback`, () => assert.equal(isLoopbackHost(host), true));
  for (const host of notLoopback) it(`does not count ${JSON.stringify(host)}`, () => assert.equal(isLoopbackHost(host), false));
});
