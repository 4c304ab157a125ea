// The exit-hijack metric, defined next to the attack (docs/attacks.md): computed from one dynamic inference run.

export interface HijackStats {
  /** Share of samples answered by an internal (non-final) exit with a wrong label. */
  rate: number;
  /** Per internal exit (exitNames order, final excluded): share of samples hijacked there. */
  perExit: number[];
  /** Number of hijacked samples. */
  count: number;
}

/**
 * Hijack rate of a dynamic run: a sample is hijacked when it leaves at an internal exit (index < exits - 1) with a
 * prediction different from its label. `exitIndex` and `prediction` come from DynamicModel.runDynamic.
 */
export function hijackStats(
  exitIndex: ArrayLike<number>,
  prediction: ArrayLike<number>,
  labels: ArrayLike<number>,
  exits: number,
): HijackStats {
  const n = exitIndex.length;
  if (prediction.length !== n || labels.length !== n) {
    throw new Error(`hijackStats: ${n} exit indices, ${prediction.length} predictions and ${labels.length} labels; expected one of each per sample`);
  }
  if (!Number.isInteger(exits) || exits < 1) throw new Error(`hijackStats: exits must be a positive integer, got ${exits}`);
  const perExitCount = new Array<number>(exits - 1).fill(0);
  let count = 0;
  for (let i = 0; i < n; i++) {
    const e = exitIndex[i] ?? exits - 1;
    if (e < 0 || e >= exits) throw new Error(`hijackStats: sample ${i} has exit index ${e}; the model has exits 0..${exits - 1}`);
    if (e < exits - 1 && prediction[i] !== labels[i]) {
      perExitCount[e] = (perExitCount[e] ?? 0) + 1;
      count++;
    }
  }
  return { rate: n === 0 ? 0 : count / n, perExit: perExitCount.map((c) => (n === 0 ? 0 : c / n)), count };
}
