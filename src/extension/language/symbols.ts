// Outline: backbone (layers, blocks with their body), exits and gates (with their heads).
import * as vscode from 'vscode';
import { spanToRange } from '../adapters';
import { symbolDetail } from './describe';
import type { DocumentAnalyses } from './document-analyses';
import { guarded, type Log } from '../log';
import type { ModelNode } from './model-nodes';
import type { Analysis, ModelSpec } from '../../modelfile/types';

const KIND: Record<ModelNode['kind'], vscode.SymbolKind> = {
  layer: vscode.SymbolKind.Field,
  block: vscode.SymbolKind.Module,
  exit: vscode.SymbolKind.Event,
  gate: vscode.SymbolKind.Boolean,
};

const SECTIONS = [
  { key: 'backbone', kinds: ['layer', 'block'] },
  { key: 'exits', kinds: ['exit'] },
  { key: 'gates', kinds: ['gate'] },
] as const;

export class ModelSymbolProvider implements vscode.DocumentSymbolProvider {
  constructor(
    private readonly analyses: DocumentAnalyses,
    private readonly log: Log,
  ) {}

  provideDocumentSymbols(doc: vscode.TextDocument): vscode.DocumentSymbol[] {
    return guarded(this.log, 'Outline', [], () => {
      const { analysis, nodes } = this.analyses.get(doc);
      const spec = analysis.spec;
      if (!spec) return [];
      return SECTIONS.flatMap(({ key, kinds }) => {
        const members = nodes.filter((n) => (kinds as readonly string[]).includes(n.kind));
        const section = sectionSymbol(doc, analysis, key);
        if (!section) return members.map((n) => toSymbol(doc, spec, n));
        section.children = members.map((n) => toSymbol(doc, spec, n));
        return [section];
      });
    });
  }
}

function sectionSymbol(doc: vscode.TextDocument, analysis: Analysis, key: string): vscode.DocumentSymbol | undefined {
  const where = analysis.locate([key]);
  if (!where) return undefined;
  const keySpan = where.key ?? where.value;
  const range = spanToRange(doc, { start: Math.min(keySpan.start, where.value.start), end: where.value.end });
  return new vscode.DocumentSymbol(key, '', vscode.SymbolKind.Array, range, spanToRange(doc, keySpan));
}

function toSymbol(doc: vscode.TextDocument, spec: ModelSpec, node: ModelNode): vscode.DocumentSymbol {
  const symbol = new vscode.DocumentSymbol(node.name, symbolDetail(spec, node), KIND[node.kind], spanToRange(doc, node.span), spanToRange(doc, node.nameSpan));
  symbol.children = node.children.map((c) => toSymbol(doc, spec, c));
  return symbol;
}
