// Study adversarial-training: the file's training beside the other one, as a table (every figure of both sides and
// the change) and a bar chart (robust accuracy per attack and radius, each training).
import type { Results, TrainingAttackFigures, TrainingComparison, TrainingVariant } from '../../protocol/results';
import { recipeText } from '../../protocol/training';
import type { BarChartModel, TableModel } from './charts';
import { num, pct, seconds } from './format';

/** Column heads of the two sides, saying which is the file as written. */
export function sideLabels(c: TrainingComparison): { clean: string; adversarial: string } {
  return c.file === 'clean'
    ? { clean: 'clean training (the file)', adversarial: 'adversarial training (proposed)' }
    : { clean: 'clean training (without the recipe)', adversarial: 'adversarial training (the file)' };
}

function points(before: number, after: number): string {
  if (!Number.isFinite(before) || !Number.isFinite(after)) return '–';
  const d = 100 * (after - before);
  return `${d >= 0 ? '+' : ''}${d.toFixed(1)} points`;
}

function share(x: number | undefined): string {
  return x === undefined ? '–' : pct(x);
}

/** The same attack result on the other side (same id: same attack, radius and seed). */
function counterpart(v: TrainingVariant, a: TrainingAttackFigures): TrainingAttackFigures | undefined {
  return v.attacks.find((b) => b.id === a.id);
}

export function trainingTable(r: Results): TableModel | undefined {
  const c = r.training;
  if (c === undefined) return undefined;
  const labels = sideLabels(c);
  const exits = r.model.exitNames;
  const row = (figure: string, before: number | undefined, after: number | undefined): string[] => [
    figure,
    share(before),
    share(after),
    before !== undefined && after !== undefined ? points(before, after) : '–',
  ];
  const time = (x: number | undefined): string => (x === undefined ? 'not recorded' : seconds(x));
  const t0 = c.clean.trainingSeconds;
  const t1 = c.adversarial.trainingSeconds;
  const rows: string[][] = [
    // Where each side's weights came from (this run's training or the cache entry, with its recipe and time).
    ['weights', c.clean.weights, c.adversarial.weights, '–'],
    ['training time', time(t0), time(t1), t0 !== undefined && t1 !== undefined && t0 > 0 ? `${num(t1 / t0, 2)}x` : '–'],
    row('clean accuracy (dynamic)', c.clean.cleanAccuracy, c.adversarial.cleanAccuracy),
    ...exits.map((name, i) => row(`clean accuracy at ${name}`, c.clean.cleanPerExitAccuracy[i], c.adversarial.cleanPerExitAccuracy[i])),
    row('mean executed FLOPs (clean)', c.clean.cleanFlopsRatio, c.adversarial.cleanFlopsRatio),
  ];
  for (const a of c.clean.attacks) {
    const b = counterpart(c.adversarial, a);
    if (b === undefined) continue;
    rows.push(
      row(`${a.id}: robust accuracy (dynamic)`, a.robustAccuracy, b.robustAccuracy),
      row(`${a.id}: robust accuracy (final exit)`, a.finalExitRobustAccuracy, b.finalExitRobustAccuracy),
      ...exits.slice(0, -1).map((name, i) => row(`${a.id}: accuracy at ${name}`, a.perExitRobustAccuracy[i], b.perExitRobustAccuracy[i])),
      row(`${a.id}: hijack rate`, a.hijackRate, b.hijackRate),
      row(`${a.id}: mean executed FLOPs`, a.meanFlopsRatio, b.meanFlopsRatio),
    );
  }
  return {
    id: 'training',
    caption: `Adversarial training (${recipeText(c.recipe)}): the same file, data, samples, seeds and attacks; only train.adversarial differs`,
    columns: ['figure', labels.clean, labels.adversarial, 'change'],
    rows,
  };
}

/** Dynamic robust accuracy per accuracy attack and radius, one bar per training; undefined without the study. */
export function trainingChart(r: Results): BarChartModel | undefined {
  const c = r.training;
  if (c === undefined) return undefined;
  const pairs = c.clean.attacks
    .filter((a) => a.kind !== 'slowdown' && a.kind !== 'gate')
    .map((a) => [a, counterpart(c.adversarial, a)] as const)
    .filter((p): p is readonly [TrainingAttackFigures, TrainingAttackFigures] => p[1] !== undefined);
  const labels = sideLabels(c);
  return {
    kind: 'bar',
    id: 'training',
    title: `Robust accuracy (dynamic) with and without adversarial training (${recipeText(c.recipe)})`,
    yLabel: 'robust accuracy (dynamic)',
    categories: ['clean', ...pairs.map(([a]) => a.id)],
    series: [
      { label: labels.clean, values: [c.clean.cleanAccuracy, ...pairs.map(([a]) => a.robustAccuracy)] },
      { label: labels.adversarial, values: [c.adversarial.cleanAccuracy, ...pairs.map(([, b]) => b.robustAccuracy)] },
    ],
    stacked: false,
  };
}
