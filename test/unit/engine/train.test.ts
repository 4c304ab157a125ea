import * as assert from 'assert';
import * as tf from '@tensorflow/tfjs';
import { trainModel } from '../../../src/engine/train';
import { evaluate, earlyExitCapacity } from '../../../src/engine/evaluate';
import { specFrom, TINY_YAML, tinyData, useCpuBackend } from './helpers';

describe('engine/train and evaluate', () => {
  before(useCpuBackend);
  const spec = specFrom(TINY_YAML);

  it('lowers the loss, is repeatable with the same seed, reports progress and leaks nothing', async () => {
    const data = tinyData(64, 3);
    const before = tf.memory().numTensors;
    const events: string[] = [];
    const a = await trainModel(spec, { train: data }, { onProgress: (p) => events.push(p.message) });
    const b = await trainModel(spec, { train: data });
    const losses = a.metrics.epochLoss;
    assert.strictEqual(losses.length, 2);
    assert.ok(losses[1]! < losses[0]!, `loss went down: ${losses.join(' -> ')}`);
    assert.deepStrictEqual(b.metrics.epochLoss, losses, 'same seed, same losses');
    const w = (m: typeof a.model) => m.weights.find((x) => x.name === 'logits/kernel')!.variable.dataSync();
    assert.deepStrictEqual(w(b.model), w(a.model), 'same seed, same weights');
    assert.strictEqual(events.length, 2 * 4);
    assert.match(events[0]!, /epoch 1\/2, batch 1\/4, loss [\d.]+, accuracy e1 [\d.]+%, e2 [\d.]+%, final [\d.]+%/);
    const evaluation = await evaluate(a.model, { ...data, description: 'train' });
    assert.strictEqual(evaluation.perExitAccuracy.length, 3);
    assert.ok(Math.abs(evaluation.exitDistribution.reduce((s, v) => s + v, 0) - 1) < 1e-9);
    a.model.dispose();
    b.model.dispose();
    assert.strictEqual(tf.memory().numTensors, before, 'training and evaluation leak no tensors');
    data.x.dispose();
    data.y.dispose();
  });

  it('exits-only trains the backbone first, then only the heads', async () => {
    const data = tinyData(32, 4);
    const exitsOnly = { ...spec, train: { ...spec.train, mode: 'exits-only' as const, epochs: 1 } };
    const phases: string[] = [];
    const r = await trainModel(exitsOnly, { train: data }, { onProgress: (p) => phases.push(p.message.split(' epoch')[0]!) });
    assert.deepStrictEqual([...new Set(phases)], ['backbone', 'exit heads']);
    assert.strictEqual(r.metrics.epochLoss.length, 2);
    r.model.dispose();
    data.x.dispose();
    data.y.dispose();
  });

  it('stops between batches when cancelled', async () => {
    const data = tinyData(32, 5);
    let batches = 0;
    const cancel = {
      get cancelled() {
        return batches >= 2;
      },
      throwIfCancelled() {
        if (this.cancelled) throw new Error('cancelled');
      },
    };
    await assert.rejects(trainModel(spec, { train: data }, { cancel, onProgress: () => (batches += 1) }), /cancelled/);
    assert.strictEqual(batches, 2);
    data.x.dispose();
    data.y.dispose();
  });

  it('rejects exit weights of the wrong length', async () => {
    const data = tinyData(8, 6);
    const bad = { ...spec, train: { ...spec.train, exitWeights: [1, 1] } };
    await assert.rejects(trainModel(bad, { train: data }), /exitWeights has 2 entries but the model has 3 exits/);
    data.x.dispose();
    data.y.dispose();
  });

  it('trains the static twin of a model whose file weights every exit, with the final exit\'s weight', async () => {
    const data = tinyData(16, 7);
    const weighted = { ...spec, train: { ...spec.train, epochs: 1, exitWeights: [0.5, 0.5, 2] } };
    const r = await trainModel(weighted, { train: data }, { staticTwin: true });
    assert.deepStrictEqual(r.model.exitNames, ['final']);
    r.model.dispose();
    data.x.dispose();
    data.y.dispose();
  });

  it('EEC: 1 when everything leaves at no cost, smaller when samples go deep', () => {
    assert.ok(Math.abs(earlyExitCapacity(Int32Array.from([0, 0]), [0, 100], 100) - 1) < 1e-12);
    assert.strictEqual(earlyExitCapacity(Int32Array.from([1, 1]), [20, 100], 100), 0);
    assert.ok(Math.abs(earlyExitCapacity(Int32Array.from([0, 1]), [20, 100], 100) - 0.4) < 1e-12);
  });
});
