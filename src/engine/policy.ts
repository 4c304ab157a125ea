// Exit decisions in one place: dynamic inference uses them live, studies replay them on recorded probabilities
// to sweep thresholds without running the network again.
import type { ExitPolicy, PolicyKind } from '../modelfile/types';

export interface PolicyConfig {
  kind: PolicyKind;
  /** One threshold per internal exit (final excluded). Unused by patience. */
  thresholds: readonly number[];
  /** patience: exit once this many consecutive exits agree. */
  patience: number;
  /** Which internal exits may fire; default all. */
  enabled?: readonly boolean[];
}

/** Per-sample state carried from exit to exit (patience counts agreeing predictions). */
export interface PolicyState {
  lastPrediction: number;
  streak: number;
}

export function initialPolicyState(): PolicyState {
  return { lastPrediction: -1, streak: 0 };
}

export function argMax(probs: ArrayLike<number>, offset = 0, length = probs.length - offset): { index: number; value: number } {
  let index = 0;
  let value = -Infinity;
  for (let i = 0; i < length; i++) {
    const v = probs[offset + i] ?? -Infinity;
    if (v > value) {
      value = v;
      index = i;
    }
  }
  return { index, value };
}

/** Entropy of a probability vector divided by log(classes): 0 = certain, 1 = uniform. */
export function normalisedEntropy(probs: ArrayLike<number>, offset = 0, length = probs.length - offset): number {
  if (length <= 1) return 0;
  let h = 0;
  for (let i = 0; i < length; i++) {
    const p = probs[offset + i] ?? 0;
    if (p > 0) h -= p * Math.log(p);
  }
  return h / Math.log(length);
}

/**
 * Decides whether a sample leaves at internal exit `exitIndex` given its softmax there. Updates `state` (patience)
 * and returns true when the sample exits. The final exit is not decided here: everything left answers there.
 */
export function decideExit(
  config: PolicyConfig,
  exitIndex: number,
  probs: ArrayLike<number>,
  offset: number,
  classes: number,
  state: PolicyState,
): boolean {
  // A disabled exit is not computed at all, so it neither fires nor counts toward patience.
  if (config.enabled !== undefined && config.enabled[exitIndex] === false) return false;
  const top = argMax(probs, offset, classes);
  if (state.lastPrediction === top.index) state.streak += 1;
  else {
    state.lastPrediction = top.index;
    state.streak = 1;
  }
  switch (config.kind) {
    case 'maxProb':
      return top.value >= thresholdAt(config, exitIndex);
    case 'entropy':
      return normalisedEntropy(probs, offset, classes) <= thresholdAt(config, exitIndex);
    case 'patience':
      return state.streak >= config.patience;
  }
}

function thresholdAt(config: PolicyConfig, exitIndex: number): number {
  const t = config.thresholds[exitIndex];
  if (t === undefined) throw new Error(`No threshold for exit ${exitIndex} (${config.thresholds.length} given).`);
  return t;
}

/** The spec's policy with per-exit overrides, optionally replaced by explicit thresholds (sweeps). */
export function policyFromSpec(
  policy: ExitPolicy,
  exits: readonly { name: string; threshold?: number }[],
  thresholds?: readonly number[],
  enabled?: readonly boolean[],
): PolicyConfig {
  if (thresholds !== undefined && thresholds.length !== exits.length) {
    throw new Error(`Expected ${exits.length} thresholds (one per internal exit), got ${thresholds.length}.`);
  }
  if (enabled !== undefined && enabled.length !== exits.length) {
    throw new Error(`Expected ${exits.length} enabledExits flags (one per internal exit), got ${enabled.length}.`);
  }
  return {
    kind: policy.kind,
    thresholds: thresholds ?? exits.map((e) => e.threshold ?? policy.threshold),
    patience: policy.patience,
    ...(enabled !== undefined ? { enabled } : {}),
  };
}

export interface ReplayResult {
  /** Exit index per sample (internal exits 0..n-1, final = n). */
  exitIndex: Int32Array;
  prediction: Int32Array;
  confidence: Float32Array;
}

/**
 * Replays the policy on recorded softmax outputs: `probs[e]` holds samples x classes for exit e (final last).
 * Gives the same decisions runDynamic makes, for sweeping thresholds on one recording.
 */
export function replayPolicy(config: PolicyConfig, probs: readonly Float32Array[], classes: number): ReplayResult {
  const exits = probs.length;
  if (exits === 0) throw new Error('replayPolicy needs at least the final exit\'s probabilities.');
  const samples = (probs[0]?.length ?? 0) / classes;
  const exitIndex = new Int32Array(samples);
  const prediction = new Int32Array(samples);
  const confidence = new Float32Array(samples);
  for (let s = 0; s < samples; s++) {
    const state = initialPolicyState();
    for (let e = 0; e < exits; e++) {
      const p = probs[e];
      if (p === undefined || p.length !== samples * classes) throw new Error(`Exit ${e}: expected ${samples * classes} probabilities.`);
      const isFinal = e === exits - 1;
      if (isFinal || decideExit(config, e, p, s * classes, classes, state)) {
        const top = argMax(p, s * classes, classes);
        exitIndex[s] = e;
        prediction[s] = top.index;
        confidence[s] = top.value;
        break;
      }
    }
  }
  return { exitIndex, prediction, confidence };
}
