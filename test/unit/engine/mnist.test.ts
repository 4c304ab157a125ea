import * as assert from 'assert';
import * as os from 'os';
import * as tf from '@tensorflow/tfjs';
import { loadData } from '../../../src/engine/data';
import { evaluate } from '../../../src/engine/evaluate';
import { trainModel } from '../../../src/engine/train';
import { specFrom, useCpuBackend } from './helpers';

// A small early-exit CNN on real MNIST digits (a few hundred of them, to stay fast).
const SMALL_MNIST = `
dynn: 1
name: small-mnist
input: {shape: [28, 28, 1], range: [0, 1]}
classes: 10
backbone:
  - {type: conv2d, name: c1, filters: 8, kernel: 3, stride: 2, activation: relu}
  - {type: maxPool, name: p1, size: 2}
  - {type: conv2d, name: c2, filters: 16, kernel: 3, activation: relu}
  - {type: maxPool, name: p2, size: 2}
  - {type: flatten, name: flat}
  - {type: dense, name: logits, units: 10}
exits:
  - {name: early, after: p1}
policy: {kind: maxProb, threshold: 0.6}
data: {source: mnist, trainFraction: 0.8}
train: {epochs: 2, batchSize: 32, optimizer: adam, learningRate: 0.01, seed: 3}
`;

describe('engine on real MNIST digits', () => {
  before(useCpuBackend);

  it('learns well above chance at every exit and saves FLOPs dynamically', async function () {
    this.timeout(60000);
    const spec = specFrom(SMALL_MNIST);
    const before = tf.memory().numTensors;
    const data = await loadData(spec, os.tmpdir(), { maxTrain: 500, maxTest: 200 });
    const { model, metrics } = await trainModel(spec, data);
    assert.ok(metrics.epochLoss[1]! < metrics.epochLoss[0]!, `loss falls: ${metrics.epochLoss.join(' -> ')}`);
    const result = await evaluate(model, data.test);
    assert.ok(result.perExitAccuracy.every((a) => a > 0.5), `per-exit accuracy ${result.perExitAccuracy.join(', ')}`);
    assert.ok(result.exitDistribution[0]! > 0, `some digits leave early (${result.exitDistribution.join(', ')}; accuracy ${result.perExitAccuracy.join(', ')})`);
    assert.ok(result.meanFlopsRatio < 1, `dynamic FLOPs ratio ${result.meanFlopsRatio}`);
    model.dispose();
    [data.train.x, data.train.y, data.test.x, data.test.y].forEach((t) => t.dispose());
    assert.strictEqual(tf.memory().numTensors, before, 'no tensors left behind');
  });
});
