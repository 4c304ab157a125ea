// How an imported graph is split at its exits, for Layers and ONNX graphs alike (no TF.js here: the editor's cost
// figures use it too). Exit k's part = the steps output k needs that no earlier output needed; of those, the
// "trunk" also feeds a later output and the "head" feeds only exit k (a disabled exit skips its head).

/** One executable step: the values it reads and writes (keys: tensor ids or value names), its FLOPs per sample. */
export interface PlanStep<K> {
  readonly inputs: readonly K[];
  readonly outputs: readonly K[];
  readonly flops: number;
}

export interface Part<S> {
  steps: S[];
  /** FLOPs per sample (see docs/import.md for what is counted). */
  flops: number;
}

export interface ExitPart<K, S> {
  trunk: Part<S>;
  head: Part<S>;
  /** The exit's output value. */
  output: K;
  /** The output is already a softmax (probabilities), not logits. */
  probabilities: boolean;
  /** Values that later exits still read (kept, and gathered to the remaining samples, after this exit). */
  carry: Set<K>;
}

/**
 * Splits the steps of each exit (`partsPerExit[k]`: the steps output k needs that no earlier output needed, in
 * execution order) into trunk and head, and finds what each exit carries to the later ones.
 */
export function splitAtExits<K, S extends PlanStep<K>>(input: K, partsPerExit: S[][], outputs: readonly K[], probabilities: (k: number) => boolean): ExitPart<K, S>[] {
  // Which exit's part produces each value, and the last exit whose part reads it.
  const producedIn = new Map<K, number>([[input, -1]]);
  const lastReader = new Map<K, number>();
  partsPerExit.forEach((steps, k) => {
    for (const s of steps) {
      for (const o of s.outputs) producedIn.set(o, k);
      for (const i of s.inputs) lastReader.set(i, Math.max(lastReader.get(i) ?? -1, k));
    }
  });
  return partsPerExit.map((steps, k): ExitPart<K, S> => {
    // A step is trunk when one of its outputs is read by a later exit's part (or, transitively, by trunk steps).
    const trunkSet = new Set<S>();
    for (let j = steps.length - 1; j >= 0; j--) {
      const s = steps[j] as S;
      const feedsLater = s.outputs.some((o) => (lastReader.get(o) ?? -1) > k);
      const feedsTrunk = steps.some((t) => trunkSet.has(t) && t.inputs.some((i) => s.outputs.includes(i)));
      if (feedsLater || feedsTrunk) trunkSet.add(s);
    }
    const trunk = steps.filter((s) => trunkSet.has(s));
    const head = steps.filter((s) => !trunkSet.has(s));
    const carry = new Set<K>();
    for (const [id, from] of producedIn) if (from <= k && (lastReader.get(id) ?? -1) > k) carry.add(id);
    return {
      trunk: { steps: trunk, flops: trunk.reduce((a, s) => a + s.flops, 0) },
      head: { steps: head, flops: head.reduce((a, s) => a + s.flops, 0) },
      output: outputs[k] as K,
      probabilities: probabilities(k),
      carry,
    };
  });
}

/** Per exit, the steps its output needs that no earlier output needed, producers first (`producer` of a value). */
export function stepsPerExit<K, S extends PlanStep<K>>(input: K, outputs: readonly K[], producer: (value: K) => S | undefined): S[][] {
  const seen = new Set<S>();
  const visit = (v: K, fresh: S[]): void => {
    if (v === input) return;
    const step = producer(v);
    if (step === undefined || seen.has(step)) return;
    seen.add(step);
    for (const i of step.inputs) visit(i, fresh);
    fresh.push(step);
  };
  return outputs.map((o) => {
    const fresh: S[] = [];
    visit(o, fresh);
    return fresh;
  });
}
