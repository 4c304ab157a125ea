// Lens titles and hover text for the ONNX model a sidecar names (figures from onnxSummary.ts); no vscode here, so
// the wording is tested in plain Node.
import type { ImportSpec } from '../../modelfile/types';
import type { OnnxCostSummary } from '../../engine/import/onnxSummary';
import { formatCount, formatFlops, formatShare } from './describe';

/** The figures of an imported graph, or why there are none (untrusted workspace, unreadable file, bad graph). */
export type ImportedFigures = { summary: OnnxCostSummary } | { problem: string };

export function isOnnxImport(imp: ImportSpec | undefined): imp is ImportSpec {
  return imp !== undefined && /\.onnx$/i.test(imp.model);
}

/** The lens over `import`: the graph as a whole. */
export function importLensTitle(figures: ImportedFigures): string {
  if ('problem' in figures) return `$(warning) imported graph: ${figures.problem}`;
  const s = figures.summary;
  return `ONNX opset ${s.opset} · ${s.nodes} nodes · ${formatFlops(s.fullFlops)} · ${formatCount(s.params)} params`;
}

/** The lens over exit `k` of `import.outputs`: what a sample leaving there has paid, and its own part. */
export function importExitLensTitle(figures: ImportedFigures, k: number): string | undefined {
  if ('problem' in figures) return undefined;
  const s = figures.summary;
  const e = s.exits[k];
  if (e === undefined) return undefined;
  return `${e.name}: ${formatFlops(e.flopsAtExit)} to here (${formatShare(e.flopsAtExit / s.fullFlops)} of the graph) · own part ${formatFlops(e.partFlops)}, ${formatCount(e.partParams)} params`;
}

/** Hover over the `import` block: a table of the exits. */
export function importHoverMarkdown(figures: ImportedFigures): string {
  if ('problem' in figures) return `**Imported graph**: ${figures.problem}`;
  const s = figures.summary;
  const rows = s.exits.map((e) => `| \`${e.name}\` | ${formatFlops(e.flopsAtExit)} | ${formatShare(e.flopsAtExit / s.fullFlops)} | ${formatFlops(e.partFlops)} | ${formatCount(e.partParams)} |`);
  return [
    `**Imported ONNX graph** (opset ${s.opset}${s.producer ? `, ${s.producer}` : ''}): ${s.nodes} nodes, ${formatFlops(s.fullFlops)} per sample, ${formatCount(s.params)} parameters`,
    '',
    '| exit | FLOPs to here | share | own part | own params |',
    '|---|---|---|---|---|',
    ...rows,
    '',
    'Counted from the ONNX nodes as docs/import.md says; dynamic inference charges the same figures.',
  ].join('\n');
}
