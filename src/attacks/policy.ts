// Bridges the engine's exit policy to the 'taken' loss: the attack asks, at every iterate, which exit each sample
// would leave at, using exactly the decisions dynamic inference makes (src/engine/policy.ts).
import * as tf from '@tensorflow/tfjs';
import { type PolicyConfig, replayPolicy } from '../engine/policy';
import type { MultiExitOutputs } from '../engine/types';
import type { ExitDecider } from './types';

/**
 * Runs a forward pass once, outside any gradient (tensors it makes on the way are freed), hands the outputs to `use`
 * (an asynchronous read of the policy's choice, on backends that cannot read synchronously), then frees them.
 */
export async function withOutputs(forward: () => MultiExitOutputs, use: (out: MultiExitOutputs) => Promise<void>): Promise<void> {
  const out = tf.tidy(() => forward() as unknown as tf.TensorContainerObject) as unknown as MultiExitOutputs;
  try {
    await use(out);
  } finally {
    tf.dispose([...out.exits, ...out.gates]);
  }
}

/** An ExitDecider that replays `config` on the current softmax outputs (reads back batch x classes per exit). */
export function exitDecider(config: PolicyConfig): ExitDecider {
  const classesOf = (probsPerExit: readonly tf.Tensor2D[]): number => {
    const first = probsPerExit[0];
    if (first === undefined) throw new Error('exit policy: no exit probabilities given');
    return first.shape[1];
  };
  const decide = (probsPerExit: readonly tf.Tensor2D[]): Int32Array => {
    const classes = classesOf(probsPerExit);
    return replayPolicy(config, probsPerExit.map((p) => p.dataSync() as Float32Array), classes).exitIndex;
  };
  const decideAsync = async (probsPerExit: readonly tf.Tensor2D[]): Promise<Int32Array> => {
    const classes = classesOf(probsPerExit);
    const probs = await Promise.all(probsPerExit.map((p) => p.data() as Promise<Float32Array>));
    return replayPolicy(config, probs, classes).exitIndex;
  };
  return Object.assign(decide, { decideAsync });
}

/**
 * A decider for backends that cannot read synchronously (WebGPU in Node): `prepare` makes the choice for one
 * iterate by reading asynchronously, and until `clear` every synchronous call on a batch of that size answers with
 * it. An attack prepares right before evaluating an iterate and clears right after, so the objective and the judge
 * of that evaluation see the same decisions and no later call sees stale ones.
 */
export interface PreparedDecider extends ExitDecider {
  prepare(probsPerExit: readonly tf.Tensor2D[]): Promise<void>;
  clear(): void;
}

export function preparedDecider(policy: ExitDecider): PreparedDecider {
  let prepared: Int32Array | undefined;
  const decide = (probsPerExit: readonly tf.Tensor2D[]): Int32Array =>
    prepared !== undefined && prepared.length === probsPerExit[0]?.shape[0] ? prepared : policy(probsPerExit);
  const prepare = async (probsPerExit: readonly tf.Tensor2D[]): Promise<void> => {
    prepared = policy.decideAsync === undefined ? policy(probsPerExit) : await policy.decideAsync(probsPerExit);
  };
  return Object.assign(decide, { prepare, clear: () => void (prepared = undefined), ...(policy.decideAsync ? { decideAsync: policy.decideAsync } : {}) });
}
