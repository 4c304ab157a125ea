// The paper matrix as view models: one table per finding (rows = cells), and the grid the panel draws (data sets x
// mechanisms, each cell with its four verdicts). Pure: shared by the panel, the HTML and the Markdown report.
import { MATRIX_FINDINGS, type MatrixCell, type MatrixFindingKey, type MatrixInterval, type MatrixRate, type MatrixVerdict, type PaperMatrix } from '../../protocol/matrix';
import type { TableModel } from './charts';
import { num, pct } from './format';

export function rateText(r: MatrixRate): string {
  return `${pct(r.rate)} [${pct(r.low)}, ${pct(r.high)}] (${r.successes}/${r.n})`;
}

function signed(x: number): string {
  return `${x >= 0 ? '+' : ''}${(100 * x).toFixed(1)}`;
}

export function differenceText(d: MatrixInterval): string {
  return `${signed(d.estimate)} pts [${signed(d.low)}, ${signed(d.high)}]`;
}

/** Short form of a verdict for a badge. */
export function verdictShort(v: MatrixVerdict): string {
  return { holds: 'holds', 'does not hold': 'does not hold', 'no difference within sampling noise': 'no difference', 'not measured': 'n/a' }[v];
}

const cellName = (c: MatrixCell): string => `${c.dataset} / ${c.mechanism}`;

export function transferTable(m: PaperMatrix): TableModel {
  return {
    id: 'matrix-rq1',
    caption: `RQ1 transfer: success rate of PGD examples crafted on one model and evaluated on the other (${Math.round(100 * m.confidence)}% Wilson intervals; difference: Newcombe)`,
    columns: ['cell', 'eps', 'DyNN -> static', 'static -> DyNN', 'difference', 'higher', 'verdict'],
    rows: m.cells.map((c) => {
      const t = c.rq1;
      if (t === null) return [cellName(c), num(c.eps), '–', '–', '–', '–', 'not measured'];
      const higher = t.difference.low > 0 ? 'DyNN -> static' : t.difference.high < 0 ? 'static -> DyNN' : 'neither (within noise)';
      return [cellName(c), num(t.eps), rateText(t.dynToStatic), rateText(t.staticToDyn), differenceText(t.difference), higher, t.verdict];
    }),
  };
}

export function efficiencyTableOf(m: PaperMatrix): TableModel {
  return {
    id: 'matrix-rq2',
    caption: 'RQ2 generation efficiency: cost of one successful PGD example, DyNN vs static twin (the DyNN is cheaper when the success-rate ratio exceeds the break-even ratio)',
    columns: ['cell', 'DyNN: successes, grad evals, s, FLOPs per success', 'static: successes, grad evals, s, FLOPs per success', 'success ratio DyNN/static', 'break-even', 'verdict'],
    rows: m.cells.map((c) => {
      const e = c.rq2;
      if (e === null) return [cellName(c), '–', '–', '–', '–', 'not measured'];
      const side = (s: typeof e.dynamic): string => `${s.successes}/${s.attackable}, ${num(s.gradEvalsPerSuccess, 1)}, ${num(s.secondsPerSuccess, 4)} s, ${s.flopsPerSuccess.toExponential(2)}`;
      const ratio = e.successRatio.estimate > 0 ? `${num(e.successRatio.estimate)} [${num(e.successRatio.low)}, ${num(e.successRatio.high)}]` : '–';
      return [cellName(c), side(e.dynamic), side(e.static), ratio, num(e.breakEven), e.verdict];
    }),
  };
}

export function designTable(m: PaperMatrix): TableModel {
  return {
    id: 'matrix-rq3',
    caption: "RQ3 design choices: largest change of robust accuracy on static-crafted PGD examples when a knob moves away from the file's design (Bonferroni over the designs)",
    columns: ['cell', 'knob', 'designs', "file's design", 'most different design', 'effect', 'verdict'],
    rows: m.cells.flatMap((c) => {
      const d = c.rq3;
      if (d === null) return [[cellName(c), '–', '–', '–', '–', '–', 'not measured']];
      return d.effects.map((e) => [cellName(c), e.knob, String(e.designs), rateText(e.current), `${e.extreme}: ${rateText(e.extremeRate)}`, differenceText(e.effect), e.verdict]);
    }),
  };
}

