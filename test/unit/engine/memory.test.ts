import * as assert from 'assert';
import * as tf from '@tensorflow/tfjs';
import { analyzeText } from '../../../src/modelfile';
import { computeCost } from '../../../src/modelfile/cost';
import type { ModelSpec } from '../../../src/modelfile/types';
import { assertFitsInMemory, availableBytes, estimateMemory, MemoryError } from '../../../src/engine/memory';
import { trainModel } from '../../../src/engine/train';
import { useCpuBackend } from './helpers';

function specOf(yaml: string): ModelSpec {
  const a = analyzeText(yaml);
  assert.deepStrictEqual(a.diagnostics.filter((d) => d.severity === 'error'), []);
  return a.spec!;
}

// Valid by the format's limits (each activation < 64M elements, < 20 GFLOPs) but two 1024x1024x60 maps per sample.
const WIDE = `dynn: 1
name: wide
input: { shape: [1024, 1024, 1], range: [0, 1] }
classes: 10
backbone:
  - { name: a, type: conv2d, filters: 60, kernel: 1 }
  - { name: b, type: conv2d, filters: 60, kernel: 1 }
  - { name: gp, type: globalPool }
  - { name: out, type: dense, units: 10 }
train: { batchSize: 64, optimizer: adam }
data: { source: npy, train: x.npy, trainLabels: y.npy, test: xt.npy, testLabels: yt.npy }
`;

describe('engine/memory', () => {
  before(useCpuBackend);

  it('estimates parameters with gradients and Adam state, and activations with their gradients', () => {
    const spec = specOf(`dynn: 1
input: { shape: [8, 8, 1], range: [0, 1] }
classes: 10
backbone:
  - { name: f, type: flatten }
  - { name: out, type: dense, units: 10 }
train: { optimizer: adam, batchSize: 4 }
data: { source: npy, train: x.npy, trainLabels: y.npy, test: xt.npy, testLabels: yt.npy }
`);
    const e = estimateMemory(spec, 4, true);
    assert.strictEqual(e.parameterBytes, (64 * 10 + 10) * 4 * 4);
    assert.strictEqual(e.activationBytes, (64 + 10) * 4 * 4 * 2);
    assert.strictEqual(estimateMemory(spec, 4, false).parameterBytes, (64 * 10 + 10) * 4, 'an attack keeps no gradients or optimizer state of the weights');
    assert.strictEqual(e.totalBytes, e.parameterBytes + e.activationBytes);
    assert.strictEqual(computeCost(spec).totalParams, 650);
  });

  it('WASM is bounded by its 32-bit heap, other backends by free host memory', () => {
    assert.strictEqual(availableBytes('wasm', 64 * 1024 ** 3), 4 * 1024 ** 3);
    assert.strictEqual(availableBytes('cpu', 10 * 1024 ** 3), 8 * 1024 ** 3);
  });

  it('refuses with the estimate and its parts when the model does not fit', () => {
    const spec = specOf(WIDE);
    assert.throws(
      () => assertFitsInMemory(spec, 64, true, 4 * 1024 ** 3, 'wasm'),
      (e: Error) => e instanceof MemoryError && /'wide' needs about [\d.]+ GiB to train at batch 64 \(parameters, gradients and optimizer state 0\.00 GiB; activations [\d.]+ GiB\), more than the 4\.00 GiB the wasm backend can use here/.test(e.message),
    );
    assert.doesNotThrow(() => assertFitsInMemory(spec, 1, false, 4 * 1024 ** 3, 'wasm'));
  });

  it('trainModel refuses before allocating anything', async () => {
    const spec = specOf(WIDE);
    const before = tf.memory().numTensors;
    const x = tf.zeros([1, 1, 1, 1]);
    const y = tf.tensor1d([0], 'int32');
    await assert.rejects(trainModel(spec, { train: { x, y, description: 'none' } }), MemoryError);
    assert.strictEqual(tf.memory().numTensors, before + 2, 'only the two tensors of the test exist');
    tf.dispose([x, y]);
  });
});
