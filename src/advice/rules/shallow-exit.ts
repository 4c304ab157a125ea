// Rule: a very shallow exit that leaves easily. The first layers have seen little of the input; their
// predictions are the least accurate and the easiest to move, so they need the strictest threshold.
import { removeExitEdits } from './remove';
import { exitAnchor, exitCost, percent } from './common';
import { confidenceFloor, thresholdFix, thresholdForConfidence, usesThresholds } from '../thresholds';
import type { Finding, Rule, RuleContext } from '../types';

/** Exits attached before this share of the full FLOPs count as very shallow. */
export const SHALLOW_SHARE = 0.1;
/** A very shallow exit should only accept predictions at least this confident. */
export const SHALLOW_MIN_CONFIDENCE = 0.95;

function check(ctx: RuleContext): Finding[] {
  const { spec } = ctx;
  const kind = spec.policy.kind;
  if (!ctx.cost || !usesThresholds(kind)) return [];
  const findings: Finding[] = [];
  const raised = thresholdForConfidence(kind, SHALLOW_MIN_CONFIDENCE, spec.classes);
  for (const [index, exit] of spec.exits.entries()) {
    const cost = exitCost(ctx, exit);
    if (!cost || cost.share >= SHALLOW_SHARE) continue;
    const threshold = exit.threshold ?? spec.policy.threshold;
    const floor = confidenceFloor(kind, threshold, spec.classes);
    if (floor >= SHALLOW_MIN_CONFIDENCE) continue;
    const fixes = thresholdFix(spec, ctx, `Raise the threshold of '${exit.name}' to ${raised}`, { exits: new Map([[index, raised]]) });
    const removal = removeExitEdits(ctx, index);
    if (removal) fixes.push({ title: `Remove exit '${exit.name}'`, edits: removal });
    findings.push({
      message:
        `Exit '${exit.name}' sits at ${percent(cost.share)} of the FLOPs (under ${percent(SHALLOW_SHARE)}) and leaves at a ` +
        `top-class probability of ${floor.toFixed(2)} (threshold ${threshold}). Shallow exits are the least accurate and the ` +
        `easiest to hijack; require at least ${SHALLOW_MIN_CONFIDENCE} or remove the exit.`,
      at: exit.threshold === undefined ? exitAnchor(ctx, exit) : [...exit.path, 'threshold'],
      subjects: [exit.path],
      fixes,
    });
  }
  return findings;
}

export const shallowExit: Rule = {
  id: 'shallow-exit-permissive',
  severity: 'warning',
  title: 'Very shallow exit with a permissive threshold',
  rationale:
    'An exit placed before 10% of the FLOPs has little evidence to decide on; SDN places its first exit at about 15%. ' +
    'If it still leaves at ordinary confidence, it carries much of the traffic with the worst accuracy, and it is the ' +
    'exit an attacker reaches with the smallest perturbation.',
  source: {
    kind: 'paper',
    citation:
      'Kaya et al., SDN, ICML 2019 (exits at 15/30/45/60/75/90% of FLOPs; early internal classifiers are the least ' +
      'accurate); Hong et al., DeepSloth, ICLR 2021 (early exits are the lever of attacks on the mechanism); Haque & ' +
      'Yang 2023, claim 3 (exit placement changes robustness).',
  },
  constants: { shallowShare: SHALLOW_SHARE, shallowMinConfidence: SHALLOW_MIN_CONFIDENCE },
  check,
};
