// Types shared by every attack: one config, one result, one set of sanity flags.
import type * as tf from '@tensorflow/tfjs';
import type { CancelToken, Progress } from '../engine/types';
import type { AttackSpec } from '../modelfile/types';

/** One attack run at one radius: the model file's AttackSpec with a single eps (defaults: see defaults.ts). */
export type AttackConfig = Omit<AttackSpec, 'id' | 'eps' | 'path'> & {
  /** Radius of the Lp ball around each input. */
  eps: number;
};

/**
 * Decision of the exit policy on the current probabilities: for each sample the index (into exitNames) of the
 * exit that answers. `probsPerExit[k]` is [batch, classes] softmax of exit k, final last.
 */
export type ExitDecider = ((probsPerExit: readonly tf.Tensor2D[]) => Int32Array) & {
  /** The same decision, reading the probabilities asynchronously (WebGPU cannot read synchronously in Node). */
  decideAsync?: (probsPerExit: readonly tf.Tensor2D[]) => Promise<Int32Array>;
};

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
    | 'robust-above-clean'
    | 'robust-rises-with-eps'
    | 'saturated-exit';
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
