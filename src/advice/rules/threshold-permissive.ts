// Rule: an exit threshold so low that exits leave on a coin flip. Under attack, a confident wrong answer at an
// early exit is both cheap (the attacker only has to move the shallow layers) and final.
import type { PolicyKind } from '../../modelfile/types';
import { confidenceFloor, thresholdFix, thresholdForConfidence, usesThresholds } from '../thresholds';
import type { Finding, Rule, RuleContext } from '../types';
import { quoteList } from './common';

/** Exits should not accept a top-class probability below this. */
export const MIN_CONFIDENCE = 0.8;
/** The confidence the fix raises thresholds to. */
export const RAISED_CONFIDENCE = 0.9;

function describe(kind: PolicyKind, threshold: number, floor: number): string {
  return kind === 'entropy'
    ? `entropy threshold ${threshold} lets an exit leave with a top-class probability as low as ${floor.toFixed(2)}`
    : `max-probability threshold ${threshold} lets an exit leave with a top-class probability of ${floor.toFixed(2)}`;
}

function check(ctx: RuleContext): Finding[] {
  const { spec } = ctx;
  const kind = spec.policy.kind;
  if (!usesThresholds(kind) || spec.exits.length === 0) return [];
  const findings: Finding[] = [];
  const raised = thresholdForConfidence(kind, RAISED_CONFIDENCE, spec.classes);
  const inheriting = spec.exits.filter((e) => e.threshold === undefined);
  const policyFloor = confidenceFloor(kind, spec.policy.threshold, spec.classes);
  if (inheriting.length > 0 && policyFloor < MIN_CONFIDENCE) {
    findings.push({
      message: `The policy's ${describe(kind, spec.policy.threshold, policyFloor)} (below ${MIN_CONFIDENCE}); ${
        inheriting.length === 1 ? 'exit' : 'exits'
      } ${quoteList(inheriting.map((e) => e.name))} ${inheriting.length === 1 ? 'uses' : 'use'} it. Confident wrong answers at early exits are the cheapest attack on an early-exit network.`,
      at: [...spec.policy.path, 'threshold'],
      subjects: inheriting.map((e) => e.path),
      fixes: thresholdFix(spec, ctx, `Raise the policy threshold to ${raised}`, { policy: raised }),
    });
  }
  for (const [index, exit] of spec.exits.entries()) {
    if (exit.threshold === undefined) continue;
    const floor = confidenceFloor(kind, exit.threshold, spec.classes);
    if (floor >= MIN_CONFIDENCE) continue;
    findings.push({
      message: `Exit '${exit.name}': ${describe(kind, exit.threshold, floor)} (below ${MIN_CONFIDENCE}).`,
      at: [...exit.path, 'threshold'],
      subjects: [exit.path],
      fixes: thresholdFix(spec, ctx, `Raise the threshold of '${exit.name}' to ${raised}`, { exits: new Map([[index, raised]]) }),
    });
  }
  return findings;
}

export const thresholdPermissive: Rule = {
  id: 'exit-threshold-permissive',
  severity: 'warning',
  title: 'Exit threshold too permissive',
  rationale:
    'A max-probability threshold below 0.8 (or an entropy threshold that admits a top-class probability below 0.8) lets ' +
    'exits stop on uncertain predictions. An attacker then needs only a small push to make an early exit fire ' +
    'confidently on a wrong class (exit hijack), and thresholds change how robust a DyNN is to transferred attacks.',
  source: {
    kind: 'paper',
    citation:
      'Haque & Yang 2023 (arXiv 2308.08709), claim 3: exit thresholds change DyNN robustness; Kaya et al., SDN, ICML 2019 ' +
      '(max-probability exits); Teerapittayanon et al., BranchyNet, ICPR 2016 (entropy exits). The 0.8 floor is this ' +
      "project's default: run the threshold sweep study to measure the right value for a model.",
  },
  constants: { minConfidence: MIN_CONFIDENCE, raisedConfidence: RAISED_CONFIDENCE },
  check,
};
