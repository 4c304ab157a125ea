// Transfer matrices as heatmap cells: rows = model the examples were crafted on, columns = model they were
// evaluated on; the diagonal is the white-box attack.
import type { Results, TransferResult } from '../../protocol/results';
import { num, pct } from './format';

export const TRANSFER_MODELS = ['dynamic', 'static twin'] as const;

export interface HeatCell {
  row: number;
  col: number;
  value: number;
  text: string;
  /** Colour strength in [0, 1] (the success rate clamped). */
  intensity: number;
  label: string;
}

export interface Heatmap {
  id: string;
  caption: string;
  rowHeader: string;
  colHeader: string;
  rowLabels: readonly string[];
  colLabels: readonly string[];
  cells: HeatCell[][];
  note: string;
}

export function transferHeatmap(t: TransferResult): Heatmap {
  const cells = t.matrix.map((row, i) =>
    row.map((value, j) => ({
      row: i,
      col: j,
      value,
      text: pct(value),
      intensity: Math.max(0, Math.min(1, value)),
      label: `crafted on ${TRANSFER_MODELS[i]}, evaluated on ${TRANSFER_MODELS[j]}: success ${pct(value)}${i === j ? ' (white-box)' : ''}`,
    })),
  );
  const [[, dynToStatic], [staticToDyn]] = t.matrix;
  const direction = dynToStatic > staticToDyn ? 'dynamic → static transfers better' : dynToStatic < staticToDyn ? 'static → dynamic transfers better' : 'both directions transfer equally';
  return {
    id: `transfer-${t.attackId}@${num(t.eps, 6)}`,
    caption: `Transfer success, ${t.attackId} at eps ${num(t.eps, 4)}`,
    rowHeader: 'crafted on',
    colHeader: 'evaluated on',
    rowLabels: TRANSFER_MODELS,
    colLabels: TRANSFER_MODELS,
    cells,
    note: `${direction} (${pct(dynToStatic)} against ${pct(staticToDyn)}); static twin clean accuracy ${pct(t.staticCleanAccuracy)}`,
  };
}

export function transferHeatmaps(r: Results): Heatmap[] {
  return r.transfer.map(transferHeatmap);
}
