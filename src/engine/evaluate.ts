// Clean evaluation of a built network: accuracy of every exit, dynamic accuracy and cost, EEC.
import * as tf from '@tensorflow/tfjs';
import type { Network } from './network';
import type { Dataset, DynamicModel, DynamicRun, InferenceOptions } from './types';

export interface Evaluation {
  /** Accuracy of each exit on every test sample (exitNames order, final last). */
  perExitAccuracy: number[];
  /** Accuracy of the answers dynamic inference gave. */
  dynamicAccuracy: number;
  /** Share of samples answered at each exit (final last); sums to 1. */
  exitDistribution: number[];
  /** Mean executed FLOPs per sample / the full network's FLOPs (every head and gate: CostReport.fullFlops). */
  meanFlopsRatio: number;
  /** Mean executed FLOPs per sample / the static backbone's FLOPs (CostReport.staticFlops). */
  meanFlopsVsStatic: number;
  meanFlops: number;
  /** Early-exit capacity (area under exited-fraction vs FLOPs share): 1 = all leave at once, lower = slower. */
  eec: number;
  /** Wall time of dynamic inference per sample in milliseconds. */
  millisPerSample: number;
  samples: number;
}

/** Accuracy of every exit, computed in batches with forwardAll. */
export async function perExitAccuracy(model: DynamicModel, data: Dataset, batchSize = 256): Promise<number[]> {
  const n = data.x.shape[0] ?? 0;
  const hits = new Array<number>(model.exitNames.length).fill(0);
  for (let begin = 0; begin < n; begin += batchSize) {
    const size = Math.min(batchSize, n - begin);
    const counts = tf.tidy(() => {
      const out = model.forwardAll(tf.slice(data.x, begin, size));
      const y = tf.cast(tf.slice(data.y, begin, size), 'int32');
      return tf.stack(out.exits.map((l) => tf.sum(tf.cast(tf.equal(tf.argMax(l, 1), y), 'float32'))));
    });
    const values = await counts.data();
    counts.dispose();
    values.forEach((v, e) => (hits[e] = (hits[e] ?? 0) + v));
  }
  return hits.map((h) => (n > 0 ? h / n : 0));
}

/**
 * EEC (DeepSloth): area under the step curve of the cumulative fraction of samples that have exited by exit i
 * against the FLOPs share of exit i.
 */
export function earlyExitCapacity(exitIndex: Int32Array, flopsAtExit: readonly number[], fullFlops: number): number {
  const n = exitIndex.length;
  if (n === 0 || fullFlops <= 0) return 0;
  const counts = new Array<number>(flopsAtExit.length).fill(0);
  for (const e of exitIndex) counts[e] = (counts[e] ?? 0) + 1;
  let area = 0;
  let cumulative = 0;
  for (let i = 0; i < flopsAtExit.length; i++) {
    cumulative += (counts[i] ?? 0) / n;
    const from = Math.min(1, (flopsAtExit[i] ?? 0) / fullFlops);
    const to = i + 1 < flopsAtExit.length ? Math.min(1, (flopsAtExit[i + 1] ?? 0) / fullFlops) : 1;
    area += cumulative * Math.max(0, to - from);
  }
  return area;
}

/** Share of samples per exit (final last). */
export function exitDistribution(exitIndex: Int32Array, exits: number): number[] {
  const counts = new Array<number>(exits).fill(0);
  for (const e of exitIndex) counts[e] = (counts[e] ?? 0) + 1;
  return counts.map((c) => (exitIndex.length > 0 ? c / exitIndex.length : 0));
}

export function dynamicAccuracy(run: DynamicRun, labels: ArrayLike<number>): number {
  let hits = 0;
  for (let i = 0; i < run.prediction.length; i++) if (run.prediction[i] === labels[i]) hits++;
  return run.prediction.length > 0 ? hits / run.prediction.length : 0;
}

export async function evaluate(model: Network, test: Dataset, options: InferenceOptions = {}): Promise<Evaluation> {
  const accuracy = await perExitAccuracy(model, test, options.batchSize);
  const run = await model.runDynamic(test.x, options);
  const labels = await test.y.data();
  const n = run.flops.length;
  // What ran, counted from the tensors (the cost model's per-sample figure is the cross-check in studies/).
  const meanFlops = n > 0 ? run.executed.flops / n : 0;
  return {
    perExitAccuracy: accuracy,
    dynamicAccuracy: dynamicAccuracy(run, labels),
    exitDistribution: exitDistribution(run.exitIndex, model.exitNames.length),
    meanFlopsRatio: model.fullFlops > 0 ? meanFlops / model.fullFlops : 0,
    meanFlopsVsStatic: model.cost.staticFlops > 0 ? meanFlops / model.cost.staticFlops : 0,
    meanFlops,
    eec: earlyExitCapacity(run.exitIndex, model.flopsAtExit, model.fullFlops),
    millisPerSample: n > 0 ? run.millis / n : 0,
    samples: n,
  };
}
