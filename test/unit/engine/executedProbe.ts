// Measures what dynamic inference really runs, on whatever backend is active (the CPU backend in-process, the WASM
// backend in a child process): the rows runDynamic says entered each part (DynamicRun.executed) and, independently,
// the batch dimension of every Conv2D / MatMul kernel call that tf.profile records, attributed to a layer by the
// shape of its weights. The exit pattern is decided up front from forwardAll's probabilities, with thresholds placed
// in a clear gap between samples, so the expected rows are known before runDynamic runs.
import * as tf from '@tensorflow/tfjs';
import { buildModel, type Network } from '../../../src/engine/network';
import type { ExecutedWork } from '../../../src/engine/executed';
import { specFrom, TINY_YAML } from './helpers';

/** Three segments with distinct conv widths (so every kernel call names its layer), no batchNorm (no folding). */
export const SEGMENTS_YAML = `
dynn: 1
name: segments
input: {shape: [6, 6, 1], range: [0, 1]}
classes: 3
backbone:
  - {type: conv2d, name: c1, filters: 2, kernel: 3, activation: relu}
  - {type: conv2d, name: c2, filters: 5, kernel: 3, activation: relu}
  - {type: conv2d, name: c3, filters: 7, kernel: 3, activation: relu}
  - {type: flatten, name: f}
  - {type: dense, name: logits, units: 3}
exits:
  - {name: e1, after: c1}
  - {name: e2, after: c2}
policy: {kind: maxProb, threshold: 0.5}
data: {source: csv, train: a.csv, test: b.csv}
train: {epochs: 1, batchSize: 8, optimizer: adam, learningRate: 0.01, seed: 1}
`;

const COUNTED_KERNELS = new Set(['Conv2D', 'FusedConv2D', 'DepthwiseConv2dNative', 'FusedDepthwiseConv2D', 'MatMul', '_FusedMatMul', 'BatchMatMul']);

/** Rows each weight's kernel calls received (summed over calls), keyed by weight name; 0 for weights never used. */
async function kernelRows(model: Network, fn: () => Promise<unknown>): Promise<Record<string, number>> {
  const profile = await tf.profile(async () => {
    await fn();
    return [];
  });
  const rows: Record<string, number> = {};
  const kernels = model.weights.filter((w) => w.variable.shape.length >= 2);
  for (const w of kernels) rows[w.name] = 0;
  for (const k of profile.kernels) {
    if (!COUNTED_KERNELS.has(k.name)) continue;
    const [x, filter] = k.inputShapes;
    const owner = kernels.filter((w) => JSON.stringify(w.variable.shape) === JSON.stringify(filter));
    if (owner.length !== 1 || x === undefined) throw new Error(`kernel ${k.name} with weights [${String(filter)}] matches ${owner.length} layers`);
    const name = (owner[0] as (typeof kernels)[number]).name;
    rows[name] = (rows[name] ?? 0) + (x[0] ?? 0);
  }
  return rows;
}

/** A threshold in the widest gap between neighbouring values near the middle of `values` (none equal to it). */
function splitThreshold(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => b - a);
  let best = { gap: -1, at: 0.5 };
  for (let k = Math.floor(sorted.length / 4); k < Math.ceil((3 * sorted.length) / 4); k++) {
    const hi = sorted[k] ?? 0;
    const lo = sorted[k + 1] ?? 0;
    if (hi - lo > best.gap) best = { gap: hi - lo, at: (hi + lo) / 2 };
  }
  if (best.gap < 1e-4) throw new Error('no clear gap between sample confidences; pick another seed');
  return best.at;
}

export interface SegmentsProbe {
  samples: number;
  /** Exit each sample must take, from forwardAll's probabilities and the chosen thresholds. */
  expectedExit: number[];
  exitIndex: number[];
  executed: ExecutedWork;
  /** Sum of DynamicRun.flops (the cost model's price of the paths taken). */
  costModelFlops: number;
  /** FLOPs per sample of each layer and head, from the cost report. */
  layerFlops: Record<string, number>;
  headFlops: number[];
  kernelRows: Record<string, number>;
  /** The same with thresholds 0: every sample leaves at e1. */
  allAtE1: { exitIndex: number[]; executed: ExecutedWork; kernelRows: Record<string, number> };
  /** runDynamic's predictions equal forwardAll's at the exit each sample took. */
  answersMatch: boolean;
}

