// Auto-PGD (Croce & Hein, ICML 2020): projected gradient ascent with momentum 0.75 whose step size starts at 2 eps
// and is halved at checkpoints when the loss stopped rising, restarting from the best point. Per sample it keeps
// the latest iterate that broke the sample (AutoAttack's x_best_adv) and otherwise the highest-loss point. Restarts and targeted runs only attack the samples not broken yet. Everything stays on the backend; the
// only read-backs are the broken mask between runs and the gradient health at the end. Formulas: docs/attacks.md.
import * as tf from '@tensorflow/tfjs';
import { selectRows } from './selectRows';
import { frozenForwardFor } from '../engine/attackForward';
import type { CancelToken, DifferentiableModel, MultiExitOutputs, Progress } from '../engine/types';
import type { Norm } from '../modelfile/types';
import { report, restartSeed } from './ascent';
import { GradientHealth } from './health';
import { type Objective, objectiveNeeds } from './losses';
import { ascentDirection, projectAndClip, randomInBall, randomOnSphere } from './projection';
import { host } from '../protocol/host';
import { withOutputs } from './policy';

/** Momentum of the update (alpha in the paper). */
export const APGD_MOMENTUM = 0.75;
/** Share of steps in a checkpoint window that must raise the loss, else the step size is halved (rho). */
export const APGD_RHO = 0.75;
/** The initial step size, as a multiple of eps. */
export const APGD_INITIAL_STEP = 2;

/**
 * Per sample 1 where the current iterate counts as broken (a wrong answer at the exit the attack aims at), else 0.
 * Read from the same forward pass as the loss; carries no gradient.
 */
export type Judge = (outputs: MultiExitOutputs, y: tf.Tensor1D) => tf.Tensor1D;

export interface ApgdParams {
  norm: Norm;
  eps: number;
  /** Iterations N (gradient evaluations per run: N + 1, the start included). */
  steps: number;
  restarts: number;
  seed: number;
  label: string;
  cancel?: CancelToken;
  onProgress?: (progress: Progress) => void;
  /**
   * Where the exit policy's choice must be read asynchronously (WebGPU): made for each iterate before it is
   * evaluated (from that iterate's outputs) and dropped after. Absent on backends that read synchronously.
   */
  decisions?: { prepare(outputs: MultiExitOutputs): Promise<void>; clear(): void };
}

/** What one APGD attack (all restarts) leaves per sample. */
export interface ApgdOutcome {
  /** Broken iterate where one was found, else the highest-loss point. Caller disposes. */
  xAdv: tf.Tensor;
  /** Best objective per sample, [batch]. Caller disposes. */
  value: tf.Tensor1D;
  /** 1 where some iterate broke the sample, [batch]. Caller disposes. */
  broken: tf.Tensor1D;
  gradEvals: number;
  alwaysZeroGradient: Uint8Array;
  nonFiniteGradient: Uint8Array;
}

/**
 * Checkpoints w_j = ceil(p_j N) with p_0 = 0, p_1 = 0.22, p_{j+1} = p_j + max(p_j - p_{j-1} - 0.03, 0.06), for
 * p_j <= 1; returned without w_0 = 0 and without repeats (small N), ascending.
 */
export function apgdCheckpoints(steps: number): number[] {
  if (!Number.isInteger(steps) || steps < 1) throw new Error(`APGD steps ${steps}: must be an integer >= 1`);
  const p = [0, 0.22];
  for (;;) {
    const last = p[p.length - 1] ?? 1;
    const before = p[p.length - 2] ?? 0;
    const next = last + Math.max(last - before - 0.03, 0.06);
    if (next > 1) break;
    p.push(next);
  }
  const points: number[] = [];
  // Rounded so that 0.22 * 100 is 22, not 23 (0.22 * 100 = 22.000000000000004 in floating point).
  for (const pj of p.slice(1)) {
    const w = Math.ceil(Math.round(pj * steps * 1e9) / 1e9);
    if (w >= 1 && w <= steps && w !== points[points.length - 1]) points.push(w);
  }
  return points;
}

