import * as assert from 'assert';
import * as tf from '@tensorflow/tfjs';
import { gatherRows } from '../../../src/engine/rows';
import { useCpuBackend } from './helpers';

describe('engine/rows', () => {
  before(useCpuBackend);

  it('picks rows in the given order, like tf.gather, for float, int and bool tensors', () => {
    const x = tf.randomNormal([6, 3, 2, 2], 0, 1, 'float32', 1);
    const rows = [4, 0, 5, 0];
    const got = gatherRows(x, rows);
    const want = tf.gather(x, rows);
    assert.deepStrictEqual(got.shape, [4, 3, 2, 2]);
    assert.deepStrictEqual(Array.from(got.dataSync()), Array.from(want.dataSync()));
    const ints = tf.tensor2d([[1, 2], [3, 4], [5, 6]], undefined, 'int32');
    const pickedInts = gatherRows(ints, [2, 1]);
    assert.strictEqual(pickedInts.dtype, 'int32');
    assert.deepStrictEqual(Array.from(pickedInts.dataSync()), [5, 6, 3, 4]);
    const bools = tf.tensor1d([true, false, true], 'bool');
    const pickedBools = gatherRows(bools, [1, 2]);
    assert.strictEqual(pickedBools.dtype, 'bool');
    assert.deepStrictEqual(Array.from(pickedBools.dataSync()), [0, 1]);
    const none = gatherRows(x, []);
    assert.deepStrictEqual(none.shape, [0, 3, 2, 2]);
    [x, got, want, ints, pickedInts, bools, pickedBools, none].forEach((t) => t.dispose());
  });

  it('refuses rows outside the batch', () => {
    const x = tf.zeros([3, 2]);
    assert.throws(() => gatherRows(x, [3]), /row 3 is outside a batch of 3/);
    assert.throws(() => gatherRows(x, [-1]), /row -1/);
    assert.throws(() => gatherRows(x, [0.5]), /row 0.5/);
    x.dispose();
  });
});
