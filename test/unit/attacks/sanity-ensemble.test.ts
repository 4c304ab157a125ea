// The flags the worst-case ensemble adds: robust accuracy rising with eps, and an exit whose softmax saturates
// (its confidence has no gradient left). Each flag carries a sentence that says what it means.
import * as assert from 'assert';
import * as tf from '@tensorflow/tfjs';
import { risingWithEpsFlags, saturatedExitFlags, saturationShares, SATURATION_FLAG_SHARE } from '../../../src/attacks/sanity';
import { useCpu } from './models';

describe('attacks: ensemble sanity flags', () => {
  before(useCpu);

  it('flags robust accuracy that rises with eps by at least one sample, at the larger eps, in any order', () => {
    const runs = [
      { id: 'a@0.3', eps: 0.3, robustAccuracy: 0.3 },
      { id: 'a@0.1', eps: 0.1, robustAccuracy: 0.2 },
      { id: 'a@0.2', eps: 0.2, robustAccuracy: 0.1 },
    ];
    const flags = risingWithEpsFlags(runs, 10);
    assert.deepStrictEqual(flags.map((f) => f.code), ['robust-rises-with-eps']);
    assert.match(flags[0]?.message ?? '', /^a@0\.3: robust accuracy 30\.0 % at eps 0\.3 is higher than 10\.0 % at eps 0\.2; the larger ball contains the smaller one/);
    // Falling or flat is fine; a rise smaller than one sample is rounding.
    assert.deepStrictEqual(risingWithEpsFlags([{ id: 'b@0.1', eps: 0.1, robustAccuracy: 0.5 }, { id: 'b@0.2', eps: 0.2, robustAccuracy: 0.5 }], 10), []);
    assert.deepStrictEqual(risingWithEpsFlags([{ id: 'c@0.1', eps: 0.1, robustAccuracy: 0.5 }, { id: 'c@0.2', eps: 0.2, robustAccuracy: 0.5 + 0.5 / 10 }], 10), []);
    assert.equal(risingWithEpsFlags([{ id: 'd@0.1', eps: 0.1, robustAccuracy: 0.5 }, { id: 'd@0.2', eps: 0.2, robustAccuracy: 0.6 }], 10).length, 1);
  });

  it('measures, per exit, the samples whose float32 softmax is exactly 1, and flags exits at or above the share', () => {
    // exit0: logits with a margin of 30 (softmax rounds to 1) on 2 of 4 samples; final: margins of 2 (never 1).
    const sat = tf.tidy(() => tf.softmax(tf.tensor2d([[30, 0, 0], [0, 30, 0], [2, 0, 0], [0, 0, 2]])).dataSync() as Float32Array);
    const soft = tf.tidy(() => tf.softmax(tf.tensor2d([[2, 0, 0], [0, 2, 0], [2, 0, 0], [0, 0, 2]])).dataSync() as Float32Array);
    const shares = saturationShares([Float32Array.from(sat), Float32Array.from(soft)], 3);
    assert.deepStrictEqual(shares, [0.5, 0]);
    const flags = saturatedExitFlags(['exit0', 'final'], shares);
    assert.deepStrictEqual(flags.map((f) => f.code), ['saturated-exit']);
    assert.match(flags[0]?.message ?? '', /^exit 'exit0' answers with probability exactly 1 \(float32\) on 50\.0 % of clean samples: its softmax is saturated, so gradients through its confidence vanish/);
    assert.deepStrictEqual(saturatedExitFlags(['e'], [SATURATION_FLAG_SHARE - 0.01]), []);
    assert.equal(saturatedExitFlags(['e'], [SATURATION_FLAG_SHARE]).length, 1);
  });
});
