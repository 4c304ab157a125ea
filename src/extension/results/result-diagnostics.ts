// Warnings from measured results (source 'DyNN Lens results') with the sweep's suggestions as quick fixes.
// Loading results from `.dynn/results/` is results-sync.ts; turning a suggestion into an edit is apply-suggestion.ts.
import * as vscode from 'vscode';
import { resultFindings } from '../../advice/resultFindings';
import type { Diagnostic as Finding } from '../../modelfile/types';
import { fixToWorkspaceEdit, spanToRange } from '../adapters';
import type { Config } from '../config';
import { isModelDocument, type DocumentAnalyses } from '../language/document-analyses';
import { guarded, type Log } from '../log';
import { resultSubject } from './apply-suggestion';
import type { ModelResultsStore } from './results-store';

export const RESULTS_SOURCE = 'DyNN Lens results';

/** The findings of the stored results on the document's current text. */
export function findingsFor(doc: vscode.TextDocument, analyses: DocumentAnalyses, store: ModelResultsStore, config: Config): Finding[] {
  const results = store.resultsFor(doc.uri);
  if (!results) return [];
  const subject = resultSubject(doc, analyses.get(doc));
  if (!subject) return [];
  return resultFindings(results, subject, config.settings.limits);
}

export class ResultDiagnostics implements vscode.CodeActionProvider, vscode.Disposable {
  static readonly metadata: vscode.CodeActionProviderMetadata = { providedCodeActionKinds: [vscode.CodeActionKind.QuickFix] };
  private readonly collection = vscode.languages.createDiagnosticCollection('dynn-results');
  private readonly subscriptions: vscode.Disposable[] = [];

  constructor(
    private readonly analyses: DocumentAnalyses,
    private readonly store: ModelResultsStore,
    private readonly config: Config,
    private readonly log: Log,
  ) {
    const byKey = (key: string): vscode.TextDocument | undefined => vscode.workspace.textDocuments.find((d) => d.uri.toString() === key);
    this.subscriptions.push(
      analyses.onDidAnalyze((uri) => {
        const doc = byKey(uri.toString());
        if (doc) this.publish(doc);
      }),
      store.onDidChange((key) => {
        const doc = byKey(key);
        if (doc) this.publish(doc);
      }),
      config.onDidChange(() => {
        for (const doc of vscode.workspace.textDocuments) this.publish(doc);
      }),
      vscode.workspace.onDidCloseTextDocument((doc) => this.collection.delete(doc.uri)),
    );
  }

  /** Publishes the result findings of a model document (an empty list clears them). */
  publish(doc: vscode.TextDocument): void {
    if (doc.isClosed || !isModelDocument(doc)) return;
    guarded(this.log, `Result diagnostics for ${doc.uri.fsPath}`, undefined, () => {
      const findings = findingsFor(doc, this.analyses, this.store, this.config);
      this.collection.set(doc.uri, findings.map((f) => this.toVs(doc, f)));
    });
  }

  provideCodeActions(doc: vscode.TextDocument, _range: vscode.Range, context: vscode.CodeActionContext): vscode.CodeAction[] {
    const ours = context.diagnostics.filter((d) => d.source === RESULTS_SOURCE);
    if (ours.length === 0) return [];
    if (context.only && !vscode.CodeActionKind.QuickFix.intersects(context.only)) return [];
    return guarded(this.log, 'Result quick fixes', [], () => {
      const findings = findingsFor(doc, this.analyses, this.store, this.config);
      const actions: vscode.CodeAction[] = [];
      for (const diagnostic of ours) {
        const code = typeof diagnostic.code === 'object' ? diagnostic.code.value : diagnostic.code;
        const finding = findings.find((f) => f.code === code && spanToRange(doc, f.span).isEqual(diagnostic.range));
        for (const fix of finding?.fixes ?? []) {
          const action = new vscode.CodeAction(fix.title, vscode.CodeActionKind.QuickFix);
          action.diagnostics = [diagnostic];
          action.edit = fixToWorkspaceEdit(doc, doc.uri, fix);
          actions.push(action);
        }
      }
      const first = actions[0];
      if (first) first.isPreferred = true;
      return actions;
    });
  }

  private toVs(doc: vscode.TextDocument, f: Finding): vscode.Diagnostic {
    const d = new vscode.Diagnostic(spanToRange(doc, f.span), f.message, vscode.DiagnosticSeverity.Warning);
    d.code = f.code;
    d.source = RESULTS_SOURCE;
    return d;
  }

  dispose(): void {
    for (const s of this.subscriptions) s.dispose();
    this.collection.dispose();
  }
}
