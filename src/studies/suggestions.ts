// Suggestions: single edits of the model file that the sweep measured to make the design more robust at little
// clean cost. A design qualifies when it is one edit away from the file, keeps clean accuracy within
// MAX_CLEAN_DROP of the current design and improves the sweep's attack metric by at least MIN_GAIN.
import type { Suggestion, SweepPoint } from '../protocol/results';
import type { EvaluatedDesign } from './sweep';

/** Largest clean-accuracy loss (absolute) a suggestion may cost. */
export const MAX_CLEAN_DROP = 0.01;
/** Smallest improvement (absolute share) worth suggesting. */
export const MIN_GAIN = 0.02;
/** Suggestions kept per sweep. */
const PER_SWEEP = 3;

export type SweepGoal = 'robust-accuracy' | 'hijack-rate' | 'slowdown';

/** What the sweep's attack measures: hijack -> hijack rate, slowdown -> adversarial EEC, otherwise robust accuracy. */
export function goalFor(kind: string): SweepGoal {
  if (kind === 'hijack') return 'hijack-rate';
  if (kind === 'slowdown' || kind === 'gate') return 'slowdown';
  return 'robust-accuracy';
}

/** How much better `after` is than `before` for the goal (positive = better). */
export function gain(goal: SweepGoal, before: SweepPoint, after: SweepPoint): number {
  switch (goal) {
    case 'hijack-rate':
      return before.hijackRate - after.hijackRate;
    case 'slowdown':
      return after.adversarialEec - before.adversarialEec;
    case 'robust-accuracy':
      return after.robustAccuracy - before.robustAccuracy;
  }
}

function pct(x: number): string {
  return `${Math.round(100 * x)}%`;
}

function signedPct(x: number): string {
  const v = Math.round(100 * x);
  return `${v >= 0 ? '+' : ''}${v}%`;
}

function effectText(goal: SweepGoal, before: SweepPoint, after: SweepPoint): string {
  const cost = before.cleanFlopsRatio > 0 ? (after.cleanFlopsRatio - before.cleanFlopsRatio) / before.cleanFlopsRatio : 0;
  const main =
    goal === 'hijack-rate'
      ? `hijack rate ${pct(before.hijackRate)} -> ${pct(after.hijackRate)}`
      : goal === 'slowdown'
        ? `EEC under slowdown ${before.adversarialEec.toFixed(2)} -> ${after.adversarialEec.toFixed(2)}`
        : `robust accuracy ${pct(before.robustAccuracy)} -> ${pct(after.robustAccuracy)}`;
  const clean = Math.abs(after.cleanAccuracy - before.cleanAccuracy) >= 0.005 ? `, clean accuracy ${pct(before.cleanAccuracy)} -> ${pct(after.cleanAccuracy)}` : '';
  return `${main}, clean cost ${signedPct(cost)}${clean}`;
}

function figures(p: SweepPoint): Record<string, number> {
  return {
    cleanAccuracy: p.cleanAccuracy,
    robustAccuracy: p.robustAccuracy,
    hijackRate: p.hijackRate,
    cleanFlopsRatio: p.cleanFlopsRatio,
    adversarialFlopsRatio: p.adversarialFlopsRatio,
    adversarialEec: p.adversarialEec,
  };
}

/**
 * Up to PER_SWEEP suggestions for one sweep, best trade first: per edited target the design with the largest gain
 * net of its clean cost increase.
 */
export function suggestFromSweep(evaluated: readonly EvaluatedDesign[], attackId: string, eps: number, kind: string): Suggestion[] {
  const current = evaluated.find((e) => e.point.current)?.point;
  if (current === undefined) return [];
  const goal = goalFor(kind);
  const best = new Map<string, { score: number; design: EvaluatedDesign }>();
  for (const e of evaluated) {
    const change = e.design.change;
    if (change === undefined || e.point.current) continue;
    if (current.cleanAccuracy - e.point.cleanAccuracy > MAX_CLEAN_DROP) continue;
    const g = gain(goal, current, e.point);
    if (g < MIN_GAIN) continue;
    const score = g - Math.max(0, e.point.cleanFlopsRatio - current.cleanFlopsRatio);
    const key = `${change.target.kind}:${change.target.name}`;
    const known = best.get(key);
    if (known === undefined || score > known.score) best.set(key, { score, design: e });
  }
  return [...best.values()]
    .sort((a, b) => b.score - a.score)
    .slice(0, PER_SWEEP)
    .map(({ design: e }) => {
      const change = e.design.change as NonNullable<EvaluatedDesign['design']['change']>;
      return {
        id: `${attackId}@${eps}:${change.path.join('.')}=${JSON.stringify(change.value)}`,
        title: `${change.verb}: ${effectText(goal, current, e.point)} (against ${attackId} at eps ${eps})`,
        target: change.target,
        change: { path: [...change.path], value: change.value },
        before: figures(current),
        after: figures(e.point),
      };
    });
}

/** Merges suggestions of several sweeps: one per edit, the one with the larger measured gain in its own sweep. */
export function mergeSuggestions(lists: readonly Suggestion[][]): Suggestion[] {
  const byEdit = new Map<string, Suggestion>();
  for (const list of lists) {
    for (const s of list) {
      const key = JSON.stringify([s.change.path, s.change.value]);
      if (!byEdit.has(key)) byEdit.set(key, s);
    }
  }
  return [...byEdit.values()];
}
