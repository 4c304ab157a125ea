import * as assert from 'assert';
import * as tf from '@tensorflow/tfjs';
import { analyzeText } from '../../../src/modelfile';
import { computeCost } from '../../../src/modelfile/cost';
import type { ModelSpec } from '../../../src/modelfile/types';
import { assertFitsInMemory, availableBytes, batchForBackend, CONV_PATCH_EXPANSION, estimateMemory, maxBatchForBinding, MemoryError } from '../../../src/engine/memory';
import type { GpuAdapterSummary } from '../../../src/protocol/jobs';
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

describe('engine/memory: batch on WebGPU', () => {
  const spec = specOf(WIDE);
  // The widest output is 1024 x 1024 x 60 floats per sample; with the patch expansion, 9 x 240 MiB per sample.
  const perSample = 1024 * 1024 * 60 * 4 * CONV_PATCH_EXPANSION;
  const adapter = (binding: number): GpuAdapterSummary => ({ vendor: 'v', architecture: 'a', device: '', description: '', api: 'Vulkan', software: false, maxBufferSize: 2 ** 40, maxStorageBufferBindingSize: binding });
  it('caps the batch so the widest tensor fits one storage binding, and says so', () => {
    assert.strictEqual(maxBatchForBinding(spec, 10 * perSample + 5), 10);
    const r = batchForBackend(spec, 64, { name: 'webgpu', reason: '', versions: {}, adapter: adapter(10 * perSample) });
    assert.strictEqual(r.batchSize, 10);
    assert.match(r.note ?? '', /batch 64 lowered to 10 so each tensor fits the adapter's 21.09 GiB storage binding/);
  });
  it('keeps a batch that fits, and never goes below 1', () => {
    assert.deepStrictEqual(batchForBackend(spec, 8, { name: 'webgpu', reason: '', versions: {}, adapter: adapter(10 * perSample) }), { batchSize: 8 });
    assert.strictEqual(batchForBackend(spec, 8, { name: 'webgpu', reason: '', versions: {}, adapter: adapter(1024) }).batchSize, 1);
  });
  it('leaves other backends alone', () => {
    assert.deepStrictEqual(batchForBackend(spec, 64, { name: 'wasm', reason: '', versions: {} }), { batchSize: 64 });
    assert.deepStrictEqual(batchForBackend(spec, 64, undefined), { batchSize: 64 });
  });
});
