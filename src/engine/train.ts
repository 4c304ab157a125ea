// Training: weighted sum of exit cross-entropies (joint), or the backbone and final classifier first and then
// only the exit heads on the frozen backbone (exits-only). Seeded shuffles and dropout make runs repeatable.
import * as tf from '@tensorflow/tfjs';
import type { ModelSpec, TrainSpec } from '../modelfile/types';
import { currentBackend } from './backend';
import type { RunContext, WeightGroup } from './layers';
import { MemoryError, assertFitsInMemory, availableBytes, batchForBackend } from './memory';
import { buildModel, buildStaticTwin, type Network } from './network';
import { mulberry32, permutation } from './random';
import type { CancelToken, Dataset, Progress } from './types';
import { host } from '../protocol/host';

export interface TrainOptions {
  /** Overrides spec.train.seed. */
  seed?: number;
  onProgress?: (p: Progress) => void;
  cancel?: CancelToken;
  /** Overrides spec.train.batchSize (e.g. after an out-of-memory fallback). */
  batchSize?: number;
  /** Train the static twin (backbone only, gates forced on) instead of the dynamic network. */
  staticTwin?: boolean;
  /** Weight of the compute penalty on gate probabilities (mean firing probability x block share). */
  gateCostWeight?: number;
  /**
   * Crafts the adversarial part of a batch when the recipe has `adversarial` (the attacks live above the engine, so
   * the caller supplies them). Returns a new tensor of x's shape; the caller of trainNetwork keeps nothing.
   */
  perturb?: AdversarialPerturber;
}

/** PGD on the network being trained, as the recipe's `adversarial` says; seeded per batch. */
export type AdversarialPerturber = (model: Network, x: tf.Tensor, y: tf.Tensor1D, seed: number) => Promise<tf.Tensor>;

/** Samples of a batch of `size` that are made adversarial: the first ceil(fraction x size) (the order is shuffled). */
export function adversarialCount(size: number, fraction: number): number {
  return Math.min(size, Math.max(1, Math.ceil(fraction * size)));
}

export interface TrainMetrics {
  epochs: number;
  /** Mean loss of each epoch, in order (both phases for exits-only). */
  epochLoss: number[];
  /** Training accuracy per exit (exitNames order) over the last epoch of the last phase. */
  perExitTrainAccuracy: number[];
  seconds: number;
  samples: number;
  batchSize: number;
}

export interface TrainResult {
  model: Network;
  metrics: TrainMetrics;
}

const DEFAULT_GATE_COST = 0.1;

function makeOptimizer(train: TrainSpec): tf.Optimizer {
  switch (train.optimizer) {
    case 'adam':
      return tf.train.adam(train.learningRate);
    case 'sgd':
      return tf.train.momentum(train.learningRate, 0.9);
    case 'rmsprop':
      return tf.train.rmsprop(train.learningRate);
  }
}

interface Phase {
  label: string;
  groups: WeightGroup[];
  /** Loss weight per exit (exitNames order); 0 leaves an exit out. */
  weights: number[];
  backboneTraining: boolean;
}

function phasesFor(model: Network, train: TrainSpec): Phase[] {
  const n = model.exitNames.length;
  // The static twin keeps only the final classifier, so of the file's weights (one per exit, final last) it uses
  // the last one: the twin trains with the same recipe as the dynamic network it is compared with.
  const written = train.exitWeights;
  const weights = written === undefined ? new Array<number>(n).fill(1) : model.isStaticTwin ? [written[written.length - 1] ?? 1] : written;
  if (weights.length !== n) {
    throw new Error(`train.exitWeights has ${weights.length} entries but the model has ${n} exits (${model.exitNames.join(', ')}); give one per exit, the final last.`);
  }
  if (model.isStaticTwin || train.mode === 'joint' || n === 1) {
    return [{ label: 'train', groups: ['backbone', 'head', 'gate'], weights, backboneTraining: true }];
  }
  const finalOnly = weights.map((w, i) => (i === n - 1 ? w : 0));
  const headsOnly = weights.map((w, i) => (i === n - 1 ? 0 : w));
  return [
    { label: 'backbone', groups: ['backbone', 'gate'], weights: finalOnly, backboneTraining: true },
    { label: 'exit heads', groups: ['head'], weights: headsOnly, backboneTraining: false },
  ];
}

