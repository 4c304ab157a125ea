// One analysis per open model document and version, shared by diagnostics, hover, outline, lenses and fixes.
import * as vscode from 'vscode';
import type { Analysis, Diagnostic } from '../../modelfile/types';
import type { ModelAnalyzer } from './analyzer';
import type { Log } from '../log';
import { modelNodes, type ModelNode } from './model-nodes';

/** Model files: `*.dynn.yaml` / `*.dynn.yml` (language `dynn`) and `*.dynn.json` (language `json`, so VS Code's
 *  JSON service keeps validating and completing it from the schema). */
export const MODEL_SELECTOR: vscode.DocumentFilter[] = [
  { language: 'dynn' },
  { language: 'json', pattern: '**/*.dynn.json' },
];

export function isModelDocument(doc: vscode.TextDocument): boolean {
  return vscode.languages.match(MODEL_SELECTOR, doc) > 0;
}

export function isJsonModel(doc: vscode.TextDocument): boolean {
  return doc.languageId === 'json' || doc.fileName.toLowerCase().endsWith('.json');
}

export interface DocumentAnalysis {
  version: number;
  analysis: Analysis;
  /** Parser and validator findings followed by design advice. */
  findings: Diagnostic[];
  /** Layers, blocks, exits and gates with their spans (see model-nodes). */
  nodes: ModelNode[];
}

/** An analysis standing in for one that threw: the file gets one diagnostic saying so instead of silence. */
function failedAnalysis(err: unknown): { analysis: Analysis; findings: Diagnostic[] } {
  const finding: Diagnostic = {
    severity: 'error',
    code: 'internal-error',
    message: `DyNN Lens could not analyse this file (${err instanceof Error ? err.message : String(err)}). See "DyNN: Show Log".`,
    span: { start: 0, end: 0 },
    source: 'semantics',
  };
  return { analysis: { diagnostics: [finding], locate: () => undefined }, findings: [finding] };
}

export class DocumentAnalyses implements vscode.Disposable {
  private readonly entries = new Map<string, DocumentAnalysis>();
  private readonly analyzed = new vscode.EventEmitter<vscode.Uri>();
  private readonly subscription: vscode.Disposable;
  /** Fires after a document got a new analysis (a new version, or its first). */
  readonly onDidAnalyze = this.analyzed.event;

  constructor(
    private readonly analyzer: ModelAnalyzer,
    private readonly log: Log,
  ) {
    this.subscription = vscode.workspace.onDidCloseTextDocument((doc) => this.entries.delete(doc.uri.toString()));
  }

  /** The analysis of the document's current version, computed now if it is missing or stale. */
  get(doc: vscode.TextDocument): DocumentAnalysis {
    const key = doc.uri.toString();
    const cached = this.entries.get(key);
    if (cached && cached.version === doc.version) return cached;
    const started = Date.now();
    let result: { analysis: Analysis; findings: Diagnostic[] };
    try {
      result = this.analyzer.analyze(doc.getText(), doc.fileName);
    } catch (err) {
      this.log.error(`Analysing ${doc.uri.fsPath}`, err);
      result = failedAnalysis(err);
    }
    let nodes: ModelNode[] = [];
    try {
      nodes = modelNodes(result.analysis);
    } catch (err) {
      this.log.error(`Listing the parts of ${doc.uri.fsPath}`, err);
    }
    const entry: DocumentAnalysis = { version: doc.version, ...result, nodes };
    this.entries.set(key, entry);
    this.log.debug(`Analysed ${doc.uri.fsPath} v${doc.version} in ${Date.now() - started} ms: ${entry.findings.length} findings`);
    this.analyzed.fire(doc.uri);
    return entry;
  }

  /** The last analysis of `uri`, whatever its version; undefined when the document was never analysed. */
  peek(uri: vscode.Uri): DocumentAnalysis | undefined {
    return this.entries.get(uri.toString());
  }

  dispose(): void {
    this.subscription.dispose();
    this.analyzed.dispose();
    this.entries.clear();
  }
}