/**
 * The checkpoint rule, per sample (float 0/1 in, 0/1 out): halve when (1) fewer than rho * window steps since the
 * last checkpoint raised the loss, or (2) the step size was not halved at the last checkpoint and the best loss
 * has not improved since then.
 */
export function checkpointHalves(
  increases: tf.Tensor1D,
  window: number,
  halvedLast: tf.Tensor1D,
  bestAtLastCheckpoint: tf.Tensor1D,
  best: tf.Tensor1D,
): tf.Tensor1D {
  return tf.tidy(() => {
    const oscillating = tf.cast(tf.less(increases, APGD_RHO * window), 'float32');
    const stalled = tf.mul(tf.sub(1, halvedLast), tf.cast(tf.greaterEqual(bestAtLastCheckpoint, best), 'float32'));
    return tf.maximum<tf.Tensor1D>(oscillating, stalled);
  });
}

/**
 * One APGD update: z = P(x^k + eta d(grad)), then x^{k+1} = P(x^k + a (z - x^k) + (1 - a)(x^k - x^{k-1})) with
 * a = APGD_MOMENTUM; the first step (no previous iterate) is z itself. eta is per sample, [batch].
 */
export function apgdStep(
  s: { x: tf.Tensor; current: tf.Tensor; previous: tf.Tensor | undefined; grad: tf.Tensor; eta: tf.Tensor1D },
  norm: Norm,
  eps: number,
  range: readonly [number, number],
): tf.Tensor {
  return tf.tidy(() => {
    const batch = s.x.shape[0] ?? 0;
    const eta = tf.reshape(s.eta, [batch, ...s.x.shape.slice(1).map(() => 1)]);
    const z = projectAndClip(tf.add(s.current, tf.mul(eta, ascentDirection(s.grad, norm))), s.x, norm, eps, range);
    if (s.previous === undefined) return z;
    const moved = tf.add(tf.add(s.current, tf.mul(tf.sub(z, s.current), APGD_MOMENTUM)), tf.mul(tf.sub(s.current, s.previous), 1 - APGD_MOMENTUM));
    return projectAndClip(moved, s.x, norm, eps, range);
  });
}

/** Runs APGD with all restarts; restart r > 0 attacks only the samples no earlier restart broke. */
export async function apgd(
  model: DifferentiableModel,
  x: tf.Tensor,
  y: tf.Tensor1D,
  objective: Objective,
  judge: Judge,
  p: ApgdParams,
): Promise<ApgdOutcome> {
  if (!Number.isInteger(p.restarts) || p.restarts < 1) throw new Error(`APGD restarts ${p.restarts}: must be an integer >= 1`);
  const frozen = frozenForwardFor(model, objectiveNeeds(objective, model.exitNames.length));
  const forward = frozen === undefined ? (xv: tf.Tensor) => model.forwardAll(xv) : (xv: tf.Tensor) => frozen.forward(xv);
  const progress = { done: 0, total: p.steps * p.restarts, last: -1 };
  try {
    let outcome: ApgdOutcome | undefined;
    for (let r = 0; r < p.restarts; r++) {
      const seed = restartSeed(p.seed, r);
      if (outcome === undefined) {
        outcome = await apgdRun(forward, model.inputRange, x, y, objective, judge, p, seed, progress);
        continue;
      }
      outcome = await refineUnbroken(x, y, outcome, (xs, ys) => apgdRun(forward, model.inputRange, xs, ys, objective, judge, p, seed, progress));
    }
    if (outcome === undefined) throw new Error('APGD ran no restart');
    return outcome;
  } finally {
    frozen?.dispose();
  }
}

/**
 * Runs `run` on the samples `current` has not broken and merges: a newly broken sample takes the new iterate, an
 * unbroken one the point with the higher objective. Disposes `current`'s tensors it replaces.
 */
