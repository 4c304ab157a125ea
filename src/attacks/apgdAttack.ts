// APGD on a multi-exit model: the criterion (cross-entropy or DLR, untargeted or towards the top-k other classes)
// is taken at the exits an exit-aware loss names (final, one exit, average, max-average, the exit each sample
// takes), and an iterate counts as breaking a sample when the answer the loss aims at is wrong.
import * as tf from '@tensorflow/tfjs';
import { selectRows } from './selectRows';
import { readsSynchronously } from '../engine/backend';
import type { DifferentiableModel, MultiExitOutputs } from '../engine/types';
import type { AttackLoss } from '../modelfile/types';
import { apgd, type ApgdOutcome, type ApgdParams, type Judge, refineUnbroken } from './apgd';
import { type Criterion, dlrRefusal, exitLossFor, rankedTargets } from './dlr';
import { averageObjectiveOf, type ExitLoss, exitProbabilities, type Objective, singleExitObjective, summedObjectiveOf, takenObjective } from './losses';
import { preparedDecider, type PreparedDecider, withOutputs } from './policy';
import type { ExitDecider } from './types';

export interface ApgdSettings {
  criterion: Criterion;
  /** Target classes per sample (the top-k other classes of the clean input); 0 = untargeted. */
  targets: number;
  loss: AttackLoss;
}

/** Why these settings cannot run on this model (DLR's class count, 'taken' without a policy), or undefined. */
export function apgdRefusal(model: DifferentiableModel, s: ApgdSettings, policy: ExitDecider | undefined): string | undefined {
  if (s.criterion === 'dlr') {
    const r = dlrRefusal(model.classes, s.targets > 0);
    if (r !== undefined) return r;
  }
  if (s.targets > 0 && s.targets > model.classes - 1) {
    return `targets ${s.targets}: a sample has only ${model.classes - 1} other classes to aim at`;
  }
  if (s.loss === 'taken' && policy === undefined) {
    return "loss 'taken' needs the exit policy (options.policy)";
  }
  return undefined;
}

/** Index of the exit a loss names ('final' or 'exit:<name>'), or undefined for losses over several exits. */
export function singleExitIndex(model: DifferentiableModel, loss: AttackLoss): number | undefined {
  if (loss === 'final') return model.exitNames.length - 1;
  if (!loss.startsWith('exit:')) return undefined;
  const index = model.exitNames.indexOf(loss.slice('exit:'.length));
  if (index < 0) throw new Error(`loss '${loss}': no such exit (exits: ${model.exitNames.join(', ')})`);
  return index;
}

/** 1 where exit k answers wrongly. */
export function wrongAt(k: number): Judge {
  return (out, y) => tf.cast(tf.notEqual(tf.argMax(pick(out, k), 1), tf.cast(y, 'int32')), 'float32') as tf.Tensor1D;
}

/** 1 where the exit the policy picks on these outputs answers wrongly (the dynamic prediction). */
export function wrongTaken(policy: ExitDecider): Judge {
  return (out, y) => {
    const taken = policy(exitProbabilities(out.exits));
    const predictions = tf.stack(out.exits.map((z) => tf.argMax(z, 1)), 1);
    const mask = tf.oneHot(tf.tensor1d(taken, 'int32'), out.exits.length);
    const answer = tf.sum(tf.mul(tf.cast(predictions, 'float32'), mask), 1);
    return tf.cast(tf.notEqual(answer, tf.cast(y, 'float32')), 'float32') as tf.Tensor1D;
  };
}

/** The same objective, but the forward pass computes every exit (a judge of the dynamic answer reads them all). */
function readingAllExits(objective: Objective): Objective {
  return Object.assign((out: MultiExitOutputs, y: tf.Tensor1D) => objective(out, y), {
    needs: (exitCount: number) => ({ exits: new Array<boolean>(exitCount).fill(true), gates: false }),
  });
}

/** The exit-aware objective with a per-exit loss (max-average is driven per exit, see runApgdAttack). */
function exitAwareObjective(model: DifferentiableModel, loss: AttackLoss, exitLoss: ExitLoss, policy: ExitDecider | undefined): Objective {
  const single = singleExitIndex(model, loss);
  if (single !== undefined) return singleExitObjective(single, exitLoss);
  if (loss === 'average') return averageObjectiveOf(exitLoss);
  if (loss === 'maxAverage') return summedObjectiveOf(exitLoss);
  if (policy === undefined) throw new Error("loss 'taken' needs the exit policy");
  return takenObjective(policy, exitLoss);
}

