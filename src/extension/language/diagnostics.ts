// Live diagnostics: re-analyse a model file a moment after the last edit, publish only if the text is still that
// version.
import * as vscode from 'vscode';
import { SOURCE, toVsDiagnostic } from '../adapters';
import type { Config } from '../config';
import { isJsonModel, isModelDocument, type DocumentAnalyses } from './document-analyses';
import type { Log } from '../log';

export class DiagnosticsController implements vscode.Disposable {
  private readonly collection = vscode.languages.createDiagnosticCollection('dynn');
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly subscriptions: vscode.Disposable[] = [];

  constructor(
    private readonly analyses: DocumentAnalyses,
    private readonly config: Config,
    private readonly log: Log,
  ) {
    this.subscriptions.push(
      vscode.workspace.onDidOpenTextDocument((doc) => this.publishNow(doc)),
      vscode.workspace.onDidChangeTextDocument((e) => {
        if (e.contentChanges.length > 0) this.schedule(e.document);
      }),
      vscode.workspace.onDidCloseTextDocument((doc) => this.forget(doc.uri)),
      config.onDidChange(() => {
        for (const doc of vscode.workspace.textDocuments) this.schedule(doc);
      }),
    );
    for (const doc of vscode.workspace.textDocuments) this.publishNow(doc);
  }

  /** Debounced: each edit restarts the timer, so typing analyses once after the pause. */
  schedule(doc: vscode.TextDocument): void {
    if (!isModelDocument(doc)) return;
    const key = doc.uri.toString();
    clearTimeout(this.timers.get(key));
    const version = doc.version;
    this.timers.set(
      key,
      setTimeout(() => {
        this.timers.delete(key);
        this.publish(doc, version);
      }, this.config.settings.diagnosticsDebounceMs),
    );
  }

  private publishNow(doc: vscode.TextDocument): void {
    if (isModelDocument(doc)) this.publish(doc, doc.version);
  }

  private publish(doc: vscode.TextDocument, version: number): void {
    try {
      if (doc.isClosed || doc.version !== version) return;
      const { findings, version: analysed } = this.analyses.get(doc);
      // The analysis is of the current text; drop it if an edit landed meanwhile (the next timer publishes).
      if (analysed !== doc.version || doc.version !== version) return;
      // JSON model files already get schema errors from VS Code's JSON service (jsonValidation): don't repeat them.
      const shown = isJsonModel(doc) ? findings.filter((f) => f.source !== 'schema') : findings;
      this.collection.set(doc.uri, shown.map((f) => toVsDiagnostic(doc, f)));
    } catch (err) {
      this.log.error(`Publishing ${SOURCE} diagnostics for ${doc.uri.fsPath}`, err);
    }
  }

  private forget(uri: vscode.Uri): void {
    const key = uri.toString();
    clearTimeout(this.timers.get(key));
    this.timers.delete(key);
    this.collection.delete(uri);
  }

  dispose(): void {
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    for (const s of this.subscriptions) s.dispose();
    this.collection.dispose();
  }
}