/** Runs the SEGMENTS_YAML network on `n` seeded samples in batches of `batchSize` and measures everything above. */
export async function probeSegments(n = 24, batchSize = 10): Promise<SegmentsProbe> {
  const model = buildModel(specFrom(SEGMENTS_YAML), { seed: 3 });
  const x = tf.randomUniform([n, 6, 6, 1], 0, 1, 'float32', 2);
  try {
    const probs = tf.tidy(() => model.forwardAll(x).exits.map((e) => tf.softmax(e)));
    // Asynchronous reads: WebGPU in Node has no synchronous one.
    const read = async (t: tf.Tensor): Promise<number[]> => {
      const values = Array.from(await t.data());
      t.dispose();
      return values;
    };
    const confidence = await Promise.all(probs.map((p) => read(tf.tidy(() => tf.max(p, 1)))));
    const predictions = await Promise.all(probs.map((p) => read(tf.tidy(() => tf.argMax(p, 1)))));
    tf.dispose(probs);
    const [conf1, conf2] = confidence as [number[], number[]];
    const t1 = splitThreshold(conf1);
    const stay = conf2.filter((_, s) => (conf1[s] ?? 0) < t1);
    const t2 = splitThreshold(stay);
    const expectedExit = conf1.map((p, s) => (p >= t1 ? 0 : (conf2[s] ?? 0) >= t2 ? 1 : 2));
    let run = await model.runDynamic(x, { thresholds: [t1, t2], batchSize });
    const rows = await kernelRows(model, async () => (run = await model.runDynamic(x, { thresholds: [t1, t2], batchSize })));
    const answersMatch = Array.from(run.prediction).every((p, s) => p === predictions[run.exitIndex[s] ?? 2]?.[s]);
    let early = await model.runDynamic(x, { thresholds: [0, 0], batchSize });
    const earlyRows = await kernelRows(model, async () => (early = await model.runDynamic(x, { thresholds: [0, 0], batchSize })));
    return {
      samples: n,
      expectedExit,
      exitIndex: Array.from(run.exitIndex),
      executed: run.executed,
      costModelFlops: Array.from(run.flops).reduce((a, b) => a + b, 0),
      layerFlops: Object.fromEntries(model.cost.layers.map((l) => [l.name, l.flops])),
      headFlops: model.cost.exits.slice(0, -1).map((e) => e.headFlops),
      kernelRows: rows,
      allAtE1: { exitIndex: Array.from(early.exitIndex), executed: early.executed, kernelRows: earlyRows },
      answersMatch,
    };
  } finally {
    x.dispose();
    model.dispose();
  }
}

export interface GateProbe {
  fired: number;
  samples: number;
  executed: ExecutedWork;
  costModelFlops: number;
  kernelRows: Record<string, number>;
}

/** TINY_YAML (one gated residual block) with no early exit and a gate threshold that opens the block for some. */
export async function probeGate(n = 20): Promise<GateProbe> {
  const model = buildModel(specFrom(TINY_YAML), { seed: 5 });
  const x = tf.randomUniform([n, 8, 8, 1], 0, 1, 'float32', 4);
  try {
    const gate = tf.tidy(() => model.forwardTrain(x, { training: false }, { training: false }).gateProbs[0]!);
    const probs = Array.from(await gate.data());
    gate.dispose();
    const threshold = splitThreshold(probs);
    const options = { thresholds: [1.1, 1.1], gateThresholds: [threshold] };
    let run = await model.runDynamic(x, options);
    const rows = await kernelRows(model, async () => (run = await model.runDynamic(x, options)));
    return {
      fired: probs.filter((p) => p >= threshold).length,
      samples: n,
      executed: run.executed,
      costModelFlops: Array.from(run.flops).reduce((a, b) => a + b, 0),
      kernelRows: rows,
    };
  } finally {
    x.dispose();
    model.dispose();
  }
}
