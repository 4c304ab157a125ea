// Rule: the file measures robust accuracy but trains on clean data only. Adversarial training of all exits is the
// strongest known lever for a multi-exit network's robustness (Triple Wins); the rule points at it, and the
// check's suggestion (or a sweep "as is" vs "adversarially trained") measures what it buys and costs.
import { setMappingEntry } from '../edits';
import type { AdversarialTraining, ModelSpec } from '../../modelfile/types';
import type { Finding, Rule, RuleContext } from '../types';

/** Attack kinds whose figure is a robust accuracy (the ones adversarial training is about). */
const ACCURACY_KINDS = new Set(['fgsm', 'pgd', 'apgd', 'ensemble']);
/**
 * PGD iterations per training batch the proposal uses. With the average exit loss (one attack per batch, where
 * max-average costs one per exit) and half of each batch adversarial, training costs about 1 + 0.5 x (5 + 1) = 4
 * times the clean recipe's gradient passes (1.7 times its wall time on the main example): short enough for the
 * adversarial-training study to train it on first use.
 */
export const PROPOSED_STEPS = 5;
/** Share of each batch the proposal makes adversarial. */
export const PROPOSED_FRACTION = 0.5;
/** The exit loss the proposal's training attack raises (see PROPOSED_STEPS for why not max-average). */
export const PROPOSED_LOSS = 'average' as const;

/** L-inf accuracy attacks of the file: the ones the proposal is about. */
function accuracyAttacks(spec: ModelSpec): ModelSpec['checks']['attacks'] {
  return spec.checks.attacks.filter((a) => ACCURACY_KINDS.has(a.kind) && a.norm === 'linf');
}

/**
 * The `train.adversarial` recipe proposed for a file (the rule's fix and the adversarial-training study measure
 * the same one): PGD at the smallest L-inf radius the file checks (training at it improves every larger one too,
 * and costs the least), or undefined when the file checks no L-inf accuracy attack with a radius above 0.
 */
export function proposedAdversarialTraining(spec: ModelSpec): AdversarialTraining | undefined {
  const eps = Math.min(...accuracyAttacks(spec).flatMap((a) => a.eps).filter((e) => e > 0));
  if (!Number.isFinite(eps)) return undefined;
  return { eps, step: Number((eps / 4).toPrecision(6)), steps: PROPOSED_STEPS, loss: PROPOSED_LOSS, fraction: PROPOSED_FRACTION };
}

function check(ctx: RuleContext): Finding[] {
  const { spec } = ctx;
  if (spec.import !== undefined || spec.train.adversarial !== undefined) return [];
  // About exits and gates: a static network's robustness is the static toolkits' subject.
  if (spec.exits.length === 0 && spec.gates.length === 0) return [];
  const attacks = accuracyAttacks(spec);
  const recipe = proposedAdversarialTraining(spec);
  if (attacks.length === 0 || recipe === undefined) return [];
  const value = { ...recipe };
  const trainWritten = ctx.locate(['train']) !== undefined;
  // The fix adds the entry to the file's own `train` (block or flow style); without one there is nowhere to put it.
  const insert = trainWritten ? setMappingEntry(ctx, ['train'], 'adversarial', value) : undefined;
  return [
    {
      message:
        `The file checks L-inf robustness (${attacks.map((a) => a.id).join(', ')}) but trains on clean data only. ` +
        `Adversarial training of all exits (train.adversarial) is the strongest known lever for a multi-exit network; ` +
        `expect lower clean accuracy, higher robust accuracy at every exit, later exits (more FLOPs) and about ` +
        `${1 + PROPOSED_FRACTION * (PROPOSED_STEPS + 1)}x the gradient passes of clean training. The adversarial-training study ` +
        `(\`dynn-lens study FILE --study adversarial-training\`, or "DyNN: Compare with Adversarial Training") measures both.`,
      at: trainWritten ? ['train'] : ['checks'],
      atKey: true,
      subjects: [],
      fixes: insert ? [{ title: `Train adversarially at eps ${recipe.eps} (PGD-${PROPOSED_STEPS}, average exit loss, half of each batch)`, edits: [insert] }] : [],
    },
  ];
}

export const noAdversarialTraining: Rule = {
  id: 'robustness-without-adversarial-training',
  severity: 'info',
  title: 'Robustness is checked but the exits are trained on clean data only',
  rationale:
    'A check that measures robust accuracy says how robust the design is, not how robust it could be. For early-exit ' +
    'networks the strongest known lever is adversarial training of all exits with an exit-aware attack; it trades ' +
    'clean accuracy and training time for robust accuracy at every exit, and harder inputs leave later (more FLOPs).',
  source: {
    kind: 'paper',
    citation:
      'Hu et al., "Triple Wins: Boosting Accuracy, Robustness and Efficiency Together by Enabling Input-Adaptive ' +
      'Inference", ICLR 2020 (max-average attack for training all exits); Madry et al., ICLR 2018 (PGD adversarial training).',
  },
  constants: { proposedSteps: PROPOSED_STEPS, proposedFraction: PROPOSED_FRACTION },
  check,
};
