// Hover over a layer, block, exit or gate: what it is, its shapes and cost, and for exits and gates the advice.
import * as vscode from 'vscode';
import { spanToRange } from '../adapters';
import type { ModelAnalyzer } from './analyzer';
import { hoverMarkdown } from './describe';
import type { DocumentAnalyses } from './document-analyses';
import { guarded, type Log } from '../log';
import { nodeAt } from './model-nodes';
import { importHoverMarkdown, isOnnxImport } from './imported-describe';
import type { ImportedGraphs } from './imported-graphs';

export class ModelHoverProvider implements vscode.HoverProvider {
  constructor(
    private readonly analyses: DocumentAnalyses,
    private readonly analyzer: ModelAnalyzer,
    private readonly log: Log,
    private readonly imported: ImportedGraphs,
  ) {}

  provideHover(doc: vscode.TextDocument, position: vscode.Position): vscode.Hover | undefined {
    return guarded(this.log, 'Hover', undefined, () => {
      const { analysis, nodes, findings } = this.analyses.get(doc);
      if (!analysis.spec) return undefined;
      const imp = analysis.spec.import;
      const block = isOnnxImport(imp) ? analysis.locate(imp.path) : undefined;
      const offset = doc.offsetAt(position);
      if (isOnnxImport(imp) && block !== undefined) {
        const span = { start: (block.key ?? block.value).start, end: block.value.end };
        const figures = offset >= span.start && offset <= span.end ? this.imported.get(doc, imp) : undefined;
        if (figures !== undefined) return new vscode.Hover(new vscode.MarkdownString(importHoverMarkdown(figures)), spanToRange(doc, span));
      }
      const node = nodeAt(nodes, offset);
      if (!node) return undefined;
      const advice = node.kind === 'exit' || node.kind === 'gate' ? this.analyzer.adviceFor(findings, node.path) : [];
      const md = new vscode.MarkdownString(hoverMarkdown(analysis.spec, analysis.cost, node, advice));
      return new vscode.Hover(md, spanToRange(doc, node.span));
    });
  }
}