export function mechanismTable(m: PaperMatrix): TableModel {
  return {
    id: 'matrix-rq4',
    caption: 'RQ4 mechanism: what the attacks on the mechanism change (rates clean -> attacked; mean FLOPs as a share of the full network; EEC)',
    columns: ['cell', 'attack', 'metric', 'clean', 'attacked', 'difference', 'mean FLOPs', 'EEC', 'verdict'],
    rows: m.cells.flatMap((c) => {
      const r = c.rq4;
      if (r === null) return [[cellName(c), '–', '–', '–', '–', '–', '–', '–', 'not measured']];
      return r.rows.map((x) => [
        cellName(c),
        `${x.kind} @ ${num(x.eps)}`,
        x.metric,
        rateText(x.clean),
        rateText(x.attacked),
        differenceText(x.difference),
        `${pct(x.meanFlopsClean)} -> ${pct(x.meanFlopsAttacked)}`,
        `${num(x.eecClean)} -> ${num(x.eecAttacked)}`,
        x.verdict,
      ]);
    }),
  };
}

export function cellsTable(m: PaperMatrix): TableModel {
  return {
    id: 'matrix-cells',
    caption: 'Cells: model, accuracy and run time',
    columns: ['cell', 'model file', 'samples', 'clean accuracy (dynamic)', 'final exit', 'static twin', 'seconds', 'weights'],
    rows: m.cells.map((c) => [cellName(c), c.file, String(c.samples), pct(c.cleanAccuracy), pct(c.finalExitAccuracy), c.staticCleanAccuracy === null ? '–' : pct(c.staticCleanAccuracy), num(c.seconds, 1), c.weights]),
  };
}

export function findingTables(m: PaperMatrix): TableModel[] {
  return [transferTable(m), efficiencyTableOf(m), designTable(m), mechanismTable(m)];
}

/** The grid the panel draws: rows are data sets, columns mechanisms, in first-seen order. */
export interface MatrixGrid {
  datasets: string[];
  mechanisms: string[];
  /** [dataset][mechanism]: index into m.cells, or -1 for no cell. */
  cellIndex: number[][];
  verdicts: { key: MatrixFindingKey; title: string; verdict: MatrixVerdict }[][];
}

export function matrixGrid(m: PaperMatrix): MatrixGrid {
  const datasets: string[] = [];
  const mechanisms: string[] = [];
  for (const c of m.cells) {
    if (!datasets.includes(c.dataset)) datasets.push(c.dataset);
    if (!mechanisms.includes(c.mechanism)) mechanisms.push(c.mechanism);
  }
  const cellIndex = datasets.map((d) => mechanisms.map((k) => m.cells.findIndex((c) => c.dataset === d && c.mechanism === k)));
  const verdicts = m.cells.map((c) => MATRIX_FINDINGS.map((f) => ({ key: f.key, title: f.title, verdict: c[f.key]?.verdict ?? 'not measured' })));
  return { datasets, mechanisms, cellIndex, verdicts };
}

/** Per finding, how many cells hold, do not hold, show no difference. */
export function verdictCounts(m: PaperMatrix): { title: string; claim: string; counts: Record<MatrixVerdict, number> }[] {
  return MATRIX_FINDINGS.map((f) => {
    const counts: Record<MatrixVerdict, number> = { holds: 0, 'does not hold': 0, 'no difference within sampling noise': 0, 'not measured': 0 };
    for (const c of m.cells) counts[c[f.key]?.verdict ?? 'not measured']++;
    return { title: f.title, claim: f.claim, counts };
  });
}
