// Reports of one Results document: a self-contained HTML page (the panel's own script, stylesheet and data
// inlined, opens offline) and a Markdown summary for pull requests and CI logs. Pure apart from the nonce.
import type { Results } from '../../protocol/results';
import type { TableModel } from '../model/charts';
import { allFlags } from '../model/flags';
import { num, pct } from '../model/format';
import { suggestionViews } from '../model/suggestions';
import { attackTable, cleanTable, efficiencyTable, ensembleTable, findingsTable, gateTable, hijackTable, perExitTable, provenanceRows } from '../model/tables';
import { transferHeatmaps } from '../model/transfer';
import { frontIndices, describePoint } from '../model/sweep';
import { trainingTable } from '../model/training';
import { forHtml, forMarkdown } from '../../modelfile/display';
import { assertNonce } from './html';
import { createNonce } from './nonce';
import { REPORT_DATA_ID } from '../../protocol/panel-messages';

export { REPORT_DATA_ID };


export interface ReportAssets {
  /** Text of dist/webview.js. */
  webviewJs: string;
  /** Text of media/panel.css. */
  css: string;
  /** For tests; a fresh random nonce otherwise. */
  nonce?: string;
}

/** JSON safe inside a <script> element: no "</script", "<!--" or line separators can end or confuse it. */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

/**
 * Script text safe inside a <script> element: a literal "</script" (in a string of the bundle) is escaped, and the
 * source-map comment goes, since the report travels without the map beside it.
 */
