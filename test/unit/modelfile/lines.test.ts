import * as assert from 'assert';
import { LineIndex } from '../../../src/modelfile';

describe('modelfile/lines LineIndex', () => {
  it('converts offsets to 0-based line/character and back (LF)', () => {
    const t = 'ab\ncde\n\nf';
    const li = new LineIndex(t);
    assert.strictEqual(li.lineCount, 4);
    assert.deepStrictEqual(li.positionAt(0), { line: 0, character: 0 });
    assert.deepStrictEqual(li.positionAt(4), { line: 1, character: 1 });
    assert.deepStrictEqual(li.positionAt(7), { line: 2, character: 0 });
    assert.deepStrictEqual(li.positionAt(9), { line: 3, character: 1 });
    for (let o = 0; o <= t.length; o++) assert.strictEqual(li.offsetAt(li.positionAt(o)), o);
  });

  it('handles CRLF and lone CR line breaks', () => {
    const t = 'a\r\nbc\rd';
    const li = new LineIndex(t);
    assert.strictEqual(li.lineCount, 3);
    assert.deepStrictEqual(li.positionAt(3), { line: 1, character: 0 });
    assert.deepStrictEqual(li.positionAt(6), { line: 2, character: 0 });
    // A character past the end of a line clamps to the line end, before the break.
    assert.strictEqual(li.offsetAt({ line: 0, character: 10 }), 1);
    assert.strictEqual(li.offsetAt({ line: 9, character: 0 }), t.length);
  });

  it('counts UTF-16 code units like VS Code (astral characters take 2)', () => {
    const t = 'x: "😀"\ny: 1';
    const li = new LineIndex(t);
    const y = t.indexOf('y');
    assert.deepStrictEqual(li.positionAt(y), { line: 1, character: 0 });
    assert.deepStrictEqual(li.positionAt(t.indexOf('"', 4)), { line: 0, character: 6 });
  });

  it('clamps out-of-range offsets', () => {
    const li = new LineIndex('abc');
    assert.deepStrictEqual(li.positionAt(-5), { line: 0, character: 0 });
    assert.deepStrictEqual(li.positionAt(99), { line: 0, character: 3 });
  });
});
