// Restricted mode in a real extension host: the workbench opened the folder untrusted (code-server with workspace
// trust enforced). Parsing, validation and advice still work; every command that would load weights, train or run
// checks refuses with a message, starts no worker and writes nothing under .dynn/; the restricted `dynn.backend`
// setting of the workspace is ignored while an unrestricted one applies.
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import type { Diagnostic as Finding } from '../../src/modelfile/types';
import { LENS_FIXTURE } from '../unit/extension/fixture';
import { closeModel, openModel, positionOf, waitFor } from '../integration/support';

const REFUSAL = 'needs a trusted workspace';

interface Api {
  findingsFor(uri: vscode.Uri): Finding[] | undefined;
  tfjsLoaded(): boolean;
  workerStarted(): boolean;
  workerPid(): Promise<number | undefined>;
  logLines(): readonly string[];
}

/** The guarded commands, the action their refusal names, and arguments that would run them without any prompt. */
const GUARDED: readonly { id: string; action: string; args: (uri: vscode.Uri) => unknown[] }[] = [
  { id: 'dynn.runCheck', action: 'Running the checks', args: (uri) => [uri] },
  { id: 'dynn.trainModel', action: 'Training the model', args: (uri) => [uri] },
  { id: 'dynn.runAttack', action: 'Running an attack', args: (uri) => [uri, { attack: 'fgsm', eps: 0.1, samples: 2 }] },
  { id: 'dynn.reproduceStudy', action: "Reproducing the paper's study", args: (uri) => [uri] },
  { id: 'dynn.showBackend', action: 'Showing the compute backend', args: () => [] },
  { id: 'dynn.sweepThresholds', action: 'Sweeping exit thresholds', args: (uri) => [uri] },
  { id: 'dynn.compareStatic', action: 'Comparing with the static twin', args: (uri) => [uri] },
  { id: 'dynn.compareAdversarialTraining', action: 'Comparing with adversarial training', args: (uri) => [uri] },
  { id: 'dynn.installGpuBackend', action: 'Installing the GPU backend', args: () => [] },
];

/** Command lines of live processes running the extension's worker bundle (Linux /proc; empty elsewhere). */
function workerProcesses(): string[] {
  if (!fs.existsSync('/proc')) return [];
  const found: string[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let cmdline: string;
    try {
      cmdline = fs.readFileSync(path.join('/proc', entry, 'cmdline'), 'utf8').split('\0').join(' ');
    } catch {
      continue; // exited meanwhile, or not ours to read
    }
    if (/[\\/]dist[\\/]worker\.js\b/.test(cmdline)) found.push(`${entry}: ${cmdline.trim()}`);
  }
  return found;
}

