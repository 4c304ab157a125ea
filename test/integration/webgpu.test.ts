// A check on WebGPU from the editor (#15): with dynn.backend "webgpu" the worker runs the check on Dawn's adapter
// (here SwiftShader's software Vulkan, which test/harness/integration.js puts in the host's environment) and the
// adapter is named in the results' provenance, as the panel shows it, and on the lens. The weights are trained
// on WASM first (the weight cache does not depend on the backend), so the software adapter only runs the check.
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import type { Results } from '../../src/protocol/results';
import { provenanceRows } from '../../src/panel/model/tables';
import { closeModel, openModel } from './support';
import { tinyMnistModel } from '../fixtures/tiny-mnist';

interface Api {
  runner: { lastFailure(): string | undefined };
  logLines(): readonly string[];
}

const MODEL = tinyMnistModel({ name: 'it-webgpu', threshold: 0.2, epochs: 1, samples: 8, pgdEps: [0.2] });

describe('a check on WebGPU from the editor', function () {
  this.timeout(240_000);
  let folder: vscode.WorkspaceFolder;
  let dir: string;
  let uri: vscode.Uri;
  let api: Api;

  before(async () => {
    ({ folder, dir, uri, api } = await openModel<Api>(`webgpu-test-${process.pid}`, 'gpu.dynn.yaml', MODEL));
  });
  after(async () => {
    await vscode.workspace.getConfiguration('dynn').update('backend', undefined, vscode.ConfigurationTarget.Workspace);
    await closeModel(dir);
    fs.rmSync(path.join(folder.uri.fsPath, '.dynn', 'results', 'it-webgpu.json'), { force: true });
  });

  it('runs with dynn.backend webgpu and names the adapter in the provenance the panel shows', async () => {
    const run = async (): Promise<Results> => {
      const results = await vscode.commands.executeCommand<Results | undefined>('dynn.runCheck', uri);
      assert.ok(results, `the check returned nothing: ${api.runner.lastFailure() ?? 'no failure recorded'}\n${api.logLines().slice(-15).join('\n')}`);
      return results;
    };
    await vscode.commands.executeCommand('dynn.selectBackend', 'wasm');
    const wasm = await run();
    assert.strictEqual(wasm.provenance.backend, 'wasm');
    await vscode.commands.executeCommand('dynn.selectBackend', 'webgpu');
    assert.strictEqual(vscode.workspace.getConfiguration('dynn').get('backend'), 'webgpu');
    const gpu = await run();
    assert.strictEqual(gpu.provenance.backend, 'webgpu', gpu.provenance.backendReason);
    const shown = provenanceRows(gpu).find(([k]) => k === 'backend')?.[1] ?? '';
    // "webgpu: webgpu requested (google swiftshader (SwiftShader driver 5.0.0) on Vulkan, a software adapter: ...)"
    assert.match(shown, /^webgpu: webgpu requested \(.+ on (Vulkan|Metal|D3D12)/, shown);
    if (/swiftshader/i.test(shown)) assert.match(shown, /a software adapter: figures are not a GPU's/);
    assert.deepStrictEqual(gpu.attacks.map((a) => a.id).sort(), wasm.attacks.map((a) => a.id).sort());
    assert.ok(/webgpu/.test(gpu.provenance.weights) === false && /cache/.test(gpu.provenance.weights), `weights: ${gpu.provenance.weights}`);
  });
});
