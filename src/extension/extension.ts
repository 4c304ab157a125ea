// Entry point. Activation (on a `dynn` document, a *.dynn.json in the workspace, or a command) registers the
// providers and commands; nothing here loads TF.js or starts the worker.
import * as vscode from 'vscode';
import type { Analysis, Diagnostic } from '../modelfile/types';
import { coreAnalyzer } from './language/analyzer';
import { COMMANDS } from './commands';
import { Ctx } from './ctx';
import { onDidRefuse } from './trust';
import type { CheckRunner } from './runs/check-runner';
import type { ModelResultsStore } from './results/results-store';
import { useNodeHost } from '../platform/node';

/** What `activate` returns: used by the integration tests and by other parts of the extension. */
export interface DynnLensApi {
  /** The latest analysis of an open model document, or undefined when it was never analysed. */
  analysisFor(uri: vscode.Uri): Analysis | undefined;
  /** Its findings: parser and validator diagnostics, then design advice (with fixes). */
  findingsFor(uri: vscode.Uri): Diagnostic[] | undefined;
  /** True when TF.js has been loaded into the extension host (it never should be). */
  tfjsLoaded(): boolean;
  /** True once a command has started (or is starting) the worker process. */
  workerStarted(): boolean;
  /** The latest Results per model file (the store lenses, result diagnostics and the panel read). */
  results: ModelResultsStore;
  runner: CheckRunner;
  /** The text of the backend language status item. */
  backendStatus(): string;
  /** The log's latest info, warning and error lines. */
  logLines(): readonly string[];
  /** Process id of the worker child, when one runs. */
  workerPid(): Promise<number | undefined>;
}

let ctx: Ctx | undefined;

/** TF.js registers its engine on the global object when first loaded; a bundled copy leaves no require.cache entry. */
export function tfjsLoaded(): boolean {
  return Object.keys(require.cache).some((k) => /[\\/]@tensorflow[\\/]/.test(k)) || '_tfengine' in globalThis;
}

export function activate(context: vscode.ExtensionContext): DynnLensApi {
  useNodeHost();
  const c = new Ctx(context, coreAnalyzer);
  ctx = c;
  // Disposed by VS Code on deactivation (and by deactivate(); a second dispose does nothing).
  context.subscriptions.push(c);
  c.registerProviders();
  for (const [id, factory] of Object.entries(COMMANDS)) c.registerCommand(id, factory(c));
  // A refusal for want of trust goes to the log too, not only to a notification that may be dismissed unseen.
  c.own(onDidRefuse((message) => c.log.warn(message)));
  c.log.info(`DyNN Lens ${String((context.extension.packageJSON as { version?: unknown }).version)} activated; workspace trusted: ${String(vscode.workspace.isTrusted)}`);
  return {
    analysisFor: (uri) => c.analyses.peek(uri)?.analysis,
    findingsFor: (uri) => c.analyses.peek(uri)?.findings,
    tfjsLoaded,
    workerStarted: () => c.worker.started,
    results: c.results,
    runner: c.runner,
    backendStatus: () => c.status.text,
    logLines: () => c.log.recent(),
    workerPid: async () => (c.worker.started ? (await c.worker.get()).pid : undefined),
  };
}

export function deactivate(): void {
  ctx?.dispose();
  ctx = undefined;
}
