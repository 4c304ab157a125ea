// Per-sample objectives the attacks MAXIMISE, built from every exit's logits and every gate's value.
// Each returns a [batch] tensor; the attack ascends their sum (samples are independent). Formulas: docs/attacks.md.
import * as tf from '@tensorflow/tfjs';
import type { ForwardNeeds } from '../engine/attackForward';
import type { MultiExitOutputs } from '../engine/types';
import type { ExitDecider } from './types';

/** Cross-entropy of each sample at one exit: -log softmax(z)[y], shape [batch]. */
export function crossEntropy(logits: tf.Tensor2D, y: tf.Tensor1D): tf.Tensor1D {
  const classes = logits.shape[1];
  const oneHot = tf.oneHot(tf.cast(y, 'int32'), classes);
  return tf.neg(tf.sum(tf.mul(oneHot, tf.logSoftmax(logits)), 1)) as tf.Tensor1D;
}

/** A per-sample loss at one exit's logits (cross-entropy, DLR, a targeted variant), shape [batch]. */
export type ExitLoss = (logits: tf.Tensor2D, y: tf.Tensor1D) => tf.Tensor1D;

/** Cross-entropy at every exit, shape [batch, exits] (final last). */
export function exitCrossEntropies(exits: readonly tf.Tensor2D[], y: tf.Tensor1D): tf.Tensor2D {
  return exitLosses(exits, y, crossEntropy);
}

/** One per-exit loss at every exit, shape [batch, exits] (final last). */
export function exitLosses(exits: readonly tf.Tensor2D[], y: tf.Tensor1D, loss: ExitLoss): tf.Tensor2D {
  return tf.stack(exits.map((z) => loss(z, y)), 1) as tf.Tensor2D;
}

/** Average-exit loss (Hu et al.): mean over all exits of the cross-entropy. */
export function averageExitLoss(ce: tf.Tensor2D): tf.Tensor1D {
  return tf.mean(ce, 1);
}

/** Summed cross-entropy over exits: the score max-average uses to pick, per sample, among per-exit candidates. */
export function summedExitLoss(ce: tf.Tensor2D): tf.Tensor1D {
  return tf.sum(ce, 1);
}

/** Cross-entropy at the exit each sample takes (`exitIndex[i]` into the exits). */
export function takenExitLoss(ce: tf.Tensor2D, exitIndex: Int32Array): tf.Tensor1D {
  const mask = tf.oneHot(tf.tensor1d(exitIndex, 'int32'), ce.shape[1]);
  return tf.sum(tf.mul(mask, ce), 1);
}

/** Softmax of every exit (for exit policies). */
export function exitProbabilities(exits: readonly tf.Tensor2D[]): tf.Tensor2D[] {
  return exits.map((z) => tf.softmax(z));
}

/**
 * Objective of an attack: per-sample value to maximise, computed from one forward pass. `needs` says which exits
 * (and whether the gates) it reads, so the attack's forward can skip the rest; absent means everything.
 */
export interface Objective {
  (outputs: MultiExitOutputs, y: tf.Tensor1D): tf.Tensor1D;
  needs?: (exitCount: number) => ForwardNeeds;
  /**
   * For objectives that read values back mid-gradient (the policy's choice of exit): makes that choice ahead of the
   * next evaluation, on the same iterate, reading asynchronously. The attack calls it on backends that cannot read
   * synchronously (WebGPU); the next evaluation uses the prepared choice once.
   */
  prepare?: (outputs: MultiExitOutputs) => Promise<void>;
}

function withNeeds(f: (outputs: MultiExitOutputs, y: tf.Tensor1D) => tf.Tensor1D, needs: (exitCount: number) => ForwardNeeds): Objective {
  return Object.assign(f, { needs });
}

const allExits = (exitCount: number): ForwardNeeds => ({ exits: new Array<boolean>(exitCount).fill(true), gates: false });
const internalExitsOnly = (exitCount: number): ForwardNeeds => ({ exits: Array.from({ length: exitCount }, (_, k) => k < exitCount - 1), gates: false });

/** What an objective reads; everything when it does not say. */
export function objectiveNeeds(objective: Objective, exitCount: number): ForwardNeeds {
  return objective.needs?.(exitCount) ?? { exits: new Array<boolean>(exitCount).fill(true), gates: true };
}

/** CE (or another per-exit loss) at one exit (index into exitNames). */
export function singleExitObjective(exitIndex: number, loss: ExitLoss = crossEntropy): Objective {
  return withNeeds(
    (out, y) => loss(pick(out.exits, exitIndex), y),
    (exitCount) => ({ exits: Array.from({ length: exitCount }, (_, k) => k === exitIndex), gates: false }),
  );
}

export const averageObjective: Objective = withNeeds((out, y) => averageExitLoss(exitCrossEntropies(out.exits, y)), allExits);

export const summedObjective: Objective = withNeeds((out, y) => summedExitLoss(exitCrossEntropies(out.exits, y)), allExits);

