// The single entry point: attack(model, x, y, config, options). Validates, picks the objective for the kind and
// loss, runs the projected ascent (once, or once per exit for max-average) and attaches sanity flags.
import * as tf from '@tensorflow/tfjs';
import { selectRows } from './selectRows';
import type { DifferentiableModel } from '../engine/types';
import type { AttackSpec } from '../modelfile/types';
import { ascend, type AscentParams, type AscentResult } from './ascent';
import { DEFAULT_RESTARTS, defaultStep, defaultSteps } from './defaults';
import {
  averageObjective,
  gateObjective,
  hijackObjective,
  type Objective,
  singleExitObjective,
  slowdownObjective,
  summedObjective,
  takenObjective,
} from './losses';
import { apgdRefusal, type ApgdSettings, runApgdAttack, singleExitIndex } from './apgdAttack';
import { gradientFlags } from './sanity';
import type { AttackConfig, AttackOptions, AttackResult } from './types';

/** A config or an input the attack cannot run with; the message names the field and the value. */
export class AttackInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AttackInputError';
  }
}

/** The config of one spec'd attack at one of its radii. */
export function configFromSpec(spec: AttackSpec, eps: number): AttackConfig {
  return {
    kind: spec.kind,
    norm: spec.norm,
    eps,
    ...(spec.step === undefined ? {} : { step: spec.step }),
    ...(spec.steps === undefined ? {} : { steps: spec.steps }),
    ...(spec.restarts === undefined ? {} : { restarts: spec.restarts }),
    ...(spec.loss === undefined ? {} : { loss: spec.loss }),
    ...(spec.targetClass === undefined ? {} : { targetClass: spec.targetClass }),
    ...(spec.universal === undefined ? {} : { universal: spec.universal }),
    ...(spec.criterion === undefined ? {} : { criterion: spec.criterion }),
    ...(spec.targets === undefined ? {} : { targets: spec.targets }),
  };
}

/** Step, steps and restarts after defaults, as the attack will use them. */
export interface ResolvedSchedule {
  step: number;
  steps: number;
  restarts: number;
  randomStart: boolean;
}

export function resolveSchedule(config: AttackConfig): ResolvedSchedule {
  const fgsm = config.kind === 'fgsm';
  const apgdKind = config.kind === 'apgd' || config.kind === 'ensemble';
  const steps = fgsm ? 1 : (config.steps ?? defaultSteps(config.kind));
  return {
    steps,
    // FGSM is one step of exactly eps from the clean input; APGD's initial step is fixed (2 eps).
    step: fgsm ? config.eps : apgdKind ? defaultStep(config.kind, config.norm, config.eps, steps) : (config.step ?? defaultStep(config.kind, config.norm, config.eps, steps)),
    restarts: fgsm ? 1 : (config.restarts ?? DEFAULT_RESTARTS),
    randomStart: !fgsm,
  };
}

