// The paper-matrix panel: shows .dynn/matrix/paper-matrix.json of a workspace folder (written by
// `dynn-lens study --paper --matrix`) with the results panel's script and CSP; selecting a cell opens that model's
// results (DyNN: Show Results on the cell's model file). MatrixSession (src/panel/host) holds the logic.
import * as vscode from 'vscode';
import { checkPaperMatrix, type PaperMatrix } from '../../protocol/matrix';
import { buildPanelHtml } from '../../panel/host/html';
import { MatrixSession } from '../../panel/host/matrixSession';
import { createNonce } from '../../panel/host/nonce';
import type { SessionLog } from '../../panel/host/session';
import { MATRIX_DIR } from '../../studies/matrix';

export const MATRIX_FILE = `${MATRIX_DIR}/paper-matrix.json`;

/** Reads and checks the matrix of a workspace folder; throws an Error that says what is missing or wrong. */
export async function readPaperMatrix(folder: vscode.Uri): Promise<PaperMatrix> {
  const uri = vscode.Uri.joinPath(folder, ...MATRIX_FILE.split('/'));
  let text: string;
  try {
    text = new TextDecoder().decode(await vscode.workspace.fs.readFile(uri));
  } catch {
    throw new Error(`no paper matrix in ${vscode.workspace.asRelativePath(uri)} yet: run \`dynn-lens study --paper --matrix\` in this folder first`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new Error(`${vscode.workspace.asRelativePath(uri)} is not JSON (${e instanceof Error ? e.message : String(e)})`);
  }
  const problems = checkPaperMatrix(value);
  if (problems.length > 0) throw new Error(`${vscode.workspace.asRelativePath(uri)} is malformed: ${problems.slice(0, 3).join('; ')}`);
  return value as PaperMatrix;
}

export function showMatrixPanel(extensionUri: vscode.Uri, folder: vscode.Uri, matrix: PaperMatrix, log: SessionLog): vscode.WebviewPanel {
  const panel = vscode.window.createWebviewPanel('dynnLens.matrix', 'Paper matrix', vscode.ViewColumn.Active, {
    enableScripts: true,
    enableCommandUris: false,
    localResourceRoots: [vscode.Uri.joinPath(extensionUri, 'dist'), vscode.Uri.joinPath(extensionUri, 'media')],
  });
  const session = new MatrixSession({
    matrix,
    post: (m) => panel.webview.postMessage(m),
    // The cell's file comes from the matrix the extension read, confined to the folder like every model file.
    openCell: async (cell) => {
      const uri = vscode.Uri.joinPath(folder, ...cell.file.split('/'));
      if (!uri.path.startsWith(`${folder.path.replace(/\/$/, '')}/`) || cell.file.split('/').includes('..')) throw new Error(`the matrix names ${cell.file}, which is outside the workspace folder`);
      await vscode.commands.executeCommand('dynn.showResults', uri);
    },
    showError: (text) => void vscode.window.showErrorMessage(`DyNN Lens: ${text}`),
    log,
  });
  panel.webview.html = buildPanelHtml({
    cspSource: panel.webview.cspSource,
    nonce: createNonce(),
    scriptUri: panel.webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'dist', 'webview.js')).toString(),
    styleUri: panel.webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'media', 'panel.css')).toString(),
    title: 'DyNN Lens paper matrix',
  });
  const sub = panel.webview.onDidReceiveMessage((raw: unknown) => void session.receive(raw));
  panel.onDidDispose(() => {
    sub.dispose();
  });
  return panel;
}
