// The one iterative engine behind every attack: projected gradient ascent on a per-sample objective, with
// seeded random starts, restarts (best per sample), a universal (shared) variant and gradient health counters.
import * as tf from '@tensorflow/tfjs';
import { selectRows } from './selectRows';
import type { CancelToken, DifferentiableModel, Progress } from '../engine/types';
import type { Norm } from '../modelfile/types';
import { frozenForwardFor } from '../engine/attackForward';
import { readsSynchronously } from '../engine/backend';
import { type Objective, objectiveNeeds } from './losses';
import { GradientHealth } from './health';
import { ascentDirection, projectAndClip, projectDelta, randomInBall } from './projection';
import { host } from '../protocol/host';
import { withOutputs } from './policy';

export interface AscentParams {
  norm: Norm;
  eps: number;
  step: number;
  steps: number;
  restarts: number;
  /** Start at a random point of the ball (PGD) or at x itself (FGSM). */
  randomStart: boolean;
  /** One perturbation for the whole batch, driven by the mean objective. */
  universal: boolean;
  seed: number;
  cancel?: CancelToken;
  onProgress?: (progress: Progress) => void;
  /** Label for progress messages. */
  label: string;
}

export interface AscentResult {
  xAdv: tf.Tensor;
  /** Objective at xAdv, per sample, [batch]. */
  value: tf.Tensor1D;
  universalDelta?: tf.Tensor;
  gradEvals: number;
  /** Per sample: 1 when the gradient was exactly zero at every step of every restart. */
  alwaysZeroGradient: Uint8Array;
  /** Per sample: 1 when the gradient had a NaN or infinite entry at some step. */
  nonFiniteGradient: Uint8Array;
}

/** Seed of restart r: restart 0 uses the caller's seed, so one start equals the first of several. */
export function restartSeed(seed: number, restart: number): number {
  return seed + 7919 * restart;
}

