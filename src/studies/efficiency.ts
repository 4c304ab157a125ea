// Generation efficiency: what one successful adversarial example costs on the DyNN and on its static twin.
// Compute is counted the same way for both: every gradient evaluation is one forward and one backward pass over
// the network the attack differentiates, priced at BACKWARD_FACTOR forward passes (the usual rule of thumb that a
// backward pass costs about twice a forward one). The DyNN's forward pass is forwardAll: backbone plus every exit
// head and gate (CostReport.fullFlops); the static twin's is the backbone alone (CostReport.staticFlops).
import type { EfficiencyResult } from '../protocol/results';

export const BACKWARD_FACTOR = 3;

export interface AttackCost {
  model: 'dynamic' | 'static';
  attackId: string;
  eps: number;
  /** Clean-correct samples the attack made wrong on the model it was crafted on. */
  successes: number;
  /** Per-sample gradient evaluations spent. */
  gradEvals: number;
  /** FLOPs of one forward pass of the differentiated network, per sample. */
  forwardFlops: number;
  seconds: number;
}

/**
 * Cost per successful example. With no success the totals are reported (the cost already spent without one
 * success, a lower bound on what one would cost), so the figures stay finite numbers.
 */
export function efficiencyOf(c: AttackCost): EfficiencyResult {
  const per = Math.max(1, c.successes);
  return {
    attackId: c.attackId,
    eps: c.eps,
    model: c.model,
    successes: c.successes,
    gradEvalsPerSuccess: c.gradEvals / per,
    flopsPerSuccess: (c.gradEvals * c.forwardFlops * BACKWARD_FACTOR) / per,
    secondsPerSuccess: c.seconds / per,
  };
}
