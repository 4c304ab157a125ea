// "DyNN: Open the Main Example" (first step of the Getting Started walkthrough): offers to copy
// examples/mnist-sdn.dynn.yaml, shipped with the extension, into the workspace so checks can store their weights
// and results beside it; without a workspace (or when declined) it opens an untitled copy to read.
import * as vscode from 'vscode';
import type { CommandFactory } from './command';

export const EXAMPLE_FILE = 'mnist-sdn.dynn.yaml';

export const openExample: CommandFactory = (ctx) => async (mode?: unknown) => {
  const source = vscode.Uri.joinPath(ctx.extension.extensionUri, 'examples', EXAMPLE_FILE);
  const text = new TextDecoder().decode(await vscode.workspace.fs.readFile(source));
  const folder = vscode.workspace.workspaceFolders?.[0];
  let copy = mode === 'copy';
  if (folder && mode === undefined) {
    const choice = await vscode.window.showInformationMessage(
      `Copy ${EXAMPLE_FILE} into ${folder.name}? Checks need the file in the workspace (they keep weights and results under .dynn/).`,
      'Copy into Workspace',
      'Just Open It',
    );
    if (choice === undefined) return undefined;
    copy = choice === 'Copy into Workspace';
  }
  if (copy && folder) {
    const target = vscode.Uri.joinPath(folder.uri, EXAMPLE_FILE);
    let exists = true;
    try {
      await vscode.workspace.fs.stat(target);
    } catch {
      exists = false;
    }
    // An existing copy is the user's: open it rather than overwrite their edits.
    if (!exists) await vscode.workspace.fs.writeFile(target, new TextEncoder().encode(text));
    ctx.log.info(`${exists ? 'Opened the existing' : 'Copied the'} example ${vscode.workspace.asRelativePath(target)}`);
    await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(target));
    return target;
  }
  const doc = await vscode.workspace.openTextDocument({ language: 'dynn', content: text });
  await vscode.window.showTextDocument(doc);
  return doc.uri;
};
