// Smoke test of the real-VS-Code harness: runs in the extension host (see test/integration/index.ts) on a temp
// copy of test/fixtures/workspace, with the extension under development loaded from the project folder.
import * as assert from 'assert';
import * as vscode from 'vscode';
import { EXTENSION_ID, waitFor } from './support';


/** Polls `probe` until it returns a value other than undefined; fails naming `what` after `timeoutMs`. */
function fixtureUri(relative: string): vscode.Uri {
  const folder = vscode.workspace.workspaceFolders?.[0];
  assert.ok(folder, 'the workbench opened no workspace folder');
  return vscode.Uri.joinPath(folder.uri, relative);
}

describe('harness: a real VS Code extension host', () => {
  it('opened the fixture workspace', async () => {
    const found = await vscode.workspace.findFiles('*.dynn.yaml');
    const names = found.map((u) => u.path.split('/').pop());
    for (const expected of ['broken-syntax.dynn.yaml', 'small.dynn.yaml']) {
      assert.ok(names.includes(expected), `${expected} is not in the workspace (found: ${names.join(', ')})`);
    }
  });

  it('loaded the extension under development and activates it', async () => {
    const ext = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(ext, `${EXTENSION_ID} is not loaded (extensionDevelopmentPath)`);
    await ext.activate();
    assert.strictEqual(ext.isActive, true);
  });

  it('gives .dynn.yaml files the dynn language', async () => {
    const doc = await vscode.workspace.openTextDocument(fixtureUri('small.dynn.yaml'));
    assert.strictEqual(doc.languageId, 'dynn');
  });

  it('registers every command the manifest contributes', async () => {
    const ext = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(ext);
    await ext.activate();
    const contributed = ((ext.packageJSON as { contributes?: { commands?: { command: string }[] } }).contributes?.commands ?? [])
      .map((c) => c.command);
    const registered = new Set(await vscode.commands.getCommands(true));
    assert.deepStrictEqual(contributed.filter((c) => !registered.has(c)), [], 'contributed but not registered');
  });

  it('reports a diagnostic for a file with broken YAML', async () => {
    const uri = fixtureUri('broken-syntax.dynn.yaml');
    await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(uri));
    const diagnostics = await waitFor('a diagnostic on broken-syntax.dynn.yaml', () => {
      const found = vscode.languages.getDiagnostics(uri);
      return found.length > 0 ? found : undefined;
    });
    assert.ok(diagnostics.some((d) => d.severity === vscode.DiagnosticSeverity.Error), 'no error among the diagnostics');
  });
});
