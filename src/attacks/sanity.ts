// Checks that tell when an attack's number should not be trusted (AutoAttack-style flags), and the random-noise
// baseline every attack must beat.
import * as tf from '@tensorflow/tfjs';
import type { DifferentiableModel } from '../engine/types';
import type { Norm } from '../modelfile/types';
import { crossEntropy } from './losses';
import { randomOnSphere } from './projection';
import type { SanityFlag } from './types';

/** Flags from the per-sample gradient health the ascent collected. */
export function gradientFlags(alwaysZero: Uint8Array, nonFinite: Uint8Array, label: string): SanityFlag[] {
  const flags: SanityFlag[] = [];
  const n = alwaysZero.length;
  if (n === 0) return flags;
  const nanShare = share(nonFinite);
  if (nanShare > 0) {
    flags.push({
      code: 'nan-gradient',
      severity: 'error',
      message: `${label}: the gradient was NaN or infinite for ${percent(nanShare)} of samples; those entries were treated as zero, so the attack there is not a real attack (check for log(0), division by zero or overflow in the model).`,
    });
  }
  const zeroShare = share(alwaysZero);
  if (zeroShare === 1) {
    flags.push({
      code: 'loss-independent-of-input',
      severity: 'error',
      message: `${label}: the loss's gradient was exactly zero for every sample at every step: the loss does not depend on the input through anything differentiable (argmax, rounding, thresholds or a detached path). Robust accuracy from this attack says nothing; use a transfer or score-based attack.`,
    });
  } else if (zeroShare > 0) {
    flags.push({
      code: 'zero-gradient',
      severity: 'warning',
      message: `${label}: the gradient was exactly zero at every step for ${percent(zeroShare)} of samples (saturated softmax or a flat region): the attack could not move them, so their robustness may be overstated.`,
    });
  }
  return flags;
}

/** Flag when an attack leaves accuracy higher than random noise of the same norm does. */
export function weakerThanNoiseFlag(attackAccuracy: number, noiseAccuracy: number, label: string): SanityFlag | undefined {
  checkShare(attackAccuracy, 'attackAccuracy');
  checkShare(noiseAccuracy, 'noiseAccuracy');
  if (attackAccuracy <= noiseAccuracy) return undefined;
  return {
    code: 'weaker-than-noise',
    severity: 'error',
    message: `${label}: accuracy under the attack (${percent(attackAccuracy)}) is higher than under random noise of the same norm (${percent(noiseAccuracy)}): the gradient is misleading (gradient masking) or the attack is misconfigured.`,
  };
}

/** Flag when robust accuracy exceeds clean accuracy: an attack can only remove correct answers. */
export function robustAboveCleanFlag(robustAccuracy: number, cleanAccuracy: number, label: string): SanityFlag | undefined {
  checkShare(robustAccuracy, 'robustAccuracy');
  checkShare(cleanAccuracy, 'cleanAccuracy');
  if (robustAccuracy <= cleanAccuracy) return undefined;
  return {
    code: 'robust-above-clean',
    severity: 'error',
    message: `${label}: robust accuracy (${percent(robustAccuracy)}) is above clean accuracy (${percent(cleanAccuracy)}); a correct attack keeps the clean input as a candidate, so the model is randomised or the evaluation is inconsistent.`,
  };
}

/**
 * Flags an attack whose robust accuracy goes UP with eps: a larger ball contains the smaller one, so a working
 * attack can only do at least as well there. `results` are one attack's runs (any order).
 */
export function risingWithEpsFlags(results: readonly { id: string; eps: number; robustAccuracy: number }[], samples: number): SanityFlag[] {
  const sorted = [...results].sort((a, b) => a.eps - b.eps);
  const flags: SanityFlag[] = [];
  // Rounding noise is not a rise: it must be at least one sample.
  const oneSample = samples > 0 ? 1 / samples : 0;
  for (let i = 1; i < sorted.length; i++) {
    const [small, large] = [sorted[i - 1], sorted[i]];
    if (small === undefined || large === undefined || large.eps <= small.eps) continue;
    if (large.robustAccuracy - small.robustAccuracy >= oneSample - 1e-12) {
      flags.push({
        code: 'robust-rises-with-eps',
        severity: 'error',
        message: `${large.id}: robust accuracy ${percent(large.robustAccuracy)} at eps ${large.eps} is higher than ${percent(small.robustAccuracy)} at eps ${small.eps}; the larger ball contains the smaller one, so the attack is not converging (too few steps, a step size that does not scale with eps, or masked gradients).`,
      });
    }
  }
  return flags;
}

