// Runs one worker job at a time on behalf of a model file: a cancellable progress notification whose cancel
// button (or "DyNN: Cancel Running Check") really stops the worker run, every run recorded in the log with its
// duration, and failures shown with the worker's last words. The editor stays responsive: all compute is in the
// worker process.
import * as vscode from 'vscode';
import { analyzeText } from '../../modelfile';
import { LineIndex } from '../../modelfile/lines';
import { locateFailure } from '../../studies/failureLocation';
import { type RunFailure } from '../../protocol/run-failure';
import type { WorkerError } from '../../worker/client';
import { WorkerErrorCode } from '../../protocol/worker';
import type { Log } from '../log';
import type { LazyWorker } from './worker';

/** Whether a check is running on a file, as the views (lenses, status item) read it; they refresh when it changes. */
export interface RunState {
  runningOn(): vscode.Uri | undefined;
  /** Partial results of the running job (attack results as they are measured): live figures. */
  partials(): readonly unknown[];
  readonly onDidChange: vscode.Event<void>;
}

export interface JobRequest {
  /** Model file the job is about (shown in the lenses and the status item). */
  uri: vscode.Uri;
  job: string;
  params: unknown;
  /** Notification title, e.g. "DyNN: checking mnist-sdn". */
  title: string;
  /** Describes a partial result for the progress message (e.g. "pgd@0.1: robust 71%"). */
  describePartial?: (data: unknown) => string | undefined;
}

export type JobOutcome<R> = { ok: true; result: R; seconds: number } | { ok: false; cancelled: boolean; message: string };

interface ActiveJob {
  uri: vscode.Uri;
  job: string;
  source: vscode.CancellationTokenSource;
  /** Partial results received so far, oldest first (live figures for the lenses). */
  partials: unknown[];
}

function isWorkerError(err: unknown): err is WorkerError {
  return err instanceof Error && err.name === 'WorkerError' && typeof (err as { code?: unknown }).code === 'number';
}

/** A one-paragraph message for the user: what failed, and the worker's last lines when it crashed or hung. */
export function describeFailure(job: string, err: unknown): string {
  if (!isWorkerError(err)) return `${job} failed: ${err instanceof Error ? err.message : String(err)}`;
  // Crash and hang messages already end with the last output; other failures get its final lines appended.
  const lastWords = err.lastWords.length > 0 && !err.message.includes('Last output') ? ` Last output: ${err.lastWords.slice(-3).join(' | ')}` : '';
  const file = err.file ? ` (${err.file})` : '';
  return `${err.message}${file}${lastWords}`;
}

/** Source of the run-failure diagnostics (their own collection, apart from the analyzer's and the results'). */
export const RUN_DIAGNOSTIC_SOURCE = 'DyNN Lens runs';

/** Where in the model file a failed run's problem belongs, for the notification and the diagnostic. */
export interface LocatedFailure {
  range: vscode.Range;
  /** `file:line:col` (1-based, workspace-relative file). */
  where: string;
  /** The node, e.g. `data.train`, or `the model` for the whole document. */
  node: string;
}

/** The failure's kind and fields, when the worker classified it (crashes, hangs and plain bugs have none). */
export function classifiedFailure(err: unknown): RunFailure | undefined {
  if (!isWorkerError(err) || err.failure === undefined || err.failure.kind === 'other') return undefined;
  return err.failure;
}

