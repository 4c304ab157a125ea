import * as assert from 'assert';
import * as tf from '@tensorflow/tfjs';
import { attack, AttackInputError } from '../../../src/attacks/attack';
import { randomNoise, randomNoiseBaseline, robustAboveCleanFlag, weakerThanNoiseFlag } from '../../../src/attacks/sanity';
import { argmaxModel, cyclingLabels, linearModel, nanModel, randomBatch, twoExitModel, useCpu } from './models';

describe('attacks: sanity flags and input checks', () => {
  before(useCpu);

  it('flags a loss that does not depend on the input (logits through an argmax)', async () => {
    const m = argmaxModel();
    const x = randomBatch(10, 5, 31);
    const y = cyclingLabels(10, 3);
    const r = await attack(m, x, y, { kind: 'pgd', norm: 'linf', eps: 0.1, steps: 3 }, { seed: 1 });
    assert.deepStrictEqual(r.flags.map((f) => f.code), ['loss-independent-of-input']);
    assert.strictEqual(r.flags[0]!.severity, 'error');
    tf.dispose([x, y, r.xAdv]);
    m.dispose();
  });

  it('flags NaN gradients with the share of samples, and keeps the output valid', async () => {
    const m = nanModel();
    // First feature < 0.5 (NaN) for samples 0..3 of 8; the rest stay above 0.5 even after eps 0.05.
    const x = tf.tensor2d(Array.from({ length: 8 }, (_, i) => [i < 4 ? 0.2 : 0.8, 0.5, 0.5, 0.5]));
    const y = cyclingLabels(8, 3);
    const r = await attack(m, x, y, { kind: 'pgd', norm: 'linf', eps: 0.05, steps: 2 }, { seed: 1 });
    const nan = r.flags.find((f) => f.code === 'nan-gradient');
    assert.ok(nan !== undefined, JSON.stringify(r.flags));
    assert.match(nan.message, /50\.0 %/);
    assert.ok(Array.from(r.xAdv.dataSync()).every(Number.isFinite));
    tf.dispose([x, y, r.xAdv]);
    m.dispose();
  });

  it('flags samples whose gradient is exactly zero (a saturated softmax) as a share', async () => {
    // Huge weights saturate the softmax in float32 for the first samples only.
    const m = linearModel([[400, -400], [0, 0]], [-200, 200]);
    const x = tf.tensor2d([[0.9, 0.5], [0.8, 0.5], [0.5, 0.1], [0.5, 0.9]]);
    const y = tf.tensor1d([0, 0, 0, 1], 'int32');
    const r = await attack(m, x, y, { kind: 'pgd', norm: 'linf', eps: 0.001, steps: 2 }, { seed: 1 });
    const zero = r.flags.find((f) => f.code === 'zero-gradient');
    assert.ok(zero !== undefined, JSON.stringify(r.flags));
    assert.match(zero.message, /50\.0 %/);
    tf.dispose([x, y, r.xAdv]);
    m.dispose();
  });

  it('a healthy attack on a healthy model raises no flag', async () => {
    const m = twoExitModel();
    const x = randomBatch(8, 8, 32);
    const y = cyclingLabels(8, 4);
    const r = await attack(m, x, y, { kind: 'pgd', norm: 'l2', eps: 0.5, steps: 3, loss: 'maxAverage' }, { seed: 1 });
    assert.deepStrictEqual(r.flags, []);
    tf.dispose([x, y, r.xAdv]);
    m.dispose();
  });

  it('random-noise baseline: noise of exactly the attack\'s norm, and the comparison flags', async () => {
    const m = twoExitModel();
    const x = randomBatch(32, 8, 33, 0.3, 0.7);
    const y = tf.tidy(() => tf.cast(tf.argMax(m.forwardAll(x).exits[1]!, 1), 'int32') as tf.Tensor1D);
    tf.tidy(() => {
      const noisy = randomNoise(m, x, 0.1, 'linf', 5);
      assert.ok(Array.from(tf.abs(tf.sub(noisy, x)).dataSync()).every((v) => Math.abs(v - 0.1) < 1e-6));
    });
    const base = await randomNoiseBaseline(m, x, y, 0.1, 'linf', 5);
    assert.strictEqual(base.accuracyPerExit.length, 2);
    assert.ok(base.finalAccuracy > 0.5 && base.finalAccuracy <= 1, `noise accuracy ${base.finalAccuracy}`);
    assert.ok(Number.isFinite(base.meanFinalLoss));
    const r = await attack(m, x, y, { kind: 'pgd', norm: 'linf', eps: 0.1, steps: 10 }, { seed: 5 });
    const robust = tf.tidy(() => tf.mean(tf.cast(tf.equal(tf.argMax(m.forwardAll(r.xAdv).exits[1]!, 1), y), 'float32')).dataSync()[0]!);
    assert.strictEqual(weakerThanNoiseFlag(robust, base.finalAccuracy, 'pgd'), undefined);
    assert.strictEqual(weakerThanNoiseFlag(0.9, 0.5, 'pgd')?.code, 'weaker-than-noise');
    assert.strictEqual(robustAboveCleanFlag(0.4, 0.9, 'pgd'), undefined);
    assert.strictEqual(robustAboveCleanFlag(0.95, 0.9, 'pgd')?.code, 'robust-above-clean');
    assert.throws(() => robustAboveCleanFlag(1.5, 0.9, 'pgd'), /between 0 and 1/);
    tf.dispose([x, y, r.xAdv]);
    m.dispose();
  });

  it('rejects bad configs and inputs with a message that names the problem', async () => {
    const m = twoExitModel();
    const single = linearModel([[1, 0], [0, 1]], [0, 0]);
    const x = randomBatch(4, 8, 34);
    const y = cyclingLabels(4, 4);
    const cases: [Promise<unknown>, RegExp][] = [
      [attack(m, x, y, { kind: 'pgd', norm: 'linf', eps: -1 }, { seed: 1 }), /eps -1/],
      [attack(m, x, y, { kind: 'pgd', norm: 'linf', eps: 0.1, steps: 2.5 }, { seed: 1 }), /steps 2\.5/],
      [attack(m, x, y, { kind: 'pgd', norm: 'linf', eps: 0.1, loss: 'exit:nope' }, { seed: 1 }), /exit:nope.*'exit0', 'final'/],
      [attack(m, x, y, { kind: 'pgd', norm: 'linf', eps: 0.1, loss: 'taken' }, { seed: 1 }), /needs the exit policy/],
      [attack(m, x, y, { kind: 'gate', norm: 'linf', eps: 0.1 }, { seed: 1 }), /needs gates/],
      [attack(m, x, y, { kind: 'hijack', norm: 'linf', eps: 0.1, targetClass: 7 }, { seed: 1 }), /targetClass 7/],
      [attack(single, tf.zeros([2, 2]), tf.tensor1d([0, 1], 'int32'), { kind: 'slowdown', norm: 'linf', eps: 0.1 }, { seed: 1 }), /has none/],
      [attack(m, tf.zeros([4, 7]), y, { kind: 'pgd', norm: 'linf', eps: 0.1 }, { seed: 1 }), /shape \[4, 7\].*\[batch, 8\]/],
      [attack(m, tf.fill([4, 8], 255), y, { kind: 'pgd', norm: 'linf', eps: 0.1 }, { seed: 1 }), /input range \[0, 1\]/],
      [attack(m, x, tf.tensor1d([0, 1, 2, 9], 'int32'), { kind: 'pgd', norm: 'linf', eps: 0.1 }, { seed: 1 }), /labels span 0\.\.9/],
      [attack(m, x, tf.tensor1d([0, 1], 'int32'), { kind: 'pgd', norm: 'linf', eps: 0.1 }, { seed: 1 }), /y has shape \[2\]/],
      [attack(m, x, y, { kind: 'slowdown', norm: 'linf', eps: 0.1, loss: 'average' }, { seed: 1 }), /applies to fgsm and pgd/],
    ];
    for (const [promise, pattern] of cases) {
      await assert.rejects(promise, (e: Error) => e instanceof AttackInputError && pattern.test(e.message));
    }
    tf.dispose([x, y]);
    m.dispose();
    single.dispose();
  });
});