describe('untrusted workspace: restricted mode in a real extension host', function () {
  this.timeout(60_000);
  let folder: vscode.WorkspaceFolder;
  let dir: string;
  let uri: vscode.Uri;
  let doc: vscode.TextDocument;
  let api: Api;

  before(async () => {
    ({ folder, dir, uri, doc, api } = await openModel<Api>(`.untrusted-test-${process.pid}`, 'lens.dynn.yaml', LENS_FIXTURE));
  });

  after(async () => {
    await closeModel(dir);
  });

  it('runs in an untrusted workspace, and the extension activated there', () => {
    assert.strictEqual(vscode.workspace.isTrusted, false, 'the workbench opened the folder trusted: the harness did not enforce workspace trust');
    assert.ok(api.logLines().some((l) => l.includes('workspace trusted: false')), `activation log: ${api.logLines().join(' | ')}`);
    assert.strictEqual(api.workerStarted(), false, 'activation started the worker');
    assert.strictEqual(api.tfjsLoaded(), false, 'activation loaded TF.js');
  });

  it('still publishes the design findings', async () => {
    const diagnostics = await waitFor('diagnostics on lens.dynn.yaml', () => {
      const found = vscode.languages.getDiagnostics(uri);
      return found.length > 0 ? found : undefined;
    });
    assert.deepStrictEqual(diagnostics.map((d) => String(typeof d.code === 'object' ? d.code.value : d.code)).sort(), ['gate-placement', 'input-range-unbounded']);
    assert.ok(diagnostics.every((d) => d.source === 'DyNN Lens'));
    assert.ok(api.findingsFor(uri)?.some((f) => f.code === 'input-range-unbounded' && (f.fixes?.length ?? 0) > 0), 'the advice lost its quick fix');
  });

  it('still hovers with shapes, parameters and FLOPs', async () => {
    const hovers = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', uri, positionOf(doc, 'conv2, filters'));
    const text = hovers.flatMap((h) => h.contents).map((c) => (typeof c === 'string' ? c : c.value)).join('\n');
    assert.ok(text.includes('**Layer `conv2`** · `conv2d`'), text);
    assert.ok(text.includes('- Parameters: 1,168'), text);
  });

  it('still shows the cost lenses', async () => {
    const lenses = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', uri);
    const titles = lenses.map((l) => l.command?.title ?? '');
    assert.ok(titles.includes('2.4 MFLOPs full · best 0.6 · worst 2.4 · 8.6k params'), titles.join(' | '));
    assert.ok(titles.includes('exit e1 · 25% of FLOPs · max-prob ≥ 0.95'), titles.join(' | '));
    assert.ok(titles.includes('gate g1 · skips 76% of FLOPs when closed · fires at ≥ 0.50'), titles.join(' | '));
  });

  for (const command of GUARDED) {
    it(`${command.id} refuses with a message and starts no worker`, async () => {
      // A worker left by an earlier command would make this test's check meaningless: say so instead.
      assert.strictEqual(api.workerStarted(), false, `a worker already runs before ${command.id} (an earlier command started it)`);
      const before = api.logLines().length;
      const result = await vscode.commands.executeCommand<unknown>(command.id, ...command.args(uri));
      assert.strictEqual(result, undefined, `${command.id} returned ${JSON.stringify(result)}`);
      const logged = api.logLines().slice(before);
      const refusal = logged.find((l) => l.includes(REFUSAL));
      assert.ok(refusal, `${command.id} logged no refusal; it logged: ${logged.join(' | ') || '(nothing)'}`);
      assert.ok(refusal.includes(command.action) && refusal.includes('Manage Workspace Trust'), refusal);
      assert.ok(!logged.some((l) => l.startsWith('[error]')), `${command.id} failed instead of refusing: ${logged.join(' | ')}`);
      assert.strictEqual(api.workerStarted(), false, `${command.id} started the worker`);
      assert.strictEqual(await api.workerPid(), undefined, `${command.id} left a worker process`);
    });
  }

  it('left no worker process, no TF.js and nothing under .dynn/', () => {
    assert.deepStrictEqual(workerProcesses(), [], 'worker processes are running');
    assert.strictEqual(api.tfjsLoaded(), false, 'TF.js was loaded into the extension host');
    for (const base of [folder.uri.fsPath, dir]) {
      const dynn = path.join(base, '.dynn');
      assert.ok(!fs.existsSync(dynn), `${dynn} exists: ${fs.existsSync(dynn) ? fs.readdirSync(dynn, { recursive: true }).join(', ') : ''}`);
    }
  });

  it('ignores the restricted dynn.backend of the workspace and applies its unrestricted settings', () => {
    const settings = path.join(folder.uri.fsPath, '.vscode', 'settings.json');
    const written = JSON.parse(fs.readFileSync(settings, 'utf8')) as Record<string, unknown>;
    assert.strictEqual(written['dynn.backend'], 'wasm', 'the harness did not put dynn.backend into the workspace settings');
    const config = vscode.workspace.getConfiguration('dynn');
    // The unrestricted setting beside it applies, so the file was read and only the restricted one was dropped.
    assert.strictEqual(config.get('diagnostics.debounceMs'), written['dynn.diagnostics.debounceMs']);
    assert.strictEqual(config.get('backend'), 'auto', 'the workspace chose the compute backend in restricted mode');
  });
});