export async function refineUnbroken(
  x: tf.Tensor,
  y: tf.Tensor1D,
  current: ApgdOutcome,
  run: (xs: tf.Tensor, ys: tf.Tensor1D) => Promise<ApgdOutcome>,
): Promise<ApgdOutcome> {
  const broken = await current.broken.data();
  const open: number[] = [];
  broken.forEach((b, i) => {
    if (b === 0) open.push(i);
  });
  if (open.length === 0) return current;
  const index = tf.tensor1d(open, 'int32');
  const xs = tf.gather(x, index);
  const ys = tf.gather<tf.Tensor1D>(y, index);
  let sub: ApgdOutcome;
  try {
    sub = await run(xs, ys);
  } finally {
    tf.dispose([xs, ys]);
  }
  const batch = x.shape[0] ?? 0;
  const merged = tf.tidy(() => {
    const rows = tf.reshape(index, [-1, 1]);
    const spread = <T extends tf.Tensor>(t: T, full: number[]): T => tf.scatterND(rows, t, full) as T;
    const ran = spread(tf.onesLike(sub.value), [batch]);
    const subX = spread(sub.xAdv, x.shape);
    const subValue = spread(sub.value, [batch]);
    const subBroken = spread(sub.broken, [batch]);
    const take = tf.logicalAnd(tf.cast(ran, 'bool'), tf.logicalOr(tf.cast(subBroken, 'bool'), tf.greater(subValue, current.value)));
    return {
      xAdv: selectRows(take, subX, current.xAdv),
      value: tf.where(take, tf.maximum(subValue, current.value), current.value) as tf.Tensor1D,
      broken: tf.maximum<tf.Tensor1D>(current.broken, subBroken),
    };
  });
  index.dispose();
  const alwaysZero = Uint8Array.from(current.alwaysZeroGradient);
  const nonFinite = Uint8Array.from(current.nonFiniteGradient);
  open.forEach((i, k) => {
    alwaysZero[i] = (alwaysZero[i] ?? 1) & (sub.alwaysZeroGradient[k] ?? 1);
    nonFinite[i] = (nonFinite[i] ?? 0) | (sub.nonFiniteGradient[k] ?? 0);
  });
  tf.dispose([current.xAdv, current.value, current.broken, sub.xAdv, sub.value, sub.broken]);
  return { ...merged, gradEvals: current.gradEvals + sub.gradEvals, alwaysZeroGradient: alwaysZero, nonFiniteGradient: nonFinite };
}

interface Evaluation {
  value: tf.Tensor1D;
  broken: tf.Tensor1D;
  grad: tf.Tensor;
}