/** The batch with its first adversarialCount samples replaced by the perturber's examples (a new tensor). */
async function adversarialBatch(model: Network, train: Dataset, idx: Int32Array, fraction: number, perturb: AdversarialPerturber, seed: number): Promise<tf.Tensor> {
  const k = adversarialCount(idx.length, fraction);
  const [xAdvPart, xRest, yPart] = tf.tidy(() => {
    const indices = tf.tensor1d(idx, 'int32');
    const xb = tf.gather(train.x, indices);
    const yb = tf.gather(train.y, indices);
    return [tf.slice(xb, 0, k), tf.slice(xb, k), tf.slice(yb, 0, k)] as const;
  });
  try {
    const adv = await perturb(model, xAdvPart, yPart, seed);
    const out = tf.concat([adv, xRest]);
    adv.dispose();
    return out;
  } finally {
    tf.dispose([xAdvPart, xRest, yPart]);
  }
}

/** Builds and trains the network of a spec (or its static twin) on `train`. */
export async function trainModel(spec: ModelSpec, data: { train: Dataset }, options: TrainOptions = {}): Promise<TrainResult> {
  const seed = options.seed ?? spec.train.seed;
  const backend = currentBackend()?.name;
  const batchSize = options.batchSize ?? spec.train.batchSize;
  assertFitsInMemory(spec, batchSize, true, availableBytes(backend), backend ?? tf.getBackend());
  // The training batch is part of the recipe (it shapes the weights), so WebGPU's limit refuses rather than lowers it.
  const gpu = batchForBackend(spec, batchSize, currentBackend());
  if (gpu.note !== undefined) throw new MemoryError(`'${spec.name}' cannot train at batch ${batchSize} on WebGPU: ${gpu.note.replace(/^batch \d+ lowered to/, 'at most')}. Lower train.batchSize or use another backend.`);
  const model = options.staticTwin ? buildStaticTwin(spec, { seed }) : buildModel(spec, { seed });
  try {
    const metrics = await trainNetwork(model, data.train, { ...options, seed });
    return { model, metrics };
  } catch (err) {
    model.dispose();
    throw err;
  }
}

