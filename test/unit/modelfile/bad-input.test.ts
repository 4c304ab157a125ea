// Hostile and broken files: each gives a clear diagnostic at the right place, never an exception or a hang.
import * as assert from 'assert';
import { analyzeText, LIMITS } from '../../../src/modelfile';
import { model, only, spanText } from './helpers';

describe('modelfile bad input', () => {
  it('empty file', () => {
    const { a, d } = only('', 'parse/empty');
    assert.strictEqual(a.spec, undefined);
    assert.match(d.message, /empty/);
    only('# only a comment\n', 'parse/empty');
    only('   ', 'parse/empty', 'm.dynn.json');
  });

  it('binary garbage and NUL bytes', () => {
    const bytes = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0xff, 0xfe]);
    const { d } = only(bytes.toString('latin1'), 'parse/binary');
    assert.strictEqual(d.span.start, 6, 'points at the first control character');
    const text = 'dynn: 1\nname: a\u0000b\n';
    const r = only(text, 'parse/binary');
    assert.strictEqual(r.d.span.start, text.indexOf('\u0000'));
  });

  it('refuses a 5 MB file with one diagnostic at offset 0, quickly', () => {
    const big = model() + '\n' + '# padding\n'.repeat(520_000);
    assert.ok(big.length > 5_000_000);
    const t0 = Date.now();
    const a = analyzeText(big);
    assert.ok(Date.now() - t0 < 1000);
    assert.strictEqual(a.diagnostics.length, 1);
    assert.strictEqual(a.diagnostics[0]?.code, 'limits/file-too-large');
    assert.deepStrictEqual(a.diagnostics[0]?.span, { start: 0, end: 0 });
    assert.ok(big.length > LIMITS.maxFileBytes);
  });

  it('deep nesting: 10,000 nested flow lists, block lists and mappings', () => {
    const flow = 'dynn: ' + '['.repeat(10_000) + ']'.repeat(10_000);
    const r1 = only(flow, 'limits/too-deep');
    assert.ok(r1.d.span.start > 6 && r1.d.span.start < 6 + 100);
    only('- '.repeat(10_000) + 'x', 'limits/too-deep');
    const block = Array.from({ length: 2000 }, (_, i) => ' '.repeat(i) + `k${i}:`).join('\n');
    only(block, 'limits/too-deep');
    only('[' + '{"a": ['.repeat(5000) + ']}'.repeat(5000) + ']', 'limits/too-deep', 'deep.dynn.json');
  });

  it('moderate nesting below the limit is fine (no false positive)', () => {
    const a = analyzeText('dynn: ' + '['.repeat(40) + ']'.repeat(40));
    assert.ok(!a.diagnostics.some((d) => d.code === 'limits/too-deep'));
    // A whole model on one line has many "key: value" pairs but little depth.
    const keys = Array.from({ length: 200 }, (_, i) => `"k${i}": ${i}`).join(', ');
    const b = analyzeText(`{"dynn": 1, "x": {${keys}}}`, { fileName: 'one-line.dynn.json' });
    assert.ok(!b.diagnostics.some((d) => d.code === 'limits/too-deep'));
    assert.ok(b.diagnostics.some((d) => d.code === 'schema/unknown-key'));
  });

  it('documents with too many values are refused before parsing, in bounded time', () => {
    const cases = [
      'dynn: [' + '0,'.repeat(1_000_000) + '0]',
      'dynn: 1\n' + Array.from({ length: 150_000 }, (_, i) => `k${i}: 1`).join('\n'),
    ];
    for (const text of cases) {
      const t0 = Date.now();
      const { a } = only(text, 'limits/too-large');
      assert.strictEqual(a.diagnostics.length, 1);
      assert.ok(Date.now() - t0 < 2000, `${Date.now() - t0} ms`);
    }
    // Comments do not count as values.
    const commented = model() + '\n' + '# a comment, with, commas: and colons\n'.repeat(60_000);
    assert.ok(!analyzeText(commented).diagnostics.some((d) => d.code === 'limits/too-large'));
  });

  it('many unknown keys: diagnostics are capped, no stack overflow', () => {
    const text = model({ extra: Array.from({ length: 5000 }, (_, i) => `extra${i}: 1`).join('\n') });
    const a = analyzeText(text);
    assert.strictEqual(a.diagnostics.length, LIMITS.maxDiagnostics + 1);
    assert.strictEqual(a.diagnostics[a.diagnostics.length - 1]?.code, 'limits/too-many-problems');
  });

  it('billion laughs: alias expansion is refused with a diagnostic', () => {
    const lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
    const names = 'abcdefghi';
    for (let i = 1; i < names.length; i++) {
      const prev = names[i - 1] as string;
      lines.push(`${names[i]}: &${names[i]} [*${prev},*${prev},*${prev},*${prev},*${prev},*${prev},*${prev},*${prev},*${prev}]`);
    }
    const t0 = Date.now();
    const { d } = only(lines.join('\n'), 'limits/too-many-aliases');
    assert.ok(Date.now() - t0 < 2000);
    assert.match(spanText(lines.join('\n'), d), /^\*[a-i]$/);
  });

  it('a few aliases are allowed and resolved', () => {
    const text = model({ layers: '  - &conv { type: conv2d, filters: 4, kernel: 3 }\n  - *conv\n  - { type: flatten }' });
    const a = analyzeText(text);
    // Both conv layers get default names from their positions, so the alias does not clash.
    assert.deepStrictEqual(a.diagnostics.filter((d) => d.severity === 'error'), []);
    assert.strictEqual(a.spec?.backbone[1]?.type, 'conv2d');
    assert.strictEqual(spanText(text, { span: a.locate(['backbone', 1])!.value }), '*conv');
  });

  it('duplicate keys are errors at the duplicate key', () => {
    const text = 'dynn: 1\nclasses: 10\nclasses: 3\n';
    const { a, d } = only(text, 'parse/duplicate-key');
    assert.strictEqual(d.span.start, text.lastIndexOf('classes'));
    assert.strictEqual(spanText(text, d), 'classes');
    assert.strictEqual(a.spec, undefined);
  });

  it('duplicate keys in a JSON file (which JSON.parse accepts) are errors too', () => {
    const text = '{"dynn": 1, "classes": 10, "classes": 10}';
    const { d } = only(text, 'parse/duplicate-key', 'm.dynn.json');
    assert.strictEqual(spanText(text, d), '"classes"');
    assert.strictEqual(d.span.start, text.lastIndexOf('"classes"'));
  });

  it('unknown keys are flagged at the key with a suggestion', () => {
    const text = model({ layers: '  - { type: conv2d, filtrs: 4, kernel: 3 }\n  - { type: flatten }' });
    const { d } = only(text, 'schema/unknown-key');
    assert.strictEqual(spanText(text, d), 'filtrs');
    assert.match(d.message, /Did you mean 'filters'\?/);
    assert.strictEqual(d.fixes?.[0]?.edits[0]?.newText, 'filters');
  });

  it('wrong types name the key and the offending value', () => {
    const text = model({ extra: 'train: { epochs: three }' });
    const { d } = only(text, 'schema/type');
    assert.strictEqual(spanText(text, d), 'three');
    assert.strictEqual(d.message, "'epochs' must be a positive integer, got three");
  });

  it('negative numbers: friendly message on the value', () => {
    const text = model({ layers: '  - { type: conv2d, filters: -3, kernel: 3 }\n  - { type: flatten }' });
    const { d } = only(text, 'schema/range');
    assert.strictEqual(d.message, "'filters' must be a positive integer, got -3");
    assert.strictEqual(spanText(text, d), '-3');
  });

  it('huge numbers are refused before anything is built', () => {
    const text = model({ layers: '  - { type: conv2d, filters: 1e30, kernel: 3 }\n  - { type: flatten }' });
    const { a, d } = only(text, 'limits/too-large');
    assert.strictEqual(spanText(text, d), '1e30');
    assert.match(d.message, /at most 65536, got 1e30/);
    assert.strictEqual(a.spec, undefined);
    // Within per-key bounds but absurd in total: 50M parameter limit.
    const dense = model({ layers: '  - { type: flatten }\n  - { name: wide, type: dense, units: 1000000 }' });
    const r = only(dense, 'limits/too-large');
    assert.match(r.d.message, /parameters; the limit is 50,000,000/);
    assert.match(spanText(dense, r.d), /name: wide|wide/);
  });

  it('an absurd input size is refused', () => {
    const text = 'dynn: 1\ninput: { shape: [4096, 4096, 3] }\nclasses: 10\nbackbone:\n  - { type: flatten }\n  - { type: dense, units: 10 }\n';
    const { d } = only(text, 'limits/too-large');
    assert.strictEqual(spanText(text, d), '[4096, 4096, 3]');
  });

  it('NaN and .inf are not numbers a model can use', () => {
    const text = model({ extra: 'policy: { threshold: .nan }\ntrain: { learningRate: .inf }' });
    const a = analyzeText(text);
    const found = a.diagnostics.filter((d) => d.code === 'schema/not-finite').map((d) => spanText(text, d));
    assert.deepStrictEqual(found, ['.nan', '.inf']);
    assert.strictEqual(a.spec, undefined);
  });

  it('a JSON file with a trailing comma gets a JSON-specific error at the comma', () => {
    const text = '{\n  "dynn": 1,\n  "classes": 10,\n}\n';
    const { d } = only(text, 'parse/json-syntax', 'model.dynn.json');
    assert.strictEqual(spanText(text, d), ',');
    assert.strictEqual(d.span.start, text.lastIndexOf(','));
    assert.match(d.message, /trailing comma/);
    // The same text as YAML is legal flow syntax: no JSON error then.
    assert.ok(!analyzeText(text, { fileName: 'm.dynn.yaml' }).diagnostics.some((x) => x.code === 'parse/json-syntax'));
  });

  it('other JSON syntax errors point at the position JSON.parse reports', () => {
    const text = '{ "dynn": 1 "classes": 10 }';
    const { d } = only(text, 'parse/json-syntax', 'm.dynn.json');
    assert.strictEqual(d.span.start, text.indexOf('"classes"'));
    only('{ "dynn": ', 'parse/json-syntax', 'm.dynn.json');
  });

  it('YAML syntax errors are reported with a position', () => {
    const text = 'dynn: 1\nbackbone: [a, b\nclasses: 10\n';
    const a = analyzeText(text);
    const d = a.diagnostics.find((x) => x.code === 'parse/syntax');
    assert.ok(d, JSON.stringify(a.diagnostics));
    assert.ok(d.span.start > 0 && d.span.start <= text.length);
  });

  it('a list or a scalar at the top level is a schema error, not a crash', () => {
    only('- 1\n- 2\n', 'schema/type');
    only('hello', 'schema/type');
  });

  it('a key named __proto__ is just an unknown key', () => {
    const text = model({ extra: '__proto__: { polluted: true }' });
    const { d } = only(text, 'schema/unknown-key');
    assert.strictEqual(spanText(text, d), '__proto__');
    assert.strictEqual(({} as Record<string, unknown>).polluted, undefined);
  });

  it('multiple documents are refused', () => {
    only(model() + '\n---\ndynn: 1\n', 'parse/multiple-documents');
  });

  it('fuzz: random mutations never throw', () => {
    const base = model({ extra: 'exits:\n  - { after: p1 }\npolicy: { kind: entropy }' });
    let seed = 42;
    const rand = (n: number): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    const junk = ['[', ']', '{', '}', ':', '-', ' ', '\n', '*a', '&a', '"', "'", '#', '0', '-1', '1e999', '|', '>', '\t', '?'];
    for (let i = 0; i < 300; i++) {
      let t = base;
      for (let k = 0; k < 3; k++) {
        const at = rand(t.length);
        t = t.slice(0, at) + (junk[rand(junk.length)] as string) + t.slice(at + rand(3));
      }
      const a = analyzeText(t, { fileName: i % 2 === 0 ? 'f.dynn.yaml' : 'f.dynn.json' });
      assert.ok(Array.isArray(a.diagnostics));
      assert.ok(!a.diagnostics.some((d) => d.code === 'internal/error'), `internal error on: ${JSON.stringify(t)}`);
      for (const d of a.diagnostics) assert.ok(d.span.start >= 0 && d.span.end <= t.length && d.span.start <= d.span.end);
    }
  });
});
