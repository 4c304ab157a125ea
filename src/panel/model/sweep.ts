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

export function sweepChart(s: SweepResult, index: number): ScatterChartModel {
  const at = (p: SweepPoint): ScatterPoint => ({ x: p.cleanFlopsRatio, y: p.robustAccuracy, note: describePoint(p) });
  const front = frontIndices(s.points);
  return {
    kind: 'scatter',
    id: `sweep-${index}`,
    title: `Design sweep against ${s.attackId} at eps ${num(s.eps, 4)}: cost against robustness`,
    xLabel: 'mean executed FLOPs (clean, share of full)',
    yLabel: `robust accuracy (${s.attackId})`,
    series: [
      { label: 'designs', points: s.points.map(at), role: 'all' },
      { label: 'Pareto front', points: front.map((i) => at(s.points[i] as SweepPoint)), role: 'front' },
      { label: 'current design', points: s.points.filter((p) => p.current).map(at), role: 'current' },
    ],
  };
}

export function sweepCharts(r: Results): ScatterChartModel[] {
  return r.sweeps.map(sweepChart);
}
