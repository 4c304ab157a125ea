// Rule: an internal exit whose loss weight is zero. Its head never learns, yet the policy still lets samples
// leave there whenever its untrained softmax happens to be confident.
import { replaceValue } from '../edits';
import type { Finding, Rule, RuleContext } from '../types';

function check(ctx: RuleContext): Finding[] {
  const { spec } = ctx;
  const weights = spec.train.exitWeights;
  if (!weights) return [];
  const findings: Finding[] = [];
  for (const [index, exit] of spec.exits.entries()) {
    const weight = weights[index];
    if (weight === undefined || weight > 0) continue;
    const path = [...spec.train.path, 'exitWeights', index];
    const edit = replaceValue(ctx, path, '1');
    findings.push({
      message:
        `Exit '${exit.name}' has loss weight ${weight}: its head is never trained, but samples still leave there ` +
        'whenever its random softmax passes the threshold. Give it a positive weight or remove the exit.',
      at: path,
      subjects: [exit.path],
      fixes: edit ? [{ title: `Set the loss weight of '${exit.name}' to 1`, edits: [edit] }] : [],
    });
  }
  return findings;
}

export const exitWeightZero: Rule = {
  id: 'exit-weight-zero',
  severity: 'warning',
  title: 'Exit trained with loss weight 0',
  rationale:
    'Multi-exit networks are trained on a weighted sum of every exit\'s loss. A zero weight leaves that exit\'s head at ' +
    'its random initialisation, so it fires on whatever its softmax says: an exit that is wrong by construction.',
  source: {
    kind: 'paper',
    citation:
      'Teerapittayanon et al., BranchyNet, ICPR 2016 (joint training on a weighted sum of all exit losses); Kaya et al., ' +
      'SDN, ICML 2019 (every internal classifier trained with a positive weight).',
  },
  constants: {},
  check,
};
