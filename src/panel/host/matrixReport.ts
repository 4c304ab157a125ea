// Reports of the paper matrix: Markdown (one table per finding) and a self-contained HTML page with the same tables
// and the grid. The HTML needs no script: a strict CSP, a nonce on the one style element, every text escaped.
import { checkPaperMatrix, type PaperMatrix } from '../../protocol/matrix';
import { forHtml, forMarkdown } from '../../modelfile/display';
import type { TableModel } from '../model/charts';
import { cellsTable, findingTables, matrixGrid, verdictCounts, verdictShort } from '../model/matrix';
import { num } from '../model/format';
import { assertNonce } from './html';
import { createNonce } from './nonce';
import { markdownTable } from './report';

function assertMatrix(m: PaperMatrix): void {
  const problems = checkPaperMatrix(m);
  if (problems.length > 0) throw new Error(`cannot build a report from a malformed matrix: ${problems.slice(0, 5).join('; ')}`);
}

function provenanceLines(m: PaperMatrix): [string, string][] {
  return [
    ['date', m.date],
    ['tool', `dynn-lens ${m.toolVersion}`],
    ['backend', m.backend],
    ['seed', String(m.seed)],
    ['samples per cell', String(m.samples)],
    ['wall time', `${num(m.seconds, 0)} s (training included when weights were not cached)`],
    ['protocol', m.protocol],
    ['statistics', `${Math.round(100 * m.confidence)}% Wilson intervals per rate; differences by Newcombe's hybrid score interval; a finding holds only when the interval of the difference excludes zero on the paper's side`],
  ];
}

function summaryLines(m: PaperMatrix): string[] {
  return verdictCounts(m).map((v) => `${v.title}: holds in ${v.counts.holds}, does not hold in ${v.counts['does not hold']}, no difference within sampling noise in ${v.counts['no difference within sampling noise']}, not measured in ${v.counts['not measured']} of ${m.cells.length} cells. (${v.claim})`);
}

export function buildMatrixMarkdown(m: PaperMatrix): string {
  assertMatrix(m);
  const out: string[] = ['# Paper matrix: DyNN Lens report', ''];
  out.push('| | |', '| --- | --- |', ...provenanceLines(m).map(([k, v]) => `| ${forMarkdown(k)} | ${forMarkdown(v)} |`), '');
  out.push('## Verdicts', '', ...summaryLines(m).map((l) => `- ${forMarkdown(l)}`), '');
  const grid = matrixGrid(m);
  out.push(`| data set | ${grid.mechanisms.map(forMarkdown).join(' | ')} |`, `| --- | ${grid.mechanisms.map(() => '---').join(' | ')} |`);
  grid.datasets.forEach((d, i) => {
    const row = grid.cellIndex[i]?.map((k) => (k < 0 ? '–' : (grid.verdicts[k] ?? []).map((v) => `${v.title.split(' ')[0] ?? ''}: ${verdictShort(v.verdict)}`).join('<br>'))) ?? [];
    out.push(`| ${forMarkdown(d)} | ${row.map((c) => c.split('<br>').map(forMarkdown).join('<br>')).join(' | ')} |`);
  });
  out.push('');
  for (const t of [...findingTables(m), cellsTable(m)]) out.push(markdownTable(t), '');
  return out.join('\n');
}

function tableHtml(t: TableModel): string {
  const head = t.columns.map((c) => `<th scope="col">${forHtml(c)}</th>`).join('');
  const body = t.rows.map((r) => `<tr>${r.map((c) => `<td>${forHtml(c)}</td>`).join('')}</tr>`).join('\n');
  return `<table id="${forHtml(t.id)}"><caption>${forHtml(t.caption)}</caption><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table>`;
}

const STYLE = `body{font-family:system-ui,sans-serif;margin:1.5em;color:#222}table{border-collapse:collapse;margin:1em 0}
td,th{border:1px solid #bbb;padding:.25em .5em;font-size:.9em;vertical-align:top}caption{text-align:left;font-weight:600;padding:.3em 0}
.v-holds{background:#d8f0d8}.v-does-not-hold{background:#f6d6d6}.v-no-difference{background:#eee}.v-n-a{color:#777}`;

function verdictClass(v: string): string {
  return `v-${verdictShort(v as never).replace(/[^a-z]+/g, '-')}`;
}

export function buildMatrixHtml(m: PaperMatrix, nonce: string = createNonce()): string {
  assertMatrix(m);
  assertNonce(nonce);
  const csp = ["default-src 'none'", `style-src 'nonce-${nonce}'`].join('; ');
  const grid = matrixGrid(m);
  const gridHtml = `<table id="matrix-grid"><caption>Verdicts per cell</caption><thead><tr><th scope="col">data set</th>${grid.mechanisms.map((k) => `<th scope="col">${forHtml(k)}</th>`).join('')}</tr></thead><tbody>${grid.datasets
    .map(
      (d, i) =>
        `<tr><th scope="row">${forHtml(d)}</th>${(grid.cellIndex[i] ?? [])
          .map((k) => (k < 0 ? '<td>–</td>' : `<td>${(grid.verdicts[k] ?? []).map((v) => `<div class="${verdictClass(v.verdict)}">${forHtml(`${v.title}: ${verdictShort(v.verdict)}`)}</div>`).join('')}</td>`))
          .join('')}</tr>`,
    )
    .join('')}</tbody></table>`;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${forHtml(csp)}">
<title>Paper matrix: DyNN Lens report</title>
<style nonce="${nonce}">${STYLE}</style>
</head>
<body>
<h1>Paper matrix</h1>
<dl>${provenanceLines(m).map(([k, v]) => `<dt>${forHtml(k)}</dt><dd>${forHtml(v)}</dd>`).join('')}</dl>
<ul>${summaryLines(m).map((l) => `<li>${forHtml(l)}</li>`).join('')}</ul>
${gridHtml}
${[...findingTables(m), cellsTable(m)].map(tableHtml).join('\n')}
</body>
</html>
`;
}
