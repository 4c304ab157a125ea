// Shared by the in-host suites (test/integration and test/integration-untrusted): waiting for the editor,
// finding text, and opening a model file written into the workspace under test.
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';

export const EXTENSION_ID = 'dynn-lens.dynn-lens';

/** Polls `probe` until it returns a value, or fails naming `what` after `timeoutMs`. */
export async function waitFor<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export function positionOf(doc: vscode.TextDocument, needle: string): vscode.Position {
  const offset = doc.getText().indexOf(needle);
  assert.ok(offset >= 0, `"${needle}" is not in the document`);
  return doc.positionAt(offset);
}

export interface OpenedModel<Api> {
  folder: vscode.WorkspaceFolder;
  /** The folder created for this suite inside the workspace; `closeModel` removes it. */
  dir: string;
  uri: vscode.Uri;
  doc: vscode.TextDocument;
  api: Api;
}

/** Writes `text` to `<workspace>/<dirName>/<fileName>`, opens it in an editor and activates the extension. */
export async function openModel<Api>(dirName: string, fileName: string, text: string): Promise<OpenedModel<Api>> {
  const folder = vscode.workspace.workspaceFolders?.[0];
  assert.ok(folder, 'the workbench opened no workspace folder');
  const dir = path.join(folder.uri.fsPath, dirName);
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, fileName);
  fs.writeFileSync(file, text);
  const uri = vscode.Uri.file(file);
  const doc = await vscode.workspace.openTextDocument(uri);
  await vscode.window.showTextDocument(doc);
  const ext = vscode.extensions.getExtension<Api>(EXTENSION_ID);
  assert.ok(ext, `${EXTENSION_ID} is not loaded`);
  const api = await ext.activate();
  return { folder, dir, uri, doc, api };
}

/** Closes every editor and removes the suite's folder. */
export async function closeModel(dir: string): Promise<void> {
  await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  fs.rmSync(dir, { recursive: true, force: true });
}
