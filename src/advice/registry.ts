// Every design rule, in the order findings are reported. Add a rule here and document it in docs/rules.md.
import { attackEps } from './rules/attack-eps';
import { denseHead } from './rules/dense-head';
import { exitWeightZero } from './rules/exit-weight-zero';
import { gatePlacement } from './rules/gate-placement';
import { inputRange } from './rules/input-range';
import { noAdversarialTraining } from './rules/no-adversarial-training';
import { shallowExit } from './rules/shallow-exit';
import { thresholdPermissive } from './rules/threshold-permissive';
import { thresholdsFall } from './rules/thresholds-fall';
import type { Rule } from './types';

export const RULES: readonly Rule[] = [
  thresholdPermissive,
  shallowExit,
  thresholdsFall,
  gatePlacement,
  denseHead,
  inputRange,
  exitWeightZero,
  attackEps,
  noAdversarialTraining,
];
