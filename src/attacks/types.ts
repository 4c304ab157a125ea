// Types shared by every attack: one config, one result, one set of sanity flags.
import type * as tf from '@tensorflow/tfjs';
import type { CancelToken, Progress } from '../engine/types';
import type { AttackKind, AttackLoss, Norm } from '../spec/types';

/** One attack run at one radius (mirrors AttackSpec in src/spec/types.ts, with a single eps). */
export interface AttackConfig {
  kind: AttackKind;
  norm: Norm;
  /** Radius of the Lp ball around each input. */
  eps: number;
  /** Step size of each iteration; default depends on norm and kind (see defaults.ts). */
  step?: number;
  /** Iterations (ignored by FGSM, which takes exactly one step of size eps). */
  steps?: number;
  /** Random starts; per sample the restart with the largest objective is kept. */
  restarts?: number;
  /** fgsm / pgd only: which loss over the exits is maximised. Default 'final'. */
  loss?: AttackLoss;
  /** hijack: class every internal exit is pushed to; absent = untargeted (runner-up wrong class). */
  targetClass?: number;
  /** slowdown: one perturbation shared by the whole batch. */
  universal?: boolean;
}

/**
 * Decision of the exit policy on the current probabilities: for each sample the index (into exitNames) of the
 * exit that answers. `probsPerExit[k]` is [batch, classes] softmax of exit k, final last.
 */
export type ExitDecider = (probsPerExit: readonly tf.Tensor2D[]) => Int32Array;

export interface AttackOptions {
  /** Seeds the random start (restart r uses seed + r). */
  seed: number;
  cancel?: CancelToken;
  onProgress?: (progress: Progress) => void;
  /** Needed by loss 'taken': the exit policy the dynamic model uses. */
  policy?: ExitDecider;
}

export type SanitySeverity = 'info' | 'warning' | 'error';

/** Something that makes an attack's number untrustworthy (in the spirit of AutoAttack's checks). */
export interface SanityFlag {
  code:
    | 'nan-gradient'
    | 'zero-gradient'
    | 'loss-independent-of-input'
    | 'weaker-than-noise'
    | 'robust-above-clean';
  message: string;
  severity: SanitySeverity;
}

export interface AttackResult {
  /** Adversarial inputs, same shape as x, inside the eps ball and the model's input range. Caller disposes. */
  xAdv: tf.Tensor;
  /** Per-sample gradient evaluations spent (batch gradient passes x batch size). */
  gradEvals: number;
  seconds: number;
  flags: SanityFlag[];
  /** Universal slowdown only: the shared perturbation, shape [1, ...inputShape]. Caller disposes. */
  universalDelta?: tf.Tensor;
}
