import * as assert from 'assert';
import * as tf from '@tensorflow/tfjs';
import { projectAndClip, randomInBall, randomOnSphere, ascentDirection } from '../../../src/attacks/projection';
import { useCpu } from './models';

const TOL = 1e-6;

function maxAbsPerSample(t: tf.Tensor): number[] {
  return tf.tidy(() => Array.from(tf.max(tf.abs(tf.reshape(t, [t.shape[0] ?? 1, -1])), 1).dataSync()));
}
function l2PerSample(t: tf.Tensor): number[] {
  return tf.tidy(() => Array.from(tf.sqrt(tf.sum(tf.square(tf.reshape(t, [t.shape[0] ?? 1, -1])), 1)).dataSync()));
}

describe('attacks: projection onto the eps ball and the input range', () => {
  before(useCpu);

  // Property test: 30 random cases, each with random shapes, radii and ranges.
  for (const norm of ['linf', 'l2'] as const) {
    it(`${norm}: random points land inside the ball and the range; points inside stay put`, () => {
      for (let trial = 0; trial < 30; trial++) {
        const low = trial % 3 === 0 ? -1 : 0;
        const high = trial % 3 === 0 ? 1 : trial % 3 === 1 ? 1 : 255;
        const eps = ((trial % 7) + 1) * (norm === 'linf' ? 0.05 : 0.4) * (high - low);
        const shape = [1 + (trial % 5), 2 + (trial % 3), 3];
        tf.tidy(() => {
          const x = tf.randomUniform(shape, low, high, 'float32', 100 + trial);
          const far = tf.add(x, tf.randomNormal(shape, 0, 3 * eps, 'float32', 200 + trial));
          const p = projectAndClip(far, x, norm, eps, [low, high]);
          const delta = tf.sub(p, x);
          const sizes = norm === 'linf' ? maxAbsPerSample(delta) : l2PerSample(delta);
          for (const s of sizes) assert.ok(s <= eps * (1 + TOL) + TOL, `norm ${s} > eps ${eps}`);
          assert.ok((tf.min(p).dataSync()[0] ?? NaN) >= low - TOL);
          assert.ok((tf.max(p).dataSync()[0] ?? NaN) <= high + TOL);
          // A point already inside both sets is a fixed point of the projection.
          const inside = projectAndClip(tf.add(x, tf.mul(randomInBall(shape, norm, eps, 300 + trial), 0.5)), x, norm, eps, [low, high]);
          const again = projectAndClip(inside, x, norm, eps, [low, high]);
          assert.ok((tf.max(tf.abs(tf.sub(again, inside))).dataSync()[0] ?? 1) <= TOL * Math.max(1, high));
        });
      }
    });
  }

  it('l2 projection of a point outside the ball lands on the sphere (when unclipped)', () => {
    tf.tidy(() => {
      const x = tf.fill([3, 10], 0.5);
      const far = tf.add(x, tf.randomNormal([3, 10], 0, 1, 'float32', 5));
      const p = projectAndClip(far, x, 'l2', 0.1, [-100, 100]);
      for (const n of l2PerSample(tf.sub(p, x))) assert.ok(Math.abs(n - 0.1) < 1e-6, `norm ${n}`);
    });
  });

  it('random starts lie in the ball; sphere noise has exactly norm eps', () => {
    tf.tidy(() => {
      for (const n of maxAbsPerSample(randomInBall([4, 50], 'linf', 0.3, 1))) assert.ok(n <= 0.3 + TOL);
      for (const n of l2PerSample(randomInBall([4, 50], 'l2', 2, 1))) assert.ok(n <= 2 + TOL);
      const s = randomOnSphere([4, 50], 'linf', 0.3, 2);
      assert.ok(Array.from(tf.abs(s).dataSync()).every((v) => Math.abs(v - 0.3) < TOL));
      for (const n of l2PerSample(randomOnSphere([4, 50], 'l2', 2, 2))) assert.ok(Math.abs(n - 2) < 1e-5);
    });
  });

  it('ascent direction: sign for linf, unit L2 per sample, NaN entries as zero', () => {
    tf.tidy(() => {
      const g = tf.tensor2d([[3, -0.5, 0], [0, 4, NaN]]);
      assert.deepStrictEqual(Array.from(ascentDirection(g, 'linf').dataSync()), [1, -1, 0, 0, 1, 0]);
      const l2 = ascentDirection(g, 'l2');
      const n = l2PerSample(l2);
      assert.ok(Math.abs((n[0] ?? 0) - 1) < 1e-6 && Math.abs((n[1] ?? 0) - 1) < 1e-6);
      const zero = ascentDirection(tf.zeros([2, 3]), 'l2');
      assert.deepStrictEqual(Array.from(zero.dataSync()), [0, 0, 0, 0, 0, 0]);
    });
  });
});
