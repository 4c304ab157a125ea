import * as assert from 'assert';
import * as tf from '@tensorflow/tfjs';
import { attack } from '../../../src/attacks/attack';
import { crossEntropy } from '../../../src/attacks/losses';
import { accuracy, cyclingLabels, linearModel, randomBatch, trainedBlobModel, twoExitModel, useCpu } from './models';

const TOL = 1e-6;

function maxAbs(t: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(t)).dataSync()[0] ?? NaN);
}

describe('attacks: FGSM and PGD', () => {
  before(useCpu);

  it('FGSM on a linear softmax model equals the closed form clip(x + eps * sign(sum_c (p_c - 1[c=y]) w_c))', async () => {
    const w = [[1, -2, 0.5], [-0.3, 0.7, 2], [0.2, 0.1, -1], [1.5, -1, 0.25]];
    const b = [0.1, -0.2, 0.05];
    const m = linearModel(w, b);
    const x = randomBatch(6, 4, 1, 0.05, 0.95);
    const y = cyclingLabels(6, 3);
    const eps = 0.1;
    const res = await attack(m, x, y, { kind: 'fgsm', norm: 'linf', eps }, { seed: 1 });
    const xs = x.arraySync();
    const probs = tf.tidy(() => tf.softmax(m.forwardAll(x).exits[0]!).arraySync());
    const ys = y.arraySync();
    const adv = res.xAdv.arraySync() as number[][];
    for (let i = 0; i < 6; i++) {
      for (let j = 0; j < 4; j++) {
        let g = 0;
        for (let c = 0; c < 3; c++) g += (probs[i]![c]! - (ys[i] === c ? 1 : 0)) * w[j]![c]!;
        const expected = Math.min(1, Math.max(0, xs[i]![j]! + eps * Math.sign(g)));
        assert.ok(Math.abs(adv[i]![j]! - expected) <= TOL, `sample ${i} feature ${j}: ${adv[i]![j]} vs ${expected}`);
      }
    }
    // Two classes: the gradient's sign is sign(w_other - w_y), independent of the probabilities.
    const m2 = linearModel([[1, -1], [-2, 0.5], [0.3, 0.9]], [0, 0]);
    const x2 = tf.tensor2d([[0.5, 0.5, 0.5], [0.2, 0.6, 0.4]]);
    const y2 = tf.tensor1d([0, 1], 'int32');
    const r2 = await attack(m2, x2, y2, { kind: 'fgsm', norm: 'linf', eps: 0.05 }, { seed: 0 });
    const exp2 = [[0.5 - 0.05, 0.5 + 0.05, 0.5 + 0.05], [0.2 + 0.05, 0.6 - 0.05, 0.4 - 0.05]];
    (r2.xAdv.arraySync() as number[][]).forEach((row, i) => row.forEach((v, j) => assert.ok(Math.abs(v - exp2[i]![j]!) <= TOL)));
    assert.strictEqual(res.gradEvals, 6);
    tf.dispose([x, y, res.xAdv, x2, y2, r2.xAdv]);
    m.dispose();
    m2.dispose();
  });

  it('L2 FGSM on a two-class linear model moves eps along (w_other - w_y) / ||w_other - w_y||', async () => {
    const w = [[1, -1], [-2, 0.5], [0.3, 0.9]];
    const m = linearModel(w, [0, 0]);
    const x = tf.tensor2d([[0.5, 0.5, 0.5], [0.4, 0.6, 0.5]]);
    const y = tf.tensor1d([0, 1], 'int32');
    const eps = 0.2;
    const r = await attack(m, x, y, { kind: 'fgsm', norm: 'l2', eps }, { seed: 0 });
    const diff = w.map((row) => row[1]! - row[0]!);
    const len = Math.hypot(...diff);
    const adv = r.xAdv.arraySync() as number[][];
    const xs = x.arraySync();
    [1, -1].forEach((sign, i) => diff.forEach((d, j) => {
      const expected = xs[i]![j]! + (sign * eps * d) / len;
      assert.ok(Math.abs(adv[i]![j]! - expected) <= TOL, `sample ${i} feature ${j}: ${adv[i]![j]} vs ${expected}`);
    }));
    tf.dispose([x, y, r.xAdv]);
    m.dispose();
  });

  it('eps 0 changes nothing (FGSM, PGD linf and l2, hijack, slowdown)', async () => {
    const m = twoExitModel();
    const x = randomBatch(8, 8, 2);
    const y = cyclingLabels(8, 4);
    for (const config of [
      { kind: 'fgsm', norm: 'linf', eps: 0 },
      { kind: 'pgd', norm: 'linf', eps: 0, steps: 5 },
      { kind: 'pgd', norm: 'l2', eps: 0, steps: 5, loss: 'average' },
      { kind: 'hijack', norm: 'linf', eps: 0, steps: 3 },
      { kind: 'slowdown', norm: 'l2', eps: 0, steps: 3, universal: true },
    ] as const) {
      const r = await attack(m, x, y, config, { seed: 3 });
      assert.strictEqual(maxAbs(tf.sub(r.xAdv, x)), 0, `${config.kind} ${config.norm}`);
      tf.dispose([r.xAdv, r.universalDelta].filter((t) => t !== undefined));
    }
    tf.dispose([x, y]);
    m.dispose();
  });

  for (const norm of ['linf', 'l2'] as const) {
    it(`PGD ${norm}: every output lies in the eps ball and the input range, to 1e-6`, async () => {
      const m = twoExitModel();
      const x = randomBatch(16, 8, 4);
      const y = cyclingLabels(16, 4);
      const eps = norm === 'linf' ? 0.2 : 0.8;
      const r = await attack(m, x, y, { kind: 'pgd', norm, eps, steps: 10, step: eps / 2, restarts: 2 }, { seed: 5 });
      const delta = tf.sub(r.xAdv, x);
      const sizes = norm === 'linf'
        ? Array.from(tf.max(tf.abs(delta), 1).dataSync())
        : Array.from(tf.sqrt(tf.sum(tf.square(delta), 1)).dataSync());
      for (const s of sizes) assert.ok(s <= eps + TOL, `perturbation ${s} > ${eps}`);
      // A large step must actually reach the boundary for some samples (the constraint is active, not vacuous).
      assert.ok(Math.max(...sizes) > eps * 0.99);
      assert.ok((tf.min(r.xAdv).dataSync()[0] ?? -1) >= 0 && (tf.max(r.xAdv).dataSync()[0] ?? 2) <= 1);
      assert.strictEqual(r.gradEvals, 16 * 10 * 2);
      tf.dispose([x, y, r.xAdv, delta]);
      m.dispose();
    });
  }

  it('robust accuracy of a trained model does not rise as eps grows (same seed), and falls well below clean', async () => {
    const trained = trainedBlobModel();
    const { model, x, y } = trained;
    const clean = tf.tidy(() => accuracy(model.forwardAll(x).exits[0]!, y));
    assert.ok(clean > 0.9, `hand-trained model too weak: clean accuracy ${clean}`);
    const accs: number[] = [];
    for (const eps of [0, 0.05, 0.1, 0.15, 0.2, 0.3]) {
      const r = await attack(model, x, y, { kind: 'pgd', norm: 'linf', eps, steps: 20, step: eps / 8 }, { seed: 1 });
      accs.push(tf.tidy(() => accuracy(model.forwardAll(r.xAdv).exits[0]!, y)));
      r.xAdv.dispose();
    }
    assert.strictEqual(accs[0], clean);
    for (let i = 1; i < accs.length; i++) assert.ok(accs[i]! <= accs[i - 1]!, `accuracy rose: ${accs.join(', ')}`);
    assert.ok(accs[accs.length - 1]! < 0.5 * clean, `attack too weak: ${accs.join(', ')}`);
    trained.dispose();
  });

  it('restarts never do worse than one start, per sample (the first restart is the single start)', async () => {
    const m = twoExitModel();
    const x = randomBatch(24, 8, 6);
    const y = cyclingLabels(24, 4);
    const config = { kind: 'pgd', norm: 'linf', eps: 0.1, steps: 4, loss: 'exit:exit0' } as const;
    const one = await attack(m, x, y, config, { seed: 9 });
    const many = await attack(m, x, y, { ...config, restarts: 4 }, { seed: 9 });
    const lossOne = tf.tidy(() => Array.from(crossEntropy(m.forwardAll(one.xAdv).exits[0]!, y).dataSync()));
    const lossMany = tf.tidy(() => Array.from(crossEntropy(m.forwardAll(many.xAdv).exits[0]!, y).dataSync()));
    lossOne.forEach((l, i) => assert.ok(lossMany[i]! >= l - 1e-6, `sample ${i}: ${lossMany[i]} < ${l}`));
    assert.ok(lossMany.some((l, i) => l > lossOne[i]! + 1e-6), 'restarts never helped any sample');
    assert.strictEqual(many.gradEvals, 4 * one.gradEvals);
    tf.dispose([x, y, one.xAdv, many.xAdv]);
    m.dispose();
  });

  it('seeded runs are repeatable; another seed gives another random start', async () => {
    const m = twoExitModel();
    const x = randomBatch(8, 8, 7);
    const y = cyclingLabels(8, 4);
    const config = { kind: 'pgd', norm: 'l2', eps: 0.5, steps: 3, restarts: 2 } as const;
    const a = await attack(m, x, y, config, { seed: 42 });
    const b = await attack(m, x, y, config, { seed: 42 });
    const c = await attack(m, x, y, config, { seed: 43 });
    assert.strictEqual(maxAbs(tf.sub(a.xAdv, b.xAdv)), 0);
    assert.ok(maxAbs(tf.sub(a.xAdv, c.xAdv)) > 1e-4);
    tf.dispose([x, y, a.xAdv, b.xAdv, c.xAdv]);
    m.dispose();
  });

  it('leaks no tensors, also when cancelled mid-way', async () => {
    const m = twoExitModel();
    const x = randomBatch(8, 8, 8);
    const y = cyclingLabels(8, 4);
    const before = tf.memory().numTensors;
    for (const loss of ['final', 'average', 'maxAverage'] as const) {
      const r = await attack(m, x, y, { kind: 'pgd', norm: 'l2', eps: 0.5, steps: 3, restarts: 2, loss }, { seed: 1 });
      r.xAdv.dispose();
    }
    const u = await attack(m, x, y, { kind: 'slowdown', norm: 'linf', eps: 0.1, steps: 3, restarts: 2, universal: true }, { seed: 1 });
    tf.dispose([u.xAdv, u.universalDelta!]);
    assert.strictEqual(tf.memory().numTensors, before);
    let steps = 0;
    const cancel = {
      get cancelled() { return steps >= 2; },
      throwIfCancelled() { if (steps >= 2) throw new Error('cancelled'); },
    };
    await assert.rejects(
      attack(m, x, y, { kind: 'pgd', norm: 'linf', eps: 0.1, steps: 10 }, { seed: 1, cancel, onProgress: () => { steps++; } }),
      /cancelled/,
    );
    assert.strictEqual(tf.memory().numTensors, before);
    tf.dispose([x, y]);
    m.dispose();
  });
});
