// completionsAt: keys of the mapping at the cursor, enum values, layer types; on incomplete YAML.
import * as assert from 'assert';
import { completionsAt } from '../../../src/modelfile';

/** `|` marks the cursor. */
function at(textWithCursor: string) {
  const offset = textWithCursor.indexOf('|');
  const text = textWithCursor.replace('|', '');
  const r = completionsAt(text, offset);
  return { ...r, labels: r.items.map((i) => i.label), text };
}

describe('modelfile completionsAt', () => {
  it('top-level keys, minus the ones present', () => {
    const r = at('dynn: 1\n|\nclasses: 10\n');
    assert.strictEqual(r.kind, 'key');
    assert.deepStrictEqual(r.labels, ['name', 'input', 'backbone', 'exits', 'gates', 'policy', 'data', 'train', 'checks', 'import']);
    const input = r.items.find((i) => i.label === 'input')!;
    assert.ok(input.documentation && input.detail?.startsWith('required'));
  });

  it('keys of a layer, chosen by its type, replacing the typed prefix', () => {
    const r = at('dynn: 1\nbackbone:\n  - type: conv2d\n    fil|\n    kernel: 3\n');
    assert.deepStrictEqual(r.labels, ['name', 'filters', 'stride', 'padding', 'activation', 'useBias']);
    assert.strictEqual(r.text.slice(r.replace.start, r.replace.end), 'fil');
    const filters = r.items.find((i) => i.label === 'filters')!;
    assert.strictEqual(filters.insertText, 'filters: ');
  });

  it('layer types for `type:` inside a layer list', () => {
    const r = at('backbone:\n  - type: co|\n');
    assert.strictEqual(r.kind, 'value');
    assert.ok(r.labels.includes('conv2d') && r.labels.includes('residual') && r.labels.length === 12);
    assert.strictEqual(r.text.slice(r.replace.start, r.replace.end), 'co');
  });

  it('a fresh list item offers `type` and ready-made `type: <layer>` entries', () => {
    const r = at('backbone:\n  - |');
    assert.ok(r.labels.includes('type') && r.labels.includes('type: dense') && r.labels.includes('name'));
  });

  it('nested residual bodies and exit heads', () => {
    const r = at('backbone:\n  - type: residual\n    layers:\n      - type: conv2d\n        padding: |\n');
    assert.deepStrictEqual(r.labels, ['same', 'valid']);
    const h = at('exits:\n  - after: x\n    head:\n      - type: dense\n        |\n');
    assert.deepStrictEqual(h.labels, ['name', 'units', 'activation', 'useBias']);
  });

  it('enum values and booleans', () => {
    assert.deepStrictEqual(at('policy:\n  kind: |\n').labels, ['maxProb', 'entropy', 'patience']);
    const b = at('backbone:\n- type: conv2d\n  useBias: |\n');
    assert.deepStrictEqual(b.labels, ['true', 'false']);
    assert.strictEqual(b.items[0]!.detail, 'default');
    assert.deepStrictEqual(at('checks:\n  attacks:\n    - kind: pgd\n      norm: l|').labels, ['linf', 'l2']);
  });

  it('references: exit after, gate block, attack loss', () => {
    const doc = 'backbone:\n  - { name: a, type: conv2d, filters: 1, kernel: 1 }\n  - { name: r1, type: residual, layers: [] }\n';
    assert.deepStrictEqual(at(doc + 'exits:\n  - name: e1\n    after: |\n').labels, ['a', 'r1']);
    assert.deepStrictEqual(at(doc + 'gates:\n  - block: |\n').labels, ['r1']);
    const loss = at(doc + 'exits:\n  - { name: e1, after: a }\nchecks:\n  attacks:\n    - kind: pgd\n      loss: |\n').labels;
    assert.deepStrictEqual(loss, ['final', 'average', 'maxAverage', 'taken', 'exit:e1', 'exit:final']);
  });

  it('nested object keys (attacks inside checks)', () => {
    const r = at('checks:\n  samples: 100\n  attacks:\n    - kind: pgd\n      eps: 0.1\n      |\n');
    assert.deepStrictEqual(r.labels, ['id', 'norm', 'step', 'steps', 'restarts', 'loss', 'targetClass', 'universal', 'criterion', 'targets', 'preset']);
  });

  it('inside one-line flow mappings (the style the examples use)', () => {
    const r = at('backbone:\n  - { name: c1, type: conv2d, fil| }\n');
    assert.strictEqual(r.kind, 'key');
    assert.deepStrictEqual(r.labels, ['filters', 'kernel', 'stride', 'padding', 'activation', 'useBias']);
    assert.strictEqual(r.text.slice(r.replace.start, r.replace.end), 'fil');
    assert.deepStrictEqual(at('backbone:\n  - { type: maxPool, padding: | }\n').labels, ['same', 'valid']);
    assert.strictEqual(at('backbone:\n  - { type: d| }').labels.length, 12);
    assert.deepStrictEqual(at('input: { shape: [28, 28, 1], | }').labels, ['range']);
    assert.deepStrictEqual(at('policy: { kind: entropy, threshold: 0.2 }\ntrain: { optimizer: |').labels, ['adam', 'sgd', 'rmsprop']);
    assert.deepStrictEqual(at('input: { shape: [28, |').labels, []);
  });

  it('nothing in comments or unknown places; never throws on junk', () => {
    assert.deepStrictEqual(at('dynn: 1 # com|').labels, []);
    assert.deepStrictEqual(at('bogus:\n  x:\n    |').labels, []);
    for (const junk of ['', '|', ':::|', '- - - |', '\u0000|', '[{|']) assert.doesNotThrow(() => at(junk.includes('|') ? junk : junk + '|'));
    const r = completionsAt('abc', 99);
    assert.deepStrictEqual(r.replace, { start: 0, end: 3 });
  });
});
