// FLOPs and parameters per exit of the ONNX model a sidecar names, for lenses and hovers: read from the .onnx file
// (inside the workspace only, the engine's confinement), decoded and analysed without TF.js (onnxSummary.ts), and
// cached by the file's modification time and the exits asked for. Untrusted workspaces read no model files.
import * as vscode from 'vscode';
import type { ImportSpec } from '../../modelfile/types';
import { resolveRef } from '../../engine/import/artifacts';
import { MAX_ONNX_FILE_BYTES } from '../../engine/import/limits';
import { summarizeOnnx } from '../../engine/import/onnxSummary';
import type { ImportedFigures } from './imported-describe';
import { host } from '../../protocol/host';

const RETRY_MS = 5000;

interface Entry {
  key: string;
  figures?: ImportedFigures;
}

export class ImportedGraphs implements vscode.Disposable {
  private readonly entries = new Map<string, Entry>();
  private readonly changed = new vscode.EventEmitter<void>();
  /** Fires when figures that were being read are ready. */
  readonly onDidChange = this.changed.event;

  /** The figures of the ONNX model `imp` names from the sidecar `doc`; undefined while they are being read. */
  get(doc: vscode.TextDocument, imp: ImportSpec): ImportedFigures | undefined {
    if (!vscode.workspace.isTrusted) return { problem: 'trust the workspace to read the imported graph (FLOPs and parameters per exit)' };
    const folder = vscode.workspace.getWorkspaceFolder(doc.uri);
    if (folder === undefined || doc.uri.scheme !== 'file') return { problem: 'save the sidecar inside a workspace folder to read the imported graph' };
    const id = `${doc.uri.toString()}|${imp.model}|${imp.outputs.join(',')}`;
    const entry = this.entries.get(id);
    void this.refresh(id, folder.uri.fsPath, doc.uri.fsPath, imp);
    return entry?.figures;
  }

  private async refresh(id: string, root: string, sidecar: string, imp: ImportSpec): Promise<void> {
    const known = this.entries.get(id);
    // A failed read is retried after a few seconds, not on every lens refresh.
    if (known !== undefined && known.key.startsWith('error|') && Date.now() - Number(known.key.slice(6)) < RETRY_MS) return;
    let key: string;
    let figures: ImportedFigures;
    try {
      const file = await resolveRef(root, host().path.dirname(sidecar), imp.model, vscode.workspace.asRelativePath(sidecar), 'import.model');
      const stat = await vscode.workspace.fs.stat(vscode.Uri.file(file));
      key = `${stat.mtime}|${stat.size}`;
      if (known?.key === key) return;
      this.entries.set(id, { key, ...(known?.figures !== undefined ? { figures: known.figures } : {}) });
      if (stat.size > MAX_ONNX_FILE_BYTES) throw new Error(`${imp.model} is ${stat.size} bytes; the limit is ${MAX_ONNX_FILE_BYTES}`);
      const bytes = await vscode.workspace.fs.readFile(vscode.Uri.file(file));
      figures = { summary: await summarizeOnnx(bytes, vscode.workspace.asRelativePath(file), imp.outputs) };
    } catch (e) {
      key = `error|${Date.now()}`;
      figures = { problem: e instanceof Error ? e.message : String(e) };
    }
    this.entries.set(id, { key, figures });
    const same = known?.figures !== undefined && JSON.stringify(known.figures) === JSON.stringify(figures);
    if (!same) this.changed.fire();
  }

  dispose(): void {
    this.changed.dispose();
    this.entries.clear();
  }
}
