// Threshold / placement sweeps: cost against robustness, with the Pareto front and the file's current design.
import type { Results, SweepPoint, SweepResult } from '../../protocol/results';
import type { ScatterChartModel, ScatterPoint } from './charts';
import { num, pct } from './format';

/**
 * Indices of the points no other point dominates when cost is minimised and robustness maximised (ties in both
 * keep every tied point), in order of increasing cost.
 */
export function paretoFront(points: readonly { cost: number; value: number }[]): number[] {
  const front: number[] = [];
  points.forEach((p, i) => {
    const dominated = points.some((q, j) => j !== i && q.cost <= p.cost && q.value >= p.value && (q.cost < p.cost || q.value > p.value));
    if (!dominated) front.push(i);
  });
  return front.sort((a, b) => (points[a]?.cost ?? 0) - (points[b]?.cost ?? 0));
}

export function describePoint(p: SweepPoint): string {
  const thresholds = p.thresholds.map((t, i) => (p.enabledExits[i] === false ? 'off' : num(t, 3))).join(', ');
  const gates = p.gateThresholds.length > 0 ? `; gates [${p.gateThresholds.map((g) => num(g, 3)).join(', ')}]` : '';
  return `thresholds [${thresholds}]${gates}: clean ${pct(p.cleanAccuracy)}, robust ${pct(p.robustAccuracy)}, hijack ${pct(p.hijackRate)}, cost ${pct(p.cleanFlopsRatio)} clean / ${pct(p.adversarialFlopsRatio)} adversarial`;
}

/**
 * The front the study marked; a document whose points carry no marks gets the front of the plane drawn here
 * (clean cost against robust accuracy).
 */
export function frontIndices(points: readonly SweepPoint[]): number[] {
  const marked = points.map((p, i) => (p.onParetoFront ? i : -1)).filter((i) => i >= 0);
  if (marked.length > 0) return marked.sort((a, b) => (points[a]?.cleanFlopsRatio ?? 0) - (points[b]?.cleanFlopsRatio ?? 0));
  return paretoFront(points.map((p) => ({ cost: p.cleanFlopsRatio, value: p.robustAccuracy })));
}

/** The three series of one sweep: every design, the Pareto front and the file's design. */
function sweepSeries(s: SweepResult, prefix: string, other: boolean): ScatterChartModel['series'] {
  const at = (p: SweepPoint): ScatterPoint => ({ x: p.cleanFlopsRatio, y: p.robustAccuracy, note: `${prefix}${describePoint(p)}` });
  const front = frontIndices(s.points);
  const flag = other ? { other: true } : {};
  return [
    { label: `${prefix}designs`, points: s.points.map(at), role: 'all', ...flag },
    { label: `${prefix}Pareto front`, points: front.map((i) => at(s.points[i] as SweepPoint)), role: 'front', ...flag },
    { label: `${prefix}current design`, points: s.points.filter((p) => p.current).map(at), role: 'current', ...flag },
  ];
}

/**
 * One sweep's chart; with the adversarial-training study, the same sweep of the file trained the other way is drawn
 * beside it (its own designs, front and current design), so both trainings read on one plane.
 */
export function sweepChart(s: SweepResult, index: number, other?: { sweep: SweepResult; label: string }): ScatterChartModel {
  return {
    kind: 'scatter',
    id: `sweep-${index}`,
    title: `Design sweep against ${s.attackId} at eps ${num(s.eps, 4)}: cost against robustness`,
    xLabel: 'mean executed FLOPs (clean, share of full)',
    yLabel: `robust accuracy (${s.attackId})`,
    series: [...sweepSeries(s, '', false), ...(other !== undefined ? sweepSeries(other.sweep, `${other.label}: `, true) : [])],
  };
}

/** The sweep of the other training for the same attack and radius, when the results have one. */
export function otherTrainingSweep(r: Results, s: SweepResult): { sweep: SweepResult; label: string } | undefined {
  const c = r.training;
  const sweep = c?.otherSweeps.find((o) => o.attackId === s.attackId && o.eps === s.eps);
  if (c === undefined || sweep === undefined) return undefined;
  return { sweep, label: c.file === 'clean' ? 'adversarially trained' : 'clean-trained' };
}

export function sweepCharts(r: Results): ScatterChartModel[] {
  return r.sweeps.map((s, i) => sweepChart(s, i, otherTrainingSweep(r, s)));
}
