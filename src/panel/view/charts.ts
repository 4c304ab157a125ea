// Chart models (src/panel/model) to chart.js charts. Each canvas carries data-chart (stable id) and, once drawn,
// data-datasets (the dataset labels as JSON) so tests can check what was drawn.
import { Chart, ChartConfiguration, ChartDataset, registerables, Scale, TooltipItem } from 'chart.js';
import type { ChartModel, ScatterChartModel } from '../model/charts';
import { datasetLabels } from '../model/charts';
import { percentTicks } from '../model/format';
import { h } from './dom';
import type { Theme } from './theme';

Chart.register(...registerables);

/** Chart.js tick callback: percent labels with the decimals the axis's tick spacing needs. */
const percentTick = (_v: number | string, index: number, ticks: { value: number }[]): string => percentTicks(ticks.map((t) => t.value))[index] ?? '';

function color(theme: Theme, slot: number): string {
  return theme.palette[slot % theme.palette.length] ?? theme.foreground;
}

/** Colours of every dataset and axis, applied at creation and again when the theme changes. */
function styleChart(chart: Chart, model: ChartModel, theme: Theme): void {
  const width = theme.highContrast ? 3 : 2;
  chart.data.datasets.forEach((ds, i) => {
    const d = ds as ChartDataset & Record<string, unknown>;
    if (model.kind === 'line') {
      const c = color(theme, model.series[i]?.group ?? i);
      Object.assign(d, { borderColor: c, backgroundColor: c, pointBackgroundColor: c, borderWidth: width });
    } else if (model.kind === 'bar') {
      const c = color(theme, i);
      Object.assign(d, { backgroundColor: c, borderColor: theme.background, borderWidth: 1 });
    } else {
      const role = model.series[i]?.role;
      // The other training's series share one palette colour; the file's keep the front and current colours.
      const c = model.series[i]?.other === true ? color(theme, 0) : role === 'front' ? theme.front : role === 'current' ? theme.current : theme.muted;
      Object.assign(d, { borderColor: c, backgroundColor: c, pointBackgroundColor: role === 'all' ? 'transparent' : c, borderWidth: role === 'front' ? width : 1.5 });
    }
  });
  const opts = chart.options as Record<string, unknown> & { scales?: Record<string, { ticks?: object; grid?: object; title?: object; border?: object }>; plugins?: Record<string, Record<string, unknown>> };
  for (const scale of Object.values(opts.scales ?? {})) {
    scale.ticks = { ...scale.ticks, color: theme.foreground };
    scale.grid = { ...scale.grid, color: theme.grid };
    scale.border = { ...scale.border, color: theme.grid };
    scale.title = { ...scale.title, color: theme.foreground };
  }
  const plugins = opts.plugins ?? {};
  plugins.legend = { ...plugins.legend, labels: { color: theme.foreground, font: { family: theme.fontFamily } } };
  plugins.title = { ...plugins.title, color: theme.foreground };
  opts.plugins = plugins;
  chart.update('none');
}

function axis(title: string, share: boolean, extra: object = {}): object {
  return {
    title: { display: true, text: title },
    ...(share ? { min: 0, max: 1, ticks: { callback: percentTick } } : {}),
    ...extra,
  };
}

function config(model: ChartModel): ChartConfiguration {
  const common = {
    animation: false as const,
    responsive: true,
    maintainAspectRatio: false,
    plugins: { title: { display: true, text: model.title }, legend: { position: 'bottom' as const } },
  };
  if (model.kind === 'line') {
    return {
      type: 'line',
      data: {
        datasets: model.series.map((s) => ({
          label: s.label,
          data: s.points,
          borderDash: s.dashed ? [6, 4] : [],
          // 'before' in chart.js holds the previous value up to the next point, then steps: nobody new exits between exits.
          stepped: model.stepped ? ('before' as const) : false,
          pointRadius: model.stepped ? 2 : 3,
          fill: false,
        })),
      },
      options: { ...common, parsing: false, scales: { x: { type: 'linear', ...axis(model.xLabel, model.xShare) }, y: axis(model.yLabel, true) } },
    };
  }
  if (model.kind === 'bar') {
    return {
      type: 'bar',
      data: { labels: model.categories, datasets: model.series.map((s) => ({ label: s.label, data: s.values })) },
      options: {
        ...common,
        scales: { x: { stacked: model.stacked }, y: axis(model.yLabel, true, { stacked: model.stacked, max: model.stacked ? 1 : undefined, suggestedMax: 1 }) },
      },
    };
  }
  return scatterConfig(model, common);
}

function scatterConfig(model: ScatterChartModel, common: object): ChartConfiguration {
  return {
    type: 'scatter',
    data: {
      datasets: model.series.map((s) => ({
        label: s.label,
        data: s.points.map((p) => ({ x: p.x, y: p.y })),
        showLine: s.role === 'front',
        pointRadius: s.role === 'current' ? 8 : s.role === 'front' ? 5 : 4,
        pointStyle: s.role === 'current' ? 'rectRot' : s.other === true ? 'triangle' : 'circle',
        order: s.role === 'current' ? 0 : s.role === 'front' ? 1 : 2,
      })),
    },
    options: {
      ...common,
      parsing: false,
      scales: {
        x: { type: 'linear', ...axis(model.xLabel, false, { ticks: { callback: percentTick } }) },
        y: { ...axis(model.yLabel, false, { ticks: { callback: percentTick } }), afterDataLimits: (s: Scale) => { s.min = Math.max(0, s.min - 0.02); s.max = Math.min(1, s.max + 0.02); } },
      },
      plugins: {
        ...(common as { plugins: object }).plugins,
        tooltip: { callbacks: { label: (item: TooltipItem<'scatter'>) => model.series[item.datasetIndex]?.points[item.dataIndex]?.note ?? '' } },
      },
    },
  } as ChartConfiguration;
}

export interface DrawnChart {
  chart: Chart;
  model: ChartModel;
}

/** A figure with its canvas; the chart is drawn once the figure is in the document (chart.js needs a size). */
export function chartFigure(model: ChartModel, extraAttrs: Record<string, string> = {}): { element: HTMLElement; draw(theme: Theme): DrawnChart } {
  const labels = datasetLabels(model);
  const canvas = h('canvas', { 'data-chart': model.id, role: 'img', 'aria-label': `${model.title}. Datasets: ${labels.join('; ')}`, ...extraAttrs });
  const element = h('figure', { class: 'chart' }, h('div', { class: 'chart-box' }, canvas));
  return {
    element,
    draw(theme: Theme): DrawnChart {
      const chart = new Chart(canvas, config(model));
      styleChart(chart, model, theme);
      canvas.setAttribute('data-datasets', JSON.stringify(chart.data.datasets.map((d) => d.label ?? '')));
      return { chart, model };
    },
  };
}

export function restyle(drawn: readonly DrawnChart[], theme: Theme): void {
  for (const d of drawn) styleChart(d.chart, d.model, theme);
}
