// The WASM kernels that copy inside the module's heap: their block plans here, and the real backend in a child
// process, where every slice must equal the CPU backend's and none may read the tensor back to JS.
import * as assert from 'assert';
import { rowBlocks, sliceBlocks } from '../../../src/engine/wasmKernels';
import { child } from './child';

describe('engine/wasmKernels: copy plans', () => {
  it('slices a batch as one block and a spatial crop as one block per image row', () => {
    assert.deepStrictEqual(sliceBlocks([10, 4, 4, 2], [3, 0, 0, 0], [2, 4, 4, 2]), [{ from: 96, to: 0, length: 64 }]);
    assert.deepStrictEqual(sliceBlocks([1, 3, 3, 2], [0, 1, 1, 0], [1, 2, 2, 2]), [
      { from: 8, to: 0, length: 4 },
      { from: 14, to: 4, length: 4 },
    ]);
    assert.deepStrictEqual(sliceBlocks([2, 3], [0, 0], [2, 3]), [{ from: 0, to: 0, length: 6 }]);
    assert.deepStrictEqual(sliceBlocks([], [], []), [{ from: 0, to: 0, length: 1 }]);
    assert.deepStrictEqual(sliceBlocks([4, 5], [1, 0], [0, 5]), []);
  });

  it('gathers runs of consecutive rows as single blocks, repeats and reversals as their own', () => {
    assert.deepStrictEqual(rowBlocks([2, 3, 4, 9, 9, 1], 10), [
      { from: 20, to: 0, length: 30 },
      { from: 90, to: 30, length: 10 },
      { from: 90, to: 40, length: 10 },
      { from: 10, to: 50, length: 10 },
    ]);
    assert.deepStrictEqual(rowBlocks([], 10), []);
  });
});

describe('engine/wasmKernels on the real WASM backend (in a child process)', function () {
  this.timeout(120_000);
  // One thread: the heap is a plain ArrayBuffer that growing replaces; two: a SharedArrayBuffer.
  for (const threads of [1, 2]) {
    it(`slices exactly as the CPU backend does, for every rank and dtype, without reading the input back to JS (${threads} thread${threads > 1 ? 's' : ''})`, () => {
      const run = child(`await backend.initBackend({ preference: 'wasm', wasmThreads: ${threads} });
        const wasmBackend = tf.backend();
        let reads = 0;
        const readSync = wasmBackend.readSync.bind(wasmBackend);
        wasmBackend.readSync = (...a) => { reads++; return readSync(...a); };
        // Seeded cases: a random shape of rank 1-5, a random begin and size inside it, three dtypes.
        let seed = 7;
        const rnd = (n) => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed % n; };
        const cases = [];
        for (let c = 0; c < 60; c++) {
          const shape = Array.from({ length: 1 + rnd(5) }, () => 1 + rnd(6));
          const begin = shape.map((d) => rnd(d));
          const size = shape.map((d, i) => (rnd(4) === 0 ? -1 : rnd(d - begin[i] + 1)));
          const dtype = ['float32', 'int32', 'bool'][c % 3];
          const values = Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => (dtype === 'bool' ? i % 3 === 0 : dtype === 'int32' ? i * 7 - 50 : Math.sin(i) * 100));
          cases.push({ shape, begin, size, dtype, values });
        }
        // The batch slice of a dynamic pass, and the whole tensor.
        cases.push({ shape: [300, 28, 28, 1], begin: [256, 0, 0, 0], size: [44, 28, 28, 1], dtype: 'float32', values: null });
        const outputs = (name) => { tf.setBackend(name); return cases.map((c) => tf.tidy(() => {
          const x = c.values === null ? tf.range(0, 300 * 784).reshape(c.shape) : tf.tensor(c.values, c.shape, c.dtype);
          const y = tf.slice(x, c.begin, c.size);
          return { shape: y.shape, values: Array.from(y.dataSync()) };
        })); };
        const before = reads;
        const onWasm = outputs('wasm');
        // Each case reads its output back once (dataSync): any other read would be the kernel reading its input.
        const kernelReads = reads - before - cases.length;
        const onCpu = outputs('cpu');
        const differing = onWasm.map((o, i) => JSON.stringify(o) === JSON.stringify(onCpu[i]) ? null : i).filter((i) => i !== null);
        // A slice whose output must grow the heap (views taken before the allocation would be stale).
        tf.setBackend('wasm');
        const big = tf.range(0, 24e6, 1, 'int32');
        const heapBefore = wasmBackend.wasm.HEAPU8.buffer.byteLength;
        const cut = tf.slice(big, [1e6], [22e6]);
        const grown = wasmBackend.wasm.HEAPU8.buffer.byteLength > heapBefore;
        const v = cut.dataSync();
        const bigSliceRight = v.length === 22e6 && v[0] === 1e6 && v[11e6] === 12e6 && v[22e6 - 1] === 23e6 - 1;
        console.log(JSON.stringify({ differing, kernelReads, cases: cases.length, nonEmpty: onWasm.filter((o) => o.values.length > 0).length, grown, bigSliceRight }));`);
      assert.strictEqual(run.status, 0, run.stderr + JSON.stringify(run.result));
      assert.deepStrictEqual(run.result.differing, []);
      assert.strictEqual(run.result.kernelReads, 0);
      assert.ok((run.result.nonEmpty as number) > 40, `only ${String(run.result.nonEmpty)} cases had values`);
      assert.strictEqual(run.result.grown, true, 'the big slice was meant to grow the heap');
      assert.strictEqual(run.result.bigSliceRight, true);
    });
  }
});