export function scriptForInline(js: string): string {
  return js
    .replace(/^\/\/# sourceMappingURL=.*$/gm, '')
    .replace(/<\/(script)/gi, '<\\/$1')
    .replace(/<!--/g, '<\\!--');
}

export function buildHtmlReport(results: Results, assets: ReportAssets): string {
  const nonce = assets.nonce ?? createNonce();
  assertNonce(nonce);
  const csp = ["default-src 'none'", `script-src 'nonce-${nonce}'`, `style-src 'nonce-${nonce}'`, 'img-src data:'].join('; ');
  const title = `${results.model.name}: DyNN Lens report`;
  // The stylesheet may not close its own element either.
  const css = assets.css.replace(/<\/(style)/gi, '<\\/$1');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${forHtml(csp)}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>${forHtml(title)}</title>
<style nonce="${nonce}">
${css}
</style>
</head>
<body class="report">
<main id="app" data-mode="report" aria-live="polite">
<noscript>${staticSummaryHtml(results)}</noscript>
</main>
<script type="application/json" id="${REPORT_DATA_ID}">${jsonForScript(results)}</script>
<script nonce="${nonce}">
${scriptForInline(assets.webviewJs)}
</script>
</body>
</html>
`;
}

function tableHtml(t: TableModel): string {
  const head = t.columns.map((c) => `<th scope="col">${forHtml(c)}</th>`).join('');
  const body = t.rows.map((r) => `<tr>${r.map((c) => `<td>${forHtml(c)}</td>`).join('')}</tr>`).join('\n');
  return `<table><caption>${forHtml(t.caption)}</caption><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table>`;
}

/** What a reader with scripts turned off still gets: flags, provenance and the figure tables. */
function staticSummaryHtml(r: Results): string {
  const flags = allFlags(r);
  const flagList = flags.length === 0 ? '<p>No sanity flags.</p>' : `<ul>${flags.map((f) => `<li>${forHtml(`${f.severity} ${f.code} (${f.source}): ${f.message}`)}</li>`).join('')}</ul>`;
  const prov = `<dl>${provenanceRows(r).map(([k, v]) => `<dt>${forHtml(k)}</dt><dd>${forHtml(v)}</dd>`).join('')}</dl>`;
  return `<h1>${forHtml(r.model.name)}</h1><h2>Sanity flags</h2>${flagList}<h2>Provenance</h2>${prov}${[cleanTable(r), ensembleTable(r), attackTable(r), perExitTable(r)].filter((t): t is TableModel => t !== undefined).map(tableHtml).join('')}`;
}

export function markdownTable(t: TableModel): string {
  const head = `| ${t.columns.map(forMarkdown).join(' | ')} |`;
  const rule = `| ${t.columns.map(() => '---').join(' | ')} |`;
  const rows = t.rows.map((r) => `| ${r.map(forMarkdown).join(' | ')} |`);
  return [`**${forMarkdown(t.caption)}**`, '', head, rule, ...rows].join('\n');
}

export function buildMarkdownReport(r: Results): string {
  const out: string[] = [`# ${forMarkdown(r.model.name)}: DyNN Lens report`, ''];

  const flags = allFlags(r);
  out.push('## Sanity flags', '');
  if (flags.length === 0) out.push('No sanity flags.');
  else for (const f of flags) out.push(`- **${f.severity.toUpperCase()}** \`${f.code}\` (${forMarkdown(f.source)}): ${forMarkdown(f.message)}`);
  out.push('');

  out.push('## Provenance', '', '| | |', '| --- | --- |', ...provenanceRows(r).map(([k, v]) => `| ${forMarkdown(k)} | ${forMarkdown(v)} |`), '');
  out.push('## Clean', '', markdownTable(cleanTable(r)), '');
  const worst = ensembleTable(r);
  if (worst) out.push('## Worst case', '', markdownTable(worst), '');
  out.push('## Attacks', '');
  out.push(r.attacks.length === 0 ? 'No attacks were run.' : markdownTable(attackTable(r)), '');
  out.push('## Per exit', '', markdownTable(perExitTable(r)), '');
  const hijack = hijackTable(r);
  if (hijack) out.push(markdownTable(hijack), '');
  const gates = gateTable(r);
  if (gates) out.push('## Gates', '', markdownTable(gates), '');

  out.push('## Transfer', '');
  const maps = transferHeatmaps(r);
  if (maps.length === 0) out.push('No transfer study was run.', '');
  for (const m of maps) {
    out.push(
      markdownTable({
        id: m.id,
        caption: m.caption,
        columns: [`${m.rowHeader} \\ ${m.colHeader}`, ...m.colLabels],
        rows: m.cells.map((row, i) => [m.rowLabels[i] ?? '', ...row.map((c) => c.text)]),
      }),
      '',
      m.note,
      '',
    );
  }
  const eff = efficiencyTable(r);
  if (eff) out.push('## Generation efficiency', '', markdownTable(eff), '');

  if (r.sweeps.length > 0) {
    out.push('## Design sweeps', '');
    for (const s of r.sweeps) {
      const front = frontIndices(s.points);
      out.push(`Against ${forMarkdown(s.attackId)} at eps ${num(s.eps, 4)}: ${s.points.length} designs, ${front.length} on the Pareto front.`, '');
      const current = s.points.find((p) => p.current);
      if (current) out.push(`- current design: ${forMarkdown(describePoint(current))}`);
      for (const i of front) {
        const p = s.points[i];
        if (p) out.push(`- front: ${forMarkdown(describePoint(p))}`);
      }
      out.push('');
    }
  }

  const training = trainingTable(r);
  if (training) out.push('## Adversarial training', '', markdownTable(training), '');
  const other = r.training?.otherSweeps ?? [];
  if (other.length > 0) {
    out.push(`### Design sweeps of the ${r.training?.file === 'clean' ? 'adversarially trained' : 'clean-trained'} network`, '');
    for (const s of other) {
      const current = s.points.find((p) => p.current);
      out.push(`- against ${forMarkdown(s.attackId)} at eps ${num(s.eps, 4)}: ${s.points.length} designs, ${frontIndices(s.points).length} on the Pareto front${current ? `; current design: ${forMarkdown(describePoint(current))}` : ''}`);
    }
    out.push('');
  }

  out.push('## Suggestions', '');
  const sugg = suggestionViews(r);
  if (sugg.length === 0) out.push('No suggestions.', '');
  for (const s of sugg) {
    out.push(`### ${forMarkdown(s.title)}`, '', `Target: ${forMarkdown(s.target)}. Change: \`${s.change.replace(/`/g, "'")}\`.`, '');
    if (s.effects.length > 0) out.push('| metric | before | after |', '| --- | --- | --- |', ...s.effects.map((e) => `| ${forMarkdown(e.metric)} | ${e.before} | ${e.after} |`), '');
  }

  const findings = findingsTable(r);
  if (findings) out.push('## Paper findings', '', markdownTable(findings), '');
  out.push(`_Clean accuracy ${pct(r.clean.accuracy)} (final exit ${pct(r.clean.finalExitAccuracy)}); spec hash ${forMarkdown(r.model.specHash)}._`, '');
  return out.join('\n');
}
