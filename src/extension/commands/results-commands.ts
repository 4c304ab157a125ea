// Commands on measured results: show them in the panel, export a report, apply a measured suggestion.
import * as vscode from 'vscode';
import type { Suggestion } from '../../protocol/results';
import { applySuggestion } from '../results/apply-suggestion';
import { ResultsPanel } from '../results/results-panel';
import { readPaperMatrix, showMatrixPanel } from '../results/matrix-panel';
import { resolveModelTarget, UserError } from '../runs/model-target';
import type { CommandFactory } from './command';

export const showResults: CommandFactory = (ctx) => async (arg?: unknown) => {
  const target = await resolveModelTarget(arg, ctx.analyses);
  if (!target) return undefined;
  if (!ctx.results.resultsFor(target.uri)) await ctx.results.loadPersisted(target.uri, target.spec.name);
  ResultsPanel.show(target.uri);
  return target.uri;
};

/** Export Report: HTML (self-contained), Markdown or the JSON results, where the user chooses. */
export const exportReport: CommandFactory = (ctx) => async (arg?: unknown, formatArg?: unknown) => {
  const target = await resolveModelTarget(arg, ctx.analyses);
  if (!target) return undefined;
  const results = ctx.results.resultsFor(target.uri) ?? (await ctx.results.loadPersisted(target.uri, target.spec.name));
  if (!results) throw new UserError(`no results for ${vscode.workspace.asRelativePath(target.uri)} yet; run DyNN: Run Robustness Check first`);
  let format = typeof formatArg === 'string' ? formatArg : undefined;
  if (format === undefined) {
    const pick = await vscode.window.showQuickPick(
      [
        { label: 'HTML', detail: 'self-contained page with the charts and gallery', format: 'html' },
        { label: 'Markdown', detail: 'tables, for a pull request or a wiki', format: 'markdown' },
        { label: 'JSON', detail: 'the Results document (docs/results.schema.json)', format: 'json' },
      ],
      { title: 'DyNN: Export Report' },
    );
    if (!pick) return undefined;
    format = pick.format;
  }
  if (format === 'html' || format === 'markdown') {
    await ResultsPanel.exportReport(target.uri, format);
    return format;
  }
  if (format !== 'json') throw new UserError(`unknown report format "${format}": html, markdown or json`);
  const out = await vscode.window.showSaveDialog({
    defaultUri: vscode.Uri.joinPath(target.uri, '..', `${results.model.name}.results.json`),
    filters: { 'Results JSON': ['json'] },
    saveLabel: 'Export results',
  });
  if (!out) return undefined;
  await vscode.workspace.fs.writeFile(out, new TextEncoder().encode(`${JSON.stringify(results, null, 1)}\n`));
  ctx.log.info(`Results JSON written to ${out.toString()}`);
  void vscode.window.showInformationMessage(`DyNN Lens: results written to ${vscode.workspace.asRelativePath(out)}.`);
  return format;
};

/** Applies a measured suggestion ({path, value}) to a model file: the panel's "Apply" and tests use it. */
export const applySuggestionCommand: CommandFactory = (ctx) => async (uri?: unknown, suggestion?: unknown) => {
  if (!(uri instanceof vscode.Uri)) throw new UserError('applySuggestion needs the model file URI');
  const s = suggestion as Partial<Suggestion> | undefined;
  if (!s || typeof s.title !== 'string' || !s.change || !Array.isArray(s.change.path)) throw new UserError('applySuggestion needs a suggestion with a title and a change {path, value}');
  await applySuggestion(uri, s as Suggestion, ctx.analyses, ctx.log);
  return true;
};

/** Show Paper Matrix: the matrix `dynn-lens study --paper --matrix` wrote in a workspace folder. */
export const showPaperMatrix: CommandFactory = (ctx) => async () => {
  const folders = vscode.workspace.workspaceFolders ?? [];
  if (folders.length === 0) throw new UserError('open a workspace folder first: the paper matrix lives in its .dynn/matrix/');
  const folder = folders.length === 1 ? folders[0] : await vscode.window.showWorkspaceFolderPick({ placeHolder: 'Folder whose paper matrix to show' });
  if (!folder) return undefined;
  let matrix;
  try {
    matrix = await readPaperMatrix(folder.uri);
  } catch (e) {
    throw new UserError(e instanceof Error ? e.message : String(e));
  }
  showMatrixPanel(ctx.extension.extensionUri, folder.uri, matrix, ctx.log);
  return matrix.cells.length;
};
