// Code lenses over the model (totals), every exit (share of FLOPs, exit rule) and every gate (what it saves,
// threshold), followed by the figures of the latest measured results ("(stale)" once the file changed since) and
// the run actions (Check, Show Results).
import * as vscode from 'vscode';
import { spanToRange } from '../adapters';
import type { Config } from '../config';
import { exitLensTitle, gateLensTitle, modelLensTitle } from './describe';
import type { DocumentAnalyses } from './document-analyses';
import { importExitLensTitle, importLensTitle, isOnnxImport } from './imported-describe';
import type { ImportedGraphs } from './imported-graphs';
import type { Analysis } from '../../modelfile/types';
import { guarded, type Log } from '../log';
import { partialAttack } from '../runs/job-params';
import { lensFigures, liveFigures, type LensFigures } from '../results/result-figures';
import type { ModelResultsStore } from '../results/results-store';
import type { RunState } from '../runs/check-runner';

export class ModelCodeLensProvider implements vscode.CodeLensProvider, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  private readonly subscriptions: vscode.Disposable[];
  readonly onDidChangeCodeLenses = this.changed.event;

  constructor(
    private readonly analyses: DocumentAnalyses,
    private readonly results: ModelResultsStore,
    private readonly runs: RunState,
    private readonly config: Config,
    private readonly log: Log,
    private readonly imported: ImportedGraphs,
  ) {
    const refresh = (): void => this.changed.fire();
    this.subscriptions = [analyses.onDidAnalyze(refresh), results.onDidChange(refresh), config.onDidChange(refresh), runs.onDidChange(refresh), imported.onDidChange(refresh)];
  }

  provideCodeLenses(doc: vscode.TextDocument): vscode.CodeLens[] {
    if (!this.config.settings.codeLensEnabled) return [];
    return guarded(this.log, 'Code lenses', [], () => {
      const { analysis, nodes } = this.analyses.get(doc);
      const spec = analysis.spec;
      if (!spec) return [];
      const results = this.results.resultsFor(doc.uri);
      const figures: LensFigures | undefined = results && results.model.name === spec.name ? lensFigures(results, analysis.specHash) : undefined;
      const running = this.runs.runningOn()?.toString() === doc.uri.toString();
      const check: vscode.Command = running
        ? { title: '$(sync~spin) Checking… (cancel)', command: 'dynn.cancelRun', tooltip: 'Cancel the running check' }
        : { title: '$(play) Check', command: 'dynn.runCheck', arguments: [doc.uri], tooltip: "Run the file's checks (train or load weights, attack, measure)" };
      const measured = running ? this.runs.partials().map(partialAttack).filter((a): a is NonNullable<typeof a> => a !== undefined) : [];
      const live = running ? liveFigures(measured, spec.exits.map((e) => e.name)) : undefined;
      const lenses: vscode.CodeLens[] = [];
      const name = analysis.locate(['name']);
      const at = name ? spanToRange(doc, name.key ?? name.value) : new vscode.Range(0, 0, 0, 0);
      if (analysis.cost) lenses.push(this.info(at, [modelLensTitle(analysis.cost), ...(figures?.model ?? [])]));
      else if (figures) lenses.push(this.info(at, figures.model));
      if (live?.model) lenses.push(this.info(at, [live.model]));
      lenses.push(new vscode.CodeLens(at, check));
      if (results) lenses.push(new vscode.CodeLens(at, { title: 'Show Results', command: 'dynn.showResults', arguments: [doc.uri] }));
      lenses.push(...this.importLenses(doc, analysis));
      for (const node of nodes) {
        if (node.kind === 'exit') {
          const range = spanToRange(doc, node.nameSpan);
          const liveExit = live?.exits.get(node.name);
          lenses.push(this.info(range, [exitLensTitle(spec, node), ...(figures?.exits.get(node.name) ?? []), ...(liveExit ? [liveExit] : [])]));
          if (!running) lenses.push(new vscode.CodeLens(range, { ...check, title: 'Check' }));
        }
        if (node.kind === 'gate') {
          const range = spanToRange(doc, node.nameSpan);
          lenses.push(this.info(range, [gateLensTitle(node), ...(figures?.gates.get(node.name) ?? [])]));
          if (!running) lenses.push(new vscode.CodeLens(range, { ...check, title: 'Check' }));
        }
      }
      return lenses;
    });
  }

  /** An ONNX sidecar: the graph's FLOPs and parameters over `import`, and per exit over each output name. */
  private importLenses(doc: vscode.TextDocument, analysis: Analysis): vscode.CodeLens[] {
    const imp = analysis.spec?.import;
    if (!isOnnxImport(imp)) return [];
    const figures = this.imported.get(doc, imp);
    const block = analysis.locate(imp.path);
    if (figures === undefined || block === undefined) return [];
    const lenses = [this.info(spanToRange(doc, block.key ?? block.value), [importLensTitle(figures)])];
    imp.outputs.forEach((_, k) => {
      const title = importExitLensTitle(figures, k);
      const at = analysis.locate([...imp.path, 'outputs', k]);
      if (title !== undefined && at !== undefined) lenses.push(this.info(spanToRange(doc, at.value), [title]));
    });
    return lenses;
  }

  /** An information lens: an empty command renders as plain text. */
  private info(range: vscode.Range, parts: string[]): vscode.CodeLens {
    return new vscode.CodeLens(range, { title: parts.join(' · '), command: '' });
  }

  dispose(): void {
    for (const s of this.subscriptions) s.dispose();
    this.changed.dispose();
  }
}
