// The ensemble's weaker-than-noise flag, forced: the same trained tiny network behind a layer whose gradient is
// reversed (the forward pass is unchanged) turns every APGD member into a descent on its own loss. Its examples then
// leave more answers correct than random noise of the same radius does, which is the flag's definition; the same
// ensemble on the network itself raises no such flag, so the flag follows the gradient, not the model.
import * as assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { exitDecider } from '../../../src/attacks';
import { loadOrTrain } from '../../../src/engine/cache';
import { loadData } from '../../../src/engine/data';
import { policyFromSpec } from '../../../src/engine/policy';
import type { DynamicModel, MultiExitOutputs } from '../../../src/engine/types';
import type { AttackSpec } from '../../../src/modelfile/types';
import { planMembers, runEnsemble, type EnsembleOutput } from '../../../src/studies/ensemble';
import { tinyMnistModel } from '../../fixtures/tiny-mnist';
import { tempWorkspace, tinyAnalysis } from './helpers';

const YAML = `${tinyMnistModel({ name: 'tiny-masked', threshold: 0.5, epochs: 2, samples: 40, pgdEps: [0.3] })}    - {id: worst, kind: ensemble, norm: linf, eps: [0.3], preset: quick, steps: 5, targets: 2}\n`;

/** Identity forward, negated gradient. */
const reverseGradient = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => ({ value: tf.mul(args[0] as tf.Tensor, 1), gradFunc: (dy: tf.Tensor | tf.Tensor[]) => tf.neg(dy as tf.Tensor) }));

/** The network with its input gradient pointing the wrong way; dynamic inference is the network's own. */
function masked(model: DynamicModel): DynamicModel {
  return {
    name: `${model.name} (reversed gradient)`,
    exitNames: model.exitNames,
    gateNames: model.gateNames,
    inputShape: model.inputShape,
    inputRange: model.inputRange,
    classes: model.classes,
    fullFlops: model.fullFlops,
    flopsAtExit: model.flopsAtExit,
    isStaticTwin: model.isStaticTwin,
    forwardAll: (x: tf.Tensor): MultiExitOutputs => model.forwardAll(reverseGradient(x)),
    runDynamic: (x, options) => model.runDynamic(x, options),
    dispose: () => undefined,
  };
}

describe('studies: an ensemble member weaker than random noise is flagged', function () {
  this.timeout(300_000);
  const { spec } = tinyAnalysis(YAML);
  const ws = tempWorkspace(YAML);
  let network: DynamicModel;
  let x: tf.Tensor;
  let y: tf.Tensor1D;

  before(async () => {
    await tf.setBackend('cpu');
    const data = await loadData(spec, ws.root, { maxTest: 40 });
    network = (await loadOrTrain(spec, ws.root, () => Promise.resolve(data))).model;
    x = data.test.x;
    y = data.test.y;
    tf.dispose([data.train.x, data.train.y]);
  });
  after(() => {
    tf.dispose([x, y]);
    network.dispose();
    ws.cleanup();
  });

  async function ensembleOn(model: DynamicModel): Promise<EnsembleOutput> {
    const labels = Int32Array.from(await y.data());
    const clean = await model.runDynamic(x);
    const finals = tf.tidy(() => {
      const out = model.forwardAll(x);
      return (out.exits[out.exits.length - 1] as tf.Tensor).argMax(-1);
    });
    const cleanFinalPrediction = Int32Array.from(await finals.data());
    finals.dispose();
    const e = spec.checks.attacks.find((a) => a.kind === 'ensemble') as AttackSpec;
    return runEnsemble({
      model,
      x,
      y,
      labels,
      cleanPrediction: clean.prediction,
      cleanFinalPrediction,
      ensemble: e,
      eps: 0.3,
      members: planMembers(e, 0.3, model.classes, [], () => 1),
      seed: 5,
      batchSize: 64,
      policy: exitDecider(policyFromSpec(spec.policy, spec.exits)),
      galleryCount: 0,
      reused: () => undefined,
      runPgd: () => Promise.reject(new Error('no PGD member in this ensemble')),
    });
  }

  it('a reversed gradient: the APGD members do worse than noise, each is flagged with a sentence saying what it means', async () => {
    const run = await ensembleOn(masked(network));
    try {
      const flagged = run.out.flags.filter((f) => f.code === 'weaker-than-noise');
      assert.ok(flagged.length > 0, `no weaker-than-noise flag: ${JSON.stringify(run.out.flags)}`);
      const ce = flagged.find((f) => f.message.startsWith('APGD-CE, loss final:'));
      assert.ok(ce, flagged.map((f) => f.message).join('\n'));
      assert.equal(ce.severity, 'error');
      assert.match(ce.message, /its examples left (\d+) dynamic answers correct, random noise of the same norm and radius only (\d+): this member's gradient is misleading/);
      const [, left, noise] = /left (\d+) .* only (\d+)/.exec(ce.message) ?? [];
      assert.ok(Number(left) > Number(noise));
    } finally {
      run.out.xAdv?.dispose();
    }
  });

  it('the same ensemble on the network itself raises no such flag', async () => {
    const run = await ensembleOn(network);
    try {
      assert.deepEqual(run.out.flags.filter((f) => f.code === 'weaker-than-noise'), []);
      assert.ok(run.robustAccuracy < 1);
    } finally {
      run.out.xAdv?.dispose();
    }
  });
});
