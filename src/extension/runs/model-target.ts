// Which model file a command acts on: the URI it was given (code lens, editor title, walkthrough), else the
// active editor's model file, else the user picks one. Checks run on the document's text as it is in the editor
// (unsaved edits included; nothing is saved behind the user's back); a file with errors is refused with how many
// and where.
import * as vscode from 'vscode';
import type { Analysis, ModelSpec } from '../../modelfile/types';
import { checkedModel, ModelFileError } from '../../studies/modelFile';
import type { DocumentAnalyses } from '../language/document-analyses';
import { isModelDocument } from '../language/document-analyses';

export interface ModelTarget {
  doc: vscode.TextDocument;
  uri: vscode.Uri;
  spec: ModelSpec;
  analysis: Analysis;
  specHash: string;
  folder: vscode.WorkspaceFolder;
  /** Path relative to the workspace folder, '/' separators: how the worker and the results name the file. */
  file: string;
}

/** Errors a command shows as they are (no stack): the user can act on them. */
export class UserError extends Error {
  override readonly name = 'UserError';
}

async function pickDocument(arg: unknown): Promise<vscode.TextDocument | undefined> {
  if (arg instanceof vscode.Uri) return vscode.workspace.openTextDocument(arg);
  if (typeof arg === 'string' && arg !== '') return vscode.workspace.openTextDocument(vscode.Uri.parse(arg, true));
  const active = vscode.window.activeTextEditor?.document;
  if (active && isModelDocument(active)) return active;
  const open = vscode.workspace.textDocuments.filter((d) => isModelDocument(d) && !d.isUntitled);
  if (open.length === 1) return open[0];
  const found = open.length > 0 ? open.map((d) => d.uri) : await vscode.workspace.findFiles('**/*.{dynn.yaml,dynn.yml,dynn.json}', '**/node_modules/**', 50);
  if (found.length === 0) throw new UserError('open a model file (*.dynn.yaml or *.dynn.json) first');
  const pick = await vscode.window.showQuickPick(
    found.map((uri) => ({ label: vscode.workspace.asRelativePath(uri), uri })),
    { title: 'DyNN: which model file?' },
  );
  return pick ? vscode.workspace.openTextDocument(pick.uri) : undefined;
}

/** Resolves the model file of a command; undefined when the user backed out of a pick. */
export async function resolveModelTarget(arg: unknown, analyses: DocumentAnalyses): Promise<ModelTarget | undefined> {
  const doc = await pickDocument(arg);
  if (!doc) return undefined;
  if (!isModelDocument(doc)) throw new UserError(`${vscode.workspace.asRelativePath(doc.uri)} is not a DyNN model file`);
  if (doc.isUntitled) throw new UserError('save the model file into the workspace first: checks store weights and results beside it under .dynn/');
  const folder = vscode.workspace.getWorkspaceFolder(doc.uri);
  if (!folder) throw new UserError(`${doc.uri.fsPath} is outside the workspace; open its folder so weights and results have a .dynn/ folder to live in`);
  const { analysis } = analyses.get(doc);
  try {
    const model = checkedModel(analysis, doc.getText(), doc.uri.fsPath, folder.uri.fsPath, vscode.workspace.asRelativePath(doc.uri));
    return { doc, uri: doc.uri, spec: model.spec, analysis, specHash: model.specHash, folder, file: model.file };
  } catch (err) {
    // The same refusal, with the same line:column list, as the CLI's; the Problems view has them all.
    if (err instanceof ModelFileError) throw new UserError(err.message);
    throw err;
  }
}
