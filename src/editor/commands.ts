// Command factories: each takes the context and returns the handler, so commands share its log, settings
// and analyses instead of globals.
import * as vscode from 'vscode';
import type { InfoResult } from '../worker/builtinJobs';
import {
  applySuggestionCommand,
  cancelRun,
  compareStatic,
  exportReport,
  reproduceStudy,
  runAttack,
  runCheck,
  selectBackend,
  showBackendInfo,
  showResults,
  sweepThresholds,
  trainModel,
} from './check-commands';
import type { Ctx } from './ctx';
import { parseTemplates, type ModelTemplate } from './templates';
import { openExample } from './example-command';
import { installGpu } from './gpu-commands';
import { whenTrusted } from './trust';

export type CommandFactory = (ctx: Ctx) => (...args: unknown[]) => unknown;

export const showOutput: CommandFactory = (ctx) => () => ctx.log.show();

/** Reads the templates shipped in snippets/dynn.code-snippets. */
export async function loadTemplates(ctx: Ctx): Promise<ModelTemplate[]> {
  const uri = vscode.Uri.joinPath(ctx.extension.extensionUri, 'snippets', 'dynn.code-snippets');
  const bytes = await vscode.workspace.fs.readFile(uri);
  return parseTemplates(new TextDecoder().decode(bytes), uri.fsPath);
}

/**
 * Opens a new untitled YAML model from a template; the template's name may be passed (for tests and keybindings),
 * otherwise the user picks one.
 */
export const newModel: CommandFactory = (ctx) => async (name?: unknown) => {
  const templates = await loadTemplates(ctx);
  let chosen = typeof name === 'string' ? templates.find((t) => t.name === name || t.prefix === name) : undefined;
  if (typeof name === 'string' && !chosen) throw new Error(`no template named "${name}"; there are: ${templates.map((t) => t.name).join(', ')}`);
  if (!chosen) {
    const pick = await vscode.window.showQuickPick(
      templates.map((t) => ({ label: t.name, description: t.prefix, detail: t.description, template: t })),
      { title: 'DyNN: New Model from Template', placeHolder: 'Choose a dynamic network to start from' },
    );
    if (!pick) return undefined;
    chosen = pick.template;
  }
  const doc = await vscode.workspace.openTextDocument({ language: 'dynn', content: '' });
  const editor = await vscode.window.showTextDocument(doc);
  await editor.insertSnippet(new vscode.SnippetString(chosen.body));
  ctx.log.info(`New model from template "${chosen.name}"`);
  return doc.uri;
};

/**
 * Starts the worker (on first use) and asks which TF.js backend checks and training will use under the current
 * `dynn.backend` setting; shows the answer and logs every probe. Needs trust: the worker loads native TF.js
 * bindings.
 */
export const showBackend: CommandFactory = (ctx) =>
  whenTrusted('Showing the compute backend', async (): Promise<InfoResult> => {
    const preference = ctx.config.settings.backend;
    const info = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: 'DyNN: starting the compute backend', cancellable: true },
      (_progress, token) => showBackendInfo(ctx, token),
    );
    for (const p of info.probes) ctx.log.info(`backend probe ${p.name}: ${p.available ? 'available' : 'unavailable'} (${p.note})`);
    const backend = info.backend;
    if (!backend) throw new Error('the worker started no backend');
    ctx.log.info(`Checks run on ${backend.name} (preference ${preference}) in worker process ${info.process.pid}: ${backend.reason}`);
    void vscode.window.showInformationMessage(`DyNN Lens checks run on ${backend.name} (setting dynn.backend: ${preference}). ${backend.reason}`);
    return info;
  });

export const COMMANDS: Readonly<Record<string, CommandFactory>> = {
  'dynn.showOutput': showOutput,
  'dynn.newModel': newModel,
  'dynn.showBackend': showBackend,
  'dynn.runCheck': runCheck,
  'dynn.runAttack': runAttack,
  'dynn.sweepThresholds': sweepThresholds,
  'dynn.compareStatic': compareStatic,
  'dynn.reproduceStudy': reproduceStudy,
  'dynn.trainModel': trainModel,
  'dynn.showResults': showResults,
  'dynn.exportReport': exportReport,
  'dynn.selectBackend': selectBackend,
  'dynn.installGpuBackend': installGpu,
  'dynn.cancelRun': cancelRun,
  'dynn.applySuggestion': applySuggestionCommand,
  'dynn.openExample': openExample,
};
