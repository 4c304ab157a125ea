// Whole-model rules, each reported at the node that causes it.
import * as assert from 'assert';
import { analyzeText } from '../../../src/modelfile';
import { assertClean, model, only, spanText } from './helpers';

const resnet = (gates: string, blockLayers = '      - { type: conv2d, filters: 4, kernel: 3 }', projection = '') => model({
  layers: [
    '  - { name: stem, type: conv2d, filters: 4, kernel: 3 }',
    '  - name: r1',
    '    type: residual',
    projection,
    '    layers:',
    blockLayers,
    '  - { name: gp, type: globalPool }',
  ].filter((l) => l.length > 0).join('\n'),
  extra: gates,
});

describe('modelfile semantics', () => {
  it('names must be unique across layers, exits and gates', () => {
    const text = model({ extra: 'exits:\n  - { name: c1, after: p1 }' });
    const { d } = only(text, 'names/duplicate');
    assert.match(d.message, /the name 'c1' is already used by layer 'c1'/);
    assert.strictEqual(d.span.start, text.lastIndexOf('c1'));
  });

  it("'final' is reserved for the final classifier's exit", () => {
    only(model({ extra: 'exits:\n  - { name: final, after: p1 }' }), 'names/reserved');
  });

  it('exit after must name a top-level layer; nested names are explained', () => {
    const text = model({ extra: 'exits:\n  - { after: p2 }' });
    const { d } = only(text, 'ref/unknown-layer');
    assert.strictEqual(spanText(text, d), 'p2');
    assert.match(d.message, /known: c1, p1, f, out/);
    const nested = resnet('exits:\n  - { after: inner }', '      - { name: inner, type: conv2d, filters: 4, kernel: 3 }');
    assert.match(only(nested, 'ref/unknown-layer').d.message, /'inner' is inside block 'r1'/);
  });

  it('a missing exit key names the list item', () => {
    const text = model({ extra: 'exits:\n  - { name: e0, after: p1 }\n  - { head: [] }' });
    const { d } = only(text, 'schema/required');
    assert.strictEqual(d.message, "missing required key 'after' in item 2 of 'exits'");
  });

  it('an exit must come before the final classifier', () => {
    const text = model({ extra: 'exits:\n  - { after: out }' });
    assert.strictEqual(spanText(text, only(text, 'exits/after-final').d), 'out');
  });

  it('an exit head must end in `classes` units', () => {
    const text = model({ extra: 'exits:\n  - after: f\n    head:\n      - { type: dense, units: 7 }' });
    const { d } = only(text, 'exits/head-classes');
    assert.match(d.message, /must end in a dense layer with 10 units/);
    assert.strictEqual(spanText(text, d), '7');
  });

  it('a head that does not fit its input shape is a shape error on the head layer', () => {
    const text = model({ extra: 'exits:\n  - after: p1\n    head:\n      - { name: h, type: dense, units: 10 }' });
    const { d } = only(text, 'shape/needs-flatten');
    assert.match(d.message, /layer 'h' .* 14x14x4 input/);
  });

  it('the final layer must be dense with `classes` units', () => {
    const t1 = model({ head: '  - { name: out, type: dense, units: 9 }' });
    assert.strictEqual(spanText(t1, only(t1, 'final/classes').d), '9');
    const t2 = model({ layers: '  - { type: flatten }', head: '  - { name: last, type: dropout, rate: 0.1 }' });
    assert.strictEqual(spanText(t2, only(t2, 'final/not-dense').d), 'dropout');
    const t3 = model({ head: '  - { name: out, type: dense, units: 10, activation: softmax }' });
    assert.strictEqual(only(t3, 'final/activation').d.severity, 'warning');
  });

  it('thresholds in range per policy', () => {
    const t1 = model({ extra: 'exits:\n  - { after: p1, threshold: 0 }' });
    assert.strictEqual(spanText(t1, only(t1, 'policy/threshold').d), '0');
    const t2 = model({ extra: 'exits:\n  - { after: p1 }\npolicy: { kind: maxProb, threshold: 0.05 }' });
    assert.strictEqual(only(t2, 'policy/threshold').d.severity, 'warning');
    const t3 = model({ extra: 'exits:\n  - { after: p1 }\npolicy: { kind: patience, patience: 5 }' });
    assert.match(only(t3, 'policy/patience').d.message, /has 2 \(with the final one\)/);
    const t4 = model({ extra: 'policy: { patience: 0 }' });
    assert.strictEqual(spanText(t4, only(t4, 'schema/range').d), '0');
    assertClean(analyzeText(model({ extra: 'exits:\n  - { after: p1 }\npolicy: { kind: entropy, threshold: 0 }' })));
  });

  it('gates need an existing residual block', () => {
    const t1 = resnet('gates:\n  - { block: stem }');
    const d1 = only(t1, 'gates/not-residual').d;
    assert.strictEqual(spanText(t1, d1), 'stem');
    only(resnet('gates:\n  - { block: nothing }'), 'ref/unknown-layer');
    assertClean(analyzeText(resnet('gates:\n  - { block: r1 }')));
  });

  it('gates only on blocks whose input and output shapes match, with the reason', () => {
    const t = resnet('gates:\n  - { name: g, block: r1 }', '      - { type: conv2d, filters: 8, kernel: 3, stride: 2 }', '    projection: true');
    const { d } = only(t, 'gates/shape-change');
    assert.match(d.message, /turns 28x28x4 into 14x14x8, so skipping it would feed a 28x28x4 map to layers that expect 14x14x8/);
    assert.strictEqual(spanText(t, d), 'r1');
  });

  it('a gate head must end in one unit', () => {
    const t = resnet('gates:\n  - block: r1\n    head:\n      - { type: globalPool }\n      - { type: dense, units: 2 }');
    assert.match(only(t, 'gates/head-units').d.message, /1 unit/);
  });

  it('exitWeights: one per exit plus the final exit', () => {
    const t = model({ extra: 'exits:\n  - { after: p1 }\ntrain: { exitWeights: [1, 1, 1] }' });
    const { d } = only(t, 'train/exit-weights');
    assert.match(d.message, /needs 2 values/);
    assert.strictEqual(spanText(t, d), '[1, 1, 1]');
  });

  it('data paths stay inside the workspace', () => {
    const t = model({ extra: 'data: { source: images, train: ../secret, test: /etc/passwd }' });
    const a = analyzeText(t);
    const found = a.diagnostics.filter((d) => d.code === 'data/path').map((d) => spanText(t, d));
    assert.deepStrictEqual(found, ['../secret', '/etc/passwd']);
  });

  it('mnist data requires a 28x28x1, 10-class model', () => {
    const t = model().replace('[28, 28, 1]', '[32, 32, 3]');
    only(t, 'data/mnist-shape');
  });

  it('fashion-mnist data: a 28x28x1, 10-class model, trainSamples a multiple of 10, other keys ignored', () => {
    const shape = model({ extra: 'data: { source: fashion-mnist }' }).replace('[28, 28, 1]', '[32, 32, 3]');
    assert.match(only(shape, 'data/mnist-shape').d.message, /Fashion-MNIST samples are 28x28x1/);
    const odd = model({ extra: 'data: { source: fashion-mnist, trainSamples: 1005 }' });
    assert.strictEqual(spanText(odd, only(odd, 'data/train-samples').d), '1005');
    const mixed = model({ extra: 'data: { source: fashion-mnist, trainFraction: 0.5 }' });
    assert.match(only(mixed, 'data/ignored').d.message, /'trainFraction' is ignored for source 'fashion-mnist'/);
    const onMnist = model({ extra: 'data: { source: mnist, trainSamples: 100 }' });
    assert.match(only(onMnist, 'data/ignored').d.message, /'trainSamples' is ignored for source 'mnist'/);
    assertClean(analyzeText(model({ extra: 'data: { source: fashion-mnist, trainSamples: 12000 }' })));
  });

  it('attack checks: exits/gates needed, references, target class', () => {
    const t = model({ extra: 'checks:\n  attacks:\n    - { kind: hijack, eps: 0.1, targetClass: 12 }\n    - { kind: gate, eps: 0.1 }\n    - { kind: pgd, eps: 0.1, loss: "exit:nope" }' });
    const a = analyzeText(t);
    const codes = a.diagnostics.map((d) => d.code).sort();
    assert.deepStrictEqual(codes, ['checks/needs-exits', 'checks/needs-gates', 'checks/target-class', 'ref/unknown-exit']);
    const ok = model({ extra: 'exits:\n  - { name: e1, after: p1 }\nchecks:\n  attacks:\n    - { kind: pgd, eps: 0.1, loss: "exit:e1" }' });
    assertClean(analyzeText(ok));
  });

  it('apgd and ensemble: keys other kinds ignore, ignored keys, and DLR refused below 3 (4 targeted) classes', () => {
    const t = model({
      extra:
        'checks:\n  attacks:\n    - { kind: pgd, eps: 0.1, criterion: dlr, targets: 2, preset: quick }\n    - { kind: apgd, eps: 0.1, step: 0.01, criterion: dlr, targets: 3 }\n    - { kind: ensemble, eps: 0.1, loss: final, preset: quick }',
    });
    const found = analyzeText(t).diagnostics.map((d) => `${d.code} ${spanText(t, d)}`).sort();
    assert.deepStrictEqual(found, ['checks/ignored 0.01', 'checks/ignored dlr', 'checks/ignored final', 'checks/ignored quick', 'checks/ignored 2'].sort());
    const threeClasses = (attack: string): string[] =>
      analyzeText(model({ head: '  - { name: out, type: dense, units: 3 }', extra: `checks:\n  attacks:\n    - ${attack}` }).replace('classes: 10', 'classes: 3').replace('dynn: 1', 'dynn: 1\ndata: { source: csv, train: a.csv, test: b.csv }'))
        .diagnostics.filter((d) => d.code.startsWith('checks/'))
        .map((d) => `${d.code}: ${d.message}`);
    assert.deepStrictEqual(threeClasses('{ kind: apgd, eps: 0.1, criterion: dlr }'), []);
    const targeted = threeClasses('{ kind: apgd, eps: 0.1, criterion: dlr, targets: 2 }');
    assert.equal(targeted.length, 1);
    assert.match(targeted[0] ?? '', /^checks\/dlr-classes: the DLR loss needs at least 4 classes when targeted .* this model has 3: use criterion: ce/);
    assert.match(threeClasses('{ kind: ensemble, eps: 0.1 }')[0] ?? '', /APGD-T members .* skipped/);
    assert.match(threeClasses('{ kind: apgd, eps: 0.1, targets: 3 }')[0] ?? '', /only 2 other classes/);
  });

  it('attack ids are unique', () => {
    only(model({ extra: 'checks:\n  attacks:\n    - { id: a, kind: fgsm, eps: 0.1 }\n    - { id: a, kind: fgsm, eps: 0.2 }' }), 'names/duplicate');
  });

  it('a semantic error keeps the spec (for hovers) but no cost when shapes fail', () => {
    const a = analyzeText(model({ head: '  - { name: out, type: dense, units: 9 }' }));
    assert.ok(a.spec);
    assert.ok(a.cost, 'shapes still infer');
    const b = analyzeText(model({ layers: '  - { name: c1, type: conv2d, filters: 4, kernel: 3 }' }));
    assert.ok(b.spec);
    assert.strictEqual(b.cost, undefined);
  });
});
