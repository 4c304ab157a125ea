// Warnings from measured results (source 'DyNN Lens results') with the sweep's suggestions as quick fixes, and the
// one adapter that turns a suggestion into an undoable WorkspaceEdit (also used by the results panel's "Apply").
// It also keeps the store in step with `.dynn/results/`: results are loaded when a model file is first analysed
// and reloaded when a results file changes on disk (e.g. written by the CLI).
import * as vscode from 'vscode';
import { detectFormat } from '../advice/format';
import { resultFindings, type ResultSubject } from '../advice/resultFindings';
import { suggestionEdits } from '../advice/suggestionEdit';
import type { Diagnostic as Finding } from '../spec/types';
import type { Suggestion } from '../studies/results';
import { fixToWorkspaceEdit, spanToRange } from './adapters';
import type { Config } from './config';
import { isModelDocument, type DocumentAnalyses, type DocumentAnalysis } from './document-analyses';
import { guarded, type Log } from './log';
import { resultsFileUri, type ModelResultsStore } from './results-store';

export const RESULTS_SOURCE = 'DyNN Lens results';

function subjectOf(doc: vscode.TextDocument, entry: DocumentAnalysis): ResultSubject | undefined {
  const spec = entry.analysis.spec;
  if (!spec) return undefined;
  const text = doc.getText();
  return { spec, specHash: entry.analysis.specHash, text, format: detectFormat(text, doc.fileName), locate: (p) => entry.analysis.locate(p) };
}

/** The findings of the stored results on the document's current text. */
export function findingsFor(doc: vscode.TextDocument, analyses: DocumentAnalyses, store: ModelResultsStore, config: Config): Finding[] {
  const results = store.resultsFor(doc.uri);
  if (!results) return [];
  const subject = subjectOf(doc, analyses.get(doc));
  if (!subject) return [];
  return resultFindings(results, subject, config.settings.limits);
}

/** Applies a measured suggestion to the model file as one undoable edit; throws with the reason it cannot. */
export async function applySuggestion(fileUri: vscode.Uri, suggestion: Suggestion, analyses: DocumentAnalyses, log: Log): Promise<void> {
  const doc = await vscode.workspace.openTextDocument(fileUri);
  const subject = subjectOf(doc, analyses.get(doc));
  if (!subject) throw new Error(`${vscode.workspace.asRelativePath(fileUri)} does not parse into a model now; fix its errors first`);
  const made = suggestionEdits(subject, suggestion.change);
  if (!made.ok) throw new Error(`cannot apply "${suggestion.title}": ${made.error}`);
  const edit = fixToWorkspaceEdit(doc, fileUri, { title: suggestion.title, edits: made.edits });
  if (!(await vscode.workspace.applyEdit(edit))) throw new Error(`VS Code refused the edit for "${suggestion.title}"`);
  log.info(`Applied suggestion "${suggestion.title}" to ${vscode.workspace.asRelativePath(fileUri)}`);
}

export class ResultDiagnostics implements vscode.CodeActionProvider, vscode.Disposable {
  static readonly metadata: vscode.CodeActionProviderMetadata = { providedCodeActionKinds: [vscode.CodeActionKind.QuickFix] };
  private readonly collection = vscode.languages.createDiagnosticCollection('dynn-results');
  private readonly subscriptions: vscode.Disposable[] = [];
  /** Model files (and names) whose persisted results were looked for already. */
  private readonly looked = new Set<string>();

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
        if (doc) {
          this.loadOnce(doc);
          this.publish(doc);
        }
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
    const watcher = vscode.workspace.createFileSystemWatcher('**/.dynn/results/*.json');
    const reload = (file: vscode.Uri): void => this.reloadFrom(file);
    this.subscriptions.push(watcher, watcher.onDidCreate(reload), watcher.onDidChange(reload));
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

  private loadOnce(doc: vscode.TextDocument): void {
    const spec = this.analyses.peek(doc.uri)?.analysis.spec;
    if (!spec) return;
    const key = `${doc.uri.toString()}#${spec.name}`;
    if (this.looked.has(key)) return;
    this.looked.add(key);
    void this.store.loadPersisted(doc.uri, spec.name);
  }

  /** A results file changed on disk: reload it for every open model file it may belong to. */
  private reloadFrom(file: vscode.Uri): void {
    for (const doc of vscode.workspace.textDocuments) {
      if (!isModelDocument(doc)) continue;
      const spec = this.analyses.peek(doc.uri)?.analysis.spec;
      if (spec && resultsFileUri(doc.uri, spec.name)?.toString() === file.toString()) {
        void this.store.loadPersisted(doc.uri, spec.name, true);
      }
    }
  }

  dispose(): void {
    for (const s of this.subscriptions) s.dispose();
    this.collection.dispose();
  }
}
