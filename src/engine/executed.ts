// What dynamic inference really ran, counted from the tensors themselves: each part records the batch dimension of
// the tensor it was given at the moment it runs. Bookkeeping of which samples are "alive" can claim a skip that
// never happened; a tensor's row count cannot. The executed FLOPs are those rows times the cost model's FLOPs per
// sample of each part, so they show what ran, and the per-sample cost of the path each sample took (DynamicRun.flops)
// stays as a cross-check.
import type * as tf from '@tensorflow/tfjs';

/** Rows (samples) that entered each part of the network during one runDynamic, and the FLOPs they cost. */
export interface ExecutedWork {
  /** Per segment (the backbone up to each internal exit, then the rest up to the final classifier): rows that
   *  entered its first layer. */
  segmentRows: number[];
  /** Per internal exit: rows its head ran on (0 when the exit is disabled or no sample reached it). */
  headRows: number[];
  /** Per gate: rows its head ran on (0 when gates are forced on). */
  gateHeadRows: number[];
  /** Per gate: rows its block ran on. */
  gateBlockRows: number[];
  /** Sum over every part that ran of its rows times its FLOPs per sample. */
  flops: number;
}

export function emptyExecuted(segments: number, exits: number, gates: number): ExecutedWork {
  return { segmentRows: new Array<number>(segments).fill(0), headRows: new Array<number>(exits).fill(0), gateHeadRows: new Array<number>(gates).fill(0), gateBlockRows: new Array<number>(gates).fill(0), flops: 0 };
}

/** The batch dimension of a tensor a part is about to run on. */
export function rowsOf(t: tf.Tensor): number {
  return t.shape[0] ?? 0;
}

/** Adds `rows` to `counts[index]` and `rows * flopsPerRow` to the total. */
export function charge(work: ExecutedWork, counts: 'segmentRows' | 'headRows' | 'gateHeadRows' | 'gateBlockRows', index: number, rows: number, flopsPerRow: number): void {
  work[counts][index] = (work[counts][index] ?? 0) + rows;
  work.flops += rows * flopsPerRow;
}

/** `into` plus `more` (two batches of the same model), in place. */
export function addExecuted(into: ExecutedWork, more: ExecutedWork): void {
  const add = (a: number[], b: readonly number[]): void => b.forEach((v, i) => (a[i] = (a[i] ?? 0) + v));
  add(into.segmentRows, more.segmentRows);
  add(into.headRows, more.headRows);
  add(into.gateHeadRows, more.gateHeadRows);
  add(into.gateBlockRows, more.gateBlockRows);
  into.flops += more.flops;
}

/** Sum of the per-sample cost-model FLOPs of the paths the samples took (what the executed FLOPs must equal). */
export function costModelFlops(perSample: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < perSample.length; i++) sum += perSample[i] ?? 0;
  return sum;
}

/**
 * Whether the counted FLOPs disagree with the cost model's for the paths taken beyond float rounding (both are
 * sums of the same per-part integers, so any real difference is whole rows of some part).
 */
export function executedDisagrees(executedFlops: number, costModel: number): boolean {
  return Math.abs(executedFlops - costModel) > 1e-9 * Math.max(1, Math.abs(executedFlops), Math.abs(costModel));
}
