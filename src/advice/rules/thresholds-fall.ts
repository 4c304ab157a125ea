// Rule: a deeper exit that is less strict than a shallower one.
import { isStricter, thresholdFix, usesThresholds } from '../thresholds';
import type { Finding, Rule, RuleContext } from '../types';
import { exitAnchor } from './common';

function check(ctx: RuleContext): Finding[] {
  const { spec } = ctx;
  const kind = spec.policy.kind;
  if (!usesThresholds(kind)) return [];
  const findings: Finding[] = [];
  let strictest: { value: number; name: string } | undefined;
  for (const exit of spec.exits) {
    const value = exit.threshold ?? spec.policy.threshold;
    if (strictest && isStricter(kind, strictest.value, value)) {
      findings.push({
        message:
          `Exit '${exit.name}' (threshold ${value}) is less strict than the shallower exit '${strictest.name}' ` +
          `(${strictest.value}). Deeper exits are more over-confident, so their bar ` +
          `should not be lower; make the thresholds ${kind === 'entropy' ? 'non-increasing' : 'non-decreasing'} with depth.`,
        at: exit.threshold === undefined ? exitAnchor(ctx, exit) : [...exit.path, 'threshold'],
        subjects: [exit.path],
        // One fix for the whole chain: lift every deeper exit to the strictest threshold above it.
        fixes: thresholdFix(spec, ctx, 'Make exit thresholds monotone with depth', { exits: new Map() }),
      });
    }
    strictest = strictest === undefined ? { value, name: exit.name } : isStricter(kind, value, strictest.value) ? { value, name: exit.name } : strictest;
  }
  return findings;
}

export const thresholdsFall: Rule = {
  id: 'thresholds-fall-with-depth',
  severity: 'warning',
  title: 'Thresholds get more permissive with depth',
  rationale:
    'Deeper networks are more over-confident (their max-probability overstates accuracy more), so a lower bar at a ' +
    'deeper exit compounds the problem; and a sample the shallow exit rejected at confidence c can then leave deeper at ' +
    'less than c. Keeping thresholds monotone makes "leave later" mean "be more sure", which the threshold sweep study ' +
    'can then tune as one curve.',
  source: {
    kind: 'paper',
    citation:
      'Guo et al., "On Calibration of Modern Neural Networks", ICML 2017 (depth increases over-confidence); Kaya et al., ' +
      'SDN, ICML 2019 (one confidence threshold shared by all internal classifiers); Haque & Yang 2023, claim 3.',
  },
  constants: {},
  check,
};
