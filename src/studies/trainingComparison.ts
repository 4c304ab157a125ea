// Study adversarial-training: the file's network as it is trained against the same network trained the other way
// (with the recipe proposed for it when it trains on clean data, or on clean data when it has a recipe). Both are
// measured with the same data, samples, seeds and attacks; only `train.adversarial` differs. When the file trains on
// clean data and the recipe measurably raises its worst robust accuracy, the study suggests adding the recipe, with
// the deltas it measured.
import { proposedAdversarialTraining } from '../advice';
import type { ModelSpec } from '../modelfile/types';
import type { AdversarialRecipe, Results, Suggestion, SweepResult, TrainingAttackFigures, TrainingComparison, TrainingVariant } from '../protocol/results';
import { recipeText } from '../protocol/training';
import { CheckInputError } from './backendChoice';
import { importedStudyRefusal } from './importedSpec';
import { MIN_GAIN } from './suggestions';

/** The two trainings to compare: the file's spec and the other one, with the recipe that tells them apart. */
export interface TrainingPair {
  recipe: AdversarialRecipe;
  /** Which side the file is. */
  file: 'clean' | 'adversarial';
  /** The spec of the side that is not the file. */
  other: ModelSpec;
}

/** The other training of the file, or a CheckInputError saying why the study cannot run on it. */
export function trainingPair(spec: ModelSpec): TrainingPair {
  const imported = importedStudyRefusal(spec, 'adversarial-training');
  if (imported !== undefined) throw new CheckInputError(imported);
  const own = spec.train.adversarial;
  if (own !== undefined) {
    const { adversarial: _dropped, ...clean } = spec.train;
    return { recipe: { ...own }, file: 'adversarial', other: { ...spec, train: clean } };
  }
  const proposed = proposedAdversarialTraining(spec);
  if (proposed === undefined) {
    throw new CheckInputError(
      `'${spec.name}' checks no L-inf accuracy attack (fgsm, pgd, apgd or ensemble with eps above 0): the adversarial-training study trains at the smallest such radius and compares robust accuracy there; add one to checks.attacks, or write train.adversarial yourself`,
    );
  }
  return { recipe: proposed, file: 'clean', other: { ...spec, train: { ...spec.train, adversarial: proposed } } };
}

/** The figures the comparison keeps of one measured training. */
export function trainingVariant(r: Results, trainingSeconds: number | undefined): TrainingVariant {
  return {
    weights: r.provenance.weights,
    ...(trainingSeconds !== undefined ? { trainingSeconds } : {}),
    cleanAccuracy: r.clean.accuracy,
    cleanPerExitAccuracy: [...r.clean.perExitAccuracy],
    cleanFlopsRatio: r.clean.meanFlopsRatio,
    attacks: r.attacks.map(
      (a): TrainingAttackFigures => ({
        id: a.id,
        attackId: a.attackId,
        kind: a.kind,
        norm: a.norm,
        eps: a.eps,
        robustAccuracy: a.robustAccuracy,
        finalExitRobustAccuracy: a.finalExitRobustAccuracy,
        perExitRobustAccuracy: [...a.perExitAccuracy],
        hijackRate: a.hijackRate,
        meanFlopsRatio: a.meanFlopsRatio,
      }),
    ),
  };
}

/** Puts the file's and the other training's figures on their sides. */
export function compareTrainings(pair: TrainingPair, fileSide: TrainingVariant, otherSide: TrainingVariant, otherSweeps: SweepResult[]): TrainingComparison {
  return {
    recipe: pair.recipe,
    file: pair.file,
    clean: pair.file === 'clean' ? fileSide : otherSide,
    adversarial: pair.file === 'clean' ? otherSide : fileSide,
    otherSweeps,
  };
}

/** Attack kinds whose dynamic figure is a robust accuracy against any wrong answer (hijack's aims at early exits). */
const ACCURACY_KINDS: ReadonlySet<string> = new Set(['fgsm', 'pgd', 'apgd', 'ensemble']);

/**
 * The attack result the comparison is judged by, on each side: the lowest dynamic robust accuracy among the L-inf
 * accuracy attacks (fgsm, pgd, apgd, ensemble) at the recipe's eps, or at the smallest checked eps above it when the
 * run used other radii. An ensemble is the per-sample worst case, so it is that lowest figure whenever it ran.
 */
