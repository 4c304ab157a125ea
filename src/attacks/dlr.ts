// The Difference of Logits Ratio loss (Croce & Hein 2020) and the targeted per-exit losses APGD-T maximises.
// DLR is invariant to shifting and scaling the logits, so a saturated softmax (an exit answering with probability
// 1 in float32, whose cross-entropy gradient is exactly zero) does not stop it. Formulas: docs/attacks.md.
import * as tf from '@tensorflow/tfjs';
import { crossEntropy, type ExitLoss } from './losses';

/** Guards the denominator when the top logits tie. */
const DLR_TINY = 1e-12;

/**
 * The k largest logits per sample, sorted decreasingly, with a gradient (TF.js's topk has none): each value's
 * gradient goes to the logit it came from.
 */
export function topLogits(logits: tf.Tensor2D, k: number): tf.Tensor2D {
  const classes = logits.shape[1];
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const z = args[0] as tf.Tensor;
    const save = args[1] as tf.GradSaveFunc;
    const { values, indices } = tf.topk(z, k);
    save([indices]);
    return {
      value: values,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const idx = saved[0] as tf.Tensor2D;
        return tf.sum(tf.mul(tf.oneHot(idx, classes), tf.expandDims(dy, 2)), 1);
      },
    };
  });
  return op(logits) as tf.Tensor2D;
}

/** Classes DLR needs: it reads the third-largest logit. */
export const DLR_MIN_CLASSES = 3;
/** Classes targeted DLR needs: it reads the fourth-largest logit. */
export const DLR_TARGETED_MIN_CLASSES = 4;

/** Why DLR cannot run on a model with `classes` classes, or undefined when it can. */
export function dlrRefusal(classes: number, targeted: boolean): string | undefined {
  const needed = targeted ? DLR_TARGETED_MIN_CLASSES : DLR_MIN_CLASSES;
  if (classes >= needed) return undefined;
  const which = targeted ? 'targeted DLR reads the 4th-largest logit' : 'DLR reads the 3rd-largest logit';
  return `the DLR loss needs at least ${needed} classes (${which}); this model has ${classes}`;
}

/**
 * Untargeted DLR per sample: -(z_y - max_{i != y} z_i) / (z_pi1 - z_pi3 + 1e-12), z sorted decreasingly as
 * z_pi1 >= z_pi2 >= ... Positive exactly when the sample is misclassified.
 */
export function dlrLoss(logits: tf.Tensor2D, y: tf.Tensor1D): tf.Tensor1D {
  const classes = logits.shape[1];
  const sorted = topLogits(logits, 3);
  const [z1, , z3] = tf.unstack(sorted, 1) as [tf.Tensor1D, tf.Tensor1D, tf.Tensor1D];
  const hot = tf.oneHot(tf.cast(y, 'int32'), classes);
  const zy = tf.sum(tf.mul(hot, logits), 1);
  // max over i != y: push z_y far below every logit so the max picks (and differentiates) the best other class.
  const bestOther = tf.max(tf.sub(logits, tf.mul(hot, 1e9)), 1);
  return tf.neg(tf.div(tf.sub(zy, bestOther), tf.add(tf.sub(z1, z3), DLR_TINY))) as tf.Tensor1D;
}

/** Targeted DLR per sample: -(z_y - z_t) / (z_pi1 - (z_pi3 + z_pi4) / 2 + 1e-12). */
export function dlrTargetedLoss(logits: tf.Tensor2D, y: tf.Tensor1D, target: tf.Tensor1D): tf.Tensor1D {
  const classes = logits.shape[1];
  const sorted = topLogits(logits, 4);
  const [z1, , z3, z4] = tf.unstack(sorted, 1) as [tf.Tensor1D, tf.Tensor1D, tf.Tensor1D, tf.Tensor1D];
  const zy = tf.sum(tf.mul(tf.oneHot(tf.cast(y, 'int32'), classes), logits), 1);
  const zt = tf.sum(tf.mul(tf.oneHot(tf.cast(target, 'int32'), classes), logits), 1);
  const denominator = tf.add(tf.sub(z1, tf.div(tf.add(z3, z4), 2)), DLR_TINY);
  return tf.neg(tf.div(tf.sub(zy, zt), denominator)) as tf.Tensor1D;
}

/** Targeted cross-entropy: log softmax(z)_t, which is larger the more the exit believes the target class. */
export function targetedCrossEntropy(logits: tf.Tensor2D, target: tf.Tensor1D): tf.Tensor1D {
  const hot = tf.oneHot(tf.cast(target, 'int32'), logits.shape[1]);
  return tf.sum<tf.Tensor1D>(tf.mul(hot, tf.logSoftmax(logits)), 1);
}

export type Criterion = 'ce' | 'dlr';

/** The per-exit loss for a criterion, untargeted or towards `target` (one class per sample). */
export function exitLossFor(criterion: Criterion, target?: tf.Tensor1D): ExitLoss {
  if (target === undefined) {
    return criterion === 'dlr' ? dlrLoss : crossEntropy;
  }
  if (criterion === 'dlr') return (z, y) => dlrTargetedLoss(z, y, target);
  return (z) => targetedCrossEntropy(z, target);
}

/**
 * The target of the `rank`-th targeted run for each sample: the class with the (rank + 1)-th largest clean logit
 * (rank 1 = the runner-up, as AutoAttack's target_class 2). Read back: one class index per sample.
 */
export function rankedTargets(cleanLogits: tf.Tensor2D, rank: number): tf.Tensor1D {
  const classes = cleanLogits.shape[1];
  if (!Number.isInteger(rank) || rank < 1 || rank >= classes) {
    throw new Error(`target rank ${rank}: must be an integer in 1..${classes - 1} (there are ${classes} classes)`);
  }
  return tf.tidy(() => {
    const order = tf.topk(cleanLogits, rank + 1).indices;
    return tf.reshape<tf.Rank.R1>(tf.slice(order, [0, rank], [-1, 1]), [-1]);
  });
}
