// The ensemble's bookkeeping on a hand-made member whose outcome is known: a sample falls when the member's answer
// is wrong, each fall is credited to the member that caused it first, the dynamic and final-exit worst cases are
// kept apart, the assembled examples are the breaking ones, and a member never revives a fallen sample.
import * as assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { exitDecider } from '../../../src/attacks';
import { buildModel } from '../../../src/engine/network';
import { policyFromSpec } from '../../../src/engine/policy';
import type { AttackSpec } from '../../../src/modelfile/types';
import type { AttackPassOutput } from '../../../src/studies/attackPass';
import { runEnsemble, type MemberPlan } from '../../../src/studies/ensemble';
import { specFrom, TINY_YAML, useCpuBackend } from '../engine/helpers';

describe('studies: ensemble bookkeeping', () => {
  before(useCpuBackend);

  it('credits first breaks, keeps dynamic and final apart, and assembles the breaking examples', async () => {
    const spec = specFrom(TINY_YAML);
    const model = buildModel(spec);
    const n = 6;
    const x = tf.randomUniform([n, 8, 8, 1], 0.2, 0.8, 'float32', 3);
    try {
      // Labels = the model's own clean answers, so every sample starts standing at both.
      const clean = await model.runDynamic(x);
      const final = tf.tidy(() => Array.from(tf.argMax(model.forwardAll(x).exits.at(-1)!, 1).dataSync()));
      const labels = Int32Array.from(clean.prediction);
      assert.deepEqual(Array.from(labels), final, 'premise: the untrained network answers the same at its taken exit and at the final one');
      const y = tf.tensor1d(labels, 'int32');
      const wrong = (c: number): number => (c + 1) % 3;
      // Member A breaks the dynamic answer of samples 0 and 2, and the final exit's of sample 1.
      // Member B breaks samples 0 (already fallen) and 3 (dynamic), and 1 (final, already fallen) and 4 (final).
      const fake = (dynamicBroken: number[], finalBroken: number[], marker: number): AttackPassOutput => {
        const prediction = Int32Array.from(labels, (l, i) => (dynamicBroken.includes(i) ? wrong(l) : l));
        const probs = new Float32Array(n * 3);
        for (let i = 0; i < n; i++) probs[i * 3 + (finalBroken.includes(i) ? wrong(final[i] ?? 0) : (final[i] ?? 0))] = 1;
        return {
          config: { kind: 'pgd', norm: 'linf', eps: 0.1 },
          resolved: { step: 0.01, steps: 3, restarts: 1, randomStart: true },
          pass: { exitIndex: new Int32Array(n), prediction, flops: new Float64Array(n), gatesFired: new Uint8Array(n) },
          recording: { probs: [probs, probs, probs], gatesFired: new Uint8Array(n), samples: n, classes: 3 },
          norms: new Float32Array(n),
          gradEvals: 10,
          seconds: 1,
          flags: [],
          noise: { dynamicAccuracy: 1, finalAccuracy: 1, pass: { exitIndex: new Int32Array(n), prediction: labels, flops: new Float64Array(n), gatesFired: new Uint8Array(n) } },
          gallery: [],
          // Each member's examples are x shifted by its own marker, so the assembled rows show who broke whom.
          xAdv: tf.clipByValue(tf.add(x, marker), 0, 1),
        };
      };
      const a: AttackSpec = { id: 'a', kind: 'pgd', norm: 'linf', eps: [0.1], path: [] };
      const b: AttackSpec = { ...a, id: 'b' };
      const outs = { a: fake([0, 2], [1], 0.1), b: fake([0, 3], [1, 4], -0.1) };
      const members: MemberPlan[] = [
        { kind: 'pgd', name: 'a', spec: a, seed: 1 },
        { kind: 'pgd', name: 'b', spec: b, seed: 2 },
      ];
      const run = await runEnsemble({
        model, x, y, labels, cleanPrediction: clean.prediction, cleanFinalPrediction: Int32Array.from(final),
        ensemble: { id: 'w', kind: 'ensemble', norm: 'linf', eps: [0.1], path: [] }, eps: 0.1, members, seed: 0, batchSize: 4,
        policy: exitDecider(policyFromSpec(spec.policy, spec.exits)), galleryCount: 0,
        reused: (s) => ({ resultId: `${s.id}@0.1`, out: outs[s.id as 'a' | 'b'] }),
        runPgd: () => Promise.reject(new Error('reused members are not re-run')),
      });
      // The final-exit figure here counts the fake recordings' answers; the dynamic one the fake passes'.
      assert.deepEqual(run.members.map((m) => m.brokeFirst), [[0, 2], [3]]);
      assert.deepEqual(run.members.map((m) => m.brokeFirstFinalExit), [[1], [4]]);
      assert.equal(run.robustAccuracy, 3 / 6);
      assert.equal(run.finalExitRobustAccuracy, 4 / 6);
      assert.deepEqual(run.members.map((m) => [m.robustAccuracyAfter, m.finalExitRobustAccuracyAfter]), [[4 / 6, 5 / 6], [3 / 6, 4 / 6]]);
      assert.deepEqual(run.members.map((m) => m.reusedFrom), ['a@0.1', 'b@0.1']);
      // Assembled: 0 and 2 keep a's example (+0.1), 3 and the survivors take b's (-0.1), the last one tried.
      assert.ok(run.out.xAdv);
      const signs = tf.tidy(() => Array.from(tf.sign(tf.sum(tf.reshape(tf.sub(run.out.xAdv as tf.Tensor, x), [n, -1]), 1)).dataSync()));
      assert.deepEqual(signs, [1, -1, 1, -1, -1, -1]);
      assert.ok(Array.from(run.out.norms).every((v) => Math.abs(v - 0.1) < 1e-5), `every assembled row is one member's example: ${Array.from(run.out.norms).join(', ')}`);
      run.out.xAdv.dispose();
      tf.dispose([y, outs.a.xAdv ?? [], outs.b.xAdv ?? []]);
    } finally {
      model.dispose();
      x.dispose();
    }
  });
});
