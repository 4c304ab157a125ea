import * as assert from 'assert';
import * as tf from '@tensorflow/tfjs';
import { avgPoolFast, conv2dFast, depthwiseConv2dFast, maxPoolFast } from '../../../src/engine/fastgrad';
import { useCpuBackend, maxAbsDiff } from './helpers';

describe('engine/fastgrad: custom gradients equal the stock ones', () => {
  before(useCpuBackend);

  const cases: { h: number; k: number; s: number; p: 'same' | 'valid' }[] = [
    { h: 7, k: 3, s: 1, p: 'same' },
    { h: 8, k: 3, s: 2, p: 'same' },
    { h: 7, k: 3, s: 2, p: 'same' },
    { h: 9, k: 3, s: 2, p: 'valid' },
    { h: 6, k: 2, s: 1, p: 'valid' },
    { h: 6, k: 5, s: 1, p: 'same' },
  ];

  for (const c of cases) {
    it(`conv2d k${c.k} s${c.s} ${c.p} on ${c.h}x${c.h + 1}`, () => {
      tf.tidy(() => {
        const x = tf.randomNormal<tf.Rank.R4>([2, c.h, c.h + 1, 3], 0, 1, 'float32', 1);
        const w = tf.randomNormal<tf.Rank.R4>([c.k, c.k, 3, 4], 0, 1, 'float32', 2);
        const up = tf.randomNormal(tf.conv2d(x, w, c.s, c.p).shape, 0, 1, 'float32', 3);
        const stock = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, c.s, c.p), up)))([x, w]);
        const fast = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(conv2dFast(a as tf.Tensor4D, b as tf.Tensor4D, c.s, c.p), up)))([x, w]);
        assert.ok(maxAbsDiff(conv2dFast(x, w, c.s, c.p), tf.conv2d(x, w, c.s, c.p)) < 1e-5, 'forward');
        assert.ok(maxAbsDiff(stock[0]!, fast[0]!) < 1e-4, `input grad differs by ${maxAbsDiff(stock[0]!, fast[0]!)}`);
        assert.ok(maxAbsDiff(stock[1]!, fast[1]!) < 1e-4, `filter grad differs by ${maxAbsDiff(stock[1]!, fast[1]!)}`);
      });
    });

    it(`depthwiseConv2d k${c.k} s${c.s} ${c.p} (multiplier 2)`, () => {
      tf.tidy(() => {
        const x = tf.randomNormal<tf.Rank.R4>([2, c.h, c.h + 1, 3], 0, 1, 'float32', 4);
        const w = tf.randomNormal<tf.Rank.R4>([c.k, c.k, 3, 2], 0, 1, 'float32', 5);
        const up = tf.randomNormal(tf.depthwiseConv2d(x, w, c.s, c.p).shape, 0, 1, 'float32', 6);
        const loss = (op: typeof tf.depthwiseConv2d) => (a: tf.Tensor, b: tf.Tensor) =>
          tf.sum(tf.mul(op(a as tf.Tensor4D, b as tf.Tensor4D, c.s, c.p), up));
        const stock = tf.grads(loss(tf.depthwiseConv2d))([x, w]);
        const fast = tf.grads(loss(depthwiseConv2dFast as typeof tf.depthwiseConv2d))([x, w]);
        assert.ok(maxAbsDiff(stock[0]!, fast[0]!) < 1e-4, 'input grad');
        assert.ok(maxAbsDiff(stock[1]!, fast[1]!) < 1e-4, 'filter grad');
      });
    });
  }

  for (const [h, size, padding] of [[8, 2, 'valid'], [7, 2, 'valid'], [9, 3, 'same'], [6, 3, 'valid']] as const) {
    it(`maxPool ${size} on ${h}x${h} ${padding}: equals the stock gradient without ties`, () => {
      tf.tidy(() => {
        const x = tf.randomNormal<tf.Rank.R4>([2, h, h, 3], 0, 2, 'float32', 7);
        const up = tf.randomNormal(tf.maxPool(x, size, size, padding).shape, 0, 1, 'float32', 8);
        const stock = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(tf.maxPool(a as tf.Tensor4D, size, size, padding), up)))(x);
        const fast = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(maxPoolFast(a as tf.Tensor4D, size, size, padding), up)))(x);
        assert.strictEqual(maxAbsDiff(maxPoolFast(x, size, size, padding), tf.maxPool(x, size, size, padding)), 0, 'forward');
        assert.ok(maxAbsDiff(stock, fast) < 1e-5, `grad differs by ${maxAbsDiff(stock, fast)}`);
      });
    });
  }

  it('maxPool with tied maxima: the window gradient is conserved and lands only on maxima', () => {
    tf.tidy(() => {
      // ReLU of rounded values: many all-zero windows and equal maxima, as in real feature maps.
      const x = tf.relu(tf.round(tf.randomNormal<tf.Rank.R4>([2, 8, 8, 3], 0, 1, 'float32', 9)));
      const up = tf.randomNormal([2, 4, 4, 3], 0, 1, 'float32', 10);
      const fast = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(maxPoolFast(a as tf.Tensor4D, 2, 2, 'valid'), up)))(x);
      const stock = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(tf.maxPool(a as tf.Tensor4D, 2, 2, 'valid'), up)))(x);
      const windowSum = (g: tf.Tensor) => tf.mul(tf.avgPool(g as tf.Tensor4D, 2, 2, 'valid'), 4);
      assert.ok(maxAbsDiff(windowSum(fast), windowSum(stock)) < 1e-5, 'same gradient per window');
      const isMax = tf.equal(x, tf.depthToSpace(tf.concat(new Array<tf.Tensor4D>(4).fill(tf.maxPool(x, 2, 2, 'valid')), 3), 2));
      assert.strictEqual(tf.sum(tf.mul(tf.abs(fast), tf.cast(tf.logicalNot(isMax), 'float32'))).dataSync()[0], 0, 'no gradient off the maxima');
    });
  });

  it('runs the stock forward kernel alone when no gradient is recorded, the custom one under a tape', async () => {
    // 'same' max pooling of 14x14 by 4 (an SDN exit head): the custom path pads with -Infinity (PadV2) first.
    const x = tf.randomNormal<tf.Rank.R4>([2, 14, 14, 3], 0, 1, 'float32', 11);
    const w = tf.randomNormal<tf.Rank.R4>([3, 3, 3, 4], 0, 1, 'float32', 12);
    const kernelsOf = async (fn: () => tf.Tensor): Promise<string[]> =>
      [...new Set((await tf.profile(() => tf.tidy(fn))).kernels.map((k) => k.name))].sort();
    const head = (a: tf.Tensor4D) => tf.add(tf.sum(maxPoolFast(a, 4, 4, 'same')), tf.sum(avgPoolFast(conv2dFast(a, w, 1, 'same'), 4, 'same')));
    const inference = await kernelsOf(() => head(x));
    assert.ok(inference.includes('MaxPool') && !inference.includes('PadV2'), inference.join());
    assert.ok((await kernelsOf(() => tf.grad((a: tf.Tensor) => head(a as tf.Tensor4D))(x))).includes('PadV2'), 'the gradient path pads');
    const stock = tf.add(tf.sum(tf.maxPool(x, 4, 4, 'same')), tf.sum(tf.avgPool(tf.conv2d(x, w, 1, 'same'), 4, 4, 'same')));
    assert.strictEqual(maxAbsDiff(head(x), stock), 0);
    [x, w, stock].forEach((t) => t.dispose());
  });
});
