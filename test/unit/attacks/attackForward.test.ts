// The attacks' frozen forward (src/engine/attackForward.ts) against the engine's own forwardAll: same logits and
// gates, same input gradients, on a network that has every layer kind it folds or replaces (conv+BN+ReLU,
// depthwise+BN, a projected and a gated residual, mixed and average pooling heads, global mixed pooling).
// Both sides pool averages with avgPoolFast, whose gradient is the true one also where a 'same' window overhangs
// the map (the stock gradient divides by the whole window there; tested below).
import * as assert from 'assert';
import * as tf from '@tensorflow/tfjs';
import { attack } from '../../../src/attacks/attack';
import { averageObjective, gateObjective, hijackObjective, type Objective, objectiveNeeds, singleExitObjective, slowdownObjective } from '../../../src/attacks/losses';
import { buildFrozenForward, frozenForwardFor } from '../../../src/engine/attackForward';
import { avgPoolFast, convInputGrad, flipConvFilter, maxPoolFast } from '../../../src/engine/fastgrad';
import { buildModel, buildStaticTwin, type Network } from '../../../src/engine/network';
import { analyzeText } from '../../../src/modelfile';
import type { ModelSpec } from '../../../src/modelfile/types';
import { twoExitModel, useCpu } from './models';

const SPEC = `
dynn: 1
name: frozen-forward
input: { shape: [14, 14, 1], range: [0, 1] }
classes: 4
backbone:
  - { name: conv1, type: conv2d, filters: 6, kernel: 3 }
  - { name: bn1, type: batchNorm }
  - { name: relu1, type: activation, activation: relu }
  - { name: dw, type: depthwiseConv2d, kernel: 3, depthMultiplier: 2, stride: 2 }
  - { name: bn2, type: batchNorm }
  - { name: relu2, type: activation, activation: relu }
  - name: block
    type: residual
    layers:
      - { type: conv2d, filters: 12, kernel: 3, activation: relu }
      - { type: conv2d, filters: 12, kernel: 3 }
      - { type: batchNorm }
  - name: wide
    type: residual
    projection: true
    layers:
      - { type: conv2d, filters: 8, kernel: 3, stride: 2 }
      - { type: batchNorm }
  - { name: pool, type: maxPool, size: 2 }
  - { name: gp, type: globalPool, mode: mixed }
  - { name: classifier, type: dense, units: 4 }
exits:
  - { name: early, after: relu1, head: [{ type: mixedPool, size: 4 }, { type: flatten }, { type: dense, units: 4 }] }   # 4x4 windows on 14x14: they overhang
  - { name: mid, after: block, head: [{ type: avgPool, size: 7 }, { type: flatten }, { type: dense, units: 4 }] }
gates:
  - { name: g, block: block }
policy: { kind: maxProb, threshold: 0.5 }
train: { epochs: 1, batchSize: 8, optimizer: adam, learningRate: 0.001, seed: 3 }
`;

function parse(): ModelSpec {
  const analysis = analyzeText(SPEC, { fileName: 'frozen.dynn.yaml' });
  assert.ok(analysis.spec, JSON.stringify(analysis.diagnostics.filter((d) => d.severity === 'error').map((d) => d.message)));
  return analysis.spec;
}

/** Gives every batch norm non-trivial statistics (fresh ones fold to the identity) and the mixes a non-zero alpha. */
function perturb(model: Network, seed: number): void {
  model.weights.forEach((w, i) => {
    const shape = w.variable.shape;
    if (w.name.endsWith('/moving_variance')) w.variable.assign(tf.randomUniform(shape, 0.3, 2, 'float32', seed + i));
    else if (w.name.endsWith('/moving_mean') || w.name.endsWith('/beta')) w.variable.assign(tf.randomNormal(shape, 0, 0.3, 'float32', seed + i));
    else if (w.name.endsWith('/gamma')) w.variable.assign(tf.randomUniform(shape, 0.5, 1.5, 'float32', seed + i));
    else if (w.name.endsWith('/alpha')) w.variable.assign(tf.scalar(0.7));
    else if (w.name.endsWith('/bias') && !w.name.startsWith('g')) w.variable.assign(tf.randomNormal(shape, 0, 0.1, 'float32', seed + i));
  });
}

function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0] ?? Infinity);
}

function scaleOf(t: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(t)).dataSync()[0] ?? 0);
}

