// The typed ModelSpec: defaults from the schema, computed defaults, and a path on every node.
import * as assert from 'assert';
import { analyzeText, DEFAULT_POLICY_THRESHOLD } from '../../../src/modelfile';
import type { Layer, PoolLayer } from '../../../src/modelfile/types';
import { assertClean, model, spanText } from './helpers';

describe('modelfile build and defaults', () => {
  const text = model({
    layers: [
      '  - { type: conv2d, filters: 4, kernel: 3 }',
      '  - { type: maxPool, size: 2 }',
      '  - name: res',
      '    type: residual',
      '    layers:',
      '      - { type: conv2d, filters: 4, kernel: 3 }',
      '  - { type: flatten }',
    ].join('\n'),
    extra: 'exits:\n  - { after: maxPool1 }\ngates:\n  - { block: res }',
  });
  const a = analyzeText(text, { fileName: 'dir/my-net.dynn.yaml' });

  it('analyses cleanly', () => assertClean(a));
  const spec = a.spec!;

  it('fills schema defaults for layers', () => {
    const conv = spec.backbone[0] as Extract<Layer, { type: 'conv2d' }>;
    assert.deepStrictEqual(
      { stride: conv.stride, padding: conv.padding, activation: conv.activation, useBias: conv.useBias },
      { stride: 1, padding: 'same', activation: 'linear', useBias: true },
    );
    const pool = spec.backbone[1] as PoolLayer;
    assert.strictEqual(pool.stride, 2, 'pool stride defaults to its size');
    assert.strictEqual(pool.padding, 'valid');
    const res = spec.backbone[2] as Extract<Layer, { type: 'residual' }>;
    assert.strictEqual(res.projection, false);
    assert.strictEqual(res.activation, 'relu');
  });

  it('names layers <type><index>, nested ones under their block', () => {
    assert.deepStrictEqual(spec.backbone.map((l) => l.name), ['conv2d0', 'maxPool1', 'res', 'flatten3', 'out']);
    const res = spec.backbone[2] as Extract<Layer, { type: 'residual' }>;
    assert.strictEqual(res.layers[0]?.name, 'res_conv2d0');
  });

  it('fills top-level defaults', () => {
    assert.strictEqual(spec.name, 'my-net');
    assert.deepStrictEqual(spec.input.range, [0, 1]);
    assert.deepStrictEqual({ ...spec.policy, path: undefined }, { kind: 'maxProb', threshold: DEFAULT_POLICY_THRESHOLD.maxProb, patience: 2, path: undefined });
    assert.deepStrictEqual(spec.data, { source: 'mnist', trainFraction: 0.8, path: ['data'] });
    assert.deepStrictEqual(spec.train, { epochs: 3, batchSize: 64, optimizer: 'adam', learningRate: 0.001, mode: 'joint', seed: 1, path: ['train'] });
    assert.deepStrictEqual(spec.checks, { samples: 500, seed: 0, attacks: [], path: ['checks'] });
  });

  it('default SDN exit head pools a large map, default gate head is globalPool + dense 1', () => {
    const exit = spec.exits[0]!;
    assert.strictEqual(exit.name, 'exit0');
    assert.deepStrictEqual(exit.head.map((l) => l.type), ['mixedPool', 'flatten', 'dense']);
    assert.strictEqual((exit.head[2] as Extract<Layer, { type: 'dense' }>).units, 10);
    const gate = spec.gates[0]!;
    assert.strictEqual(gate.name, 'gate0');
    assert.strictEqual(gate.threshold, 0.5);
    assert.deepStrictEqual(gate.head.map((l) => [l.type, (l as { units?: number }).units]), [['globalPool', undefined], ['dense', 1]]);
  });

  it('an exit on a small map skips the pooling; on a vector it is just dense', () => {
    const t = model({ extra: 'exits:\n  - { after: p1 }\n  - { after: f }' }).replace('size: 2', 'size: 7');
    const s = analyzeText(t).spec!;
    assert.deepStrictEqual(s.exits[0]!.head.map((l) => l.type), ['flatten', 'dense']);
    assert.deepStrictEqual(s.exits[1]!.head.map((l) => l.type), ['dense']);
  });

  it('policy threshold defaults depend on the kind', () => {
    const s = analyzeText(model({ extra: 'policy: { kind: entropy }' })).spec!;
    assert.strictEqual(s.policy.threshold, DEFAULT_POLICY_THRESHOLD.entropy);
  });

  it('attacks: eps becomes a list, ids default to <kind><index>', () => {
    const s = analyzeText(model({ extra: 'checks:\n  attacks:\n    - { kind: fgsm, eps: 0.1 }\n    - { kind: pgd, eps: [0.1, 0.2], steps: 10, loss: "exit:final" }' })).spec!;
    assert.deepStrictEqual(s.checks.attacks.map((x) => [x.id, x.norm, x.eps]), [['fgsm0', 'linf', [0.1]], ['pgd1', 'linf', [0.1, 0.2]]]);
    assert.strictEqual(s.checks.attacks[1]!.loss, 'exit:final');
    assert.strictEqual(s.checks.attacks[0]!.steps, undefined);
  });

  it('every node has a path that locate() resolves to its text', () => {
    const conv = spec.backbone[0]!;
    assert.deepStrictEqual(conv.path, ['backbone', 0]);
    const loc = a.locate([...conv.path, 'filters'])!;
    assert.strictEqual(spanText(text, { span: loc.key! }), 'filters');
    assert.strictEqual(spanText(text, { span: loc.value }), '4');
    const inner = (spec.backbone[2] as Extract<Layer, { type: 'residual' }>).layers[0]!;
    assert.deepStrictEqual(inner.path, ['backbone', 2, 'layers', 0]);
    assert.strictEqual(spanText(text, { span: a.locate(inner.path)!.value }), '{ type: conv2d, filters: 4, kernel: 3 }');
    assert.strictEqual(spanText(text, { span: a.locate(['exits', 0, 'after'])!.value }), 'maxPool1');
    assert.strictEqual(a.locate(['nope']), undefined);
    assert.strictEqual(a.locate(['exits', 0, 'head']), undefined, 'a default head has no text');
    const top = a.locate([])!;
    assert.strictEqual(top.key, undefined);
    assert.strictEqual(top.value.start, 0);
  });

  it('spans of block mappings end at their last character, not at the trailing newline', () => {
    const v = a.locate(['backbone', 2])!.value;
    assert.ok(text.slice(v.start, v.end).endsWith('kernel: 3 }'));
  });
});
