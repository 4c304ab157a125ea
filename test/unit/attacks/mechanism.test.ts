import * as assert from 'assert';
import * as tf from '@tensorflow/tfjs';
import { attack } from '../../../src/attacks/attack';
import { cyclingLabels, gatedModel, randomBatch, twoExitModel, useCpu } from './models';

/** Mean over samples of the max softmax probability at exit k. */
function meanMaxProb(logits: tf.Tensor2D): number {
  return tf.tidy(() => tf.mean(tf.max(tf.softmax(logits), 1)).dataSync()[0]!);
}

/** Mean over samples of the largest probability of a wrong class. */
function meanWrongProb(logits: tf.Tensor2D, y: tf.Tensor1D): number {
  return tf.tidy(() => {
    const p = tf.softmax(logits);
    const wrong = tf.mul(p, tf.sub(1, tf.oneHot(tf.cast(y, 'int32'), p.shape[1])));
    return tf.mean(tf.max(wrong, 1)).dataSync()[0]!;
  });
}

describe('attacks: on the dynamic mechanism (slowdown, hijack, gate)', () => {
  before(useCpu);

  it('slowdown lowers the internal exits\' max-prob (per sample and universal)', async () => {
    const m = twoExitModel();
    const x = randomBatch(32, 8, 21);
    const y = cyclingLabels(32, 4);
    const clean = meanMaxProb(m.forwardAll(x).exits[0]!);
    const per = await attack(m, x, y, { kind: 'slowdown', norm: 'linf', eps: 0.1, steps: 20 }, { seed: 1 });
    const uni = await attack(m, x, y, { kind: 'slowdown', norm: 'linf', eps: 0.1, steps: 20, universal: true }, { seed: 1 });
    const perAdv = meanMaxProb(m.forwardAll(per.xAdv).exits[0]!);
    const uniAdv = meanMaxProb(m.forwardAll(uni.xAdv).exits[0]!);
    assert.ok(perAdv < clean - 0.05, `per-sample slowdown: ${clean} -> ${perAdv}`);
    assert.ok(uniAdv < clean, `universal slowdown: ${clean} -> ${uniAdv}`);
    // One perturbation for everyone is weaker than one per sample.
    assert.ok(perAdv <= uniAdv + 1e-6);
    tf.dispose([x, y, per.xAdv, uni.xAdv, uni.universalDelta!]);
    m.dispose();
  });

  it('universal slowdown uses one perturbation for all samples', async () => {
    const m = twoExitModel();
    // Inputs well inside the range so clipping cannot make the applied perturbations differ.
    const x = randomBatch(12, 8, 22, 0.3, 0.7);
    const y = cyclingLabels(12, 4);
    const r = await attack(m, x, y, { kind: 'slowdown', norm: 'l2', eps: 0.25, steps: 8, universal: true, restarts: 2 }, { seed: 3 });
    assert.ok(r.universalDelta !== undefined);
    assert.deepStrictEqual(r.universalDelta.shape, [1, 8]);
    tf.tidy(() => {
      const applied = tf.sub(r.xAdv, x);
      const spread = tf.max(tf.abs(tf.sub(applied, tf.reshape(r.universalDelta!, [1, 8])))).dataSync()[0]!;
      assert.ok(spread < 1e-6, `per-sample perturbations differ by ${spread}`);
      const norm = tf.norm(r.universalDelta!).dataSync()[0]!;
      assert.ok(norm <= 0.25 + 1e-6 && norm > 0);
    });
    tf.dispose([x, y, r.xAdv, r.universalDelta]);
    m.dispose();
  });

  it('untargeted hijack raises the internal exit\'s wrong-class confidence', async () => {
    const m = twoExitModel();
    const x = randomBatch(32, 8, 23);
    const y = tf.tidy(() => tf.cast(tf.argMax(m.forwardAll(x).exits[0]!, 1), 'int32') as tf.Tensor1D);
    const clean = meanWrongProb(m.forwardAll(x).exits[0]!, y);
    const r = await attack(m, x, y, { kind: 'hijack', norm: 'linf', eps: 0.3, steps: 20, step: 0.03 }, { seed: 1 });
    const adv = meanWrongProb(m.forwardAll(r.xAdv).exits[0]!, y);
    assert.ok(adv > clean + 0.1, `wrong-class confidence ${clean} -> ${adv}`);
    // Most samples now answer wrongly at the internal exit.
    const wrongShare = tf.tidy(() => tf.mean(tf.cast(tf.notEqual(tf.argMax(m.forwardAll(r.xAdv).exits[0]!, 1), y), 'float32')).dataSync()[0]!);
    assert.ok(wrongShare > 0.8, `only ${wrongShare} hijacked`);
    tf.dispose([x, y, r.xAdv]);
    m.dispose();
  });

  it('targeted hijack raises the target class\'s probability at the internal exit', async () => {
    const m = twoExitModel();
    const x = randomBatch(16, 8, 24);
    const y = cyclingLabels(16, 4);
    const target = (t: tf.Tensor): number => tf.tidy(() => tf.mean(tf.slice(tf.softmax(m.forwardAll(t).exits[0]!), [0, 2], [-1, 1])).dataSync()[0]!);
    const r = await attack(m, x, y, { kind: 'hijack', norm: 'linf', eps: 0.15, steps: 20, targetClass: 2 }, { seed: 1 });
    assert.ok(target(r.xAdv) > target(x) + 0.1, `p(target) ${target(x)} -> ${target(r.xAdv)}`);
    tf.dispose([x, y, r.xAdv]);
    m.dispose();
  });

  it('the gate attack raises gate firing', async () => {
    const m = gatedModel();
    const x = randomBatch(64, 6, 25);
    const y = cyclingLabels(64, 3);
    const fired = (t: tf.Tensor): number => tf.tidy(() => tf.mean(m.forwardAll(t).gates[0]!).dataSync()[0]!);
    const clean = fired(x);
    assert.ok(clean < 0.5, `gate already fires for ${clean} of samples`);
    const r = await attack(m, x, y, { kind: 'gate', norm: 'linf', eps: 0.3, steps: 20 }, { seed: 1 });
    const adv = fired(r.xAdv);
    assert.ok(adv > clean + 0.2, `gate firing ${clean} -> ${adv}`);
    assert.deepStrictEqual(r.flags, []);
    tf.dispose([x, y, r.xAdv]);
    m.dispose();
  });
});