describe('attacks: frozen forward (folded batch norm, input-only gradients)', () => {
  let model: Network;
  let x: tf.Tensor;
  const y = (): tf.Tensor1D => tf.tensor1d([0, 1, 2, 3, 0, 1], 'int32');

  before(async () => {
    await useCpu();
    model = buildModel(parse(), { seed: 5 });
    perturb(model, 11);
    x = tf.randomUniform([6, 14, 14, 1], 0, 1, 'float32', 9);
  });
  after(() => {
    x.dispose();
    model.dispose();
  });

  it('gives every exit and gate of forwardAll within 1e-4', () => {
    const frozen = buildFrozenForward(model, { exits: [true, true, true], gates: true });
    tf.tidy(() => {
      const want = model.forwardAll(x);
      const got = frozen.forward(x);
      assert.strictEqual(got.exits.length, 3);
      want.exits.forEach((z, k) => {
        assert.ok(scaleOf(z) > 0.1, `exit ${k} is not trivially zero`);
        const diff = maxAbsDiff(z, got.exits[k] as tf.Tensor);
        assert.ok(diff < 1e-4, `exit ${k}: logits differ by ${diff}`);
      });
      assert.strictEqual(got.gates.length, 1);
      assert.strictEqual(maxAbsDiff(want.gates[0] as tf.Tensor, got.gates[0] as tf.Tensor), 0);
    });
    frozen.dispose();
  });

  it('gives the same input gradient as forwardAll for every kind of objective, and its objective value', () => {
    const labels = y();
    const objectives: [string, Objective][] = [
      ['final', singleExitObjective(2)],
      ['early', singleExitObjective(0)],
      ['average', averageObjective],
      ['hijack', hijackObjective(undefined)],
      ['slowdown', slowdownObjective],
      ['gate', gateObjective],
    ];
    for (const [name, objective] of objectives) {
      const frozen = buildFrozenForward(model, objectiveNeeds(objective, 3));
      tf.tidy(() => {
        const valueDiff = maxAbsDiff(objective(model.forwardAll(x), labels), objective(frozen.forward(x), labels));
        assert.ok(valueDiff < 1e-4, `${name}: objective differs by ${valueDiff}`);
        const want = tf.grad((xv: tf.Tensor) => tf.sum(objective(model.forwardAll(xv), labels)))(x);
        const got = tf.grad((xv: tf.Tensor) => tf.sum(objective(frozen.forward(xv), labels)))(x);
        const diff = maxAbsDiff(want, got);
        assert.ok(diff <= 1e-4 * Math.max(1, scaleOf(want)), `${name}: gradients differ by ${diff} (scale ${scaleOf(want)})`);
        if (name !== 'gate') assert.ok(scaleOf(want) > 0, `${name}: the gradient is not trivially zero`);
      });
      frozen.dispose();
    }
    labels.dispose();
  });

  it('computes only the exits an objective reads: the others are zeros with no path to the input', () => {
    const needs = objectiveNeeds(singleExitObjective(0), 3);
    assert.deepStrictEqual(needs, { exits: [true, false, false], gates: false });
    assert.deepStrictEqual(objectiveNeeds(hijackObjective(1), 3).exits, [true, true, false]);
    assert.deepStrictEqual(objectiveNeeds((out) => out.exits[0] as unknown as tf.Tensor1D, 3), { exits: [true, true, true], gates: true });
    const frozen = buildFrozenForward(model, needs);
    tf.tidy(() => {
      const out = frozen.forward(x);
      assert.strictEqual(scaleOf(out.exits[1] as tf.Tensor), 0);
      assert.strictEqual(scaleOf(out.exits[2] as tf.Tensor), 0);
      assert.deepStrictEqual(out.exits[2]?.shape, [6, 4]);
    });
    frozen.dispose();
  });

  it('frees everything it made, keeps the model usable, and rejects needs of the wrong length', () => {
    const before = tf.memory().numTensors;
    const frozen = buildFrozenForward(model, { exits: [true, true, true], gates: true });
    assert.ok(tf.memory().numTensors > before);
    frozen.dispose();
    assert.strictEqual(tf.memory().numTensors, before);
    assert.throws(() => buildFrozenForward(model, { exits: [true], gates: false }), /needs name 1 exits; model 'frozen-forward' has 3/);
    assert.strictEqual(tf.memory().numTensors, before);
  });

  it('handles the static twin (one exit, the gated block always on) and leaves other models to forwardAll', () => {
    const twin = buildStaticTwin(parse(), { seed: 5 });
    perturb(twin, 12);
    const frozen = frozenForwardFor(twin, { exits: [true], gates: false });
    assert.ok(frozen !== undefined);
    tf.tidy(() => {
      const diff = maxAbsDiff(twin.forwardAll(x).exits[0] as tf.Tensor, frozen.forward(x).exits[0] as tf.Tensor);
      assert.ok(diff < 1e-4, `twin logits differ by ${diff}`);
    });
    frozen.dispose();
    twin.dispose();
    const plain = twoExitModel();
    assert.strictEqual(frozenForwardFor(plain, { exits: [true, true], gates: false }), undefined);
    plain.dispose();
  });

  it('attack() on the network gives the same adversarial inputs as on a wrapper that only has forwardAll', async () => {
    const labels = y();
    const wrapper = {
      name: model.name,
      exitNames: model.exitNames,
      gateNames: model.gateNames,
      inputShape: model.inputShape,
      inputRange: model.inputRange,
      classes: model.classes,
      forwardAll: (xv: tf.Tensor) => model.forwardAll(xv),
    };
    for (const config of [
      { kind: 'pgd', norm: 'linf', eps: 0.1, steps: 3, loss: 'final' },
      { kind: 'hijack', norm: 'l2', eps: 0.5, steps: 3 },
    ] as const) {
      const fast = await attack(model, x, labels, config, { seed: 4 });
      const slow = await attack(wrapper, x, labels, config, { seed: 4 });
      // Sign steps can flip where a gradient entry is ~0; nearly every coordinate must agree.
      const agree = tf.tidy(() => tf.mean(tf.cast(tf.lessEqual(tf.abs(tf.sub(fast.xAdv, slow.xAdv)), 1e-4), 'float32')).dataSync()[0] ?? 0);
      assert.ok(agree > 0.99, `${config.kind}: only ${agree} of the coordinates agree`);
      tf.dispose([fast.xAdv, slow.xAdv]);
    }
    labels.dispose();
  });
});

