/**
 * The HTML shell of the inspector UI, shared by the browser server (`GET /`)
 * and the VS Code webview panel. It carries no data: the page fetches or is
 * sent everything after it loads, so untrusted span content never passes
 * through HTML.
 */

/** Inputs of {@link renderInspectorHtml}. */
export interface InspectorHtmlOptions {
  /** URL of `dist/webview/webview.js` (a webview URI inside VS Code). */
  scriptUri: string;
  /** URL of `dist/webview/webview.css` (it also carries the codicon font face). */
  styleUri: string;
  /** URL of a separate codicon stylesheet, when the host serves one. */
  codiconUri?: string;
  /** Fresh random nonce for this page load (letters, digits, `+/=_-`). */
  nonce: string;
  /**
   * CSP source allowed for styles, fonts and images: `'self'` in the browser,
   * `webview.cspSource` in VS Code.
   */
  cspSource: string;
  /**
   * CSP `connect-src`: `'self'` (default) for the browser host, which fetches
   * the query API; `'none'` inside VS Code, where data comes by message.
   */
  connectSrc?: string;
  /** Page title. */
  title?: string;
}

/** Escapes a value for a double-quoted HTML attribute or text. */
export function escapeHtmlAttribute(value: string): string {
  return value.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

const NONCE = /^[A-Za-z0-9+/=_-]{8,}$/;
/** A CSP source list must not be able to end its directive or the header. */
const CSP_SOURCE = /^[^;,\r\n]+$/;

/** The Content-Security-Policy of the page, also useful as an HTTP header. */
export function inspectorCsp(options: Pick<InspectorHtmlOptions, 'nonce' | 'cspSource' | 'connectSrc'>): string {
  if (!NONCE.test(options.nonce)) throw new Error('renderInspectorHtml: the nonce must be 8+ characters of [A-Za-z0-9+/=_-]');
  const connect = options.connectSrc ?? "'self'";
  for (const source of [options.cspSource, connect]) {
    if (!CSP_SOURCE.test(source)) throw new Error(`renderInspectorHtml: invalid CSP source ${JSON.stringify(source)}`);
  }
  return [
    "default-src 'none'",
    `script-src 'nonce-${options.nonce}'`,
    `style-src ${options.cspSource}`,
    `font-src ${options.cspSource}`,
    `img-src ${options.cspSource} data:`,
    `connect-src ${connect}`,
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
}

/** The complete HTML document of the inspector page. */
export function renderInspectorHtml(options: InspectorHtmlOptions): string {
  const csp = inspectorCsp(options);
  const attr = escapeHtmlAttribute;
  const codicon = options.codiconUri ? `\n    <link rel="stylesheet" href="${attr(options.codiconUri)}" />` : '';
  return `<!DOCTYPE html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta http-equiv="Content-Security-Policy" content="${attr(csp)}" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <meta name="color-scheme" content="light dark" />
    <link rel="icon" href="data:," />
    <title>${attr(options.title ?? 'Respan Trace Inspector')}</title>${codicon}
    <link rel="stylesheet" href="${attr(options.styleUri)}" />
  </head>
  <body>
    <div id="app"></div>
    <script nonce="${attr(options.nonce)}" src="${attr(options.scriptUri)}"></script>
  </body>
</html>
`;
}
