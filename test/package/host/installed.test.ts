// The extension as a user gets it: installed from the VSIX into code-server's extensions folder (the development
// folder of this run only carries these tests). It activates from the installed files, registers every command
// it contributes, analyses a model file, and its worker trains and attacks a tiny model with the bundled WASM
// binaries and digits (no node_modules there).
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import type { Results } from '../../../src/protocol/results';
import { tinyMnistModel } from '../../fixtures/tiny-mnist';
import { EXTENSION_ID, closeModel, openModel, waitFor } from '../../integration/support';

interface Manifest {
  version: string;
  contributes: { commands: { command: string }[] };
}

describe('the installed VSIX', function () {
  this.timeout(120_000);
  const installedRoot = fs.realpathSync(process.env.DYNN_INSTALLED_EXTENSIONS ?? '(DYNN_INSTALLED_EXTENSIONS not set)');

  it('is the copy in the extensions folder, with no node_modules beside it', () => {
    const ext = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(ext, `${EXTENSION_ID} is not installed`);
    const where = fs.realpathSync(ext.extensionPath);
    assert.ok(where.startsWith(installedRoot + path.sep), `loaded from ${where}, not from ${installedRoot}`);
    assert.strictEqual((ext.packageJSON as Manifest).version, process.env.DYNN_EXPECTED_VERSION);
    assert.ok(fs.existsSync(path.join(where, 'dist', 'extension.js')));
    assert.strictEqual(fs.existsSync(path.join(where, 'node_modules')), false);
  });

  it('activates on a model file, registers every contributed command and publishes its findings', async () => {
    const folder = vscode.workspace.workspaceFolders?.[0];
    assert.ok(folder);
    const uri = vscode.Uri.file(path.join(folder.uri.fsPath, 'examples', 'risky.dynn.yaml'));
    await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(uri));
    const ext = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(ext);
    await waitFor('the extension to activate on the model file', () => (ext.isActive ? true : undefined));
    const registered = new Set(await vscode.commands.getCommands(true));
    const missing = (ext.packageJSON as Manifest).contributes.commands.map((c) => c.command).filter((c) => !registered.has(c));
    assert.deepStrictEqual(missing, []);
    const findings = await waitFor('the design findings of risky.dynn.yaml', () => {
      const d = vscode.languages.getDiagnostics(uri).filter((x) => x.source === 'DyNN Lens');
      return d.length > 0 ? d : undefined;
    });
    const codes = new Set(findings.map((d) => String(typeof d.code === 'object' ? d.code.value : d.code)));
    for (const code of ['exit-threshold-permissive', 'exit-weight-zero', 'attack-eps-collapses-inputs']) assert.ok(codes.has(code), `no ${code} among ${[...codes].join(', ')}`);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it("trains and checks a tiny model in the packaged worker, on the bundled WASM backend", async () => {
    const text = tinyMnistModel({ name: 'shipped-tiny', threshold: 0.5, epochs: 1, samples: 16, pgdEps: [0.1] });
    const { dir, uri } = await openModel<unknown>(`installed-${process.pid}`, 'tiny.dynn.yaml', text);
    try {
      const results = await vscode.commands.executeCommand<Results | undefined>('dynn.runCheck', uri);
      assert.ok(results, 'the check returned nothing (see the DyNN log)');
      assert.strictEqual(results.provenance.backend, 'wasm');
      assert.match(results.provenance.backendReason, /tfjs-node not installed/);
      assert.strictEqual(results.provenance.samples, 16);
      assert.deepStrictEqual(results.attacks.map((a) => a.id).sort(), ['hijack@0.2', 'pgd@0.1']);
      for (const a of results.attacks) assert.ok(a.robustAccuracy >= 0 && a.robustAccuracy <= 1, `${a.id}: ${a.robustAccuracy}`);
    } finally {
      await closeModel(dir);
    }
  });
});