/**
 * Targeted runs carry each sample's target inside its label (label + classes * target), so restarts and
 * sub-batches of unbroken samples gather it with the label and no index bookkeeping.
 */
function packTargets(y: tf.Tensor1D, targets: tf.Tensor1D, classes: number): tf.Tensor1D {
  return tf.tidy(() => tf.add<tf.Tensor1D>(tf.cast(y, 'int32'), tf.mul(tf.cast(targets, 'int32'), classes)));
}

function unpackTargets(packed: tf.Tensor1D, classes: number): { y: tf.Tensor1D; target: tf.Tensor1D } {
  const p = tf.cast(packed, 'int32');
  return { y: tf.mod<tf.Tensor1D>(p, classes), target: tf.floorDiv<tf.Tensor1D>(p, classes) };
}

/** Criterion and loss as an objective over (outputs, label), or over (outputs, packed label) when targeted. */
function objectiveOf(model: DifferentiableModel, s: ApgdSettings, policy: ExitDecider | undefined, lossOverride?: AttackLoss): Objective {
  const loss = lossOverride ?? s.loss;
  if (s.targets === 0) return exitAwareObjective(model, loss, exitLossFor(s.criterion), policy);
  const shape = exitAwareObjective(model, loss, exitLossFor(s.criterion), policy);
  return Object.assign(
    (out: MultiExitOutputs, packed: tf.Tensor1D) => {
      const { y, target } = unpackTargets(packed, model.classes);
      return exitAwareObjective(model, loss, exitLossFor(s.criterion, target), policy)(out, y);
    },
    shape.needs === undefined ? {} : { needs: shape.needs },
  );
}

function judgeOf(model: DifferentiableModel, s: ApgdSettings, policy: ExitDecider | undefined, exitIndex?: number): Judge {
  const single = exitIndex ?? singleExitIndex(model, s.loss);
  const judge = single !== undefined ? wrongAt(single) : policy !== undefined ? wrongTaken(policy) : wrongAt(model.exitNames.length - 1);
  if (s.targets === 0) return judge;
  return (out, packed) => judge(out, unpackTargets(packed, model.classes).y);
}

/**
 * The clean logits targets are ranked on: the exit the loss reads (one exit), the exit each sample takes
 * ('taken'), else the final exit.
 */
function targetLogits(model: DifferentiableModel, x: tf.Tensor, s: ApgdSettings, policy: ExitDecider | undefined): tf.Tensor2D {
  return tf.tidy(() => {
    const out = model.forwardAll(x);
    const single = singleExitIndex(model, s.loss);
    if (single !== undefined) return pick(out, single);
    if (s.loss === 'taken' && policy !== undefined) {
      const taken = policy(exitProbabilities(out.exits));
      const mask = tf.oneHot(tf.tensor1d(taken, 'int32'), out.exits.length);
      return tf.sum<tf.Tensor2D>(tf.mul(tf.stack(out.exits, 1), tf.expandDims(mask, 2)), 1);
    }
    return pick(out, model.exitNames.length - 1);
  });
}

/**
 * APGD with these settings on a batch: untargeted, or one run per target rank 1..targets on the samples earlier
 * ranks left unbroken; for max-average one run per exit, keeping per sample a broken candidate, else the one with
 * the largest summed per-exit loss.
 */
export async function runApgdAttack(
  model: DifferentiableModel,
  x: tf.Tensor,
  y: tf.Tensor1D,
  s: ApgdSettings,
  p: ApgdParams,
  policy: ExitDecider | undefined,
): Promise<ApgdOutcome> {
  const refusal = apgdRefusal(model, s, policy);
  if (refusal !== undefined) throw new Error(refusal);
  // WebGPU in Node cannot read back synchronously: the policy's choice is made ahead of each use, asynchronously.
  if (policy !== undefined && !readsSynchronously()) {
    const prepared = preparedDecider(policy);
    const decisions = { prepare: (out: MultiExitOutputs) => tidyPrepare(prepared, out), clear: () => prepared.clear() };
    return runApgdWith(model, x, y, s, { ...p, decisions }, prepared, () => withOutputs(() => model.forwardAll(x), decisions.prepare));
  }
  return runApgdWith(model, x, y, s, p, policy, () => Promise.resolve());
}

/** Reads the policy's choice for these outputs (softmax per exit, made and dropped here). */
async function tidyPrepare(decider: PreparedDecider, out: MultiExitOutputs): Promise<void> {
  const probs = tf.tidy(() => exitProbabilities(out.exits));
  try {
    await decider.prepare(probs);
  } finally {
    tf.dispose(probs);
  }
}

