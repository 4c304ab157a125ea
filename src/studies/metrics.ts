// Pure figures computed from per-sample records (exit taken, prediction, label, FLOPs, gates): no tensors here, so
// every number a check reports can be unit-tested on hand-made arrays.
import { earlyExitCapacity, exitDistribution } from '../engine/evaluate';
import type { ExecutedWork } from '../engine/executed';

/** What one inference pass decided for each sample (from runDynamic, or from replaying the policy). */
export interface PassRecord {
  exitIndex: Int32Array;
  prediction: Int32Array;
  /** FLOPs the cost model charges each sample for the path it took. */
  flops: Float64Array;
  /** [sample * gates + gate] = 1 when the gate fired; empty without gates. */
  gatesFired: Uint8Array;
  /** What ran, counted from the tensors (runDynamic); absent for a design replayed on recorded exits, which ran
   *  nothing and is priced by the cost model alone. */
  executed?: ExecutedWork;
}

/** Share of samples whose prediction equals the label. */
export function accuracy(prediction: ArrayLike<number>, labels: ArrayLike<number>): number {
  checkLengths(prediction, labels);
  let hits = 0;
  for (let i = 0; i < prediction.length; i++) if (prediction[i] === labels[i]) hits++;
  return prediction.length > 0 ? hits / prediction.length : 0;
}

export function mean(values: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i] ?? 0;
  return values.length > 0 ? sum / values.length : 0;
}

/** Per gate: share of samples whose gate fired. */
export function gateFiringRate(gatesFired: Uint8Array, samples: number, gates: number): number[] {
  if (gates === 0) return [];
  if (gatesFired.length !== samples * gates) throw new Error(`gatesFired has ${gatesFired.length} entries; expected ${samples} samples x ${gates} gates.`);
  const fired = new Array<number>(gates).fill(0);
  for (let s = 0; s < samples; s++) for (let g = 0; g < gates; g++) fired[g] = (fired[g] ?? 0) + (gatesFired[s * gates + g] ?? 0);
  return fired.map((f) => (samples > 0 ? f / samples : 0));
}

/**
 * Share of samples answered wrongly before the final exit (the network both stopped early and was wrong), and the
 * same per internal exit. `exits` counts every exit, the final included.
 */
export function hijackRates(pass: Pick<PassRecord, 'exitIndex' | 'prediction'>, labels: ArrayLike<number>, exits: number): { rate: number; byExit: number[] } {
  checkLengths(pass.prediction, labels);
  const n = pass.prediction.length;
  const byExit = new Array<number>(Math.max(0, exits - 1)).fill(0);
  let total = 0;
  for (let i = 0; i < n; i++) {
    const e = pass.exitIndex[i] ?? exits - 1;
    if (e < exits - 1 && pass.prediction[i] !== labels[i]) {
      byExit[e] = (byExit[e] ?? 0) + 1;
      total++;
    }
  }
  return { rate: n > 0 ? total / n : 0, byExit: byExit.map((c) => (n > 0 ? c / n : 0)) };
}

/**
 * Share of the samples the model got right on clean inputs that it gets wrong on the adversarial ones. With no
 * clean-correct sample there is nothing to attack and the rate is 0.
 */
export function successRate(cleanPrediction: ArrayLike<number>, advPrediction: ArrayLike<number>, labels: ArrayLike<number>): number {
  const { successes, attackable } = successCount(cleanPrediction, advPrediction, labels);
  return attackable > 0 ? successes / attackable : 0;
}

export function successCount(cleanPrediction: ArrayLike<number>, advPrediction: ArrayLike<number>, labels: ArrayLike<number>): { successes: number; attackable: number } {
  checkLengths(cleanPrediction, labels);
  checkLengths(advPrediction, labels);
  let attackable = 0;
  let successes = 0;
  for (let i = 0; i < labels.length; i++) {
    if (cleanPrediction[i] !== labels[i]) continue;
    attackable++;
    if (advPrediction[i] !== labels[i]) successes++;
  }
  return { successes, attackable };
}

/** Figures of one pass shared by clean and adversarial evaluation (see PassFigures in results.ts). */
export interface PassSummary {
  accuracy: number;
  exitDistribution: number[];
  meanFlopsRatio: number;
  eec: number;
  gateFiringRate: number[];
}

export function summarizePass(pass: PassRecord, labels: ArrayLike<number>, flopsAtExit: readonly number[], fullFlops: number, gates: number): PassSummary {
  const n = pass.prediction.length;
  return {
    accuracy: accuracy(pass.prediction, labels),
    exitDistribution: exitDistribution(pass.exitIndex, flopsAtExit.length),
    meanFlopsRatio: fullFlops > 0 ? meanFlops(pass) / fullFlops : 0,
    eec: clamp01(earlyExitCapacity(pass.exitIndex, flopsAtExit, fullFlops)),
    gateFiringRate: gateFiringRate(pass.gatesFired, n, gates),
  };
}

/** Mean FLOPs per sample: counted from what ran when the pass ran, else the cost model's for the paths taken. */
export function meanFlops(pass: PassRecord): number {
  const n = pass.prediction.length;
  if (pass.executed === undefined) return mean(pass.flops);
  return n > 0 ? pass.executed.flops / n : 0;
}

/** Per exit accuracy over all samples from recorded probabilities (`probs[e]` is samples x classes). */
export function perExitAccuracy(probs: readonly Float32Array[], labels: ArrayLike<number>, classes: number): number[] {
  return probs.map((p) => accuracy(argMaxRows(p, classes), labels));
}

export function argMaxRows(probs: Float32Array, classes: number): Int32Array {
  const n = Math.floor(probs.length / classes);
  const out = new Int32Array(n);
  for (let s = 0; s < n; s++) {
    let best = 0;
    let value = -Infinity;
    for (let c = 0; c < classes; c++) {
      const v = probs[s * classes + c] ?? -Infinity;
      if (v > value) {
        value = v;
        best = c;
      }
    }
    out[s] = best;
  }
  return out;
}

/** Largest value (0 for an empty array). */
export function maxOf(values: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < values.length; i++) m = Math.max(m, values[i] ?? 0);
  return m;
}

export function clamp01(x: number): number {
  return Math.min(1, Math.max(0, x));
}

/** Objectives of a design point: cost minimised, robust accuracy maximised, hijack rate minimised. */
export interface Objectives {
  cost: number;
  robust: number;
  hijack: number;
}

/** True when `a` is at least as good as `b` in every objective and strictly better in one. */
export function dominates(a: Objectives, b: Objectives): boolean {
  const noWorse = a.cost <= b.cost && a.robust >= b.robust && a.hijack <= b.hijack;
  const better = a.cost < b.cost || a.robust > b.robust || a.hijack < b.hijack;
  return noWorse && better;
}

/** For each point, whether no other point dominates it (equal points are all kept). */
export function paretoMask(points: readonly Objectives[]): boolean[] {
  return points.map((p, i) => !points.some((q, j) => j !== i && dominates(q, p)));
}

function checkLengths(a: ArrayLike<number>, b: ArrayLike<number>): void {
  if (a.length !== b.length) throw new Error(`Per-sample arrays differ in length: ${a.length} vs ${b.length}.`);
}
