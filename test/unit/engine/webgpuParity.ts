// What the parity test compares between two backends, measured on whichever backend is active: a tiny gated
// early-exit model's clean logits at every exit, its dynamic predictions, and PGD from the same seeded start
// (the adversarial examples and how many samples stay correct). Weights are built once (seeded) and read back as
// plain arrays, so each backend starts from identical numbers.
import * as tf from '@tensorflow/tfjs';
import { attack } from '../../../src/attacks/attack';
import { exitDecider } from '../../../src/attacks/policy';
import { policyFromSpec } from '../../../src/engine/policy';
import { buildModel, type Network } from '../../../src/engine/network';
import { trainModel } from '../../../src/engine/train';
import { randomBatchNormStats, specFrom, TINY_YAML } from './helpers';

export const PARITY_SAMPLES = 12;
export const PARITY_EPS = 0.1;
export const PARITY_STEPS = 4;

export interface ParityRun {
  backend: string;
  logits: number[][];
  prediction: number[];
  exitIndex: number[];
  adversarial: number[];
  robustCorrect: number;
  labels: number[];
  /** Per sample 1 where APGD-CE's example is misclassified by the dynamic prediction. */
  apgdBroken: number[];
}

/** Builds the model with seeded weights and trained-like batch-norm statistics; its weights as arrays. */
export function parityModel(weights?: number[][]): { model: Network; weights: number[][] } {
  const model = buildModel(specFrom(TINY_YAML), { seed: 11 });
  if (weights === undefined) randomBatchNormStats(model);
  else model.weights.forEach((w, i) => w.variable.assign(tf.tensor(weights[i] ?? [], w.variable.shape)));
  return { model, weights: model.weights.map((w) => Array.from(w.variable.dataSync())) };
}

/** Measures the model on the active backend. */
export async function parityRun(model: Network): Promise<ParityRun> {
  const x = tf.randomUniform([PARITY_SAMPLES, 8, 8, 1], 0, 1, 'float32', 5);
  // Labels the clean model gives at its final exit, shifted for every third sample: some right, some wrong.
  const exits = tf.tidy(() => model.forwardAll(x).exits);
  const clean = await Promise.all(exits.map((e) => e.array()));
  tf.dispose(exits);
  const final = clean[clean.length - 1] ?? [];
  const labels = final.map((row, i) => (row.indexOf(Math.max(...row)) + (i % 3 === 0 ? 1 : 0)) % row.length);
  const y = tf.tensor1d(labels, 'int32');
  const run = await model.runDynamic(x);
  // The 'taken' loss reads the policy's exit choice mid-gradient: the path WebGPU must prepare asynchronously.
  const policy = exitDecider(policyFromSpec(model.spec.policy, model.spec.exits));
  const adv = await attack(model, x, y, { kind: 'pgd', norm: 'linf', eps: PARITY_EPS, steps: PARITY_STEPS, loss: 'taken' }, { seed: 3, policy });
  const advRun = await model.runDynamic(adv.xAdv);
  const result: ParityRun = {
    backend: tf.getBackend(),
    logits: clean.flat(),
    prediction: Array.from(run.prediction),
    exitIndex: Array.from(run.exitIndex),
    adversarial: Array.from(await adv.xAdv.data()),
    robustCorrect: Array.from(advRun.prediction).filter((p, i) => p === labels[i]).length,
    labels,
    apgdBroken: [],
  };
  // APGD-CE at the taken exit (the tiny model has 3 classes, too few for DLR): its policy choice and judge are read asynchronously.
  const apgd = await attack(model, x, y, { kind: 'apgd', norm: 'linf', eps: PARITY_EPS, steps: PARITY_STEPS, loss: 'taken', criterion: 'ce' }, { seed: 4, policy });
  const apgdRun = await model.runDynamic(apgd.xAdv);
  result.apgdBroken = Array.from(apgdRun.prediction).map((p, i) => (p === labels[i] ? 0 : 1));
  tf.dispose([x, y, adv.xAdv, apgd.xAdv]);
  return result;
}

export interface TrainParity {
  backend: string;
  epochLoss: number[];
  weights: number[][];
}

/** Trains the tiny model for one epoch on 24 seeded samples (batch 8) on the active backend. */
export async function parityTrain(): Promise<TrainParity> {
  const spec = specFrom(TINY_YAML);
  const x = tf.randomUniform([24, 8, 8, 1], 0, 1, 'float32', 9);
  const y = tf.tensor1d(Array.from({ length: 24 }, (_, i) => i % 3), 'int32');
  const { model, metrics } = await trainModel({ ...spec, train: { ...spec.train, epochs: 1, batchSize: 8 } }, { train: { x, y, description: 'seeded' } });
  const weights = await Promise.all(model.weights.map(async (w) => Array.from(await w.variable.data())));
  model.dispose();
  tf.dispose([x, y]);
  return { backend: tf.getBackend(), epochLoss: metrics.epochLoss, weights };
}
