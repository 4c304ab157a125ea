// Bookkeeping shared by every DynamicModel's runDynamic (built networks and imported Layers models).
import type * as tf from '@tensorflow/tfjs';
import type { DynamicRun } from './types';

/** Records that `sample` was answered at `exitIndex`: the argmax of its row of `probs` and that probability. */
export function recordAnswer(run: DynamicRun, sample: number, exitIndex: number, probs: ArrayLike<number>, row: number, classes: number): void {
  let best = 0;
  let value = -Infinity;
  for (let c = 0; c < classes; c++) {
    const p = probs[row * classes + c] ?? -Infinity;
    if (p > value) {
      value = p;
      best = c;
    }
  }
  run.exitIndex[sample] = exitIndex;
  run.prediction[sample] = best;
  run.confidence[sample] = value;
}

/** Throws when `x` is not a batch of `inputShape` samples, naming the model and both shapes. */
export function checkInputShape(model: string, inputShape: readonly number[], x: tf.Tensor): void {
  const got = x.shape.slice(1);
  if (got.length !== inputShape.length || got.some((v, i) => v !== inputShape[i])) {
    throw new Error(`Model '${model}' expects inputs of shape [batch, ${inputShape.join(', ')}], got [${x.shape.join(', ')}].`);
  }
}
