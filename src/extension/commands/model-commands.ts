// Commands that open things to read or edit: the log, a new model from a template.
import * as vscode from 'vscode';
import type { Ctx } from '../ctx';
import { parseTemplates, type ModelTemplate } from '../language/templates';
import type { CommandFactory } from './command';

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
