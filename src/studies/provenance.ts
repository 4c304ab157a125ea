// Where a run's numbers came from: backend, versions, weights, data.
import * as tf from '@tensorflow/tfjs';
import { TOOL_VERSION } from '../protocol/version';
import type { LoadOrTrainResult } from '../engine/cache';
import { WEIGHTS_DIR } from '../engine/workspace';

export function tfjsVersion(): string {
  return tf.version.tfjs;
}

export function currentToolVersion(): string {
  return TOOL_VERSION;
}

/**
 * "cache .dynn/weights/<key> (trained 3 epochs in 41 s)", "trained this run (3 epochs, 41 s)", or, when the cached
 * entry was damaged, what was wrong with it and that the weights were trained again.
 */
export function describeWeights(result: LoadOrTrainResult, what = 'weights'): string {
  const m = result.metrics;
  const recipe = m ? `${m.epochs} epoch${m.epochs === 1 ? '' : 's'} on ${m.samples} samples, batch ${m.batchSize}, ${m.seconds.toFixed(1)} s` : 'training metrics not recorded';
  if (result.cached) return `${what}: cache ${WEIGHTS_DIR}/${result.key} (${recipe})`;
  if (result.cacheProblem !== undefined) return `${what}: the cache entry ${WEIGHTS_DIR}/${result.key} was damaged and not used (${result.cacheProblem}); retrained this run (${recipe})`;
  return `${what}: trained this run (${recipe})`;
}