/** Runs one attack on a batch. Inputs must lie in model.inputRange; the result does too, inside the eps ball. */
export async function attack(
  model: DifferentiableModel,
  x: tf.Tensor,
  y: tf.Tensor1D,
  config: AttackConfig,
  options: AttackOptions,
): Promise<AttackResult> {
  const started = performance.now();
  validateConfig(model, config, options);
  await validateInputs(model, x, y, config);
  const schedule = resolveSchedule(config);
  const label = describe(config);
  const base: Omit<AscentParams, 'label'> = {
    norm: config.norm,
    eps: config.eps,
    step: schedule.step,
    steps: schedule.steps,
    restarts: schedule.restarts,
    randomStart: schedule.randomStart,
    universal: config.universal === true,
    seed: options.seed,
    ...(options.cancel === undefined ? {} : { cancel: options.cancel }),
    ...(options.onProgress === undefined ? {} : { onProgress: options.onProgress }),
  };

  let result: AscentResult;
  if (config.kind === 'apgd') {
    const outcome = await runApgdAttack(model, x, y, apgdSettingsOf(config), { norm: config.norm, eps: config.eps, steps: schedule.steps, restarts: schedule.restarts, seed: options.seed, label, ...(options.cancel === undefined ? {} : { cancel: options.cancel }), ...(options.onProgress === undefined ? {} : { onProgress: options.onProgress }) }, options.policy);
    outcome.broken.dispose();
    result = { xAdv: outcome.xAdv, value: outcome.value, gradEvals: outcome.gradEvals, alwaysZeroGradient: outcome.alwaysZeroGradient, nonFiniteGradient: outcome.nonFiniteGradient };
  } else if ((config.kind === 'fgsm' || config.kind === 'pgd') && config.loss === 'maxAverage') {
    result = await maxAverage(model, x, y, base, label);
  } else {
    result = await ascend(model, x, y, objectiveFor(model, config, options), { ...base, label });
  }
  result.value.dispose();
  return {
    xAdv: result.xAdv,
    gradEvals: result.gradEvals,
    seconds: (performance.now() - started) / 1000,
    flags: gradientFlags(result.alwaysZeroGradient, result.nonFiniteGradient, label),
    ...(result.universalDelta === undefined ? {} : { universalDelta: result.universalDelta }),
  };
}

/** APGD's criterion, targets and exit-aware loss from a config (defaults: cross-entropy, untargeted, final). */
export function apgdSettingsOf(config: Pick<AttackConfig, 'criterion' | 'targets' | 'loss'>): ApgdSettings {
  return { criterion: config.criterion ?? 'ce', targets: config.targets ?? 0, loss: config.loss ?? 'final' };
}

/** The objective each kind maximises (max-average is handled by its own driver). */
export function objectiveFor(model: DifferentiableModel, config: AttackConfig, options: Pick<AttackOptions, 'policy'>): Objective {
  switch (config.kind) {
    case 'hijack':
      return hijackObjective(config.targetClass);
    case 'slowdown':
      return slowdownObjective;
    case 'gate':
      return gateObjective;
    case 'apgd':
    case 'ensemble':
      throw new AttackInputError(`${config.kind} has its own driver (apgdAttack.ts, ensemble.ts), not a PGD objective`);
    case 'fgsm':
    case 'pgd': {
      const loss = config.loss ?? 'final';
      if (loss === 'final') return singleExitObjective(model.exitNames.length - 1);
      if (loss === 'average') return averageObjective;
      if (loss === 'maxAverage') return summedObjective;
      if (loss === 'taken') {
        if (options.policy === undefined) throw new AttackInputError("loss 'taken' needs the exit policy (options.policy)");
        return takenObjective(options.policy);
      }
      return singleExitObjective(exitIndexOf(model, loss));
    }
  }
}

/** Hu et al.'s max-average: one single-exit attack per exit; per sample keep the largest summed exit CE. */
async function maxAverage(
  model: DifferentiableModel,
  x: tf.Tensor,
  y: tf.Tensor1D,
  base: Omit<AscentParams, 'label'>,
  label: string,
): Promise<AscentResult> {
  const batch = x.shape[0] ?? 0;
  let best: tf.Tensor | undefined;
  let bestValue: tf.Tensor1D | undefined;
  let gradEvals = 0;
  const alwaysZero = new Uint8Array(batch).fill(1);
  const nonFinite = new Uint8Array(batch);
  try {
    for (let k = 0; k < model.exitNames.length; k++) {
      const run = await ascend(model, x, y, singleExitObjective(k), {
        ...base,
        label: `${label}, candidate for exit '${model.exitNames[k] ?? k}'`,
      });
      run.value.dispose();
      gradEvals += run.gradEvals;
      run.alwaysZeroGradient.forEach((v, i) => (alwaysZero[i] = (alwaysZero[i] ?? 1) & v));
      run.nonFiniteGradient.forEach((v, i) => (nonFinite[i] = (nonFinite[i] ?? 0) | v));
      const candidate = run.xAdv;
      const score = tf.tidy(() => summedObjective(model.forwardAll(candidate), y));
      if (best === undefined || bestValue === undefined) {
        best = candidate;
        bestValue = score;
        continue;
      }
      const prevBest: tf.Tensor = best;
      const prevValue: tf.Tensor1D = bestValue;
      const merged = tf.tidy(() => {
        const better = tf.greater(score, prevValue);
        return [selectRows(better, candidate, prevBest), tf.where(better, score, prevValue)] as const;
      });
      tf.dispose([prevBest, prevValue, candidate, score]);
      [best, bestValue] = merged;
    }
  } catch (error) {
    tf.dispose([best, bestValue].filter((t): t is tf.Tensor => t !== undefined));
    throw error;
  }
  if (best === undefined || bestValue === undefined) throw new AttackInputError(`model '${model.name}' has no exits`);
  return { xAdv: best, value: bestValue, gradEvals, alwaysZeroGradient: alwaysZero, nonFiniteGradient: nonFinite };
}

