import * as assert from 'assert';
import * as tf from '@tensorflow/tfjs';
import { attack } from '../../../src/attacks/attack';
import {
  averageExitLoss,
  exitCrossEntropies,
  hijackWeights,
  summedExitLoss,
  takenExitLoss,
  takenObjective,
} from '../../../src/attacks/losses';
import { hijackStats } from '../../../src/attacks/metrics';
import { exitDecider } from '../../../src/attacks/policy';
import type { ExitDecider } from '../../../src/attacks/types';
import { cyclingLabels, randomBatch, twoExitModel, useCpu } from './models';

/** -log softmax(z)[y] in plain JS. */
function ce(z: number[], y: number): number {
  const m = Math.max(...z);
  const lse = m + Math.log(z.reduce((s, v) => s + Math.exp(v - m), 0));
  return lse - z[y]!;
}

const LOGITS = [
  [[2, 0, -1], [0.5, 0.5, 0.5], [-3, 4, 1]],
  [[1, 1, 0], [0, 2, 0], [5, -5, 0]],
  [[0, 0, 3], [1, -1, 2], [0.1, 0.2, 0.3]],
];
const Y = [0, 1, 2];

describe('attacks: exit losses on hand-made logits', () => {
  before(useCpu);

  it('per-exit CE, average over exits, summed over exits and CE at the taken exit', () => {
    tf.tidy(() => {
      const exits = LOGITS.map((e) => tf.tensor2d(e));
      const y = tf.tensor1d(Y, 'int32');
      const ceT = exitCrossEntropies(exits, y);
      const expected = Y.map((yy, i) => LOGITS.map((exit) => ce(exit[i]!, yy)));
      const got = ceT.arraySync();
      expected.forEach((row, i) => row.forEach((v, k) => assert.ok(Math.abs(got[i]![k]! - v) < 1e-5)));
      const avg = averageExitLoss(ceT).arraySync();
      const sum = summedExitLoss(ceT).arraySync();
      expected.forEach((row, i) => {
        const s = row.reduce((a, b) => a + b, 0);
        assert.ok(Math.abs(avg[i]! - s / 3) < 1e-5);
        assert.ok(Math.abs(sum[i]! - s) < 1e-5);
      });
      const taken = takenExitLoss(ceT, Int32Array.from([2, 0, 1])).arraySync();
      assert.ok(Math.abs(taken[0]! - expected[0]![2]!) < 1e-5);
      assert.ok(Math.abs(taken[1]! - expected[1]![0]!) < 1e-5);
      assert.ok(Math.abs(taken[2]! - expected[2]![1]!) < 1e-5);
    });
  });

  it("'taken' asks the engine's exit policy on the current probabilities", () => {
    tf.tidy(() => {
      const exits = LOGITS.map((e) => tf.tensor2d(e));
      const y = tf.tensor1d(Y, 'int32');
      // maxProb 0.8 at both internal exits. Sample 0: exit0 max-prob 0.84 -> exit 0. Sample 1: exit0 0.33,
      // exit1 0.79 -> final. Sample 2: exit0 0.99 (class 1) -> exit 0.
      const decide = exitDecider({ kind: 'maxProb', thresholds: [0.8, 0.8], patience: 2 });
      const probs = exits.map((z) => tf.softmax(z));
      assert.deepStrictEqual(Array.from(decide(probs)), [0, 2, 0]);
      const value = takenObjective(decide)({ exits, gates: [] }, y).arraySync();
      assert.ok(Math.abs(value[0]! - ce(LOGITS[0]![0]!, 0)) < 1e-5);
      assert.ok(Math.abs(value[1]! - ce(LOGITS[2]![1]!, 1)) < 1e-5);
      assert.ok(Math.abs(value[2]! - ce(LOGITS[0]![2]!, 2)) < 1e-5);
      const bad: ExitDecider = () => Int32Array.from([0, 5, 0]);
      assert.throws(() => takenObjective(bad)({ exits, gates: [] }, y), /exit index 5/);
    });
  });

  it('hijack weights decrease with depth and sum to 1', () => {
    assert.deepStrictEqual(hijackWeights(1), [1]);
    const w = hijackWeights(4);
    assert.ok(Math.abs(w.reduce((a, b) => a + b, 0) - 1) < 1e-12);
    for (let k = 1; k < w.length; k++) assert.ok(w[k]! < w[k - 1]!);
  });

  it('max-average keeps, per sample, the single-exit candidate with the largest summed CE', async () => {
    const m = twoExitModel();
    const x = randomBatch(16, 8, 12);
    const y = cyclingLabels(16, 4);
    const base = { kind: 'pgd', norm: 'linf', eps: 0.15, steps: 5 } as const;
    const sums = (t: tf.Tensor): number[] => tf.tidy(() => Array.from(summedExitLoss(exitCrossEntropies(m.forwardAll(t).exits, y)).dataSync()));
    const maxAvg = await attack(m, x, y, { ...base, loss: 'maxAverage' }, { seed: 4 });
    const c0 = await attack(m, x, y, { ...base, loss: 'exit:exit0' }, { seed: 4 });
    const c1 = await attack(m, x, y, { ...base, loss: 'exit:final' }, { seed: 4 });
    const [s, s0, s1] = [sums(maxAvg.xAdv), sums(c0.xAdv), sums(c1.xAdv)];
    s.forEach((v, i) => assert.ok(Math.abs(v - Math.max(s0[i]!, s1[i]!)) < 1e-5, `sample ${i}`));
    // Both candidates win somewhere on this model, so the selection is really per sample.
    assert.ok(s0.some((v, i) => v > s1[i]!) && s1.some((v, i) => v > s0[i]!));
    assert.strictEqual(maxAvg.gradEvals, c0.gradEvals + c1.gradEvals);
    tf.dispose([x, y, maxAvg.xAdv, c0.xAdv, c1.xAdv]);
    m.dispose();
  });

  it("the average-exit and 'taken' attacks raise their own losses", async () => {
    const m = twoExitModel();
    const x = randomBatch(32, 8, 13);
    const y = cyclingLabels(32, 4);
    const mean = (t: tf.Tensor): number => tf.tidy(() => tf.mean(averageExitLoss(exitCrossEntropies(m.forwardAll(t).exits, y))).dataSync()[0]!);
    const avg = await attack(m, x, y, { kind: 'pgd', norm: 'linf', eps: 0.1, steps: 10, loss: 'average' }, { seed: 2 });
    assert.ok(mean(avg.xAdv) > mean(x), 'average-exit attack did not raise the average loss');
    const decide = exitDecider({ kind: 'maxProb', thresholds: [0.9], patience: 2 });
    const taken = await attack(m, x, y, { kind: 'pgd', norm: 'linf', eps: 0.1, steps: 10, loss: 'taken' }, { seed: 2, policy: decide });
    const takenLoss = (t: tf.Tensor): number =>
      tf.tidy(() => tf.mean(takenObjective(decide)(m.forwardAll(t), y)).dataSync()[0]!);
    assert.ok(takenLoss(taken.xAdv) > takenLoss(x), "'taken' attack did not raise the loss at the taken exit");
    tf.dispose([x, y, avg.xAdv, taken.xAdv]);
    m.dispose();
  });
});

describe('attacks: hijack rate', () => {
  it('counts wrong answers at internal exits only, per exit', () => {
    // 3 exits (two internal). Sample: exit, prediction, label.
    const exitIndex = [0, 0, 1, 2, 2, 1];
    const prediction = [3, 1, 2, 0, 5, 4];
    const labels = [1, 1, 0, 7, 5, 4];
    const s = hijackStats(exitIndex, prediction, labels, 3);
    assert.strictEqual(s.count, 2);
    assert.ok(Math.abs(s.rate - 2 / 6) < 1e-12);
    assert.deepStrictEqual(s.perExit, [1 / 6, 1 / 6]);
    assert.throws(() => hijackStats([0, 3], [0, 0], [0, 0], 3), /exit index 3/);
    assert.throws(() => hijackStats([0], [0, 1], [0], 3), /one of each per sample/);
  });
});
