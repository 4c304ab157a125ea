// Everything the panel and the reports show, shaped from one Results document.
import type { Results } from '../../protocol/results';
import { isStale } from '../../protocol/panel-messages';
import type { BarChartModel, LineChartModel, ScatterChartModel, TableModel } from './charts';
import { eecChart, exitDistributionChart, flopsChart } from './exits';
import { allFlags, FlagView } from './flags';
import { robustAccuracyChart } from './robustness';
import { suggestionViews, SuggestionView } from './suggestions';
import { sweepCharts } from './sweep';
import { attackTable, cleanTable, ensembleTable, efficiencyTable, findingsTable, gateTable, hijackTable, perExitTable, provenanceRows } from './tables';
import { trainingChart, trainingTable } from './training';
import { Heatmap, transferHeatmaps } from './transfer';

export interface PanelView {
  title: string;
  provenance: [string, string][];
  /** The results were computed from another version of the model file. */
  stale: boolean;
  flags: FlagView[];
  clean: TableModel;
  /** The worst case over an ensemble and what each member gave; shown first when the file has one. */
  ensemble: TableModel | undefined;
  attacks: TableModel;
  robustAccuracy: LineChartModel;
  exitDistribution: BarChartModel;
  flops: BarChartModel;
  eec: LineChartModel;
  perExit: TableModel;
  gates: TableModel | undefined;
  hijack: TableModel | undefined;
  transfer: Heatmap[];
  efficiency: TableModel | undefined;
  sweeps: ScatterChartModel[];
  /** Study adversarial-training: both trainings' figures, and robust accuracy per attack for each. */
  training: TableModel | undefined;
  trainingChart: BarChartModel | undefined;
  suggestions: SuggestionView[];
  findings: TableModel | undefined;
}

export function buildPanelView(r: Results, currentSpecHash: string | null): PanelView {
  return {
    title: `${r.model.name}: robustness results`,
    provenance: provenanceRows(r),
    stale: isStale(r.model.specHash, currentSpecHash),
    flags: allFlags(r),
    clean: cleanTable(r),
    ensemble: ensembleTable(r),
    attacks: attackTable(r),
    robustAccuracy: robustAccuracyChart(r),
    exitDistribution: exitDistributionChart(r),
    flops: flopsChart(r),
    eec: eecChart(r),
    perExit: perExitTable(r),
    gates: gateTable(r),
    hijack: hijackTable(r),
    transfer: transferHeatmaps(r),
    efficiency: efficiencyTable(r),
    sweeps: sweepCharts(r),
    training: trainingTable(r),
    trainingChart: trainingChart(r),
    suggestions: suggestionViews(r),
    findings: findingsTable(r),
  };
}