function exitIndexOf(model: DifferentiableModel, loss: string): number {
  const name = loss.slice('exit:'.length);
  const index = model.exitNames.indexOf(name);
  if (!loss.startsWith('exit:') || index < 0) {
    throw new AttackInputError(
      `loss '${loss}': unknown; use final, average, maxAverage, taken or exit:<name> with one of ${model.exitNames.map((n) => `'${n}'`).join(', ')}`,
    );
  }
  return index;
}

function validateConfig(model: DifferentiableModel, config: AttackConfig, options: AttackOptions): void {
  const kinds = ['fgsm', 'pgd', 'hijack', 'slowdown', 'gate', 'apgd'];
  if (!kinds.includes(config.kind)) throw new AttackInputError(`kind '${String(config.kind)}': expected one of ${kinds.join(', ')}`);
  if (config.norm !== 'linf' && config.norm !== 'l2') throw new AttackInputError(`norm '${String(config.norm)}': expected linf or l2`);
  if (!Number.isFinite(config.eps) || config.eps < 0) throw new AttackInputError(`eps ${config.eps}: must be a finite number >= 0`);
  if (config.step !== undefined && (!Number.isFinite(config.step) || config.step < 0)) {
    throw new AttackInputError(`step ${config.step}: must be a finite number >= 0`);
  }
  if (config.steps !== undefined && (!Number.isInteger(config.steps) || config.steps < 1)) {
    throw new AttackInputError(`steps ${config.steps}: must be an integer >= 1`);
  }
  if (config.restarts !== undefined && (!Number.isInteger(config.restarts) || config.restarts < 1)) {
    throw new AttackInputError(`restarts ${config.restarts}: must be an integer >= 1`);
  }
  if (!Number.isFinite(options.seed)) throw new AttackInputError(`seed ${options.seed}: must be a finite number`);
  if (model.exitNames.length === 0) throw new AttackInputError(`model '${model.name}' declares no exits`);
  const internal = model.exitNames.length - 1;
  if ((config.kind === 'hijack' || config.kind === 'slowdown') && internal === 0) {
    throw new AttackInputError(`${config.kind} attacks internal exits, and model '${model.name}' has none (only '${model.exitNames[0] ?? 'final'}')`);
  }
  if (config.kind === 'gate' && model.gateNames.length === 0) {
    throw new AttackInputError(`the gate attack needs gates, and model '${model.name}' has none`);
  }
  if (config.targetClass !== undefined) {
    if (config.kind !== 'hijack') throw new AttackInputError(`targetClass applies to hijack only, not ${config.kind}`);
    if (!Number.isInteger(config.targetClass) || config.targetClass < 0 || config.targetClass >= model.classes) {
      throw new AttackInputError(`targetClass ${config.targetClass}: must be an integer class in 0..${model.classes - 1}`);
    }
  }
  if (config.universal === true && config.loss === 'maxAverage') {
    throw new AttackInputError("universal perturbations cannot use loss 'maxAverage' (it picks a candidate per sample)");
  }
  if (config.kind === 'fgsm' || config.kind === 'pgd') {
    // Resolve now so a bad exit name or a missing policy fails before any work.
    objectiveFor(model, config, options);
  } else if (config.kind === 'apgd') {
    if (config.universal === true) throw new AttackInputError('apgd perturbs each sample on its own; universal applies to slowdown only');
    if (config.targets !== undefined && (!Number.isInteger(config.targets) || config.targets < 1)) {
      throw new AttackInputError(`targets ${config.targets}: must be an integer >= 1 (absent = untargeted)`);
    }
    const settings = apgdSettingsOf(config);
    try {
      singleExitIndex(model, settings.loss);
    } catch (error) {
      throw new AttackInputError((error as Error).message);
    }
    const refusal = apgdRefusal(model, settings, options.policy);
    if (refusal !== undefined) throw new AttackInputError(`apgd: ${refusal}`);
  } else if (config.loss !== undefined && config.loss !== 'final') {
    throw new AttackInputError(`loss '${config.loss}' applies to fgsm and pgd; ${config.kind} has its own objective`);
  }
}

