// A run that fails on the model's data, in the real extension host: the run fails in the worker, the editor stays
// usable, an error diagnostic sits on the `train:` value naming the missing file (with the message, and the
// notification's text says file:line:col), earlier results stay as they were in memory and on disk, and the
// diagnostic goes away when the file is edited or the next run of it succeeds.
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import { encodeNpy } from '../../src/engine/data/npy';
import type { Results } from '../../src/protocol/results';
import { makeResults } from '../unit/panel/fixtures';
import { EXTENSION_ID, waitFor } from './support';

const RUNS_SOURCE = 'DyNN Lens runs';

interface Api {
  logLines(): readonly string[];
  results: { get(fileKey: string): Results | undefined };
  runner: { runningOn(): vscode.Uri | undefined; lastFailure(): string | undefined };
}

function model(dir: string): string {
  return `# Integration-test model whose training data file does not exist.
dynn: 1
name: run-failure-it
input: {shape: [8, 8, 1], range: [0, 1]}
classes: 10
backbone:
  - {name: flatten, type: flatten}
  - {name: out, type: dense, units: 10}
data: {source: npy, train: ${dir}/missing.npy, trainLabels: ${dir}/y.npy, test: ${dir}/x.npy, testLabels: ${dir}/y.npy}
train: {epochs: 1, batchSize: 8, optimizer: adam, learningRate: 0.01, seed: 1}
checks:
  samples: 8
  attacks:
    - {id: pgd, kind: pgd, norm: linf, eps: [0.1], step: 0.05, steps: 2}
`;
}

function runDiagnostics(uri: vscode.Uri): vscode.Diagnostic[] {
  return vscode.languages.getDiagnostics(uri).filter((d) => d.source === RUNS_SOURCE);
}

