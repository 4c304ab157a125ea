// The paper-matrix page of the panel: the grid (data sets x mechanisms) whose cells are buttons that open that
// model's results, the verdict counts, and one table per finding. Text only through h() (textContent).
import type { PaperMatrix } from '../../protocol/matrix';
import { findingTables, cellsTable, matrixGrid, verdictCounts, verdictShort } from '../model/matrix';
import { h } from './dom';
import { table } from './table';


export function buildMatrixPage(m: PaperMatrix, openCell: ((index: number) => void) | undefined): HTMLElement {
  const grid = matrixGrid(m);
  const head = h('tr', {}, h('th', { scope: 'col' }, 'data set'), grid.mechanisms.map((k) => h('th', { scope: 'col' }, k)));
  const rows = grid.datasets.map((d, i) =>
    h(
      'tr',
      {},
      h('th', { scope: 'row' }, d),
      (grid.cellIndex[i] ?? []).map((k) => {
        if (k < 0) return h('td', {}, '–');
        const cell = m.cells[k];
        const verdicts = (grid.verdicts[k] ?? []).map((v) => h('li', { class: `verdict v-${verdictShort(v.verdict).replace(/[^a-z]+/g, '-')}`, 'data-verdict': v.verdict }, `${v.title}: ${verdictShort(v.verdict)}`));
        const label = `${cell?.dataset ?? ''} / ${cell?.mechanism ?? ''}: open the results of ${cell?.model ?? ''}`;
        const content = [h('span', { class: 'cell-model' }, cell?.model ?? ''), h('ul', { class: 'verdicts' }, verdicts)];
        if (openCell === undefined) return h('td', { 'data-cell': String(k) }, content);
        const button = h('button', { type: 'button', class: 'matrix-cell', 'data-cell': String(k), 'aria-label': label, title: label }, content);
        button.addEventListener('click', () => openCell(k));
        return h('td', {}, button);
      }),
    ),
  );
  const counts = verdictCounts(m).map((v) =>
    h('li', {}, `${v.title}: holds in ${v.counts.holds}, does not hold in ${v.counts['does not hold']}, no difference in ${v.counts['no difference within sampling noise']}, not measured in ${v.counts['not measured']} of ${m.cells.length}`),
  );
  return h(
    'div',
    { class: 'page matrix', 'data-matrix': String(m.cells.length) },
    h('h1', {}, 'Paper matrix'),
    h('p', {}, `${m.protocol} ${m.samples} samples per cell, seed ${m.seed}, backend ${m.backend}, ${Math.round(m.seconds)} s, ${m.date}.`),
    h('ul', { class: 'verdict-counts' }, counts),
    h('div', { class: 'table-wrap' }, h('table', { class: 'matrix-grid', 'data-table': 'matrix-grid' }, h('caption', {}, 'Verdicts per cell (select a cell to open its results)'), h('thead', {}, head), h('tbody', {}, rows))),
    [...findingTables(m), cellsTable(m)].map(table),
  );
}