async function validateInputs(model: DifferentiableModel, x: tf.Tensor, y: tf.Tensor1D, config: AttackConfig): Promise<void> {
  const expected = [model.inputShape.length + 1];
  const shapeOk = x.rank === expected[0] && model.inputShape.every((d, i) => x.shape[i + 1] === d);
  if (!shapeOk) {
    throw new AttackInputError(`x has shape [${x.shape.join(', ')}]; model '${model.name}' expects [batch, ${model.inputShape.join(', ')}]`);
  }
  const batch = x.shape[0] ?? 0;
  if (batch < 1) throw new AttackInputError('x is an empty batch');
  if (y.rank !== 1 || y.shape[0] !== batch) throw new AttackInputError(`y has shape [${y.shape.join(', ')}]; expected [${batch}] (one label per sample)`);
  const [low, high] = model.inputRange;
  const stats = tf.tidy(() => tf.stack([tf.min(x), tf.max(x), tf.cast(tf.min(y), 'float32'), tf.cast(tf.max(y), 'float32'), tf.sum(tf.cast(tf.logicalNot(tf.isFinite(x)), 'float32'))]));
  const [xMin = 0, xMax = 0, yMin = 0, yMax = 0, nonFinite = 0] = await stats.data();
  stats.dispose();
  if (nonFinite > 0) throw new AttackInputError(`x has ${nonFinite} NaN or infinite values`);
  // A little slack for float rounding of data that was scaled into the range.
  const slack = 1e-5 * Math.max(1, high - low);
  if (xMin < low - slack || xMax > high + slack) {
    throw new AttackInputError(
      `x spans [${xMin}, ${xMax}] but model '${model.name}' declares input range [${low}, ${high}]: normalise the data into the declared range (or fix inputRange) before attacking`,
    );
  }
  if (!Number.isInteger(yMin) || yMin < 0 || yMax >= model.classes) {
    throw new AttackInputError(`labels span ${yMin}..${yMax}; model '${model.name}' has classes 0..${model.classes - 1}`);
  }
  if (config.kind === 'hijack' && config.targetClass !== undefined && model.classes < 2) {
    throw new AttackInputError('a targeted hijack needs at least two classes');
  }
}

function describe(config: AttackConfig): string {
  const exitAware = config.kind === 'fgsm' || config.kind === 'pgd' || config.kind === 'apgd';
  const loss = exitAware ? `, loss ${config.loss ?? 'final'}` : '';
  if (config.kind === 'apgd') {
    const targeted = config.targets === undefined ? '' : `-T (${config.targets} targets)`;
    return `apgd-${config.criterion ?? 'ce'}${targeted} ${config.norm} eps ${config.eps}${loss}`;
  }
  const universal = config.universal === true ? ', universal' : '';
  return `${config.kind} ${config.norm} eps ${config.eps}${loss}${universal}`;
}
