import * as assert from 'assert';
import { buildPanelHtml, panelCsp } from '../../../src/panel/host/html';
import { forHtml } from '../../../src/modelfile/display';
import { createNonce } from '../../../src/panel/host/nonce';

const CSP_SOURCE = 'vscode-webview-resource:';
const input = (nonce = createNonce()) => ({
  cspSource: CSP_SOURCE,
  nonce,
  scriptUri: 'vscode-webview-resource://ext/dist/webview.js',
  styleUri: 'vscode-webview-resource://ext/media/panel.css',
  title: 'Results <m>',
});

function cspOf(html: string): string {
  const m = /<meta http-equiv="Content-Security-Policy" content="([^"]*)">/.exec(html);
  assert.ok(m, 'CSP meta tag present');
  return (m[1] ?? '').replace(/&#39;/g, "'");
}

describe('panel html', () => {
  it('declares a strict CSP with the nonce', () => {
    const nonce = createNonce();
    const csp = cspOf(buildPanelHtml(input(nonce)));
    assert.strictEqual(
      csp,
      `default-src 'none'; script-src 'nonce-${nonce}'; style-src ${CSP_SOURCE} 'nonce-${nonce}'; img-src ${CSP_SOURCE} data:; font-src ${CSP_SOURCE}`,
    );
    assert.ok(!/unsafe-(inline|eval)/.test(csp));
  });

  it('puts the nonce on every script and loads only the given URIs', () => {
    const nonce = createNonce();
    const html = buildPanelHtml(input(nonce));
    const scripts = html.match(/<script\b[^>]*>/g) ?? [];
    assert.strictEqual(scripts.length, 1);
    for (const s of scripts) assert.ok(s.includes(`nonce="${nonce}"`), s);
    assert.ok(!/\son\w+=/.test(html), 'no inline event handlers');
    assert.ok(!/\sstyle=/.test(html), 'no inline style attributes');
    assert.ok(!/https?:\/\//.test(html), 'no http(s) URL');
    assert.ok(html.includes('<title>Results &lt;m&gt;</title>'));
  });

  it('makes a fresh base64 nonce each time and refuses unsafe input', () => {
    const a = createNonce();
    assert.match(a, /^[A-Za-z0-9+/]{22}==$/);
    assert.notStrictEqual(a, createNonce());
    assert.throws(() => buildPanelHtml(input('abc')), /nonce must be base64/);
    assert.throws(() => buildPanelHtml(input("x' 'unsafe-inline")), /nonce must be base64/);
    assert.throws(() => panelCsp("a; script-src *", createNonce()), /is not a single CSP source/);
    assert.strictEqual(forHtml(`"<&>'`), '&quot;&lt;&amp;&gt;&#39;');
  });
});
