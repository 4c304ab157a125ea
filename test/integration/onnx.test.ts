// An ONNX sidecar in a real extension host: lenses and hover with the imported graph's FLOPs and parameters per
// exit, read from the .onnx without TF.js in the host, and the command that writes a sidecar for an .onnx file.
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import { closeModel, openModel, positionOf, waitFor } from './support';

const FIXTURE = path.join(__dirname, '..', '..', '..', 'test', 'fixtures', 'onnx', 'mnist-sdn.onnx');

const SIDECAR = `dynn: 1
name: pytorch-sdn
input: { shape: [28, 28, 1], range: [0, 1] }
classes: 10
import: { model: mnist-sdn.onnx, outputs: [exit1, exit2, final], normalize: { mean: [0.1307], std: [0.3081] } }
data: { source: mnist }
`;

interface Api {
  tfjsLoaded(): boolean;
}

describe('editor: an ONNX sidecar', function () {
  this.timeout(60_000);
  let dir: string;
  let uri: vscode.Uri;
  let doc: vscode.TextDocument;
  let api: Api;

  before(async () => {
    ({ dir, uri, doc, api } = await openModel<Api>(`.onnx-test-${process.pid}`, 'sdn.dynn.yaml', SIDECAR));
    fs.copyFileSync(FIXTURE, path.join(dir, 'mnist-sdn.onnx'));
  });
  after(async () => closeModel(dir));

  it('shows the graph and each exit in lenses, counted from the ONNX nodes, without loading TF.js', async () => {
    const lenses = await waitFor('the ONNX lenses', async () => {
      const all = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', uri);
      const titles = all.map((l) => l.command?.title ?? '');
      return titles.some((t) => t.startsWith('ONNX opset 11')) && titles.filter((t) => /FLOPs to here/.test(t)).length === 3 ? all : undefined;
    });
    const byLine = lenses.map((l) => [l.range.start.line, l.command?.title ?? ''] as const);
    const importLine = positionOf(doc, 'import:').line;
    assert.ok(byLine.some(([line, t]) => line === importLine && /^ONNX opset 11 · \d+ nodes · [\d.]+ MFLOPs · [\d.]+k params$/.test(t)), JSON.stringify(byLine));
    assert.ok(byLine.some(([, t]) => /^final: [\d.]+ MFLOPs to here \(100% of the graph\)/.test(t)), JSON.stringify(byLine));
    assert.strictEqual(api.tfjsLoaded(), false);
  });

  it('hovers over the import block with the per-exit table', async () => {
    const hovers = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', uri, positionOf(doc, 'exit2'));
    const text = hovers.flatMap((h) => h.contents).map((c) => (typeof c === 'string' ? c : c.value)).join('\n');
    assert.match(text, /Imported ONNX graph\*\* \(opset 11/);
    assert.match(text, /\| `exit2` \|/);
  });

  it('creates a model file for an .onnx with the chosen exits, next to it, and opens it', async () => {
    const onnx = vscode.Uri.file(path.join(dir, 'mnist-sdn.onnx'));
    const created = await vscode.commands.executeCommand<vscode.Uri>('dynn.createOnnxModelFile', onnx, ['exit1', 'exit2', 'final']);
    assert.strictEqual(created?.fsPath, path.join(dir, 'mnist-sdn.dynn.yaml'));
    assert.strictEqual(vscode.window.activeTextEditor?.document.uri.fsPath, created.fsPath);
    const text = vscode.window.activeTextEditor?.document.getText() ?? '';
    assert.strictEqual(fs.readFileSync(created.fsPath, 'utf8'), text, 'saved to disk, where checks read it');
    assert.match(text, /outputs: \[exit1, exit2, final\]/);
    assert.match(text, /input: \{ shape: \[28, 28, 1\], range: \[0, 1\] \}/);
  });
});