/** Projected gradient ascent. x must already lie in the model's input range (the caller checks). */
export async function ascend(
  model: DifferentiableModel,
  x: tf.Tensor,
  y: tf.Tensor1D,
  objective: Objective,
  p: AscentParams,
): Promise<AscentResult> {
  const batch = x.shape[0] ?? 0;
  const range = model.inputRange;
  const perSampleShape = x.shape.slice(1);
  // Engine networks get a frozen pass (folded batch norm, input-only conv gradients, only the exits read).
  const frozen = frozenForwardFor(model, objectiveNeeds(objective, model.exitNames.length));
  const forward = frozen === undefined ? (xv: tf.Tensor) => model.forwardAll(xv) : (xv: tf.Tensor) => frozen.forward(xv);
  const valueOf = (xv: tf.Tensor): tf.Tensor1D => objective(forward(xv), y);
  // An objective that reads back mid-gradient makes its choice first where the backend cannot read synchronously.
  const prepareFor = async (input: () => tf.Tensor): Promise<void> => {
    const prepare = objective.prepare;
    if (prepare === undefined || readsSynchronously()) return;
    await withOutputs(() => forward(input()), prepare);
  };
  // tf.grad refuses a function with no path from its input; "+ 0 * sum(input)" makes a constant objective
  // yield a zero gradient (which the health counters then report) instead of an exception.
  const scalarOf = (input: tf.Tensor, perSample: tf.Tensor1D, reduce: 'sum' | 'mean'): tf.Scalar =>
    tf.add(reduce === 'sum' ? tf.sum(perSample) : tf.mean(perSample), tf.mul(tf.sum(input), 0));
  const totalSteps = p.steps * p.restarts;
  let doneSteps = 0;
  let lastReported = -1;
  // Health counters live on the backend; read back once at the end.
  const health = new GradientHealth(batch);
  let best: tf.Tensor | undefined;
  let bestValue: tf.Tensor1D | undefined;
  let bestDelta: tf.Tensor | undefined;

  // The iterate of the restart in progress (x-space, or the shared delta when universal); disposed on errors.
  let current: tf.Tensor | undefined;

  try {
    for (let r = 0; r < p.restarts; r++) {
      const seed = restartSeed(p.seed, r);
      if (p.universal) {
        current = p.randomStart ? randomInBall([1, ...perSampleShape], p.norm, p.eps, seed) : tf.zeros([1, ...perSampleShape]);
      } else {
        current = p.randomStart
          ? tf.tidy(() => projectAndClip(tf.add(x, randomInBall(x.shape, p.norm, p.eps, seed)), x, p.norm, p.eps, range))
          : tf.clone(x);
      }
      for (let s = 0; s < p.steps; s++) {
        p.cancel?.throwIfCancelled();
        const start: tf.Tensor = current;
        await prepareFor(() => (p.universal ? tf.clipByValue(tf.add(x, start), range[0], range[1]) : start));
        const [next, g] = tf.tidy(() => {
          if (p.universal) {
            const grad = tf.grad((d: tf.Tensor) => scalarOf(d, valueOf(tf.clipByValue(tf.add(x, d), range[0], range[1])), 'mean'))(start);
            return [projectDelta(tf.add(start, tf.mul(ascentDirection(grad, p.norm), p.step)), p.norm, p.eps), grad] as const;
          }
          const grad = tf.grad((xv: tf.Tensor) => scalarOf(xv, valueOf(xv), 'sum'))(start);
          return [projectAndClip(tf.add(start, tf.mul(ascentDirection(grad, p.norm), p.step)), x, p.norm, p.eps, range), grad] as const;
        });
        start.dispose();
        current = next;
        health.record(g);
        g.dispose();
        doneSteps++;
        lastReported = report(p, doneSteps, totalSteps, lastReported);
        // Let the event loop run so a cancel message can arrive between steps.
        await host().yieldTurn();
      }
      const delta: tf.Tensor = current;
      const candidate = p.universal ? tf.tidy(() => tf.clipByValue(tf.add(x, delta), range[0], range[1])) : delta;
      let value: tf.Tensor1D;
      try {
        await prepareFor(() => candidate);
        value = tf.tidy(() => valueOf(candidate));
      } catch (error) {
        // `current` still holds delta (disposed by the outer handler); the clipped copy is ours to drop.
        if (candidate !== delta) candidate.dispose();
        throw error;
      }
      current = undefined;
      if (best === undefined || bestValue === undefined) {
        best = candidate;
        bestValue = value;
        if (p.universal) bestDelta = delta;
      } else if (p.universal) {
        // One perturbation for all: keep the restart with the larger mean objective.
        const means = tf.tidy(() => tf.stack([tf.mean(value), tf.mean(bestValue as tf.Tensor1D)]));
        const [fresh, old] = await means.data();
        means.dispose();
        if ((fresh ?? 0) > (old ?? 0)) {
          tf.dispose([best, bestValue, ...(bestDelta ? [bestDelta] : [])]);
          [best, bestValue, bestDelta] = [candidate, value, delta];
        } else {
          tf.dispose([candidate, value, delta]);
        }
      } else {
        const merged = tf.tidy(() => {
          const better = tf.greater(value, bestValue as tf.Tensor1D);
          return [selectRows(better, candidate, best as tf.Tensor), tf.where(better, value, bestValue as tf.Tensor1D)] as const;
        });
        tf.dispose([best, bestValue, candidate, value]);
        [best, bestValue] = merged;
      }
    }
    if (best === undefined || bestValue === undefined) throw new Error('attack ran no restart (restarts must be >= 1)');
    const { alwaysZero, nonFinite } = await health.read();
    return {
      xAdv: best,
      value: bestValue,
      ...(bestDelta === undefined ? {} : { universalDelta: bestDelta }),
      gradEvals: p.steps * p.restarts * batch,
      alwaysZeroGradient: alwaysZero,
      nonFiniteGradient: nonFinite,
    };
  } catch (error) {
    tf.dispose([best, bestValue, bestDelta, current].filter((t): t is tf.Tensor => t !== undefined && !t.isDisposed));
    throw error;
  } finally {
    health.dispose();
    frozen?.dispose();
  }
}

/** Reports progress in steps of at least 5 %, and always the last step. */
export function report(p: Pick<AscentParams, 'onProgress' | 'label'>, done: number, total: number, lastReported: number): number {
  if (p.onProgress === undefined) return lastReported;
  const percent = Math.floor((100 * done) / total);
  if (done < total && percent < lastReported + 5) return lastReported;
  p.onProgress({ phase: 'attack', fraction: done / total, message: `${p.label}: step ${done} of ${total}` });
  return percent;
}
