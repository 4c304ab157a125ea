// "DyNN: Create Model File for an ONNX Model": reads an .onnx in the workspace (from the explorer's context menu,
// or picked from the workspace's .onnx files), lists its outputs for the user to choose the exits, and writes the
// sidecar next to it (an undoable WorkspaceEdit) with TODO marks on what only the user knows: the input range, the
// normalisation their training used, the data. Reading a model file needs a trusted workspace.
import * as vscode from 'vscode';
import type { CommandFactory } from './command';
import { whenTrusted } from '../trust';
import { resolveRef } from '../../engine/import/artifacts';
import { MAX_ONNX_FILE_BYTES } from '../../engine/import/limits';
import { decodeForEditor, outputChoices, sidecarText } from '../../engine/import/onnxSummary';
import { host } from '../../protocol/host';

async function pickOnnx(arg: unknown): Promise<vscode.Uri | undefined> {
  if (arg instanceof vscode.Uri) return arg;
  const files = await vscode.workspace.findFiles('**/*.onnx', '**/{node_modules,.dynn}/**', 500);
  if (files.length === 0) {
    void vscode.window.showInformationMessage('DyNN Lens: no .onnx file in the workspace. Export one with torch.onnx.export (see docs/import.md) and run this command again.');
    return undefined;
  }
  const pick = await vscode.window.showQuickPick(
    files.map((uri) => ({ label: vscode.workspace.asRelativePath(uri), uri })),
    { placeHolder: 'The ONNX model to describe (its outputs become the exits)' },
  );
  return pick?.uri;
}

export const createOnnxModelFile: CommandFactory = (ctx) =>
  // `exits` (names of graph outputs) skips the pick, for automation (tests, walkthrough links).
  whenTrusted('Creating a model file for an ONNX model', async (arg?: unknown, exits?: unknown) => {
    const uri = await pickOnnx(arg);
    if (uri === undefined) return undefined;
    const folder = vscode.workspace.getWorkspaceFolder(uri);
    const fail = (message: string): undefined => {
      void vscode.window.showErrorMessage(`DyNN Lens: ${message}`);
      ctx.log.error(message);
      return undefined;
    };
    if (folder === undefined || uri.scheme !== 'file') return fail(`${uri.fsPath} is not inside a workspace folder; the model file and its model must be.`);
    const root = folder.uri.fsPath;
    let text: string;
    let target: vscode.Uri;
    try {
      const file = await resolveRef(root, root, host().path.relative(root, uri.fsPath), '(workspace)', 'ONNX model');
      const rel = vscode.workspace.asRelativePath(file);
      const stat = await vscode.workspace.fs.stat(vscode.Uri.file(file));
      if (stat.size > MAX_ONNX_FILE_BYTES) return fail(`${rel} is ${stat.size} bytes; an .onnx file is limited to ${MAX_ONNX_FILE_BYTES}.`);
      const model = await decodeForEditor(await vscode.workspace.fs.readFile(vscode.Uri.file(file)), rel);
      const choices = outputChoices(model);
      const given = Array.isArray(exits) ? choices.filter((c) => exits.includes(c.name)).map((choice) => ({ choice })) : undefined;
      const picked =
        given ??
        (await vscode.window.showQuickPick(
          choices.map((c) => ({ label: c.name, description: `[${c.dims.join(', ')}]`, ...(c.classifier ? {} : { detail: 'not [batch, classes]: cannot be an exit' }), picked: c.classifier, choice: c })),
          { canPickMany: true, placeHolder: `The exits of ${rel}, in graph order; the last is the final classifier` },
        ));
      if (picked === undefined || picked.length === 0) return undefined;
      const base = host().path.basename(file).replace(/\.onnx$/i, '');
      target = vscode.Uri.file(host().path.join(host().path.dirname(file), `${base}.dynn.yaml`));
      text = sidecarText(base, host().path.basename(file), model, choices.filter((c) => picked.some((p) => p.choice === c)).map((c) => c.name));
    } catch (e) {
      return fail(e instanceof Error ? e.message : String(e));
    }
    let exists = true;
    try {
      await vscode.workspace.fs.stat(target);
    } catch {
      exists = false;
    }
    if (exists) {
      // The existing file is the user's: open it rather than overwrite it.
      void vscode.window.showInformationMessage(`DyNN Lens: ${vscode.workspace.asRelativePath(target)} already exists; opened it instead of overwriting it.`);
    } else {
      const edit = new vscode.WorkspaceEdit();
      edit.createFile(target, { ignoreIfExists: false });
      edit.insert(target, new vscode.Position(0, 0), text);
      if (!(await vscode.workspace.applyEdit(edit))) return fail(`could not create ${vscode.workspace.asRelativePath(target)}`);
      // Saved at once: checks read the sidecar from disk (the edit stays undoable in the editor).
      await (await vscode.workspace.openTextDocument(target)).save();
      ctx.log.info(`Created ${vscode.workspace.asRelativePath(target)} for ${vscode.workspace.asRelativePath(uri)}`);
    }
    await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(target));
    return target;
  });
