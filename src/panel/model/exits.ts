// Where samples leave the network and what they cost: exit distributions (clean against each attack), mean
// executed FLOPs and the early-exit capability (EEC) curves of DeepSloth.
import type { PassFigures, Results } from '../../protocol/results';
import type { BarChartModel, LineChartModel, Point } from './charts';

/** The clean pass and every attack pass, labelled, in document order. */
export function passes(r: Results): { label: string; figures: PassFigures }[] {
  return [{ label: 'clean', figures: r.clean }, ...r.attacks.map((a) => ({ label: a.id, figures: a }))];
}

/** A bar chart with one category per pass (clean, then each attack) and the series `values` reads from each. */
function perPassChart(
  r: Results,
  chart: Pick<BarChartModel, 'id' | 'title' | 'yLabel' | 'stacked'>,
  series: { label: string; value: (figures: PassFigures) => number }[],
): BarChartModel {
  const all = passes(r);
  return {
    kind: 'bar',
    ...chart,
    categories: all.map((p) => p.label),
    series: series.map((s) => ({ label: s.label, values: all.map((p) => s.value(p.figures)) })),
  };
}

export function exitDistributionChart(r: Results): BarChartModel {
  return perPassChart(
    r,
    { id: 'exit-distribution', title: 'Exit distribution, clean against adversarial', yLabel: 'share of samples', stacked: true },
    r.model.exitNames.map((name, i) => ({ label: `exit ${name}`, value: (f) => f.exitDistribution[i] ?? 0 })),
  );
}

export function flopsChart(r: Results): BarChartModel {
  return perPassChart(
    r,
    { id: 'flops', title: 'Mean executed FLOPs (share of the full network)', yLabel: 'FLOPs / full FLOPs', stacked: false },
    [{ label: 'mean executed FLOPs', value: (f) => f.meanFlopsRatio }],
  );
}

/**
 * Points of the EEC curve: the cumulative share of samples that have exited by exit i against the FLOPs share
 * spent up to exit i, starting at the origin. Drawn as a step curve: between two exits nobody new leaves.
 */
export function eecCurve(exitDistribution: readonly number[], exitFlopsShare: readonly number[]): Point[] {
  if (exitDistribution.length !== exitFlopsShare.length) {
    throw new Error(`EEC curve: ${exitDistribution.length} exit shares but ${exitFlopsShare.length} FLOPs shares`);
  }
  const points: Point[] = [{ x: 0, y: 0 }];
  let cumulative = 0;
  exitDistribution.forEach((share, i) => {
    cumulative += share;
    points.push({ x: exitFlopsShare[i] ?? 1, y: Math.min(1, cumulative) });
  });
  return points;
}

/** Area under a step curve from eecCurve over [0, 1]: the EEC the curve shows, to compare with the stored one. */
export function eecArea(points: readonly Point[]): number {
  let area = 0;
  for (let i = 0; i < points.length; i++) {
    const p = points[i] as Point;
    const nextX = i + 1 < points.length ? (points[i + 1] as Point).x : 1;
    area += Math.max(0, Math.min(1, nextX) - p.x) * p.y;
  }
  return area;
}

export function eecChart(r: Results): LineChartModel {
  return {
    kind: 'line',
    id: 'eec',
    title: 'Early-exit capability: cumulative exits against FLOPs share',
    xLabel: 'FLOPs share',
    yLabel: 'share of samples exited',
    xShare: true,
    stepped: true,
    series: passes(r).map((p, i) => ({
      label: `${p.label} (EEC ${p.figures.eec.toFixed(3)})`,
      points: eecCurve(p.figures.exitDistribution, r.model.exitFlopsShare),
      dashed: i > 0,
      group: i,
    })),
  };
}