describe('engine/fastgrad: the pieces the frozen forward adds', () => {
  before(useCpu);

  it('avgPoolFast equals the stock op, and its gradient is the true one, also for partial same-padded windows', () => {
    // The stock gradient divides by the full window even where a 'same' window holds fewer real inputs, so the
    // reference is built from full windows only: sum over the zero-padded window / number of real inputs.
    const reference = (a: tf.Tensor4D, size: number, padding: 'same' | 'valid'): tf.Tensor => {
      const ones = tf.onesLike(a);
      const pad = (t: tf.Tensor4D): tf.Tensor4D => {
        if (padding === 'valid') return t;
        const total = Math.ceil(t.shape[1] / size) * size - t.shape[1];
        return tf.pad(t, [[0, 0], [Math.floor(total / 2), total - Math.floor(total / 2)], [Math.floor(total / 2), total - Math.floor(total / 2)], [0, 0]]);
      };
      return tf.div(tf.avgPool(pad(a), size, size, 'valid'), tf.avgPool(pad(ones), size, size, 'valid'));
    };
    for (const [h, size, padding] of [[14, 4, 'same'], [7, 2, 'same'], [8, 2, 'valid'], [7, 3, 'valid']] as const) {
      tf.tidy(() => {
        const x = tf.randomNormal([2, h, h, 3], 0, 1, 'float32', h + size);
        const up = tf.randomNormal(tf.avgPool(x as tf.Tensor4D, size, size, padding).shape, 0, 1, 'float32', 7);
        assert.ok(maxAbsDiff(avgPoolFast(x as tf.Tensor4D, size, padding), tf.avgPool(x as tf.Tensor4D, size, size, padding)) < 1e-6);
        assert.ok(maxAbsDiff(reference(x as tf.Tensor4D, size, padding), tf.avgPool(x as tf.Tensor4D, size, size, padding)) < 1e-6);
        const want = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(reference(a as tf.Tensor4D, size, padding), up)))(x);
        const got = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(avgPoolFast(a as tf.Tensor4D, size, padding), up)))(x);
        assert.ok(maxAbsDiff(want, got) < 1e-6, `${h} ${size} ${padding}`);
      });
    }
  });

  it('maxPoolFast on same-padded windows that overhang the map equals the stock op and gradient', () => {
    for (const [h, size] of [[14, 4], [7, 2], [5, 3]] as const) {
      tf.tidy(() => {
        const x = tf.randomNormal([2, h, h, 3], 0, 1, 'float32', h);
        const up = tf.randomNormal(tf.maxPool(x as tf.Tensor4D, size, size, 'same').shape, 0, 1, 'float32', 3);
        assert.strictEqual(maxAbsDiff(maxPoolFast(x as tf.Tensor4D, size, size, 'same'), tf.maxPool(x as tf.Tensor4D, size, size, 'same')), 0);
        const want = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(tf.maxPool(a as tf.Tensor4D, size, size, 'same'), up)))(x);
        const got = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(maxPoolFast(a as tf.Tensor4D, size, size, 'same'), up)))(x);
        assert.ok(maxAbsDiff(want, got) < 1e-6, `${h} ${size}`);
      });
    }
  });

  it('convInputGrad equals the stock conv input gradient, one input channel or several, any stride and padding', () => {
    for (const [cin, stride, padding] of [[1, 1, 'same'], [1, 2, 'valid'], [3, 1, 'same'], [3, 2, 'same'], [2, 1, 'valid']] as const) {
      tf.tidy(() => {
        const x = tf.randomNormal<tf.Rank.R4>([2, 9, 9, cin], 0, 1, 'float32', cin + stride);
        const w = tf.randomNormal<tf.Rank.R4>([3, 3, cin, 4], 0, 1, 'float32', 5);
        const dy = tf.randomNormal<tf.Rank.R4>(tf.conv2d(x, w, stride, padding).shape, 0, 1, 'float32', 6);
        const want = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(a as tf.Tensor4D, w, stride, padding), dy)))(x);
        const got = convInputGrad(dy, flipConvFilter(w), 9, 9, stride, padding);
        assert.ok(maxAbsDiff(want, got) < 1e-4, `cin ${cin} stride ${stride} ${padding}`);
      });
    }
  });
});