describe('failed runs: located in the model file, nothing lost', function () {
  this.timeout(180_000);
  let root: string;
  let dirName: string;
  let dir: string;
  let uri: vscode.Uri;
  let doc: vscode.TextDocument;
  let api: Api;
  let resultsFile: string;
  let earlierBytes: string;
  let weightsBefore: Set<string>;
  const weightsDir = (): string => path.join(root, '.dynn', 'weights');
  const weightEntries = (): string[] => (fs.existsSync(weightsDir()) ? fs.readdirSync(weightsDir()) : []);

  const tail = (): string => `\nlast log lines:\n${api.logLines().slice(-15).join('\n')}`;

  before(async () => {
    const f = vscode.workspace.workspaceFolders?.[0];
    assert.ok(f, 'the workbench opened no workspace folder');
    root = f.uri.fsPath;
    dirName = `run-failures-${process.pid}`;
    dir = path.join(root, dirName);
    fs.mkdirSync(dir, { recursive: true });
    // 16 samples of 8x8 for the splits that exist; the training images do not.
    fs.writeFileSync(path.join(dir, 'x.npy'), encodeNpy({ dtype: '|u1', shape: [16, 8, 8, 1], data: Uint8Array.from({ length: 16 * 64 }, (_, i) => (i * 37) % 256) }));
    fs.writeFileSync(path.join(dir, 'y.npy'), encodeNpy({ dtype: '|u1', shape: [16], data: Uint8Array.from({ length: 16 }, (_, i) => i % 10) }));
    const file = path.join(dir, 'fails.dynn.yaml');
    fs.writeFileSync(file, model(dirName));
    uri = vscode.Uri.file(file);
    // Earlier results of this model, persisted where a successful check would have put them.
    const earlier = makeResults();
    earlier.model = { ...earlier.model, name: 'run-failure-it', file: `${dirName}/fails.dynn.yaml` };
    resultsFile = path.join(root, '.dynn', 'results', 'run-failure-it.json');
    fs.mkdirSync(path.dirname(resultsFile), { recursive: true });
    earlierBytes = JSON.stringify(earlier);
    fs.writeFileSync(resultsFile, earlierBytes);
    weightsBefore = new Set(weightEntries());
    const ext = vscode.extensions.getExtension<Api>(EXTENSION_ID);
    assert.ok(ext, `${EXTENSION_ID} is not loaded`);
    api = await ext.activate();
    await vscode.commands.executeCommand('dynn.selectBackend', 'wasm');
    doc = await vscode.workspace.openTextDocument(uri);
    await vscode.window.showTextDocument(doc);
  });

  after(async () => {
    await vscode.workspace.getConfiguration('dynn').update('backend', undefined, vscode.ConfigurationTarget.Workspace);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    fs.rmSync(dir, { recursive: true, force: true });
    fs.rmSync(resultsFile, { force: true });
    // The weights this test trained (other tests' caches stay).
    for (const entry of weightEntries()) if (!weightsBefore.has(entry)) fs.rmSync(path.join(weightsDir(), entry), { recursive: true, force: true });
  });

  it('the check fails, a diagnostic sits on the train: value, the message says file:line:col, nothing is lost', async () => {
    await vscode.commands.executeCommand('dynn.showResults', uri);
    const before = await waitFor('the earlier results in the store', () => api.results.get(uri.toString()));
    await vscode.window.showTextDocument(doc);

    const outcome = await vscode.commands.executeCommand<Results | undefined>('dynn.runCheck', uri);
    assert.strictEqual(outcome, undefined, 'the check of a model without its data succeeded');
    assert.strictEqual(api.runner.runningOn(), undefined);
    const value = `${dirName}/missing.npy`;
    const offset = doc.getText().indexOf(value);
    const at = doc.positionAt(offset);
    const failure = api.runner.lastFailure() ?? '';
    assert.ok(failure.includes(`${value}: file or folder not found`), failure + tail());
    assert.ok(failure.includes(`At ${dirName}/fails.dynn.yaml:${at.line + 1}:${at.character + 1} (data.train).`), failure + tail());

    const [diagnostic, ...more] = await waitFor('the run diagnostic', () => {
      const d = runDiagnostics(uri);
      return d.length > 0 ? d : undefined;
    });
    assert.ok(diagnostic);
    assert.deepStrictEqual(more, []);
    assert.strictEqual(doc.getText(diagnostic.range), value);
    assert.strictEqual(diagnostic.severity, vscode.DiagnosticSeverity.Error);
    assert.strictEqual(diagnostic.code, 'run/data');
    assert.match(diagnostic.message, /missing\.npy: file or folder not found/);

    // Earlier results: the same object in the store, the same bytes on disk.
    assert.strictEqual(api.results.get(uri.toString()), before);
    assert.strictEqual(fs.readFileSync(resultsFile, 'utf8'), earlierBytes);
    assert.strictEqual(doc.isDirty, false, 'the model file was changed');

    // The editor answers as usual.
    const symbols = await vscode.commands.executeCommand<vscode.DocumentSymbol[]>('vscode.executeDocumentSymbolProvider', uri);
    assert.ok(symbols.length > 0);
    const lenses = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', uri);
    assert.ok(lenses.length > 0);
  });

  it('an edit of the file clears the run diagnostic', async () => {
    assert.strictEqual(runDiagnostics(uri).length, 1);
    const editor = await vscode.window.showTextDocument(doc);
    assert.ok(await editor.edit((b) => b.insert(new vscode.Position(0, 0), '# edited\n')));
    await waitFor('the run diagnostic to go after an edit', () => (runDiagnostics(uri).length === 0 ? true : undefined));
    await vscode.commands.executeCommand('undo');
    await doc.save();
  });

  it('the next successful run of the file clears it again', async () => {
    assert.strictEqual(await vscode.commands.executeCommand('dynn.trainModel', uri), undefined);
    await waitFor('the run diagnostic back', () => (runDiagnostics(uri).length === 1 ? true : undefined));
    fs.copyFileSync(path.join(dir, 'x.npy'), path.join(dir, 'missing.npy'));
    const trained = await vscode.commands.executeCommand('dynn.trainModel', uri);
    assert.ok(trained, `training failed: ${api.runner.lastFailure() ?? ''}${tail()}`);
    assert.deepStrictEqual(runDiagnostics(uri), []);
    assert.strictEqual(fs.readFileSync(resultsFile, 'utf8'), earlierBytes);
  });
});
