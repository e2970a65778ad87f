import assert from 'node:assert/strict';
import { escapeHtmlAttribute, inspectorCsp, renderInspectorHtml } from '../../src/protocol/html';
import { isHostToViewMessage, isViewToHostMessage, traceQueryToSearch, type ViewRequestOf } from '../../src/protocol/messages';
import { traceQueryOf } from '../../src/server/server';

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
    assert.equal(isHostToViewMessage({ kind: 'reply', requestId: 1, ok: true, result: null }), true);
    assert.equal(isHostToViewMessage({ kind: 'storeChanged' }), true);
    assert.equal(isHostToViewMessage({ kind: 'evil' }), false);
    assert.equal(isHostToViewMessage('init'), false);
    assert.equal(isViewToHostMessage({ kind: 'ready', version: 1 }), true);
    assert.equal(isViewToHostMessage({ kind: 'request', type: 'getTrace', id: 3, traceId: 'x' }), true);
    assert.equal(isViewToHostMessage({ kind: 'request', type: 'getTrace' }), false);
  });
});

describe('webview list and facet requests', () => {
  it('sends the trace ids of a partial refresh as ids=, an empty list as no traces', () => {
    const ids = ['a'.repeat(32), 'b'.repeat(32)];
    assert.equal(traceQueryToSearch({ errors: true, traceIds: ids }), `?errors=1&ids=${ids.join(',')}`);
    assert.deepEqual(traceQueryOf(new URLSearchParams(traceQueryToSearch({ traceIds: ids }))).traceIds, ids);
    assert.equal(traceQueryToSearch({ traceIds: [] }), '?ids=');
    assert.deepEqual(traceQueryOf(new URLSearchParams(traceQueryToSearch({ traceIds: [] }))).traceIds, []);
    assert.equal(traceQueryOf(new URLSearchParams('')).traceIds, undefined, 'no ids= means every trace');
  });
  it('accepts the facets request as a request the view may post', () => {
    const request: ViewRequestOf<'getFacets'> = { kind: 'request', type: 'getFacets', id: 7 };
    assert.equal(isViewToHostMessage(request), true);
    assert.equal(isViewToHostMessage({ kind: 'request', type: 'getFacets' }), false);
  });
});
