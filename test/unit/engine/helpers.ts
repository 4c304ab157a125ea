// Shared helpers for the engine's unit tests: the pure-JS backend (fast to start, has every kernel) and tiny specs.
import * as tf from '@tensorflow/tfjs';

export async function useCpuBackend(): Promise<void> {
  await tf.setBackend('cpu');
  await tf.ready();
}

export function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0] ?? Infinity);
}

/**
 * Gives every batch-norm layer of `model` seeded, non-trivial statistics, as after training. `betaMin` below 0 lets
 * the shift send values below zero, so a following relu matters.
 */
export function randomBatchNormStats(model: { weights: readonly { name: string; variable: tf.Variable }[] }, betaMin = 0.2): void {
  for (const w of model.weights.filter((x) => /bn\d\/(moving_|gamma|beta)/.test(x.name))) {
    w.variable.assign(tf.tidy(() => tf.randomUniform(w.variable.shape, /beta/.test(w.name) ? betaMin : 0.2, 1.5, 'float32', w.name.length)));
  }
}

import { analyzeText } from '../../../src/modelfile';
import type { ModelSpec } from '../../../src/modelfile/types';

/** Parses a model file text and fails loudly on any error diagnostic (tests must start from valid specs). */
export function specFrom(text: string): ModelSpec {
  const analysis = analyzeText(text, { fileName: 'test.dynn.yaml' });
  const errors = analysis.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length > 0 || analysis.spec === undefined) {
    throw new Error(`test spec invalid: ${errors.map((d) => `${d.code}: ${d.message}`).join('; ')}`);
  }
  return analysis.spec;
}

/** A tiny SDN-style CNN on 8x8x1 inputs with two internal exits and one gated residual block. */
export const TINY_YAML = `
dynn: 1
name: tiny
input: {shape: [8, 8, 1], range: [0, 1]}
classes: 3
backbone:
  - {type: conv2d, name: c1, filters: 4, kernel: 3, activation: relu}
  - {type: batchNorm, name: bn1}
  - type: residual
    name: r1
    layers:
      - {type: conv2d, filters: 4, kernel: 3, activation: relu}
      - {type: depthwiseConv2d, kernel: 3}
  - {type: maxPool, name: p1, size: 2}
  - {type: conv2d, name: c2, filters: 6, kernel: 3, activation: relu}
  - {type: avgPool, name: p2, size: 2}
  - {type: dropout, name: d1, rate: 0.1}
  - {type: flatten, name: f}
  - {type: dense, name: logits, units: 3}
exits:
  - {name: e1, after: c1}
  - name: e2
    after: c2
    head:
      - {type: globalPool, mode: mixed}
      - {type: dense, units: 3}
gates:
  - {name: g1, block: r1}
policy: {kind: maxProb, threshold: 0.5}
data: {source: csv, train: train.csv, test: test.csv}
train: {epochs: 2, batchSize: 16, optimizer: adam, learningRate: 0.01, seed: 7}
`;

/** Seeded random images in [0, 1] whose class is decided by which third of the image is brightest. */
export function tinyData(n: number, seed = 1): { x: import('@tensorflow/tfjs').Tensor4D; y: import('@tensorflow/tfjs').Tensor1D; description: string } {
  return tf.tidy(() => {
    const y = tf.randomUniform<tf.Rank.R1>([n], 0, 3, 'int32', seed);
    const noise = tf.randomUniform([n, 8, 8, 1], 0, 0.5, 'float32', seed + 1);
    const rows = tf.range(0, 8).div(8 / 3).floor().reshape([1, 8, 1, 1]);
    const bright = tf.cast(tf.equal(rows, tf.reshape(tf.cast(y, 'float32'), [n, 1, 1, 1])), 'float32').mul(0.5);
    return { x: tf.add<tf.Tensor4D>(noise, bright), y: tf.cast<tf.Tensor1D>(y, 'float32'), description: `tiny synthetic (${n})` };
  });
}