/** Trains an already built network in place. */
export async function trainNetwork(model: Network, train: Dataset, options: TrainOptions = {}): Promise<TrainMetrics> {
  const recipe = model.spec.train;
  const seed = options.seed ?? recipe.seed;
  const batchSize = Math.max(1, Math.floor(options.batchSize ?? recipe.batchSize));
  const samples = train.x.shape[0] ?? 0;
  if (samples === 0) throw new Error(`No training samples in ${train.description}.`);
  if (train.y.shape[0] !== samples) throw new Error(`Training data has ${samples} images but ${train.y.shape[0]} labels.`);
  const phases = phasesFor(model, recipe);
  const adversarial = recipe.adversarial;
  if (adversarial !== undefined && options.perturb === undefined) {
    throw new Error('train.adversarial needs an attack to craft each batch, and none was given (a bug in the caller: studies/adversarialTraining.ts supplies it)');
  }
  const advLabel = adversarial !== undefined ? `, adversarial PGD-${adversarial.steps} on ${Math.round(100 * adversarial.fraction)}% of each batch` : '';
  const batchesPerEpoch = Math.ceil(samples / batchSize);
  const totalBatches = phases.length * recipe.epochs * batchesPerEpoch;
  const random = mulberry32(seed);
  const nextSeed = (): number => Math.floor(random() * 2 ** 31);
  const gateCost = options.gateCostWeight ?? DEFAULT_GATE_COST;
  const gateShares = model.cost.gates.map((g) => g.blockShare);
  const epochLoss: number[] = [];
  let lastAccuracy = new Array<number>(model.exitNames.length).fill(0);
  const start = performance.now();
  let done = 0;

  for (const phase of phases) {
    const optimizer = makeOptimizer(recipe);
    const vars = model.trainableVariables(phase.groups);
    const backboneCtx: RunContext = { training: phase.backboneTraining, nextSeed };
    const headCtx: RunContext = { training: true, nextSeed };
    try {
      for (let epoch = 0; epoch < recipe.epochs; epoch++) {
        const order = permutation(samples, random);
        let lossSum = 0;
        const correct = new Array<number>(model.exitNames.length).fill(0);
        for (let b = 0; b < batchesPerEpoch; b++) {
          options.cancel?.throwIfCancelled();
          const idx = order.subarray(b * batchSize, Math.min(samples, (b + 1) * batchSize));
          // Drawn only for adversarial training, so clean recipes keep their random stream (and cached weights).
          const batchSeed = adversarial !== undefined ? nextSeed() : 0;
          // Clean training gathers the batch inside the step; adversarial training crafts part of it first.
          const crafted = adversarial !== undefined && options.perturb !== undefined ? await adversarialBatch(model, train, idx, adversarial.fraction, options.perturb, batchSeed) : undefined;
          const stats = tf.tidy(() => {
            const indices = tf.tensor1d(idx, 'int32');
            const xb = crafted ?? tf.gather(train.x, indices);
            const yb = tf.gather(train.y, indices);
            const labels = tf.oneHot(tf.cast(yb, 'int32'), model.classes);
            let hits: tf.Tensor | undefined;
            const loss = optimizer.minimize(
              () => {
                const out = model.forwardTrain(xb, backboneCtx, headCtx);
                const terms = out.exits.map((logits, e) => tf.mul(tf.losses.softmaxCrossEntropy(labels, logits), phase.weights[e] ?? 0));
                const penalty = out.gateProbs.map((p, g) => tf.mul(tf.mean(p), gateCost * (gateShares[g] ?? 0)));
                hits = tf.keep(tf.stack(out.exits.map((logits) => tf.sum(tf.cast(tf.equal(tf.argMax(logits, 1), tf.cast(yb, 'int32')), 'float32')))));
                return tf.addN([...terms, ...penalty]) as tf.Scalar;
              },
              true,
              vars,
            );
            const kept = hits;
            if (loss === null || kept === undefined) throw new Error('The optimizer returned no loss.');
            const packed = tf.concat([tf.reshape(loss, [1]), kept]);
            kept.dispose();
            return packed;
          });
          crafted?.dispose();
          const values = await stats.data();
          stats.dispose();
          const batchLoss = values[0] ?? NaN;
          if (!Number.isFinite(batchLoss)) {
            throw new Error(`Training diverged in ${phase.label} epoch ${epoch + 1}, batch ${b + 1}: loss is ${batchLoss}; lower train.learningRate.`);
          }
          lossSum += batchLoss * idx.length;
          for (let e = 0; e < correct.length; e++) correct[e] = (correct[e] ?? 0) + (values[e + 1] ?? 0);
          done += 1;
          const elapsed = (performance.now() - start) / 1000;
          const seen = b * batchSize + idx.length;
          options.onProgress?.({
            phase: 'train',
            fraction: done / totalBatches,
            etaSeconds: (elapsed / done) * (totalBatches - done),
            message: `${model.isStaticTwin ? 'static twin' : phase.label}${advLabel} epoch ${epoch + 1}/${recipe.epochs}, batch ${b + 1}/${batchesPerEpoch}, loss ${batchLoss.toFixed(4)}, accuracy ${model.exitNames
              .map((name, e) => `${name} ${(((correct[e] ?? 0) / seen) * 100).toFixed(1)}%`)
              .join(', ')}`,
          });
          // Yield to the event loop so cancellation messages and progress get through.
          await host().yieldTurn();
        }
        epochLoss.push(lossSum / samples);
        lastAccuracy = correct.map((c) => c / samples);
      }
    } finally {
      optimizer.dispose();
    }
  }
  return {
    epochs: recipe.epochs,
    epochLoss,
    perExitTrainAccuracy: lastAccuracy,
    seconds: (performance.now() - start) / 1000,
    samples,
    batchSize,
  };
}
