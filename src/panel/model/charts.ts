// Chart and table models: what to draw, independent of chart.js and the DOM. The webview turns them into
// chart.js configurations; the Markdown report turns the tables into Markdown.

export interface Point {
  x: number;
  y: number;
}

export interface LineSeries {
  label: string;
  points: Point[];
  /** Drawn dashed (e.g. final exit alone beside dynamic inference). */
  dashed: boolean;
  /** Palette slot: series sharing a group share a colour. */
  group: number;
}

export interface LineChartModel {
  kind: 'line';
  /** Stable id, written to the canvas as data-chart. */
  id: string;
  title: string;
  xLabel: string;
  yLabel: string;
  /** The x axis is a share in [0, 1] too (EEC curves) rather than a free value (eps). */
  xShare: boolean;
  /** Cumulative step curves (EEC) rather than straight segments. */
  stepped: boolean;
  series: LineSeries[];
}

export interface BarChartModel {
  kind: 'bar';
  id: string;
  title: string;
  yLabel: string;
  categories: string[];
  series: { label: string; values: number[] }[];
  stacked: boolean;
}

export interface ScatterPoint extends Point {
  /** Shown in the tooltip. */
  note: string;
}

export interface ScatterChartModel {
  kind: 'scatter';
  id: string;
  title: string;
  xLabel: string;
  yLabel: string;
  /** `other`: points of the file trained the other way (study adversarial-training), drawn apart. */
  series: { label: string; points: ScatterPoint[]; role: 'all' | 'front' | 'current'; other?: boolean }[];
}

export type ChartModel = LineChartModel | BarChartModel | ScatterChartModel;

export interface TableModel {
  id: string;
  caption: string;
  columns: string[];
  rows: string[][];
}

/** Dataset labels in drawing order: written to the canvas as data-datasets so tests can check what drew. */
export function datasetLabels(chart: ChartModel): string[] {
  return chart.series.map((s) => s.label);
}
