// Rule: the input range is not declared (or is a placeholder for "no bound"). Attacks clip perturbed inputs to
// this range and eps is measured on its scale, so without it robustness numbers mean nothing.
import { insertMappingEntry, replaceValue } from '../edits';
import type { Finding, Rule, RuleContext } from '../types';

/** Widest range accepted as a real bound: the span of 16-bit pixel values. */
export const MAX_RANGE_WIDTH = 65535;

function check(ctx: RuleContext): Finding[] {
  const { spec } = ctx;
  const inputPath = spec.input.path;
  const rangePath = [...inputPath, 'range'];
  const declared = ctx.locate(rangePath) !== undefined;
  if (!declared) {
    const edit = insertMappingEntry(ctx, inputPath, 'range', [0, 1]);
    return [
      {
        message:
          'input.range is not declared, so DyNN Lens assumes [0, 1]. Attacks clip into this range and every eps is ' +
          'measured on its scale: declare the real range of your inputs.',
        at: inputPath,
        atKey: true,
        subjects: [],
        fixes: edit ? [{ title: 'Declare range: [0, 1]', edits: [edit] }] : [],
      },
    ];
  }
  const range = spec.input.range;
  if (!range) return [];
  const [lo, hi] = range;
  if (Number.isFinite(lo) && Number.isFinite(hi) && hi - lo <= MAX_RANGE_WIDTH) return [];
  const edit = replaceValue(ctx, rangePath, '[0, 1]');
  return [
    {
      message:
        `input.range [${lo}, ${hi}] is wider than any real pixel or feature scale (> ${MAX_RANGE_WIDTH}): it reads as "no ` +
        'bound", so clipping does nothing and eps has no meaning. Declare the real range.',
      at: rangePath,
      subjects: [],
      fixes: edit ? [{ title: 'Set range: [0, 1]', edits: [edit] }] : [],
    },
  ];
}

export const inputRange: Rule = {
  id: 'input-range-unbounded',
  severity: 'warning',
  title: 'Input range missing or unbounded',
  rationale:
    'Every attack budget (eps) is a distance on the input scale, and attacks clip perturbed inputs to the valid domain. ' +
    'An undeclared or unbounded range makes eps=0.3 mean "30% of the range" for one model and "nothing" for another; ' +
    'input-range and normalisation mistakes are among the most reported problems of robustness toolkits.',
  source: {
    kind: 'paper',
    citation:
      'Carlini et al., "On Evaluating Adversarial Robustness", arXiv 1902.06705, 2019 (state the threat model, including ' +
      'the valid input domain); Madry et al., ICLR 2018 (eps 0.3 on MNIST inputs in [0, 1]).',
  },
  constants: { maxRangeWidth: MAX_RANGE_WIDTH },
  check,
};
