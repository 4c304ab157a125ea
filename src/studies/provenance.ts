// Where a run's numbers came from: backend, versions, weights, data.
import * as tf from '@tensorflow/tfjs';
import { toolVersion } from '../cli/version';
import type { LoadOrTrainResult } from '../engine/cache';

export function tfjsVersion(): string {
  return tf.version.tfjs;
}

export function currentToolVersion(): string {
  return toolVersion(__dirname);
}

/** "cache .dynn/weights/<key> (trained 3 epochs in 41 s)" or "trained this run (3 epochs, 41 s)". */
export function describeWeights(result: LoadOrTrainResult, what = 'weights'): string {
  const m = result.metrics;
  const recipe = m ? `${m.epochs} epoch${m.epochs === 1 ? '' : 's'} on ${m.samples} samples, batch ${m.batchSize}, ${m.seconds.toFixed(1)} s` : 'training metrics not recorded';
  const problem = result.cacheProblem !== undefined ? `; the cached entry was unusable (${result.cacheProblem}) and was replaced` : '';
  return result.cached ? `${what}: cache .dynn/weights/${result.key} (${recipe})` : `${what}: trained this run (${recipe})${problem}`;
}
