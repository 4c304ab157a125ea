// APGD as Croce & Hein define it: the checkpoint schedule, the step-halving rule, the DLR formulas, the targets,
// and an attack at least as strong as PGD with the same budget, inside its radius, with every exit-aware loss.
import * as assert from 'assert';
import * as tf from '@tensorflow/tfjs';
import { apgdCheckpoints, apgdStep, checkpointHalves } from '../../../src/attacks/apgd';
import { attack, AttackInputError } from '../../../src/attacks/attack';
import { dlrLoss, dlrRefusal, dlrTargetedLoss, rankedTargets, targetedCrossEntropy } from '../../../src/attacks/dlr';
import { exitDecider } from '../../../src/attacks/policy';
import type { AttackConfig } from '../../../src/attacks/types';
import { accuracy, trainedBlobModel, twoExitModel, randomBatch, useCpu } from './models';

const TOL = 1e-5;

function values(t: tf.Tensor): number[] {
  return Array.from(t.dataSync());
}

describe('attacks: APGD (Croce & Hein 2020)', () => {
  before(useCpu);

  it('checkpoints follow w_j = ceil(p_j N), p = 0, 0.22, p_j + max(p_j - p_{j-1} - 0.03, 0.06)', () => {
    assert.deepStrictEqual(apgdCheckpoints(100), [22, 41, 57, 70, 80, 87, 93, 99]);
    assert.deepStrictEqual(apgdCheckpoints(10), [3, 5, 6, 7, 8, 9, 10]);
    assert.deepStrictEqual(apgdCheckpoints(1), [1]);
    assert.throws(() => apgdCheckpoints(0), /integer >= 1/);
  });

  it('halves the step where fewer than 75% of the window raised the loss, or where the best loss stalled after no halving', () => {
    // window 20: sample 0 rose 16 times (>= 15, keeps), sample 1 rose 14 times (halves),
    // sample 2 rose 20 times but its best did not improve and it was not halved last time (halves),
    // sample 3 as sample 2 but halved last time (keeps).
    const out = tf.tidy(() =>
      values(
        checkpointHalves(
          tf.tensor1d([16, 14, 20, 20]),
          20,
          tf.tensor1d([0, 0, 0, 1]),
          tf.tensor1d([1, 1, 2, 2]),
          tf.tensor1d([2, 2, 2, 2]),
        ),
      ),
    );
    assert.deepStrictEqual(out, [0, 1, 1, 0]);
    // exactly rho * window increases is not "fewer": no halving.
    assert.deepStrictEqual(tf.tidy(() => values(checkpointHalves(tf.tensor1d([15]), 20, tf.tensor1d([1]), tf.tensor1d([0]), tf.tensor1d([1])))), [0]);
  });

  it('the update: a signed step of eta, then momentum 0.75 towards it plus 0.25 of the last move, projected', () => {
    const x = tf.tensor2d([[0.5, 0.5]]);
    const current = tf.tensor2d([[0.5, 0.52]]);
    const previous = tf.tensor2d([[0.45, 0.5]]);
    const grad = tf.tensor2d([[2, -3]]);
    const eta = tf.tensor1d([0.1]);
    const first = tf.tidy(() => values(apgdStep({ x, current, previous: undefined, grad, eta }, 'linf', 0.3, [0, 1])));
    // z = x^k + eta sign(g) = [0.6, 0.42]
    [0.6, 0.42].forEach((v, i) => assert.ok(Math.abs((first[i] ?? NaN) - v) < TOL, `first step ${first.join(", ")}`));
    const later = tf.tidy(() => values(apgdStep({ x, current, previous, grad, eta }, 'linf', 0.3, [0, 1])));
    // x^k + 0.75 (z - x^k) + 0.25 (x^k - x^{k-1}) = [0.5 + 0.075 + 0.0125, 0.52 - 0.075 + 0.005]
    [0.5875, 0.45].forEach((v, i) => assert.ok(Math.abs((later[i] ?? NaN) - v) < TOL, `momentum step ${later.join(", ")}`));
    // the projection still applies: eps 0.05 caps the move at 0.55
    const capped = tf.tidy(() => values(apgdStep({ x, current, previous, grad, eta }, 'linf', 0.05, [0, 1])));
    assert.ok(Math.abs((capped[0] ?? NaN) - 0.55) < TOL, `projected ${capped.join(", ")}`);
    tf.dispose([x, current, previous, grad, eta]);
  });

  it('DLR equals -(z_y - max_{i!=y} z_i) / (z_pi1 - z_pi3 + 1e-12), and its targeted form', () => {
    const z = tf.tensor2d([
      [4, 1, 0, -1],
      [4, 1, 0, -1],
      [0.5, 3, 2, 1],
    ]);
    const y = tf.tensor1d([0, 2, 1], 'int32');
    const got = tf.tidy(() => values(dlrLoss(z, y)));
    // sample 0: y on top: -(4 - 1) / (4 - 0); sample 1: -(0 - 4) / (4 - 0); sample 2: -(3 - 2) / (3 - 1)
    const expected = [-3 / 4, 4 / 4, -1 / 2];
    got.forEach((v, i) => assert.ok(Math.abs(v - (expected[i] ?? NaN)) < TOL, `sample ${i}: ${v} vs ${expected[i]}`));
    const t = tf.tensor1d([1, 0, 3], 'int32');
    const gotT = tf.tidy(() => values(dlrTargetedLoss(z, y, t)));
    // denominators: z1 - (z3 + z4) / 2 = 4 - (0 - 1) / 2 = 4.5 and 3 - (1 + 0.5) / 2 = 2.25
    const expectedT = [-(4 - 1) / 4.5, -(0 - 4) / 4.5, -(3 - 1) / 2.25];
    gotT.forEach((v, i) => assert.ok(Math.abs(v - (expectedT[i] ?? NaN)) < TOL, `targeted sample ${i}: ${v} vs ${expectedT[i]}`));
    // targeted CE is log softmax at the target
    const ce = tf.tidy(() => values(targetedCrossEntropy(z, t)));
    const logSoft = tf.tidy(() => tf.logSoftmax(z).arraySync());
    ce.forEach((v, i) => assert.ok(Math.abs(v - (logSoft[i]?.[[1, 0, 3][i] ?? 0] ?? NaN)) < TOL));
    tf.dispose([z, y, t]);
  });

  it('DLR and targeted DLR have the gradient of their formula (finite differences)', () => {
    const base = [[0.3, 2.1, -0.7, 1.2, 0.9], [1.5, -0.2, 0.4, 2.2, -1.1]];
    const y = tf.tensor1d([1, 0], 'int32');
    const t = tf.tensor1d([3, 2], 'int32');
    for (const f of [(z: tf.Tensor2D) => dlrLoss(z, y), (z: tf.Tensor2D) => dlrTargetedLoss(z, y, t)]) {
      const g = tf.tidy(() => tf.grad((z: tf.Tensor) => tf.sum(f(z as tf.Tensor2D)))(tf.tensor2d(base)).arraySync() as number[][]);
      const h = 1e-3;
      for (let i = 0; i < 2; i++) {
        for (let c = 0; c < 5; c++) {
          const at = (d: number) => tf.tidy(() => {
            const z = base.map((row) => row.slice());
            z[i]![c]! += d;
            return tf.sum(f(tf.tensor2d(z))).dataSync()[0]!;
          });
          const numeric = (at(h) - at(-h)) / (2 * h);
          assert.ok(Math.abs(numeric - g[i]![c]!) < 2e-3, `sample ${i} class ${c}: analytic ${g[i]![c]} vs numeric ${numeric}`);
        }
      }
    }
    tf.dispose([y, t]);
  });

  it('DLR says it needs 3 classes (4 when targeted); the attack refuses with that sentence', async () => {
    assert.strictEqual(dlrRefusal(3, false), undefined);
    assert.match(dlrRefusal(2, false) ?? '', /at least 3 classes/);
    assert.match(dlrRefusal(3, true) ?? '', /at least 4 classes/);
    const blobs = trainedBlobModel();
    try {
      await assert.rejects(
        attack(blobs.model, blobs.x, blobs.y, { kind: 'apgd', norm: 'linf', eps: 0.1, criterion: 'dlr', targets: 1 }, { seed: 0 }),
        (e: Error) => e instanceof AttackInputError && /at least 4 classes/.test(e.message),
      );
    } finally {
      blobs.dispose();
    }
  });

  it('targets are the top-k other classes of the clean logits, runner-up first', () => {
    const z = tf.tensor2d([
      [0.1, 5, 3, 4],
      [9, 1, 2, 0],
    ]);
    assert.deepStrictEqual(tf.tidy(() => values(rankedTargets(z, 1))), [3, 2]);
    assert.deepStrictEqual(tf.tidy(() => values(rankedTargets(z, 2))), [2, 1]);
    assert.deepStrictEqual(tf.tidy(() => values(rankedTargets(z, 3))), [0, 3]);
    assert.throws(() => rankedTargets(z, 4), /1\.\.3/);
    z.dispose();
  });

  describe('on a trained model', () => {
    let blobs: ReturnType<typeof trainedBlobModel>;
    before(() => {
      blobs = trainedBlobModel();
    });
    after(() => blobs.dispose());

    const robust = (xAdv: tf.Tensor): number => tf.tidy(() => accuracy(blobs.model.forwardAll(xAdv).exits[0]!, blobs.y));

    for (const norm of ['linf', 'l2'] as const) {
      it(`${norm}: APGD-CE is never weaker than PGD with the same budget and start seed, and stays inside eps and the range`, async () => {
        const eps = norm === 'linf' ? 0.12 : 0.2;
        const pgd = await attack(blobs.model, blobs.x, blobs.y, { kind: 'pgd', norm, eps, steps: 20, step: eps / 8 }, { seed: 4 });
        const ap = await attack(blobs.model, blobs.x, blobs.y, { kind: 'apgd', norm, eps, steps: 20 }, { seed: 4 });
        const [rp, ra] = [robust(pgd.xAdv), robust(ap.xAdv)];
        assert.ok(ra <= rp, `APGD ${ra} vs PGD ${rp}`);
        assert.ok(ra < 0.9, `APGD barely attacked: ${ra}`);
        const [maxNorm, lo, hi] = tf.tidy(() => {
          const d = tf.reshape(tf.sub(ap.xAdv, blobs.x), [blobs.x.shape[0], -1]);
          const n = norm === 'linf' ? tf.max(tf.abs(d), 1) : tf.norm(d, 'euclidean', 1);
          return [tf.max(n).dataSync()[0]!, tf.min(ap.xAdv).dataSync()[0]!, tf.max(ap.xAdv).dataSync()[0]!];
        });
        assert.ok(maxNorm <= eps + TOL, `perturbation ${maxNorm} > eps ${eps}`);
        assert.ok(lo >= -TOL && hi <= 1 + TOL, `outside [0, 1]: ${lo}..${hi}`);
        // one restart: N + 1 gradient evaluations per sample (the start, then one per iteration)
        assert.strictEqual(ap.gradEvals, 21 * blobs.x.shape[0]);
        tf.dispose([pgd.xAdv, ap.xAdv]);
      });
    }

    it('DLR (3 classes) breaks samples too, and restarts only revisit the samples still standing', async () => {
      const one = await attack(blobs.model, blobs.x, blobs.y, { kind: 'apgd', norm: 'linf', eps: 0.12, steps: 10, criterion: 'dlr' }, { seed: 2 });
      const three = await attack(blobs.model, blobs.x, blobs.y, { kind: 'apgd', norm: 'linf', eps: 0.12, steps: 10, criterion: 'dlr', restarts: 3 }, { seed: 2 });
      const [r1, r3] = [robust(one.xAdv), robust(three.xAdv)];
      assert.ok(r1 < 0.9, `DLR barely attacked: ${r1}`);
      assert.ok(r3 <= r1, `restarts made it weaker: ${r3} vs ${r1}`);
      const n = blobs.x.shape[0];
      const standing = Math.round(r1 * n);
      // restarts 2 and 3 attack at most the samples restart 1 left standing
      assert.ok(three.gradEvals <= 11 * n + 2 * 11 * standing + 1e-9, `gradEvals ${three.gradEvals} for ${standing} standing of ${n}`);
      assert.ok(three.gradEvals > 11 * n, 'the later restarts did not run');
      tf.dispose([one.xAdv, three.xAdv]);
    });
  });

  it('works with every exit-aware loss and targeted DLR on a two-exit model with 4 classes', async () => {
    const m = twoExitModel(8, 16, 4, 3);
    const x = randomBatch(24, 8, 5);
    const y = tf.tidy(() => tf.argMax<tf.Tensor1D>(m.forwardAll(x).exits[1]!, 1));
    const policy = exitDecider({ kind: 'maxProb', thresholds: [0.6], patience: 2 });
    try {
      for (const loss of ['final', 'exit:exit0', 'average', 'maxAverage', 'taken'] as const) {
        for (const extra of [{}, { criterion: 'dlr' as const, targets: 2 }]) {
          const config: AttackConfig = { kind: 'apgd', norm: 'linf', eps: 0.3, steps: 8, loss, ...extra };
          const r = await attack(m, x, y, config, { seed: 1, policy });
          const acc = tf.tidy(() => accuracy(m.forwardAll(r.xAdv).exits[loss === 'exit:exit0' ? 0 : 1]!, y));
          const clean = tf.tidy(() => accuracy(m.forwardAll(x).exits[loss === 'exit:exit0' ? 0 : 1]!, y));
          assert.ok(acc < clean, `${loss} ${JSON.stringify(extra)}: ${acc} vs clean ${clean}`);
          r.xAdv.dispose();
        }
      }
      await assert.rejects(attack(m, x, y, { kind: 'apgd', norm: 'linf', eps: 0.1, loss: 'taken' }, { seed: 1 }), /policy/);
      await assert.rejects(attack(m, x, y, { kind: 'apgd', norm: 'linf', eps: 0.1, targets: 4 }, { seed: 1 }), /only 3 other classes/);
    } finally {
      m.dispose();
      tf.dispose([x, y]);
    }
  });
});
