// The paper matrix panel in a real extension host: "DyNN: Show Paper Matrix" reads the workspace folder's
// .dynn/matrix/paper-matrix.json (written by `dynn-lens study --paper --matrix`), opens the panel for a valid one,
// and refuses a malformed one with the reason instead of drawing it. Clicking a cell is the webview's message,
// checked in test/unit/panel/matrixSession.test.ts.
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import { matrixCell, paperMatrix } from '../unit/panel/matrixFixture';
import { EXTENSION_ID, waitFor } from './support';

const MATRIX = paperMatrix([matrixCell('matrix-a', 'examples/matrix-a.dynn.yaml'), matrixCell('matrix-b', 'examples/matrix-b.dynn.yaml', 'Fashion-MNIST')]);

function matrixTabs(): vscode.Tab[] {
  return vscode.window.tabGroups.all.flatMap((g) => g.tabs).filter((t) => t.input instanceof vscode.TabInputWebview && t.label === 'Paper matrix');
}

describe('matrix: the paper matrix panel in a real extension host', function () {
  this.timeout(60_000);
  let file: string;
  let before_: string | undefined;

  before(async () => {
    const folder = vscode.workspace.workspaceFolders?.[0];
    assert.ok(folder, 'the workbench opened no workspace folder');
    await vscode.extensions.getExtension(EXTENSION_ID)?.activate();
    file = path.join(folder.uri.fsPath, '.dynn', 'matrix', 'paper-matrix.json');
    before_ = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : undefined;
    fs.mkdirSync(path.dirname(file), { recursive: true });
  });

  after(async () => {
    await vscode.window.tabGroups.close(matrixTabs());
    if (before_ === undefined) fs.rmSync(file, { force: true });
    else fs.writeFileSync(file, before_);
  });

  it('opens the folder\'s matrix in a panel, one cell per model', async () => {
    fs.writeFileSync(file, JSON.stringify(MATRIX));
    const cells = await vscode.commands.executeCommand<number | undefined>('dynn.showPaperMatrix');
    assert.strictEqual(cells, 2);
    await waitFor('the Paper matrix panel', () => (matrixTabs().length === 1 ? true : undefined));
  });

  it('refuses a malformed matrix file and opens no panel', async () => {
    await vscode.window.tabGroups.close(matrixTabs());
    fs.writeFileSync(file, JSON.stringify({ ...MATRIX, cells: 'not a list' }));
    const cells = await vscode.commands.executeCommand<number | undefined>('dynn.showPaperMatrix');
    assert.strictEqual(cells, undefined, 'the command refused (the warning names the file and what is malformed)');
    assert.strictEqual(matrixTabs().length, 0);
  });
});