/** One APGD run from one random start (Algorithm 1 of the paper). */
async function apgdRun(
  forward: (x: tf.Tensor) => MultiExitOutputs,
  range: readonly [number, number],
  x: tf.Tensor,
  y: tf.Tensor1D,
  objective: Objective,
  judge: Judge,
  p: ApgdParams,
  seed: number,
  progress: { done: number; total: number; last: number },
): Promise<ApgdOutcome> {
  const batch = x.shape[0] ?? 0;
  // Loss, broken mask and gradient from one forward-backward pass; "+ 0 * sum(x)" keeps a constant loss
  // differentiable (a zero gradient, which the health counters report) instead of an exception.
  const evaluate = (xv: tf.Tensor): Evaluation => {
    let value: tf.Tensor1D | undefined;
    let broken: tf.Tensor1D | undefined;
    const grad = tf.grad((input: tf.Tensor) => {
      const out = forward(input);
      const v = objective(out, y);
      value = tf.keep(tf.clone(v));
      broken = tf.keep<tf.Tensor1D>(tf.cast(judge(out, y), 'float32'));
      return tf.add<tf.Scalar>(tf.sum(v), tf.mul(tf.sum(input), 0));
    })(xv);
    if (value === undefined || broken === undefined) throw new Error('APGD: the objective produced no value');
    return { value, broken, grad };
  };
  const evaluateIterate = async (xv: tf.Tensor): Promise<Evaluation> => {
    const decisions = p.decisions;
    if (decisions === undefined) return evaluate(xv);
    await withOutputs(() => forward(xv), (out) => decisions.prepare(out));
    try {
      return evaluate(xv);
    } finally {
      decisions.clear();
    }
  };
  const health = new GradientHealth(batch);
  const checkpoints = new Set(apgdCheckpoints(p.steps));
  const s: Record<string, tf.Tensor> = {};
  const set = (name: string, t: tf.Tensor): void => {
    const old = s[name];
    s[name] = t;
    if (old !== undefined && old !== t) old.dispose();
  };
  const get = (name: string): tf.Tensor => {
    const t = s[name];
    if (t === undefined) throw new Error(`APGD state '${name}' missing`);
    return t;
  };
  try {
    const start = tf.tidy(() => {
      const noise = p.norm === 'linf' ? randomInBall(x.shape, p.norm, p.eps, seed) : randomOnSphere(x.shape, p.norm, p.eps, seed);
      return projectAndClip(tf.add(x, noise), x, p.norm, p.eps, range);
    });
    set('x', start);
    let e = await evaluateIterate(start);
    health.record(e.grad);
    set('grad', e.grad);
    set('value', e.value);
    set('bestX', tf.clone(start));
    set('best', tf.clone(e.value));
    set('bestGrad', tf.clone(e.grad));
    set('broken', e.broken);
    set('brokenX', selectRows(e.broken, start, x));
    set('prev', tf.clone(start));
    set('eta', tf.fill([batch], APGD_INITIAL_STEP * p.eps));
    set('increases', tf.zeros([batch]));
    set('halvedLast', tf.zeros([batch]));
    set('bestAtCheckpoint', tf.clone(e.value));
    let lastCheckpoint = 0;
    for (let i = 0; i < p.steps; i++) {
      p.cancel?.throwIfCancelled();
      const next = apgdStep({ x, current: get('x'), previous: i === 0 ? undefined : get('prev'), grad: get('grad'), eta: get('eta') as tf.Tensor1D }, p.norm, p.eps, range);
      set('prev', get('x'));
      s.x = next; // 'prev' now owns the old iterate
      e = await evaluateIterate(next);
      health.record(e.grad);
      const ev = e;
      const updated = tf.tidy(() => {
        const improved = tf.greater(ev.value, get('best'));
        return {
          increases: tf.add(get('increases'), tf.cast(tf.greater(ev.value, get('value')), 'float32')),
          bestX: selectRows(improved, next, get('bestX')),
          best: tf.where(improved, ev.value, get('best')),
          bestGrad: selectRows(improved, ev.grad, get('bestGrad')),
          broken: tf.maximum(get('broken'), ev.broken),
          brokenX: selectRows(ev.broken, next, get('brokenX')),
        };
      });
      for (const [k, v] of Object.entries(updated)) set(k, v);
      set('value', ev.value);
      set('grad', ev.grad);
      ev.broken.dispose();
      if (checkpoints.has(i + 1)) {
        const window = i + 1 - lastCheckpoint;
        lastCheckpoint = i + 1;
        const halve = checkpointHalves(get('increases') as tf.Tensor1D, window, get('halvedLast') as tf.Tensor1D, get('bestAtCheckpoint') as tf.Tensor1D, get('best') as tf.Tensor1D);
        const after = tf.tidy(() => {
          return {
            eta: tf.where(tf.cast(halve, 'bool'), tf.div(get('eta'), 2), get('eta')),
            x: selectRows(halve, get('bestX'), get('x')),
            grad: selectRows(halve, get('bestGrad'), get('grad')),
            bestAtCheckpoint: tf.clone(get('best')),
            increases: tf.zerosLike(get('increases')),
          };
        });
        for (const [k, v] of Object.entries(after)) set(k, v);
        set('halvedLast', halve);
      }
      progress.done++;
      progress.last = report(p, progress.done, progress.total, progress.last);
      // Let the event loop run so a cancel message can arrive between steps.
      await host().yieldTurn();
    }
    const { alwaysZero, nonFinite } = await health.read();
    const result: ApgdOutcome = {
      xAdv: selectRows(get('broken'), get('brokenX'), get('bestX')),
      value: tf.clone(get('best')) as tf.Tensor1D,
      broken: tf.clone(get('broken')) as tf.Tensor1D,
      gradEvals: (p.steps + 1) * batch,
      alwaysZeroGradient: alwaysZero,
      nonFiniteGradient: nonFinite,
    };
    return result;
  } finally {
    health.dispose();
    tf.dispose(Object.values(s));
  }
}