/** Share of samples at or above which an exit's saturation is flagged. */
export const SATURATION_FLAG_SHARE = 0.1;

/**
 * Share of samples per exit whose softmax is saturated: the top probability is exactly 1 in float32 (the other
 * classes' mass is below 2^-24). `probs[e]` holds samples x classes.
 */
export function saturationShares(probs: readonly Float32Array[], classes: number): number[] {
  return probs.map((p) => {
    const n = Math.floor(p.length / classes);
    let saturated = 0;
    for (let i = 0; i < n; i++) {
      let top = 0;
      for (let c = 0; c < classes; c++) top = Math.max(top, p[i * classes + c] ?? 0);
      if (top >= 1) saturated++;
    }
    return n > 0 ? saturated / n : 0;
  });
}

/** Flags the exits whose softmax is saturated on at least SATURATION_FLAG_SHARE of the clean samples. */
export function saturatedExitFlags(exitNames: readonly string[], shares: readonly number[]): SanityFlag[] {
  const flags: SanityFlag[] = [];
  shares.forEach((share, e) => {
    if (share < SATURATION_FLAG_SHARE) return;
    flags.push({
      code: 'saturated-exit',
      severity: 'warning',
      message: `exit '${exitNames[e] ?? e}' answers with probability exactly 1 (float32) on ${percent(share)} of clean samples: its softmax is saturated, so gradients through its confidence vanish (cross-entropy's shrinks below 1e-7 of its usual size, the policy's confidence has none). Attacks that read this exit through softmax or cross-entropy can stall there; the DLR loss (APGD-T in the ensemble) does not saturate, so trust the ensemble over a single cross-entropy attack.`,
    });
  });
  return flags;
}

/** x plus random noise on the sphere of radius eps (see randomOnSphere), clipped to the model's input range. */
export function randomNoise(model: DifferentiableModel, x: tf.Tensor, eps: number, norm: Norm, seed: number): tf.Tensor {
  return tf.tidy(() => {
    const noisy = tf.add(x, randomOnSphere(x.shape, norm, eps, seed));
    return tf.clipByValue(noisy, model.inputRange[0], model.inputRange[1]);
  });
}

export interface NoiseBaseline {
  /** Accuracy per exit (final last) on x plus random noise of norm eps. */
  accuracyPerExit: number[];
  /** Accuracy at the final exit (the static view). */
  finalAccuracy: number;
  /** Mean cross-entropy at the final exit. */
  meanFinalLoss: number;
}

/** Accuracy under random noise of the same norm and radius as an attack: the floor every attack must beat. */
export async function randomNoiseBaseline(
  model: DifferentiableModel,
  x: tf.Tensor,
  y: tf.Tensor1D,
  eps: number,
  norm: Norm,
  seed: number,
): Promise<NoiseBaseline> {
  const stats = tf.tidy(() => {
    const noisy = randomNoise(model, x, eps, norm, seed);
    const { exits } = model.forwardAll(noisy);
    const labels = tf.cast(y, 'int32');
    const accuracies = exits.map((z) => tf.mean(tf.cast(tf.equal(tf.argMax(z, 1), labels), 'float32')));
    const last = exits[exits.length - 1];
    if (last === undefined) throw new Error(`model '${model.name}' returned no exits`);
    return tf.concat([tf.stack(accuracies), tf.reshape(tf.mean(crossEntropy(last, y)), [1])]);
  });
  const values = Array.from(await stats.data());
  stats.dispose();
  const accuracyPerExit = values.slice(0, -1);
  return {
    accuracyPerExit,
    finalAccuracy: accuracyPerExit[accuracyPerExit.length - 1] ?? 0,
    meanFinalLoss: values[values.length - 1] ?? 0,
  };
}

function share(flags: Uint8Array): number {
  let count = 0;
  for (const f of flags) count += f;
  return flags.length === 0 ? 0 : count / flags.length;
}

function percent(fraction: number): string {
  return `${(100 * fraction).toFixed(1)} %`;
}

function checkShare(value: number, name: string): void {
  if (!Number.isFinite(value) || value < 0 || value > 1) {
    throw new Error(`${name} must be a share between 0 and 1, got ${value}`);
  }
}
