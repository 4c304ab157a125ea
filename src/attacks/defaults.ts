// Attack defaults used in the field, in one place. Sources in docs/attacks.md.
import type { AttackKind, Norm } from '../modelfile/types';

export interface StepDefaults {
  eps: number;
  step: number;
  steps: number;
}

/** Madry et al.'s MNIST challenge: L-inf eps 0.3, step 0.01, 40 steps. */
export const MNIST_LINF: Readonly<StepDefaults> = { eps: 0.3, step: 0.01, steps: 40 };
/** Common MNIST L2 setting (eps 2.0); step by Madry's 2.5 * eps / steps rule. */
export const MNIST_L2: Readonly<StepDefaults> = { eps: 2.0, step: 0.125, steps: 40 };
/** CIFAR-10 L-inf: eps 8/255, step 2/255, 10 steps. */
export const CIFAR10_LINF: Readonly<StepDefaults> = { eps: 8 / 255, step: 2 / 255, steps: 10 };
/** CIFAR-10 L2: eps 0.5; step by 2.5 * eps / steps. */
export const CIFAR10_L2: Readonly<StepDefaults> = { eps: 0.5, step: 0.0625, steps: 20 };
/** DeepSloth per-sample (CIFAR-10 L-inf): eps 8/256, step 0.002, 30 iterations. */
export const DEEPSLOTH_LINF: Readonly<StepDefaults> = { eps: 8 / 256, step: 0.002, steps: 30 };

export const DEFAULT_RESTARTS = 1;
/** Madry's rule for the step size when only eps and steps are given (L2, and kinds without a field default). */
export const STEP_TO_EPS_TIMES_STEPS = 2.5;

/** APGD (Croce & Hein 2020): 100 iterations, AutoAttack's standard budget. */
export const APGD_STEPS = 100;

/** Iterations when the config gives none. */
export function defaultSteps(kind: AttackKind): number {
  if (kind === 'fgsm') return 1;
  if (kind === 'apgd' || kind === 'ensemble') return APGD_STEPS;
  if (kind === 'slowdown') return DEEPSLOTH_LINF.steps;
  return MNIST_LINF.steps;
}

/**
 * Step size when the config gives none. L-inf keeps the field's step/eps ratio (MNIST 0.01/0.3, DeepSloth
 * 0.002/(8/256)) so a different eps scales the step with it; L2 uses 2.5 * eps / steps.
 */
export function defaultStep(kind: AttackKind, norm: Norm, eps: number, steps: number): number {
  if (kind === 'fgsm') return eps;
  // APGD sets its own step size: it starts at 2 eps and halves it at checkpoints (apgd.ts).
  if (kind === 'apgd' || kind === 'ensemble') return 2 * eps;
  if (norm === 'l2') return (STEP_TO_EPS_TIMES_STEPS * eps) / steps;
  const ratio = kind === 'slowdown' ? DEEPSLOTH_LINF.step / DEEPSLOTH_LINF.eps : MNIST_LINF.step / MNIST_LINF.eps;
  return eps * ratio;
}