async function runApgdWith(
  model: DifferentiableModel,
  x: tf.Tensor,
  y: tf.Tensor1D,
  s: ApgdSettings,
  p: ApgdParams,
  policy: ExitDecider | undefined,
  prepareTargets: () => Promise<void>,
): Promise<ApgdOutcome> {
  if (s.targets === 0) return runOverExits(model, x, y, s, p, policy);
  await prepareTargets();
  const logits = targetLogits(model, x, s, policy);
  (policy as Partial<PreparedDecider> | undefined)?.clear?.();
  let outcome: ApgdOutcome | undefined;
  try {
    for (let rank = 1; rank <= s.targets; rank++) {
      const packed = tf.tidy(() => packTargets(y, rankedTargets(logits, rank), model.classes));
      const label = `${p.label}, target rank ${rank} of ${s.targets}`;
      try {
        if (outcome === undefined) outcome = await runOverExits(model, x, packed, s, { ...p, label }, policy);
        else {
          outcome = await refineUnbroken(x, packed, outcome, (xs, ys) => runOverExits(model, xs, ys, s, { ...p, label }, policy));
        }
      } finally {
        packed.dispose();
      }
    }
  } finally {
    logits.dispose();
  }
  if (outcome === undefined) throw new Error('APGD-T ran no target');
  return outcome;
}

async function runOverExits(model: DifferentiableModel, x: tf.Tensor, y: tf.Tensor1D, s: ApgdSettings, p: ApgdParams, policy: ExitDecider | undefined): Promise<ApgdOutcome> {
  if (s.loss !== 'maxAverage') return apgd(model, x, y, objectiveOf(model, s, policy), judgeOf(model, s, policy), p);
  const dynamicJudge = judgeOf(model, s, policy);
  const score = objectiveOf(model, s, policy);
  let best: ApgdOutcome | undefined;
  let bestScore: tf.Tensor1D | undefined;
  try {
    for (let k = 0; k < model.exitNames.length; k++) {
      const candidate = await apgd(model, x, y, readingAllExits(objectiveOf(model, s, policy, `exit:${model.exitNames[k] ?? ''}` as AttackLoss)), dynamicJudge, {
        ...p,
        label: `${p.label}, candidate for exit '${model.exitNames[k] ?? k}'`,
      });
      const candidateScore = tf.tidy(() => score(model.forwardAll(candidate.xAdv), y));
      if (best === undefined || bestScore === undefined) {
        best = candidate;
        bestScore = candidateScore;
        continue;
      }
      const [b, bs] = [best, bestScore];
      const merged = tf.tidy(() => {
        const candBroken = tf.cast(candidate.broken, 'bool');
        const bestBroken = tf.cast(b.broken, 'bool');
        const higher = tf.logicalAnd(tf.logicalNot(bestBroken), tf.logicalOr(candBroken, tf.greater(candidateScore, bs)));
        return {
          xAdv: selectRows(higher, candidate.xAdv, b.xAdv),
          value: tf.where<tf.Tensor1D>(higher, candidate.value, b.value),
          broken: tf.maximum<tf.Tensor1D>(b.broken, candidate.broken),
          score: tf.where<tf.Tensor1D>(higher, candidateScore, bs),
        };
      });
      const alwaysZero = b.alwaysZeroGradient.map((v, i) => v & (candidate.alwaysZeroGradient[i] ?? 1));
      const nonFinite = b.nonFiniteGradient.map((v, i) => v | (candidate.nonFiniteGradient[i] ?? 0));
      tf.dispose([b.xAdv, b.value, b.broken, bs, candidate.xAdv, candidate.value, candidate.broken, candidateScore]);
      best = { xAdv: merged.xAdv, value: merged.value, broken: merged.broken, gradEvals: b.gradEvals + candidate.gradEvals, alwaysZeroGradient: alwaysZero, nonFiniteGradient: nonFinite };
      bestScore = merged.score;
    }
  } catch (error) {
    if (best !== undefined) tf.dispose([best.xAdv, best.value, best.broken]);
    bestScore?.dispose();
    throw error;
  }
  bestScore?.dispose();
  if (best === undefined) throw new Error(`model '${model.name}' has no exits`);
  return best;
}

function pick(out: MultiExitOutputs, k: number): tf.Tensor2D {
  const z = out.exits[k];
  if (z === undefined) throw new Error(`exit index ${k} out of range (the model returned ${out.exits.length} exits)`);
  return z;
}
