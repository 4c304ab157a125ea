// The language status item of model files: which compute backend checks run on (GPU or CPU, and why, from the
// latest results or the `info` job) and whether a check is running. Clicking it picks the backend.
import * as vscode from 'vscode';
import type { Config } from '../config';
import type { CheckRunner } from './check-runner';
import { MODEL_SELECTOR } from '../language/document-analyses';
import { backendLabel } from '../results/result-figures';
import type { ModelResultsStore } from '../results/results-store';

export interface KnownBackend {
  name: string;
  reason: string;
  /** Where the fact comes from, e.g. "last check of mnist-sdn" or "worker info". */
  from: string;
}

export class BackendStatus implements vscode.Disposable {
  private readonly item = vscode.languages.createLanguageStatusItem('dynn.backend', MODEL_SELECTOR);
  private readonly subscriptions: vscode.Disposable[];
  private known: KnownBackend | undefined;

  constructor(
    private readonly runner: CheckRunner,
    private readonly config: Config,
    store: ModelResultsStore,
  ) {
    this.item.name = 'DyNN compute backend';
    this.subscriptions = [
      runner.onDidChange(() => this.render()),
      config.onDidChange(() => this.render()),
      store.onDidChange((key) => {
        const r = store.get(key);
        if (r) this.setBackend({ name: r.provenance.backend, reason: r.provenance.backendReason, from: `results of ${r.model.name} (${r.provenance.date})` });
      }),
    ];
    this.render();
  }

  /** The backend a run or the `info` job reported. */
  setBackend(backend: KnownBackend): void {
    this.known = backend;
    this.render();
  }

  get backend(): KnownBackend | undefined {
    return this.known;
  }

  /** What the item shows now (for tests and the log). */
  get text(): string {
    return this.item.text;
  }

  private render(): void {
    const preference = this.config.settings.backend;
    const running = this.runner.runningOn();
    const backend = this.known ? backendLabel(this.known.name, this.known.reason) : `not started (setting: ${preference})`;
    this.item.busy = running !== undefined;
    this.item.severity = vscode.LanguageStatusSeverity.Information;
    this.item.text = running ? `$(sync~spin) DyNN: ${this.runner.runningJob() ?? 'job'} running on ${backend}` : `$(chip) DyNN: ${backend}`;
    this.item.detail = this.known
      ? `${this.known.reason} (from ${this.known.from}; setting dynn.backend: ${preference})`
      : 'Checks run in a worker process; the backend is chosen when the first check starts.';
    this.item.command = running
      ? { title: 'Cancel', command: 'dynn.cancelRun', tooltip: 'Cancel the running check' }
      : { title: 'Select Backend', command: 'dynn.selectBackend', tooltip: 'Choose the TF.js backend for checks' };
  }

  dispose(): void {
    for (const s of this.subscriptions) s.dispose();
    this.item.dispose();
  }
}
