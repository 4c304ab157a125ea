import * as assert from 'node:assert/strict';
import { forHtml, forMarkdown, forTerminal, linesForTerminal } from '../../../src/modelfile/display';

const HOSTILE = '\u001b]0;title\u0007\u001b[2J';

describe('modelfile/display: user text in each kind of output', () => {
  it('forTerminal shows every C0, DEL, C1, line separator and bidi control instead of sending it', () => {
    assert.equal(forTerminal(HOSTILE), '\\u001b]0;title\\u0007\\u001b[2J');
    assert.equal(forTerminal('a\rb\nc\td\u0000e\u007f\u009b\u2028\u202e'), 'a\\u000db\\u000ac\\u0009d\\u0000e\\u007f\\u009b\\u2028\\u202e');
    // Everything else is unchanged: paths with backslashes, accents, CJK, emoji.
    const plain = 'C:\\data\\x_train.npy é 数据 🙂 <b>|*_';
    assert.equal(forTerminal(plain), plain);
    for (let c = 0; c < 0xa0; c++) {
      const out = forTerminal(String.fromCharCode(c));
      assert.ok(!/[\u0000-\u001f\u007f-\u009f]/.test(out), `U+${c.toString(16)} passed through`);
    }
  });

  it('linesForTerminal keeps line breaks and escapes the rest', () => {
    assert.equal(linesForTerminal(`one ${HOSTILE}\ntwo\r\n`), 'one \\u001b]0;title\\u0007\\u001b[2J\ntwo\\u000d\n');
  });

  it('forMarkdown leaves no tag, entity, link, emphasis, code, cell break or line break of the text', () => {
    const md = forMarkdown('<img src=x onerror=alert(1)> &amp; [a](http://x) *b* _c_ `d` | e \\ # f ~~g~~\nh');
    assert.equal(md, '&lt;img src=x onerror=alert(1)&gt; &amp;amp; \\[a\\](http://x) \\*b\\* \\_c\\_ \\`d\\` \\| e \\\\ \\# f \\~\\~g\\~\\~ h');
    assert.ok(!md.includes('<'));
    assert.equal(forMarkdown(HOSTILE), '\\u001b\\]0;title\\u0007\\u001b\\[2J');
    assert.equal(forMarkdown('plain-name.v2 (30%)'), 'plain-name.v2 (30%)');
  });

  it('forHtml escapes the five HTML special characters', () => {
    assert.equal(forHtml(`"<&>'`), '&quot;&lt;&amp;&gt;&#39;');
    assert.equal(forHtml('<img src=x onerror=alert(1)>'), '&lt;img src=x onerror=alert(1)&gt;');
  });
});
