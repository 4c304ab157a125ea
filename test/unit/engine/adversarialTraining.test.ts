// Adversarial training of all exits (train.adversarial): each batch's first ceil(fraction x size) samples are
// replaced by the perturber's examples, the static twin is trained the same way, the recipe is part of the weight
// cache key, and a recipe that asks for it never trains clean by accident.
import * as assert from 'assert';
import * as tf from '@tensorflow/tfjs';
import { adversarialCount, trainModel } from '../../../src/engine/train';
import { cacheKeyInputs } from '../../../src/engine/cache';
import { analyzeText } from '../../../src/modelfile';
import { adversarialPerturber } from '../../../src/studies/adversarialTraining';
import { specFrom, TINY_YAML, tinyData, useCpuBackend } from './helpers';

const ADV_YAML = TINY_YAML.replace('seed: 7}', 'seed: 7, adversarial: {eps: 0.1, steps: 2, fraction: 0.25}}');

describe('engine: adversarial training', () => {
  before(useCpuBackend);
  const clean = specFrom(TINY_YAML);
  const adv = specFrom(ADV_YAML);

  it('reads the recipe with its defaults (step eps/4, max-average) and puts it in the weight cache key', () => {
    assert.deepStrictEqual(adv.train.adversarial, { eps: 0.1, step: 0.025, steps: 2, loss: 'maxAverage', fraction: 0.25 });
    assert.notStrictEqual(cacheKeyInputs(adv, false, 'd').weights, cacheKeyInputs(clean, false, 'd').weights);
    const otherEps = specFrom(ADV_YAML.replace('eps: 0.1', 'eps: 0.2'));
    assert.notStrictEqual(cacheKeyInputs(otherEps, false, 'd').weights, cacheKeyInputs(adv, false, 'd').weights);
    const bad = analyzeText(TINY_YAML.replace('seed: 7}', 'seed: 7, adversarial: {eps: 0.1, fraction: 1.5, loss: taken}}'));
    assert.deepStrictEqual(bad.diagnostics.map((d) => d.code).sort(), ['schema/enum', 'schema/range']);
  });

  it('perturbs the first ceil(fraction x batch) samples of every batch, for the DyNN and for the static twin', async () => {
    assert.deepStrictEqual([adversarialCount(16, 0.25), adversarialCount(16, 0.26), adversarialCount(3, 0.1), adversarialCount(5, 1)], [4, 5, 1, 5]);
    const data = tinyData(40, 5);
    for (const staticTwin of [false, true]) {
      const sizes: number[] = [];
      const exits: number[] = [];
      const messages: string[] = [];
      const r = await trainModel(adv, { train: data }, {
        staticTwin,
        onProgress: (p) => messages.push(p.message),
        perturb: (model, x) => {
          sizes.push(x.shape[0] ?? 0);
          exits.push(model.exitNames.length);
          return Promise.resolve(tf.clone(x));
        },
      });
      // 40 samples in batches of 16: 16, 16, 8 per epoch, 2 epochs; a quarter of each batch is adversarial.
      assert.deepStrictEqual(sizes, [4, 4, 2, 4, 4, 2]);
      assert.ok(exits.every((e) => e === (staticTwin ? 1 : 3)), `trained and attacked the same network: ${exits.join(', ')}`);
      assert.match(messages[0] ?? '', /adversarial PGD-2 on 25% of each batch epoch 1\/2/);
      r.model.dispose();
    }
    tf.dispose([data.x, data.y]);
  });

  it('refuses to train an adversarial recipe without a perturber, and trains differently with the real one', async () => {
    const data = tinyData(32, 6);
    await assert.rejects(trainModel(adv, { train: data }), /train\.adversarial needs an attack/);
    const perturb = adversarialPerturber(adv);
    assert.ok(perturb);
    assert.strictEqual(adversarialPerturber(clean), undefined);
    const before = tf.memory().numTensors;
    const a = await trainModel(adv, { train: data }, { perturb });
    const b = await trainModel(adv, { train: data }, { perturb: (_m, x) => Promise.resolve(tf.clone(x)) });
    const w = (m: typeof a.model) => Array.from(m.weights.find((x) => x.name === 'logits/kernel')!.variable.dataSync());
    assert.notDeepStrictEqual(w(a.model), w(b.model), 'the PGD examples changed what was learned');
    a.model.dispose();
    b.model.dispose();
    assert.strictEqual(tf.memory().numTensors, before, 'adversarial training leaks no tensors');
    tf.dispose([data.x, data.y]);
  });
});
