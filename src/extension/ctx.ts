// The extension's context: one object that creates and owns every disposable (log, settings, analyses,
// providers, commands, lazily the worker), so deactivation is one dispose().
import * as vscode from 'vscode';
import { SOURCE } from './adapters';
import type { ModelAnalyzer } from './language/analyzer';
import { ModelQuickFixProvider } from './language/code-actions';
import { ModelCodeLensProvider } from './language/code-lens';
import { COMPLETION_TRIGGERS, YamlCompletionProvider, YAML_SELECTOR } from './language/completion';
import { Config } from './config';
import { DiagnosticsController } from './language/diagnostics';
import { DocumentAnalyses, MODEL_SELECTOR } from './language/document-analyses';
import { ModelHoverProvider } from './language/hover';
import { ImportedGraphs } from './language/imported-graphs';
import { Log } from './log';
import { datasetsDir, datasetsEnv, mergeEnv } from './runs/datasets-env';
import { BackendStatus } from './runs/backend-status';
import { CheckRunner } from './runs/check-runner';
import { UserError } from './runs/model-target';
import { ResultsPanel } from './results/results-panel';
import { applySuggestion } from './results/apply-suggestion';
import { ResultDiagnostics } from './results/result-diagnostics';
import { ResultsSync } from './results/results-sync';
import { ModelResultsStore } from './results/results-store';
import { ModelSymbolProvider } from './language/symbols';
import { gpuBackendDir, gpuBackendEnv, lazyWorker, wasmThreadsEnv, type LazyWorker } from './runs/worker';

export class Ctx implements vscode.Disposable {
  readonly log: Log;
  readonly config: Config;
  readonly analyses: DocumentAnalyses;
  /** The latest Results of each model file: lenses, result diagnostics and the panel read it. */
  readonly results: ModelResultsStore;
  /** The worker process, started by the first command that runs a job. */
  readonly worker: LazyWorker;
  /** Runs one worker job at a time, with progress and cancel. */
  readonly runner: CheckRunner;
  readonly status: BackendStatus;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    readonly extension: vscode.ExtensionContext,
    readonly analyzer: ModelAnalyzer,
  ) {
    this.log = this.own(new Log(SOURCE));
    this.config = this.own(new Config());
    this.analyses = this.own(new DocumentAnalyses(analyzer, this.log));
    this.results = this.own(new ModelResultsStore(this.log));
    const gpuDir = gpuBackendDir(extension);
    const dataDir = datasetsDir(extension);
    this.worker = this.own(lazyWorker(extension.extensionUri, this.log, () => mergeEnv(gpuBackendEnv(gpuDir), datasetsEnv(dataDir), wasmThreadsEnv(this.config.settings.wasmThreads))));
    this.runner = this.own(new CheckRunner(this.worker, this.log));
    // The WASM thread pool is made once per worker process: a changed count needs a fresh worker, started after
    // the running job (if any) ends.
    let threads = this.config.settings.wasmThreads;
    let restartWhenIdle = false;
    const restartIfIdle = (): void => {
      if (!restartWhenIdle || this.runner.runningOn() !== undefined) return;
      restartWhenIdle = false;
      this.worker.reset();
    };
    this.own(
      this.config.onDidChange((s) => {
        if (s.wasmThreads === threads) return;
        threads = s.wasmThreads;
        restartWhenIdle = true;
        if (this.runner.runningOn() !== undefined) this.log.info('dynn.wasmThreads changed: the worker restarts with it when the running job ends');
        restartIfIdle();
      }),
    );
    this.own(this.runner.onDidChange(restartIfIdle));
    this.status = this.own(new BackendStatus(this.runner, this.config, this.results));
    // Drives the editor title's Run / Cancel buttons.
    this.own(this.runner.onDidChange(() => void vscode.commands.executeCommand('setContext', 'dynn.running', this.runner.runningOn() !== undefined)));
  }

  /** Takes ownership of a disposable; it is disposed with the context, last-in first-out. */
  own<T extends vscode.Disposable>(d: T): T {
    this.disposables.push(d);
    return d;
  }

  /** Registers the language features for model files. */
  registerProviders(): void {
    const { analyses, log } = this;
    this.own(new DiagnosticsController(analyses, this.config, log));
    const imported = this.own(new ImportedGraphs());
    this.own(vscode.languages.registerHoverProvider(MODEL_SELECTOR, new ModelHoverProvider(analyses, this.analyzer, log, imported)));
    this.own(vscode.languages.registerDocumentSymbolProvider(MODEL_SELECTOR, new ModelSymbolProvider(analyses, log), { label: 'DyNN model' }));
    const lenses = this.own(new ModelCodeLensProvider(analyses, this.results, this.runner, this.config, log, imported));
    this.own(vscode.languages.registerCodeLensProvider(MODEL_SELECTOR, lenses));
    this.own(vscode.languages.registerCodeActionsProvider(MODEL_SELECTOR, new ModelQuickFixProvider(analyses, log), ModelQuickFixProvider.metadata));
    this.own(vscode.languages.registerCompletionItemProvider(YAML_SELECTOR, new YamlCompletionProvider(this.analyzer, log), ...COMPLETION_TRIGGERS));
    // Before the diagnostics, so a file's saved results are asked for before its first result findings.
    this.own(new ResultsSync(analyses, this.results, () => this.runner.runningOn()));
    const resultDiagnostics = this.own(new ResultDiagnostics(analyses, this.results, this.config, log));
    this.own(vscode.languages.registerCodeActionsProvider(MODEL_SELECTOR, resultDiagnostics, ResultDiagnostics.metadata));
    // The panel's serializer must exist at activation so a reloaded window gets its panels back from the store.
    this.own(
      ResultsPanel.register(this.extension, {
        extensionUri: this.extension.extensionUri,
        store: this.results,
        handlers: {
          applySuggestion: (uri, suggestion) => applySuggestion(uri, suggestion, analyses, log),
          currentSpecHash: async (uri) => analyses.get(await vscode.workspace.openTextDocument(uri)).analysis.specHash,
        },
        log,
      }),
    );
  }

  /** Registers a command whose handler never throws into the host: failures are logged and shown. */
  registerCommand(id: string, handler: (...args: unknown[]) => unknown): void {
    this.own(
      vscode.commands.registerCommand(id, async (...args: unknown[]) => {
        try {
          return await handler(...args);
        } catch (err) {
          if (err instanceof UserError) {
            // Something the user can act on: no stack, no "failed".
            this.log.warn(`Command ${id}: ${err.message}`);
            void vscode.window.showWarningMessage(`DyNN Lens: ${err.message}`);
            return undefined;
          }
          this.log.error(`Command ${id}`, err);
          void vscode.window.showErrorMessage(`DyNN Lens: ${id} failed: ${err instanceof Error ? err.message : String(err)}`);
          return undefined;
        }
      }),
    );
  }

  dispose(): void {
    for (const d of this.disposables.splice(0).reverse()) {
      try {
        d.dispose();
      } catch (err) {
        // The log may already be gone; nothing else can be told at shutdown.
        console.error('DyNN Lens: dispose failed', err);
      }
    }
  }
}
