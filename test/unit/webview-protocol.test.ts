import assert from 'node:assert/strict';
import { escapeHtmlAttribute, inspectorCsp, renderInspectorHtml } from '../../src/protocol/html';
import { isServiceError } from '../../src/core/service/errors';
import { isHostToViewMessage, isViewToHostMessage, type ServiceRequestMessage } from '../../src/protocol/messages';
import { traceQueryFromSearch, traceQueryToSearch, type TraceQuery } from '../../src/protocol/query';
import { createVsCodeHost } from '../../webview/host/vscodeHost';

describe('webview HTML shell', () => {
  const options = { scriptUri: '/webview.js', styleUri: '/webview.css', nonce: 'abcDEF123456', cspSource: "'self'" };

  it('loads the script with the nonce under a strict CSP and inlines no data', () => {
    const html = renderInspectorHtml(options);
    assert.match(html, /<script nonce="abcDEF123456" src="\/webview\.js"><\/script>/);
    assert.match(html, /<link rel="stylesheet" href="\/webview\.css" \/>/);
    const csp = inspectorCsp(options);
    assert.equal(csp.split('; ')[0], "default-src 'none'");
    assert.ok(csp.includes("script-src 'nonce-abcDEF123456'"));
    assert.ok(csp.includes("connect-src 'self'"));
    assert.equal((html.match(/<script/g) ?? []).length, 1);
    assert.ok(!/<script[^>]*>[^<]+<\/script>/.test(html), 'no inline script body');
  });
  it('escapes attribute values', () => {
    const html = renderInspectorHtml({ ...options, scriptUri: '/x.js?a="><script>alert(1)</script>', title: '<b>' });
    assert.ok(!html.includes('"><script>alert(1)'));
    assert.ok(html.includes('&#34;&#62;&#60;script&#62;'));
    assert.ok(html.includes('<title>&#60;b&#62;</title>'));
    assert.equal(escapeHtmlAttribute(`a&'`), 'a&#38;&#39;');
  });
  it('refuses nonces and sources that could break out of the policy', () => {
    assert.throws(() => renderInspectorHtml({ ...options, nonce: "x' 'unsafe-inline" }));
    assert.throws(() => renderInspectorHtml({ ...options, nonce: 'short' }));
    assert.throws(() => renderInspectorHtml({ ...options, cspSource: "'self'; script-src *" }));
    assert.ok(renderInspectorHtml({ ...options, connectSrc: "'none'" }).includes("connect-src &#39;none&#39;"));
  });
});

describe('webview message guards', () => {
  it('accepts only known message kinds', () => {
    assert.equal(isHostToViewMessage({ kind: 'reply', requestId: 1, ok: true }), true);
    assert.equal(isHostToViewMessage({ kind: 'event', event: { type: 'change', data: {} } }), true);
    assert.equal(isHostToViewMessage({ kind: 'storeChanged' }), false);
    assert.equal(isHostToViewMessage({ kind: 'evil' }), false);
    assert.equal(isHostToViewMessage('init'), false);
    assert.equal(isViewToHostMessage({ kind: 'ready', version: 2 }), true);
    assert.equal(isViewToHostMessage({ kind: 'service', type: 'getTrace', id: 3, params: { traceId: 'x' } }), true);
    assert.equal(isViewToHostMessage({ kind: 'request', type: 'openSource', id: 4, target: { filePath: 'a.py' } }), true);
    assert.equal(isViewToHostMessage({ kind: 'service', type: 'getTrace' }), false);
  });
  it('types a service request by the service table', () => {
    const request: ServiceRequestMessage = { kind: 'service', type: 'getFacets', id: 7, params: {} };
    assert.equal(isViewToHostMessage(request), true);
  });
});

describe('trace list query string', () => {
  it('reads back every filter it writes, through one table', () => {
    const query: Required<TraceQuery> = {
      q: 'a&b',
      errors: true,
      pinned: true,
      environment: 'prod',
      model: 'gpt-4o',
      customer: 'cus 1',
      thread: 'th/1',
      traceGroup: 'g',
      service: 'svc',
      name: 'openai.chat',
      minDurationMs: 10,
      maxDurationMs: 2.5,
      minCost: 0.25,
      run: 'run-1',
      sort: 'cost',
      traceIds: ['a'.repeat(32), 'b'.repeat(32)],
      limit: 50,
    };
    assert.deepEqual(traceQueryFromSearch(new URLSearchParams(traceQueryToSearch(query))), query);
  });
  it('sends the trace ids of a partial refresh as ids=, an empty list as no traces', () => {
    const ids = ['a'.repeat(32), 'b'.repeat(32)];
    assert.equal(traceQueryToSearch({ errors: true, traceIds: ids }), `?errors=1&ids=${ids.join(',')}`);
    assert.equal(traceQueryToSearch({ traceIds: [] }), '?ids=');
    assert.deepEqual(traceQueryFromSearch(new URLSearchParams('?ids=')).traceIds, []);
    assert.equal(traceQueryFromSearch(new URLSearchParams('')).traceIds, undefined, 'no ids= means every trace');
  });
  it('reads flags as the REST API always did, and refuses a number that is not one', () => {
    assert.deepEqual(traceQueryFromSearch(new URLSearchParams('errors=0&pinned=yes&q=')), { errors: false, pinned: true });
    assert.throws(
      () => traceQueryFromSearch(new URLSearchParams('limit=ten')),
      (error: unknown) => isServiceError(error, 'invalid') && /query parameter limit must be a number, got "ten"/.test(error.message),
    );
  });
});