/** Locates a classified failure in the current text of the model file. */
export function locateInDocument(doc: vscode.TextDocument, failure: RunFailure, message: string): LocatedFailure {
  const text = doc.getText();
  const location = locateFailure(failure, analyzeText(text, { fileName: doc.uri.fsPath }), message);
  const lines = new LineIndex(text);
  const start = lines.positionAt(location.span.start);
  const end = lines.positionAt(location.span.end);
  return {
    range: new vscode.Range(start.line, start.character, end.line, end.character),
    where: `${vscode.workspace.asRelativePath(doc.uri)}:${start.line + 1}:${start.character + 1}`,
    node: location.path.length > 0 ? location.path.map((p) => (typeof p === 'number' ? `[${p}]` : p)).join('.').replace(/\.\[/g, '[') : 'the model',
  };
}

/** The job's parameters for the log, with the model text replaced by its length (the file is named already). */
export function describeParams(params: unknown): string {
  if (typeof params !== 'object' || params === null) return JSON.stringify(params);
  const { text, ...rest } = params as Record<string, unknown>;
  return JSON.stringify(typeof text === 'string' ? { ...rest, text: `${text.length} characters` } : rest);
}

export class CheckRunner implements RunState, vscode.Disposable {
  private active: ActiveJob | undefined;
  private failure: string | undefined;
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChange = this.changed.event;
  /** Failed runs, shown where their problem is in the model file; cleared by the file's next successful run or
   *  by an edit to it. */
  private readonly runDiagnostics = vscode.languages.createDiagnosticCollection(RUN_DIAGNOSTIC_SOURCE);
  private readonly onEdit: vscode.Disposable;

  constructor(
    private readonly worker: LazyWorker,
    private readonly log: Log,
  ) {
    this.onEdit = vscode.workspace.onDidChangeTextDocument((e) => {
      if (e.contentChanges.length > 0 && this.runDiagnostics.has(e.document.uri)) this.runDiagnostics.delete(e.document.uri);
    });
  }

  /** The run-failure diagnostics of a model file (empty when its last run did not fail at a located node). */
  runFailureDiagnostics(uri: vscode.Uri): readonly vscode.Diagnostic[] {
    return this.runDiagnostics.get(uri) ?? [];
  }

  /** Puts a failed run's diagnostic at its node and returns where that is; undefined when it cannot be located. */
  private async markFailure(uri: vscode.Uri, err: unknown, message: string): Promise<LocatedFailure | undefined> {
    const failure = classifiedFailure(err);
    if (failure === undefined) return undefined;
    try {
      const doc = await vscode.workspace.openTextDocument(uri);
      const located = locateInDocument(doc, failure, err instanceof Error ? err.message : message);
      const diagnostic = new vscode.Diagnostic(located.range, message, vscode.DiagnosticSeverity.Error);
      diagnostic.source = RUN_DIAGNOSTIC_SOURCE;
      diagnostic.code = `run/${failure.kind}`;
      this.runDiagnostics.set(uri, [diagnostic]);
      return located;
    } catch (e) {
      // The file went away during the run: the notification still says what failed.
      this.log.warn(`Could not mark the failure in ${vscode.workspace.asRelativePath(uri)}: ${e instanceof Error ? e.message : String(e)}`);
      return undefined;
    }
  }

  runningOn(): vscode.Uri | undefined {
    return this.active?.uri;
  }

  runningJob(): string | undefined {
    return this.active?.job;
  }

  /** The message of the last run that failed or was cancelled (cleared when a run succeeds). */
  lastFailure(): string | undefined {
    return this.failure;
  }

  /** Partial results of the running job so far (empty when nothing runs). */
  partials(): readonly unknown[] {
    return this.active?.partials ?? [];
  }

  /** Cancels the running job; false when nothing runs. The worker stops within its grace period (1 s). */
  cancel(): boolean {
    if (!this.active) return false;
    this.log.info(`Cancelling '${this.active.job}' on ${vscode.workspace.asRelativePath(this.active.uri)}`);
    this.active.source.cancel();
    return true;
  }

  /**
   * Runs `request` in the worker under a progress notification. Never throws: a failure is logged, shown (with
   * the worker's last words) and returned, so earlier results stay as they were.
   */
  async run<R>(request: JobRequest): Promise<JobOutcome<R>> {
    if (this.active) {
      const message = `'${this.active.job}' is still running on ${vscode.workspace.asRelativePath(this.active.uri)}; cancel it first (DyNN: Cancel Running Check).`;
      void vscode.window.showWarningMessage(`DyNN Lens: ${message}`, 'Cancel Running Check').then((c) => {
        if (c) this.cancel();
      });
      return { ok: false, cancelled: false, message };
    }
    const source = new vscode.CancellationTokenSource();
    const active: ActiveJob = { uri: request.uri, job: request.job, source, partials: [] };
    this.active = active;
    this.changed.fire();
    const started = Date.now();
    const file = vscode.workspace.asRelativePath(request.uri);
    this.log.info(`Run '${request.job}' on ${file} started: ${describeParams(request.params)}`);
    try {
      const worker = await this.worker.get();
      const result = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: request.title, cancellable: true },
        async (progress, token) => {
          const forward = token.onCancellationRequested(() => source.cancel());
          let reported = 0;
          try {
            return await worker.run<R>(request.job, request.params, {
              token: source.token,
              onProgress: (p) => {
                const fraction = typeof p.fraction === 'number' && Number.isFinite(p.fraction) ? Math.min(1, Math.max(0, p.fraction)) : undefined;
                const eta = typeof p.etaSeconds === 'number' && p.etaSeconds > 0 ? ` (about ${Math.ceil(p.etaSeconds)} s left)` : '';
                const increment = fraction !== undefined && fraction > reported ? 100 * (fraction - reported) : undefined;
                if (fraction !== undefined) reported = Math.max(reported, fraction);
                progress.report({ message: `${p.phase}: ${p.message}${eta}`, ...(increment !== undefined ? { increment } : {}) });
              },
              onPartial: (data) => {
                active.partials.push(data);
                const text = request.describePartial?.(data);
                if (text !== undefined) {
                  this.log.info(`[${request.job}] ${text}`);
                  progress.report({ message: text });
                }
                this.changed.fire();
              },
              onLog: (level, message) => {
                const line = `[${request.job}] ${message}`;
                if (level === 'error') this.log.error(line);
                else if (level === 'warn') this.log.warn(line);
                else if (level === 'info') this.log.info(line);
                else this.log.debug(line);
              },
            });
          } finally {
            forward.dispose();
          }
        },
      );
      const seconds = (Date.now() - started) / 1000;
      this.log.info(`Run '${request.job}' on ${file} finished in ${seconds.toFixed(1)} s`);
      this.failure = undefined;
      this.runDiagnostics.delete(request.uri);
      return { ok: true, result, seconds };
    } catch (err) {
      const cancelled = source.token.isCancellationRequested || (isWorkerError(err) && err.code === WorkerErrorCode.Cancelled);
      let message = describeFailure(request.job, err);
      if (!cancelled) {
        const located = await this.markFailure(request.uri, err, message);
        if (located) message = `${message} At ${located.where} (${located.node}).`;
      }
      this.failure = message;
      if (cancelled) {
        this.log.info(`Run '${request.job}' on ${file} cancelled after ${((Date.now() - started) / 1000).toFixed(1)} s`);
        void vscode.window.showInformationMessage(`DyNN Lens: '${request.job}' on ${file} was cancelled; earlier results are unchanged.`);
      } else {
        this.log.error(`Run '${request.job}' on ${file} failed after ${((Date.now() - started) / 1000).toFixed(1)} s`, err);
        if (isWorkerError(err) && err.detail) this.log.debug(err.detail);
        void vscode.window.showErrorMessage(`DyNN Lens: ${message} Earlier results are unchanged.`, 'Show Log').then((c) => {
          if (c) this.log.show();
        });
      }
      return { ok: false, cancelled, message };
    } finally {
      source.dispose();
      if (this.active === active) this.active = undefined;
      this.changed.fire();
    }
  }

  dispose(): void {
    this.active?.source.cancel();
    this.changed.dispose();
    this.onEdit.dispose();
    this.runDiagnostics.dispose();
  }
}
