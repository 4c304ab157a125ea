// A table view model as an accessible HTML table (caption, column headers, the first cell of each row a row
// header). Text only through h() (textContent). Shared by the results page and the paper-matrix page.
import type { TableModel } from '../model/charts';
import { h } from './dom';

export function table(t: TableModel): HTMLElement {
  return h(
    'div',
    { class: 'table-wrap', 'data-table': t.id },
    h(
      'table',
      {},
      h('caption', {}, t.caption),
      h('thead', {}, h('tr', {}, t.columns.map((c) => h('th', { scope: 'col' }, c)))),
      h('tbody', {}, t.rows.map((r) => h('tr', {}, r.map((c, i) => (i === 0 ? h('th', { scope: 'row' }, c) : h('td', {}, c)))))),
    ),
  );
}