/** The average-exit objective with another per-exit loss (APGD's DLR). */
export function averageObjectiveOf(loss: ExitLoss): Objective {
  return withNeeds((out, y) => averageExitLoss(exitLosses(out.exits, y, loss)), allExits);
}

/** The summed-over-exits objective (max-average's selection score) with another per-exit loss. */
export function summedObjectiveOf(loss: ExitLoss): Objective {
  return withNeeds((out, y) => summedExitLoss(exitLosses(out.exits, y, loss)), allExits);
}

/** CE (or another per-exit loss) at the exit the policy picks on the current iterate's probabilities (the choice itself has no gradient). */
export function takenObjective(policy: ExitDecider, loss: ExitLoss = crossEntropy): Objective {
  let prepared: Int32Array | undefined;
  const objective = withNeeds((out, y) => {
    const taken = prepared ?? policy(exitProbabilities(out.exits));
    prepared = undefined;
    if (taken.length !== y.shape[0]) {
      throw new Error(`exit policy returned ${taken.length} decisions for a batch of ${y.shape[0]}`);
    }
    for (const k of taken) {
      if (!Number.isInteger(k) || k < 0 || k >= out.exits.length) {
        throw new Error(`exit policy returned exit index ${k}; the model has exits 0..${out.exits.length - 1}`);
      }
    }
    return takenExitLoss(exitLosses(out.exits, y, loss), taken);
  }, allExits);
  const prepare = async (out: MultiExitOutputs): Promise<void> => {
    const probs = tf.tidy(() => exitProbabilities(out.exits));
    try {
      prepared = policy.decideAsync === undefined ? policy(probs) : await policy.decideAsync(probs);
    } finally {
      tf.dispose(probs);
    }
  };
  return Object.assign(objective, { prepare });
}

/**
 * Weights of the internal exits for exit hijack: linearly decreasing, earliest largest, summing to 1
 * (w_k = (K - k) / (K (K + 1) / 2) for k = 0..K-1 over the K internal exits).
 */
export function hijackWeights(internalExits: number): number[] {
  const total = (internalExits * (internalExits + 1)) / 2;
  return Array.from({ length: internalExits }, (_, k) => (internalExits - k) / total);
}

/**
 * Exit hijack: sum over internal exits k of w_k * log p_k(c_k), where c_k is the target class when given, else
 * the most likely wrong class at exit k on the current iterate (the choice has no gradient).
 */
export function hijackObjective(targetClass: number | undefined): Objective {
  return withNeeds((out, y) => {
    const internal = out.exits.slice(0, -1);
    if (internal.length === 0) throw new Error('exit hijack needs at least one internal (non-final) exit');
    const weights = hijackWeights(internal.length);
    const classes = pick(out.exits, 0).shape[1];
    const trueHot = tf.oneHot(tf.cast(y, 'int32'), classes);
    const terms = internal.map((z, k) => {
      const logP = tf.logSoftmax(z);
      let wantHot: tf.Tensor;
      if (targetClass === undefined) {
        // Mask the true class far below every logit, then take the best remaining class.
        const wrongOnly = tf.sub(logP, tf.mul(trueHot, 1e9));
        wantHot = tf.oneHot(tf.argMax(wrongOnly, 1), classes);
      } else {
        wantHot = tf.oneHot(tf.fill<tf.Rank.R1>([y.shape[0]], targetClass, 'int32'), classes);
      }
      return tf.mul(tf.sum(tf.mul(wantHot, logP), 1), weights[k] ?? 0);
    });
    return tf.addN(terms) as tf.Tensor1D;
  }, internalExitsOnly);
}

/**
 * DeepSloth slowdown: minus the mean over internal exits of CE(uniform, softmax_k) = -(1/C) sum_c log p_k(c).
 * Maximising it pushes every internal exit toward the uniform distribution, so no exit fires.
 */
export const slowdownObjective: Objective = withNeeds((out) => {
  const internal = out.exits.slice(0, -1);
  if (internal.length === 0) throw new Error('slowdown needs at least one internal (non-final) exit');
  const ces = internal.map((z) => tf.neg(tf.mean(tf.logSoftmax(z), 1)));
  return tf.neg(tf.div(tf.addN(ces), internal.length)) as tf.Tensor1D;
}, internalExitsOnly);

/**
 * Gate (ILFO-style energy) attack: sum of the gates' firing values. Forward values are hard 0/1, the
 * straight-through gradient is the gate probability's, so the ascent raises every gate's probability.
 */
export const gateObjective: Objective = withNeeds(
  (out) => {
    if (out.gates.length === 0) throw new Error('the gate attack needs a model with gates; this one has none');
    return tf.addN<tf.Tensor1D>(out.gates);
  },
  (exitCount) => ({ exits: new Array<boolean>(exitCount).fill(false), gates: true }),
);

function pick(exits: readonly tf.Tensor2D[], index: number): tf.Tensor2D {
  const z = exits[index];
  if (z === undefined) throw new Error(`exit index ${index} out of range (the model returned ${exits.length} exits)`);
  return z;
}
