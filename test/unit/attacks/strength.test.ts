// The attacks are attacks: on models where they surely work they do strictly better than random noise of the same
// radius (so a no-op or a random-sign "attack" fails here), they stay inside their radius and, for L-inf PGD, use
// all of it (so an attack that ignores eps fails here), and the mechanism attacks move dynamic inference's exits
// and gates their way, versus clean inputs and versus noise.
import * as assert from 'assert';
import * as tf from '@tensorflow/tfjs';
import { attack } from '../../../src/attacks/attack';
import { randomNoise } from '../../../src/attacks/sanity';
import type { AttackConfig } from '../../../src/attacks/types';
import { buildModel, type Network } from '../../../src/engine/network';
import { analyzeText } from '../../../src/modelfile';
import { TINY_GATED_SDN, accuracy, cyclingLabels, trainedBlobModel, useCpu } from './models';

const TOL = 1e-6;
const NOISE_SEEDS = [11, 12, 13];

/** Per-sample L-inf and L2 norms of xAdv - x (rows = samples). */
function norms(x: tf.Tensor, xAdv: tf.Tensor): { linf: number[]; l2: number[] } {
  return tf.tidy(() => {
    const delta = tf.reshape(tf.sub(xAdv, x), [x.shape[0] ?? 0, -1]);
    return { linf: Array.from(tf.max(tf.abs(delta), 1).dataSync()), l2: Array.from(tf.norm(delta, 'euclidean', 1).dataSync()) };
  });
}

describe('attacks: stronger than random noise of the same radius, and inside it', () => {
  before(useCpu);
  let blobs: ReturnType<typeof trainedBlobModel>;
  let clean: number;
  before(() => {
    blobs = trainedBlobModel();
    clean = tf.tidy(() => accuracy(blobs.model.forwardAll(blobs.x).exits[0]!, blobs.y));
  });
  after(() => blobs.dispose());

  /** Best accuracy (for the attacker: the lowest) random noise of this norm and radius reaches over a few seeds. */
  function noiseAccuracy(norm: 'linf' | 'l2', eps: number): number {
    return Math.min(
      ...NOISE_SEEDS.map((seed) =>
        tf.tidy(() => accuracy(blobs.model.forwardAll(randomNoise(blobs.model, blobs.x, eps, norm, seed)).exits[0]!, blobs.y)),
      ),
    );
  }

  const cases: { name: string; config: AttackConfig }[] = [
    { name: 'FGSM linf', config: { kind: 'fgsm', norm: 'linf', eps: 0.15 } },
    { name: 'PGD linf', config: { kind: 'pgd', norm: 'linf', eps: 0.15, steps: 20, step: 0.15 / 8 } },
    { name: 'PGD l2', config: { kind: 'pgd', norm: 'l2', eps: 0.25, steps: 20, step: 0.25 / 8 } },
  ];
  for (const { name, config } of cases) {
    it(`${name}: robust accuracy strictly below clean and below the best random noise of the same radius`, async () => {
      assert.ok(clean > 0.9, `hand-trained model too weak: clean accuracy ${clean}`);
      const r = await attack(blobs.model, blobs.x, blobs.y, config, { seed: 1 });
      const robust = tf.tidy(() => accuracy(blobs.model.forwardAll(r.xAdv).exits[0]!, blobs.y));
      const noise = noiseAccuracy(config.norm, config.eps);
      assert.ok(robust < clean, `${name}: robust ${robust} vs clean ${clean}`);
      // Noise barely hurts well separated blobs; a gradient attack at the same radius takes far more.
      assert.ok(robust < noise - 0.2, `${name}: robust ${robust} vs random noise ${noise}`);
      const size = norms(blobs.x, r.xAdv)[config.norm];
      for (const s of size) assert.ok(s <= config.eps + TOL, `${name}: perturbation ${s} > eps ${config.eps}`);
      r.xAdv.dispose();
    });
  }

  it('L-inf PGD and FGSM move almost every coordinate by the full eps (sign steps); L2 PGD reaches the sphere', async () => {
    const eps = 0.15;
    for (const config of cases.map((c) => c.config)) {
      const r = await attack(blobs.model, blobs.x, blobs.y, config, { seed: 1 });
      if (config.norm === 'linf') {
        // Coordinates pinned by the input range [0, 1] cannot move by eps; every other one must.
        const share = tf.tidy(() => {
          const moved = tf.greaterEqual(tf.abs(tf.sub(r.xAdv, blobs.x)), eps - TOL);
          const pinned = tf.logicalOr(tf.lessEqual(r.xAdv, TOL), tf.greaterEqual(r.xAdv, 1 - TOL));
          return tf.mean(tf.cast(tf.logicalOr(moved, pinned), 'float32')).dataSync()[0]!;
        });
        assert.ok(share > 0.9, `${config.kind}: only ${share} of coordinates at the full eps`);
      } else {
        const reached = norms(blobs.x, r.xAdv).l2.filter((s) => s >= config.eps * 0.99).length / blobs.x.shape[0];
        assert.ok(reached > 0.5, `L2 PGD reaches its radius for only ${reached} of samples`);
      }
      r.xAdv.dispose();
    }
  });
});


