// The attack adversarial training crafts each batch with (train.adversarial): L-inf PGD with the recipe's eps,
// step, steps and exit loss, from a random start, on the network being trained. The engine cannot import the
// attacks, so every trainer of a spec (check, train, sweep) hands this to loadOrTrain.
import type * as tf from '@tensorflow/tfjs';
import { attack } from '../attacks';
import type { AdversarialPerturber } from '../engine/train';
import type { ModelSpec } from '../modelfile/types';

/** The perturber for a spec's recipe, or undefined when it trains on clean data only. */
export function adversarialPerturber(spec: ModelSpec): AdversarialPerturber | undefined {
  const adv = spec.train.adversarial;
  if (adv === undefined) return undefined;
  return async (model, x: tf.Tensor, y: tf.Tensor1D, seed: number) => {
    // The static twin has one exit: every exit loss is its final cross-entropy there.
    const loss = model.exitNames.length === 1 ? 'final' : adv.loss;
    const r = await attack(model, x, y, { kind: 'pgd', norm: 'linf', eps: adv.eps, step: adv.step, steps: adv.steps, loss }, { seed });
    return r.xAdv;
  };
}

/** TrainOptions' perturb for a spec, as a spreadable object. */
export function perturbOption(spec: ModelSpec): { perturb?: AdversarialPerturber } {
  const perturb = adversarialPerturber(spec);
  return perturb === undefined ? {} : { perturb };
}
