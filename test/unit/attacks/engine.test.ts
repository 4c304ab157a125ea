// The attacks on a real engine network (conv backbone, SDN exit heads, a gated residual block), through the
// DifferentiableModel contract only: every kind raises its own objective beyond clean inputs and random noise of
// the same radius while the constraints hold; the 'taken' loss uses the engine's policy.
import * as assert from 'assert';
import * as tf from '@tensorflow/tfjs';
import { attack, objectiveFor } from '../../../src/attacks/attack';
import { randomNoise } from '../../../src/attacks/sanity';
import { exitDecider } from '../../../src/attacks/policy';
import type { AttackConfig } from '../../../src/attacks/types';
import { buildModel } from '../../../src/engine/network';
import { policyFromSpec } from '../../../src/engine/policy';
import { analyzeText } from '../../../src/modelfile';
import { TINY_GATED_SDN, useCpu } from './models';


describe('attacks: on an engine network', () => {
  before(useCpu);

  it('every kind raises its objective above clean and random noise, keeps the eps ball and the range, leaks nothing', async () => {
    const analysis = analyzeText(TINY_GATED_SDN, { fileName: 'tiny.dynn.yaml' });
    assert.ok(analysis.spec, JSON.stringify(analysis.diagnostics.filter((d) => d.severity === 'error')));
    const spec = analysis.spec;
    const model = buildModel(spec, { seed: 3 });
    const x = tf.randomUniform([6, 8, 8, 1], 0, 1, 'float32', 4);
    const y = tf.tensor1d([0, 1, 2, 0, 1, 2], 'int32');
    const policy = exitDecider(policyFromSpec(spec.policy, spec.exits));
    const before = tf.memory().numTensors;
    const configs: AttackConfig[] = [
      { kind: 'fgsm', norm: 'linf', eps: 0.1 },
      { kind: 'pgd', norm: 'l2', eps: 0.5, steps: 2, restarts: 2, loss: 'maxAverage' },
      { kind: 'pgd', norm: 'linf', eps: 0.1, steps: 2, loss: 'taken' },
      { kind: 'hijack', norm: 'linf', eps: 0.1, steps: 2 },
      { kind: 'slowdown', norm: 'linf', eps: 0.1, steps: 10, universal: true },
      { kind: 'gate', norm: 'linf', eps: 0.1, steps: 2 },
    ];
    for (const config of configs) {
      const r = await attack(model, x, y, config, { seed: 1, policy });
      tf.tidy(() => {
        const delta = tf.reshape(tf.sub(r.xAdv, x), [6, -1]);
        const size = config.norm === 'linf' ? tf.max(tf.abs(delta), 1) : tf.norm(delta, 'euclidean', 1);
        assert.ok((tf.max(size).dataSync()[0] ?? Infinity) <= config.eps + 1e-6, config.kind);
        assert.ok((tf.min(r.xAdv).dataSync()[0] ?? -1) >= 0 && (tf.max(r.xAdv).dataSync()[0] ?? 2) <= 1);
      });
      assert.ok(!r.flags.some((f) => f.severity === 'error'), `${config.kind}: ${JSON.stringify(r.flags)}`);
      // What the attack is for: its objective (mean over the batch) higher than on x and than under any of three
      // random noises of the same norm and radius. (Every gate of this untrained network is already open, so the
      // gate objective is at its maximum; strength.test.ts checks the gate attack at a higher firing threshold.)
      if (config.kind !== 'gate') {
        const objective = objectiveFor(model, config, { policy });
        const value = (t: tf.Tensor): number => tf.tidy(() => tf.mean(objective(model.forwardAll(t), y)).dataSync()[0]!);
        const noisy = [1, 2, 3].map((seed) => tf.tidy(() => value(randomNoise(model, x, config.eps, config.norm, seed))));
        const [atClean, atAdv] = [value(x), value(r.xAdv)];
        assert.ok(atAdv > atClean && atAdv > Math.max(...noisy), `${config.kind}: objective ${atAdv} vs clean ${atClean}, noise ${noisy.join(', ')}`);
      }
      assert.ok(r.gradEvals >= 6 && r.seconds > 0);
      tf.dispose([r.xAdv, ...(r.universalDelta ? [r.universalDelta] : [])]);
    }
    assert.strictEqual(tf.memory().numTensors, before);
    tf.dispose([x, y]);
    model.dispose();
  });
});