describe('attacks: the mechanism attacks move dynamic inference their way (engine network)', () => {
  before(useCpu);
  const n = 32;
  const eps = 0.15;
  // Thresholds near the median of this network's exit confidence (0.65..0.83) and gate probability (0.79..0.82)
  // on these inputs, so both directions are open to the attacks.
  const exitThreshold = 0.745;
  const gateThreshold = 0.805;
  let model: Network;
  let x: tf.Tensor;
  let y: tf.Tensor1D;
  before(() => {
    const spec = analyzeText(TINY_GATED_SDN, { fileName: 'tiny.dynn.yaml' }).spec;
    assert.ok(spec);
    model = buildModel(spec, { seed: 3 });
    x = tf.randomUniform([n, 8, 8, 1], 0, 1, 'float32', 4);
    y = cyclingLabels(n, 3);
  });
  after(() => {
    tf.dispose([x, y]);
    model.dispose();
  });

  async function figures(input: tf.Tensor): Promise<{ early: number; earlyWrong: number; flops: number; fired: number }> {
    const labels = await y.data();
    const exits = await model.runDynamic(input, { thresholds: [exitThreshold], gatesAlwaysOn: true });
    const gates = await model.runDynamic(input, { thresholds: [1.1], gateThresholds: [gateThreshold] });
    const early = exits.exitIndex.filter((e) => e === 0).length;
    const earlyWrong = exits.exitIndex.filter((e, s) => e === 0 && exits.prediction[s] !== labels[s]).length;
    return { early: early / n, earlyWrong: earlyWrong / n, flops: exits.executed.flops / n, fired: gates.gatesFired.reduce((a, b) => a + b, 0) / n };
  }

  async function noiseFigures(): Promise<Awaited<ReturnType<typeof figures>>[]> {
    const out = [];
    for (const seed of NOISE_SEEDS) {
      const noisy = randomNoise(model, x, eps, 'linf', seed);
      out.push(await figures(noisy));
      noisy.dispose();
    }
    return out;
  }

  async function attacked(config: AttackConfig): Promise<Awaited<ReturnType<typeof figures>>> {
    const r = await attack(model, x, y, config, { seed: 1 });
    try {
      return await figures(r.xAdv);
    } finally {
      tf.dispose([r.xAdv, ...(r.universalDelta ? [r.universalDelta] : [])]);
    }
  }

  it('hijack sends more samples out early and wrong than clean inputs or any random noise do', async () => {
    const base = await figures(x);
    const noise = await noiseFigures();
    const adv = await attacked({ kind: 'hijack', norm: 'linf', eps, steps: 20, step: 0.02 });
    assert.ok(adv.early > base.early && adv.earlyWrong > base.earlyWrong, `hijack ${JSON.stringify(adv)} vs clean ${JSON.stringify(base)}`);
    for (const z of noise) assert.ok(adv.early > z.early && adv.earlyWrong > z.earlyWrong, `hijack ${JSON.stringify(adv)} vs noise ${JSON.stringify(z)}`);
  });

  it('slowdown keeps samples to the final exit and raises executed FLOPs beyond clean and any random noise', async () => {
    const base = await figures(x);
    const noise = await noiseFigures();
    const adv = await attacked({ kind: 'slowdown', norm: 'linf', eps, steps: 10 });
    assert.ok(adv.early < base.early && adv.flops > base.flops, `slowdown ${JSON.stringify(adv)} vs clean ${JSON.stringify(base)}`);
    for (const z of noise) assert.ok(adv.early < z.early && adv.flops > z.flops, `slowdown ${JSON.stringify(adv)} vs noise ${JSON.stringify(z)}`);
  });

  it('the gate attack opens more gates than clean inputs or any random noise do', async () => {
    const base = await figures(x);
    const noise = await noiseFigures();
    const adv = await attacked({ kind: 'gate', norm: 'linf', eps, steps: 10 });
    assert.ok(adv.fired > base.fired, `gate ${adv.fired} vs clean ${base.fired}`);
    for (const z of noise) assert.ok(adv.fired > z.fired, `gate ${adv.fired} vs noise ${z.fired}`);
  });
});