export function headline(c: TrainingComparison): { clean: TrainingAttackFigures; adversarial: TrainingAttackFigures } | undefined {
  const candidates = (v: TrainingVariant): TrainingAttackFigures[] => v.attacks.filter((a) => ACCURACY_KINDS.has(a.kind) && a.norm === 'linf' && a.eps > 0);
  const radii = [...new Set(candidates(c.clean).map((a) => a.eps))].sort((a, b) => a - b);
  const eps = radii.find((e) => e >= c.recipe.eps - 1e-12) ?? radii[radii.length - 1];
  if (eps === undefined) return undefined;
  const lowest = (v: TrainingVariant): TrainingAttackFigures | undefined =>
    candidates(v)
      .filter((a) => a.eps === eps)
      .reduce<TrainingAttackFigures | undefined>((best, a) => (best === undefined || a.robustAccuracy < best.robustAccuracy ? a : best), undefined);
  const clean = lowest(c.clean);
  const adversarial = lowest(c.adversarial);
  return clean !== undefined && adversarial !== undefined ? { clean, adversarial } : undefined;
}

function pct(x: number): string {
  return `${(100 * x).toFixed(1)}%`;
}

/** Figures of one side for a suggestion's before/after. */
function figures(v: TrainingVariant, a: TrainingAttackFigures, exitNames: readonly string[]): Record<string, number> {
  // Internal exits only: the final exit's is finalExitRobustAccuracy.
  const perExit: Record<string, number> = {};
  exitNames.slice(0, -1).forEach((name, i) => {
    const x = a.perExitRobustAccuracy[i];
    if (x !== undefined) perExit[`robustAccuracy ${name}`] = x;
  });
  return {
    cleanAccuracy: v.cleanAccuracy,
    robustAccuracy: a.robustAccuracy,
    finalExitRobustAccuracy: a.finalExitRobustAccuracy,
    ...perExit,
    cleanFlopsRatio: v.cleanFlopsRatio,
    adversarialFlopsRatio: a.meanFlopsRatio,
    hijackRate: a.hijackRate,
    ...(v.trainingSeconds !== undefined ? { trainingSeconds: v.trainingSeconds } : {}),
  };
}

/**
 * The suggestion to add the recipe, when the file trains on clean data and the recipe raises the headline robust
 * accuracy by at least MIN_GAIN. Its clean-accuracy and FLOPs costs are not limits: they are stated in the title and
 * the figures, and the user weighs them.
 */
export function suggestTraining(c: TrainingComparison, modelName: string, exitNames: readonly string[]): Suggestion | undefined {
  if (c.file !== 'clean') return undefined;
  const h = headline(c);
  if (h === undefined || h.adversarial.robustAccuracy - h.clean.robustAccuracy < MIN_GAIN) return undefined;
  const before = c.clean;
  const after = c.adversarial;
  const flops = before.cleanFlopsRatio > 0 ? (after.cleanFlopsRatio - before.cleanFlopsRatio) / before.cleanFlopsRatio : 0;
  const slower = before.trainingSeconds !== undefined && after.trainingSeconds !== undefined && before.trainingSeconds > 0 ? after.trainingSeconds / before.trainingSeconds : NaN;
  return {
    id: `adversarial-training@${h.clean.eps}:train.adversarial=${JSON.stringify(c.recipe)}`,
    title:
      // Each side's lowest figure: the attack that gives it may differ, and then both are named.
      `train adversarially (${recipeText(c.recipe)}): robust accuracy ${pct(h.clean.robustAccuracy)} -> ${pct(h.adversarial.robustAccuracy)} under ${h.clean.id}` +
      `${h.adversarial.id !== h.clean.id ? ` (after: under ${h.adversarial.id}, its lowest)` : ''} ` +
      `(final exit ${pct(h.clean.finalExitRobustAccuracy)} -> ${pct(h.adversarial.finalExitRobustAccuracy)}), clean accuracy ${pct(before.cleanAccuracy)} -> ${pct(after.cleanAccuracy)}, ` +
      `clean cost ${flops >= 0 ? '+' : ''}${Math.round(100 * flops)}%${Number.isFinite(slower) ? `, training ${slower.toFixed(1)}x as long` : ''}`,
    target: { kind: 'model', name: modelName },
    change: { path: ['train', 'adversarial'], value: { ...c.recipe } },
    before: figures(before, h.clean, exitNames),
    after: figures(after, h.adversarial, exitNames),
  };
}
