// Lp-ball geometry per sample: projection, normalised steps, random starts. Every function is pure tensor math
// (no read-back) and returns new tensors; callers wrap them in tf.tidy.
import * as tf from '@tensorflow/tfjs';
import type { Norm } from '../modelfile/types';

/** Guards divisions by a norm that can be zero (a zero gradient or a zero perturbation). */
const TINY = 1e-12;

/** Per-sample L2 norm of a batch, shape [batch, 1, ..., 1] so it broadcasts against the batch. */
export function perSampleL2(t: tf.Tensor): tf.Tensor {
  const flat = tf.reshape(t, [t.shape[0] ?? 1, -1]);
  const norms = tf.sqrt(tf.sum(tf.square(flat), 1));
  return tf.reshape(norms, broadcastShape(t));
}

/** Per-sample L-inf norm of a batch, shape [batch]. */
export function perSampleLinf(t: tf.Tensor): tf.Tensor1D {
  return tf.max(tf.abs(tf.reshape(t, [t.shape[0] ?? 1, -1])), 1);
}

function broadcastShape(t: tf.Tensor): number[] {
  return [t.shape[0] ?? 1, ...t.shape.slice(1).map(() => 1)];
}

/** Projects a perturbation onto the ball of radius eps (per sample for L2: rescale when the norm exceeds eps). */
export function projectDelta(delta: tf.Tensor, norm: Norm, eps: number): tf.Tensor {
  if (norm === 'linf') return tf.clipByValue(delta, -eps, eps);
  const n = perSampleL2(delta);
  const factor = tf.minimum(tf.scalar(1), tf.div(tf.scalar(eps), tf.maximum(n, TINY)));
  return tf.mul(delta, factor);
}

/**
 * x' = clip(x + P(xAdv - x), range). Clipping after the projection keeps both constraints: x lies in the range,
 * so clipping only moves each coordinate toward x and can only shrink the perturbation's L-inf and L2 norm.
 */
export function projectAndClip(
  xAdv: tf.Tensor,
  x: tf.Tensor,
  norm: Norm,
  eps: number,
  range: readonly [number, number],
): tf.Tensor {
  const delta = projectDelta(tf.sub(xAdv, x), norm, eps);
  return tf.clipByValue(tf.add(x, delta), range[0], range[1]);
}

/** Ascent direction for one step: sign(g) for L-inf, g / ||g||_2 per sample for L2. NaNs count as zero. */
export function ascentDirection(grad: tf.Tensor, norm: Norm): tf.Tensor {
  const g = tf.where(tf.isNaN(grad), tf.zerosLike(grad), grad);
  if (norm === 'linf') return tf.sign(g);
  return tf.div(g, tf.maximum(perSampleL2(g), TINY));
}

/**
 * Random point in the ball of radius eps, same shape as `shape`, seeded: uniform in the L-inf box; for L2 a
 * uniform point in the ball (Gaussian direction, radius eps * u^(1/d)).
 */
export function randomInBall(shape: number[], norm: Norm, eps: number, seed: number): tf.Tensor {
  if (norm === 'linf') return tf.randomUniform(shape, -eps, eps, 'float32', seed);
  const direction = tf.randomNormal(shape, 0, 1, 'float32', seed);
  const unit = tf.div(direction, tf.maximum(perSampleL2(direction), TINY));
  const d = shape.slice(1).reduce((a, b) => a * b, 1);
  const u = tf.randomUniform([shape[0] ?? 1, ...shape.slice(1).map(() => 1)], 0, 1, 'float32', seed + 1);
  return tf.mul(unit, tf.mul(tf.pow(u, 1 / d), eps));
}

/**
 * Random noise ON the sphere of radius eps (the strongest random perturbation of that norm): random signs times
 * eps for L-inf, a Gaussian direction scaled to eps for L2.
 */
export function randomOnSphere(shape: number[], norm: Norm, eps: number, seed: number): tf.Tensor {
  if (norm === 'linf') {
    const u = tf.randomUniform(shape, 0, 1, 'float32', seed);
    return tf.mul(tf.sub(tf.mul(tf.step(tf.sub(u, 0.5)), 2), 1), eps);
  }
  const direction = tf.randomNormal(shape, 0, 1, 'float32', seed);
  return tf.mul(tf.div(direction, tf.maximum(perSampleL2(direction), TINY)), eps);
}
