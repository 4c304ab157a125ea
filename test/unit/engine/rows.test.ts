import * as assert from 'assert';
import * as tf from '@tensorflow/tfjs';
import { gatherRows } from '../../../src/engine/rows';
import { child } from './child';
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

describe('engine/rows on the real WASM backend (2 threads, in a child process)', function () {
  this.timeout(120_000);
  it("copies rows inside the module's heap: the same values as tf.gather, for runs, repeats and any order", () => {
    const run = child(`await backend.initBackend({ preference: 'wasm', wasmThreads: 2 });
      const x = tf.randomNormal([40, 14, 14, 16], 0, 1, 'float32', 5);
      const cases = [[0, 1, 2, 7, 8, 20, 39], [39, 38, 0, 0, 5], Array.from({ length: 40 }, (_, i) => i), [], [13]];
      const same = cases.map((r) => {
        const got = rows.gatherRows(x, r);
        const want = tf.gather(x, r);
        const wanted = want.dataSync();
        const equal = got.shape.join() === want.shape.join() && got.dataSync().every((v, i) => v === wanted[i]);
        got.dispose();
        want.dispose();
        return equal;
      });
      const ints = rows.gatherRows(tf.tensor2d([[1, 2], [3, 4], [5, 6]], undefined, 'int32'), [2, 0]);
      const bools = rows.gatherRows(tf.tensor1d([true, false, true], 'bool'), [1, 2]);
      const before = tf.memory().numTensors;
      tf.tidy(() => { rows.gatherRows(x, [3, 4]); });
      console.log(JSON.stringify({ same, ints: Array.from(ints.dataSync()), intType: ints.dtype, bools: Array.from(bools.dataSync()),
        leaked: tf.memory().numTensors - before, kernel: tf.getBackend() }));`);
    assert.strictEqual(run.status, 0, run.stderr + JSON.stringify(run.result));
    assert.strictEqual(run.result.kernel, 'wasm');
    assert.deepStrictEqual(run.result.same, [true, true, true, true, true]);
    assert.deepStrictEqual(run.result.ints, [5, 6, 1, 2]);
    assert.strictEqual(run.result.intType, 'int32');
    assert.deepStrictEqual(run.result.bools, [0, 1]);
    assert.strictEqual(run.result.leaked, 0, 'the output is tracked by tidy like any kernel output');
  });
});
