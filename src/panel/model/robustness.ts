// Robust accuracy against eps, per attack: dynamic inference and the final exit alone. The clean figures are the
// eps = 0 point of every curve, so a curve starts where the model starts.
import type { AttackResult, Results } from '../../protocol/results';
import type { LineChartModel, LineSeries } from './charts';

/** Attack results grouped by attack id (first-seen order), each group sorted by eps. */
export function attacksById(attacks: readonly AttackResult[]): Map<string, AttackResult[]> {
  const groups = new Map<string, AttackResult[]>();
  for (const a of attacks) {
    const g = groups.get(a.attackId);
    if (g) g.push(a);
    else groups.set(a.attackId, [a]);
  }
  for (const g of groups.values()) g.sort((a, b) => a.eps - b.eps);
  return groups;
}

export function robustAccuracyChart(r: Results): LineChartModel {
  const series: LineSeries[] = [];
  let group = 0;
  for (const [attackId, runs] of attacksById(r.attacks)) {
    const norm = runs[0]?.norm === 'l2' ? 'L2' : 'L∞';
    series.push({
      label: `${attackId} (${norm}): dynamic`,
      points: [{ x: 0, y: r.clean.accuracy }, ...runs.filter((a) => a.eps > 0).map((a) => ({ x: a.eps, y: a.robustAccuracy }))],
      dashed: false,
      group,
    });
    series.push({
      label: `${attackId} (${norm}): final exit`,
      points: [{ x: 0, y: r.clean.finalExitAccuracy }, ...runs.filter((a) => a.eps > 0).map((a) => ({ x: a.eps, y: a.finalExitRobustAccuracy }))],
      dashed: true,
      group,
    });
    group++;
  }
  return {
    kind: 'line',
    id: 'robust-accuracy',
    title: 'Robust accuracy against eps (eps 0 = clean)',
    xLabel: 'eps',
    yLabel: 'accuracy',
    xShare: false,
    stepped: false,
    series,
  };
}