describe('webview VS Code host: replies in pieces', () => {
  it('joins a result sent in pieces, a character split between two of them included, and resolves at the reply', async () => {
    const posted: unknown[] = [];
    let deliver: (data: unknown) => void = () => undefined;
    const target = { addEventListener: (_type: string, listener: (event: { data: unknown }) => void) => (deliver = (data) => listener({ data })) };
    const host = createVsCodeHost({ postMessage: (message) => posted.push(message), getState: () => undefined, setState: () => undefined }, target as never);
    const answer = host.callService('getFacets', {});
    const request = posted[0] as { id: number; type: string };
    assert.equal(request.type, 'getFacets');
    const bytes = new TextEncoder().encode(JSON.stringify({ names: [{ value: 'crème brûlée 🍮', traces: 1 }] }));
    // Cut inside the multi-byte characters.
    const cuts = [bytes.indexOf(0xc3) + 1, bytes.indexOf(0xf0) + 2];
    deliver({ kind: 'replyPiece', requestId: request.id, piece: bytes.subarray(0, cuts[0]) });
    deliver({ kind: 'replyPiece', requestId: request.id, piece: bytes.subarray(cuts[0], cuts[1]) });
    deliver({ kind: 'replyPiece', requestId: request.id, piece: bytes.subarray(cuts[1]) });
    deliver({ kind: 'reply', requestId: request.id, ok: true });
    assert.deepEqual(await answer, { names: [{ value: 'crème brûlée 🍮', traces: 1 }] });
  });

  it('resolves a binary reply to its bytes, pieces joined', async () => {
    const posted: unknown[] = [];
    let deliver: (data: unknown) => void = () => undefined;
    const target = { addEventListener: (_type: string, listener: (event: { data: unknown }) => void) => (deliver = (data) => listener({ data })) };
    const host = createVsCodeHost({ postMessage: (message) => posted.push(message), getState: () => undefined, setState: () => undefined }, target as never);
    const answer = host.callService('getLeanTrace', { traceId: 'a'.repeat(32) });
    const request = posted[0] as { id: number };
    deliver({ kind: 'replyPiece', requestId: request.id, piece: new Uint8Array([1, 2, 3]) });
    deliver({ kind: 'replyPiece', requestId: request.id, piece: new Uint8Array([4, 5]) });
    deliver({ kind: 'reply', requestId: request.id, ok: true, binary: true });
    assert.deepEqual(await answer, new Uint8Array([1, 2, 3, 4, 5]));
  });

  /** A VS Code host over a fake webview API: what it posted, and a way to deliver messages to it. */
  function fakeHost() {
    const posted: { id: number; type: string; params: unknown }[] = [];
    let deliver: (data: unknown) => void = () => undefined;
    const target = { addEventListener: (_type: string, listener: (event: { data: unknown }) => void) => (deliver = (data) => listener({ data })) };
    const host = createVsCodeHost({ postMessage: (message) => posted.push(message as never), getState: () => undefined, setState: () => undefined }, target as never);
    return { host, posted, deliver: (data: unknown) => deliver(data) };
  }

  it('streams the lean form: each piece is read before the reply comes', async () => {
    const { host, posted, deliver } = fakeHost();
    const reader = host.streamLeanTrace!('b'.repeat(32))[Symbol.asyncIterator]();
    const first = reader.next();
    assert.equal(posted[0].type, 'getLeanTrace');
    assert.deepEqual(posted[0].params, { traceId: 'b'.repeat(32) });
    deliver({ kind: 'replyPiece', requestId: posted[0].id, piece: new Uint8Array([1, 2]) });
    assert.deepEqual((await first).value, new Uint8Array([1, 2]), 'the first piece, with no reply yet');
    const second = reader.next();
    deliver({ kind: 'replyPiece', requestId: posted[0].id, piece: new Uint8Array([3]) });
    deliver({ kind: 'replyPiece', requestId: posted[0].id, piece: new Uint8Array([4]) });
    deliver({ kind: 'reply', requestId: posted[0].id, ok: true, binary: true });
    assert.deepEqual((await second).value, new Uint8Array([3]));
    assert.deepEqual((await reader.next()).value, new Uint8Array([4]));
    assert.equal((await reader.next()).done, true);
  });

  it('streams a refusal as the service error it is', async () => {
    const { host, posted, deliver } = fakeHost();
    const reader = host.streamLeanTrace!('c'.repeat(32))[Symbol.asyncIterator]();
    const first = reader.next();
    deliver({ kind: 'reply', requestId: posted[0].id, ok: false, error: 'No trace cccc in the store.', reason: 'not-found' });
    await assert.rejects(first, (error: unknown) => isServiceError(error, 'not-found') && /No trace cccc/.test(error.message));
  });

  it('lets the rest of a stream go when its reader stops, and answers the next request', async () => {
    const { host, posted, deliver } = fakeHost();
    const reader = host.streamLeanTrace!('d'.repeat(32))[Symbol.asyncIterator]();
    const first = reader.next();
    deliver({ kind: 'replyPiece', requestId: posted[0].id, piece: new Uint8Array([9]) });
    assert.deepEqual((await first).value, new Uint8Array([9]));
    await reader.return!(undefined);
    deliver({ kind: 'replyPiece', requestId: posted[0].id, piece: new Uint8Array([7]) });
    deliver({ kind: 'reply', requestId: posted[0].id, ok: true, binary: true });
    const facets = host.callService('getFacets', {});
    deliver({ kind: 'replyPiece', requestId: posted[1].id, piece: new TextEncoder().encode('{"names":[]}') });
    deliver({ kind: 'reply', requestId: posted[1].id, ok: true });
    assert.deepEqual(await facets, { names: [] });
  });
});
