// Rule: an attack budget so large that every input can be moved to the same point. With L-inf eps >= half the
// range width, the constant mid-range image is within eps of every input, so no classifier can be robust and
// the check measures nothing about the design (a common symptom of eps written for 0..255 data on 0..1 inputs).
import type { AttackSpec } from '../../modelfile/types';
import { formatNumber, renderInline } from '../edits';
import type { Finding, Rule, RuleContext } from '../types';
import { product } from './common';

/** Fraction of the range width the fix falls back to when no eps survives (Madry's MNIST budget: 0.3 of [0, 1]). */
export const FALLBACK_EPS_SHARE = 0.3;

/** The smallest eps at which every input can reach the mid-range constant input. */
export function collapseRadius(attack: AttackSpec, width: number, elements: number): number {
  return attack.norm === 'l2' ? (Math.sqrt(elements) * width) / 2 : width / 2;
}

function epsEdit(ctx: RuleContext, attack: AttackSpec, kept: number[]): { span: { start: number; end: number }; newText: string } | undefined {
  const loc = ctx.locate([...attack.path, 'eps']);
  if (!loc?.key) return undefined;
  let end = loc.value.end;
  while (end > loc.value.start && /\s/.test(ctx.text.charAt(end - 1))) end--;
  // Replace from the key's end so a block list (`eps:\n  - 8`) becomes one inline value on the key's line.
  const value = kept.length === 1 ? formatNumber(kept[0] ?? 0) : renderInline(kept, ctx.format);
  return { span: { start: loc.key.end, end }, newText: `: ${value}` };
}

function check(ctx: RuleContext): Finding[] {
  const { spec } = ctx;
  const [lo, hi] = spec.input.range ?? [0, 1];
  const width = hi - lo;
  if (!(width > 0) || !Number.isFinite(width)) return [];
  const elements = product(spec.input.shape);
  const findings: Finding[] = [];
  for (const attack of spec.checks.attacks) {
    const radius = collapseRadius(attack, width, elements);
    const big = attack.eps.filter((e) => e >= radius);
    if (big.length === 0) continue;
    const kept = attack.eps.filter((e) => e < radius);
    const fallback = Number((FALLBACK_EPS_SHARE * width).toPrecision(6));
    const edit = epsEdit(ctx, attack, kept.length > 0 ? kept : [fallback]);
    const norm = attack.norm === 'l2' ? `L2 (over ${elements} input values)` : 'L-inf';
    findings.push({
      message:
        `Attack '${attack.id}': ${norm} eps ${big.join(', ')} reaches the mid-range constant input from every input ` +
        `(radius ${formatNumber(radius)} for range [${lo}, ${hi}]): robust accuracy is near 0 by construction and says ` +
        'nothing about the design. Was eps written for another input scale?',
      at: [...attack.path, 'eps'],
      subjects: [],
      fixes: edit
        ? [{ title: kept.length > 0 ? `Drop eps ${big.join(', ')}` : `Set eps to ${fallback} (${FALLBACK_EPS_SHARE} of the range)`, edits: [edit] }]
        : [],
    });
  }
  return findings;
}

export const attackEps: Rule = {
  id: 'attack-eps-collapses-inputs',
  severity: 'warning',
  title: 'Attack budget large enough to erase every input',
  rationale:
    'Under L-inf eps >= (max - min) / 2 (L2: sqrt(n) x (max - min) / 2) the constant mid-range input is within eps of ' +
    'every input, so every sample can be turned into the same image and no model can be robust. Such a check measures ' +
    'the budget, not the design; it usually means eps was written for another scale (8 instead of 8/255).',
  source: {
    kind: 'paper',
    citation:
      'Madry et al., "Towards Deep Learning Models Resistant to Adversarial Attacks", ICLR 2018 (MNIST L-inf eps 0.3 ' +
      'on [0, 1]); Carlini et al., "On Evaluating Adversarial Robustness", 2019 (the budget must not change the true ' +
      'label); Tramèr et al., ICML 2020 (label-changing MNIST perturbations exist already at L-inf 0.4).',
  },
  constants: { fallbackEpsShare: FALLBACK_EPS_SHARE },
  check,
};
