// Keeps the results store in step with `.dynn/results/`: a model file's saved results are loaded when the file is
// first analysed, and reloaded when its results file changes on disk (written by the CLI or another window).
// A run started here reaches the store once, through its answer: the watcher's echo of the worker's write (while
// the run is on, or the file as the run left it) is not read again.
import * as vscode from 'vscode';
import { isModelDocument, type DocumentAnalyses } from '../language/document-analyses';
import { resultsFileUri, type ModelResultsStore } from './results-store';

export class ResultsSync implements vscode.Disposable {
  private readonly subscriptions: vscode.Disposable[] = [];
  /** Model files (and names) whose persisted results were looked for already. */
  private readonly looked = new Set<string>();

  constructor(
    private readonly analyses: DocumentAnalyses,
    private readonly store: ModelResultsStore,
    /** The model file a run is working on now, if any (its results arrive with the run's answer). */
    private readonly runningOn: () => vscode.Uri | undefined,
  ) {
    this.subscriptions.push(
      analyses.onDidAnalyze((uri) => {
        const doc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
        if (doc) this.loadOnce(doc);
      }),
    );
    const watcher = vscode.workspace.createFileSystemWatcher('**/.dynn/results/*.json');
    const reload = (file: vscode.Uri): void => this.reloadFrom(file);
    this.subscriptions.push(watcher, watcher.onDidCreate(reload), watcher.onDidChange(reload));
  }

  private loadOnce(doc: vscode.TextDocument): void {
    const spec = this.analyses.peek(doc.uri)?.analysis.spec;
    if (!spec) return;
    const key = `${doc.uri.toString()}#${spec.name}`;
    if (this.looked.has(key)) return;
    this.looked.add(key);
    void this.store.loadPersisted(doc.uri, spec.name);
  }

  /** A results file changed on disk: reload it for every open model file it may belong to, unless a run of ours wrote it. */
  private reloadFrom(file: vscode.Uri): void {
    for (const doc of vscode.workspace.textDocuments) {
      if (!isModelDocument(doc)) continue;
      const spec = this.analyses.peek(doc.uri)?.analysis.spec;
      if (!spec || resultsFileUri(doc.uri, spec.name)?.toString() !== file.toString()) continue;
      if (this.runningOn()?.toString() === doc.uri.toString()) continue;
      void this.store.isOwnWrite(file).then((own) => (own ? undefined : this.store.loadPersisted(doc.uri, spec.name, true)));
    }
  }

  dispose(): void {
    for (const s of this.subscriptions) s.dispose();
  }
}
