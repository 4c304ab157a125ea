// The results panel's HTML page: a skeleton the webview script fills in. Pure: the controller passes the CSP
// source, a fresh nonce and the webview URIs of the script and the stylesheet.

import { forHtml } from '../../modelfile/display';

export interface PanelHtmlInput {
  /** `webview.cspSource`. */
  cspSource: string;
  nonce: string;
  /** `asWebviewUri` of dist/webview.js and media/panel.css, as strings. */
  scriptUri: string;
  styleUri: string;
  title: string;
}

/** Nonces are base64: anything else could break out of the CSP header or the attribute. */
export function assertNonce(nonce: string): void {
  if (!/^[A-Za-z0-9+/]{16,}={0,2}$/.test(nonce)) throw new Error('CSP nonce must be base64 of at least 12 random bytes');
}

/** One CSP source expression: a host source (no separators or quotes) or the keyword 'self'. */
const CSP_SOURCE_TOKEN = /^(?:'self'|[^;,\s'"]+)$/;

export function panelCsp(cspSource: string, nonce: string): string {
  // VS Code 1.139 (code-server, vscode.dev) gives a list: "'self' https://*.vscode-cdn.net".
  const tokens = cspSource.trim().split(/ +/);
  if (cspSource.trim() === '' || !tokens.every((t) => CSP_SOURCE_TOKEN.test(t))) throw new Error(`webview cspSource ${JSON.stringify(cspSource)} is not a single CSP source (nor a space-separated list of them)`);
  cspSource = tokens.join(' ');
  return [
    "default-src 'none'",
    `script-src 'nonce-${nonce}'`,
    `style-src ${cspSource} 'nonce-${nonce}'`,
    `img-src ${cspSource} data:`,
    `font-src ${cspSource}`,
  ].join('; ');
}

export function buildPanelHtml(input: PanelHtmlInput): string {
  assertNonce(input.nonce);
  const csp = panelCsp(input.cspSource, input.nonce);
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${forHtml(csp)}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" nonce="${input.nonce}" href="${forHtml(input.styleUri)}">
<title>${forHtml(input.title)}</title>
</head>
<body>
<main id="app" data-mode="panel" aria-live="polite"><p class="loading">Loading results…</p></main>
<script nonce="${input.nonce}" src="${forHtml(input.scriptUri)}"></script>
</body>
</html>
`;
}
