// The design loop in a real extension host: a small check run from the command (in the worker process, not the
// host), its results stored and persisted, lenses with the measured figures (stale after an edit), a results
// diagnostic and the fix of a measured suggestion, cancel stopping a run within a second or two, a killed worker reported with earlier
// results untouched, Select Backend writing the setting, and dynn.wasmThreads restarting the worker with its count.
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as vscode from 'vscode';
import type { Results } from '../../src/protocol/results';
import { EXTENSION_ID, closeModel, openModel, waitFor } from './support';
import { tinyMnistModel } from '../fixtures/tiny-mnist';


interface Api {
  tfjsLoaded(): boolean;
  workerStarted(): boolean;
  workerPid(): Promise<number | undefined>;
  backendStatus(): string;
  logLines(): readonly string[];
  results: { get(fileKey: string): Results | undefined; clear(uri: vscode.Uri): void };
  runner: { runningOn(): vscode.Uri | undefined; lastFailure(): string | undefined; partials(): readonly unknown[] };
}

// Tiny CNN with one internal exit and a permissive threshold (so attacks move samples between exits), trained for
// one epoch on 3% of the built-in digits; 40 test samples, two attacks of 3 steps.
const TINY = tinyMnistModel({ name: 'it-tiny', comment: 'Integration-test model: small enough to train and attack in seconds.', threshold: 0.2, epochs: 1, samples: 40, pgdEps: [0.2] });

// The same model with many PGD steps and samples: a run long enough to cancel or kill in the middle.
const LONG = TINY.replace('samples: 40', 'samples: 400').replace('steps: 3, loss: average', 'steps: 400, loss: average');

async function lensTitles(uri: vscode.Uri): Promise<string[]> {
  const lenses = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', uri);
  return lenses.map((l) => l.command?.title ?? '');
}

/** Sets both result limits in the workspace settings (undefined removes them). */
async function setLimits(hijackRate: number | undefined, slowdownCostIncrease: number | undefined): Promise<void> {
  const dynn = vscode.workspace.getConfiguration('dynn');
  await dynn.update('limits.hijackRate', hijackRate, vscode.ConfigurationTarget.Workspace);
  await dynn.update('limits.slowdownCostIncrease', slowdownCostIncrease, vscode.ConfigurationTarget.Workspace);
}

function resultDiagnostics(uri: vscode.Uri): vscode.Diagnostic[] {
  return vscode.languages.getDiagnostics(uri).filter((d) => d.source === 'DyNN Lens results');
}

/** The extension log's last lines, for failure messages (the host's console is not visible from outside). */
function tail(api: Api, n = 15): string {
  return `\nlast log lines:\n${api.logLines().slice(-n).join('\n')}`;
}

describe('design loop: checks from the editor, in the worker', function () {
  this.timeout(240_000);
  let folder: vscode.WorkspaceFolder;
  let dir: string;
  let uri: vscode.Uri;
  let doc: vscode.TextDocument;
  let api: Api;
  let first: Results;

  before(async () => {
    ({ folder, dir, uri, doc, api } = await openModel<Api>(`checks-test-${process.pid}`, 'tiny.dynn.yaml', TINY));
    // wasm is the fastest backend installed here; also checks that Select Backend writes the setting.
    await vscode.commands.executeCommand('dynn.selectBackend', 'wasm');
  });

  after(async () => {
    await setLimits(undefined, undefined);
    await vscode.workspace.getConfiguration('dynn').update('backend', undefined, vscode.ConfigurationTarget.Workspace);
    await closeModel(dir);
    fs.rmSync(path.join(folder.uri.fsPath, '.dynn', 'results', 'it-tiny.json'), { force: true });
  });

  it('Select Backend writes dynn.backend to the workspace settings', async () => {
    assert.strictEqual(vscode.workspace.getConfiguration('dynn').get('backend'), 'wasm');
    assert.strictEqual(vscode.workspace.getConfiguration('dynn').inspect('backend')?.workspaceValue, 'wasm');
    await vscode.commands.executeCommand('dynn.selectBackend', 'cpu');
    assert.strictEqual(vscode.workspace.getConfiguration('dynn').get('backend'), 'cpu');
    await vscode.commands.executeCommand('dynn.selectBackend', 'wasm');
    // A name that is not a backend is refused and leaves the setting alone.
    await vscode.commands.executeCommand('dynn.selectBackend', 'quantum');
    assert.strictEqual(vscode.workspace.getConfiguration('dynn').get('backend'), 'wasm');
  });

  it('runs the check from the command in the worker, stores and persists the results', async () => {
    const started = Date.now();
    const results = await vscode.commands.executeCommand<Results | undefined>('dynn.runCheck', uri);
    assert.ok(results, `the check returned nothing: ${api.runner.lastFailure() ?? 'no failure recorded'}${tail(api)}`);
    first = results;
    const seconds = (Date.now() - started) / 1000;
    assert.ok(seconds < 120, `the small check took ${seconds} s`);
    // Computed in the worker: a child process ran TF.js, the host never loaded it.
    const pid = await api.workerPid();
    assert.ok(pid !== undefined && pid !== process.pid, `worker pid ${String(pid)} vs host ${process.pid}`);
    assert.strictEqual(api.tfjsLoaded(), false, 'TF.js reached the extension host');
    assert.strictEqual(results.provenance.backend, 'wasm');
    assert.strictEqual(results.provenance.samples, 40);
    assert.deepStrictEqual(results.attacks.map((a) => a.id).sort(), ['hijack@0.2', 'pgd@0.2']);
    assert.deepStrictEqual(results.model.exitNames, ['exit1', 'final']);
    assert.strictEqual(results.model.file, `checks-test-${process.pid}/tiny.dynn.yaml`);
    // The partial results (each attack as measured) reached the runner while it ran; they are gone afterwards.
    assert.strictEqual(api.runner.runningOn(), undefined);
    // Stored, and persisted atomically under .dynn/results/.
    assert.strictEqual(api.results.get(uri.toString()), results);
    const saved = path.join(folder.uri.fsPath, '.dynn', 'results', 'it-tiny.json');
    const onDisk = JSON.parse(fs.readFileSync(saved, 'utf8')) as Results;
    assert.strictEqual(onDisk.provenance.date, results.provenance.date);
    assert.strictEqual(onDisk.model.specHash, results.model.specHash);
    assert.deepStrictEqual(fs.readdirSync(path.dirname(saved)).filter((n) => n.endsWith('.tmp')), [], 'a temporary file was left behind');
    assert.match(api.backendStatus(), /DyNN: CPU \(wasm\)/);
    // The log records the run with its duration.
    assert.ok(api.logLines().some((l) => /^\[info\] Run 'check' on checks-test-\d+\/tiny\.dynn\.yaml finished in [\d.]+ s$/.test(l)), tail(api));
  });

  it('puts the measured figures on the lenses and marks them stale after an edit', async () => {
    const titles = await lensTitles(uri);
    const model = titles[0] ?? '';
    assert.match(model, / · robust acc \d+% at (pgd|hijack) eps 0\.2 · clean acc \d+% · FLOPs \d+% clean vs \d+% under \w+ · CPU \(wasm\) · seed 0 · 40 samples · [\d.]+ s$/, model);
    assert.ok(titles.includes('Show Results'), titles.join(' | '));
    const exit = titles.find((t) => t.startsWith('exit exit1 · ')) ?? '';
    const share = Math.round(100 * (first.clean.exitDistribution[0] ?? -1));
    assert.match(exit, new RegExp(` · ${share}% exit here · hijack \\d+% at eps 0\\.2$`), exit);

    const editor = await vscode.window.showTextDocument(doc);
    const at = doc.getText().indexOf('threshold: 0.2');
    assert.ok(at >= 0);
    assert.ok(await editor.edit((b) => b.replace(new vscode.Range(doc.positionAt(at), doc.positionAt(at + 'threshold: 0.2'.length)), 'threshold: 0.3')));
    const stale = await waitFor('stale figures', async () => {
      const t = await lensTitles(uri);
      return t[0]?.endsWith(' · (stale)') ? t : undefined;
    });
    assert.ok(stale.find((t) => t.startsWith('exit exit1'))?.endsWith(' · (stale)'), stale.join(' | '));
    await vscode.commands.executeCommand('undo');
    await waitFor('fresh figures after undo', async () => {
      const t = await lensTitles(uri);
      return t[0] !== undefined && !t[0].includes('(stale)') ? t : undefined;
    });
  });

  it('warns where measured results pass the limits, and the quick fix edits the file undoably', async () => {
    // The tiny model on WASM (seed 3 training, seed 0 attacks) is hijacked at exit1 (82.5% under the hijack
    // attack, 15% under PGD, as `dynn-lens check --backend wasm` measures) and PGD raises its cost: both warn.
    const hijack = Math.max(...first.attacks.map((a) => a.hijackByExit[0] ?? 0));
    const slowdown = Math.max(...first.attacks.map((a) => (a.meanFlopsRatio - first.clean.meanFlopsRatio) / first.clean.meanFlopsRatio));
    assert.ok(hijack > 0.5, `the hijack attack hijacked ${hijack} of the samples at exit1 (82.5% expected)`);
    assert.ok(slowdown > 0, `no attack raised the cost (${slowdown})`);
    await setLimits(0, 0);
    const warnings = await waitFor('both results diagnostics', () => {
      const d = resultDiagnostics(uri);
      return d.some((x) => x.code === 'results/hijack-rate') && d.some((x) => x.code === 'results/slowdown-cost') ? d : undefined;
    });
    const hijackWarning = warnings.find((d) => d.code === 'results/hijack-rate');
    assert.ok(hijackWarning, warnings.map((d) => d.message).join(' | '));
    assert.strictEqual(doc.getText(hijackWarning.range), 'exit1');
    assert.match(hijackWarning.message, /^exit1: \d+% of samples exit here with a wrong answer under hijack \(hijack, eps 0\.2\); limit 0\.0%/);
    assert.strictEqual(hijackWarning.severity, vscode.DiagnosticSeverity.Warning);
    // Raising the limits clears them again.
    await setLimits(1, 100);
    await waitFor('no results diagnostics under generous limits', () => (resultDiagnostics(uri).length === 0 ? true : undefined));
    await setLimits(0, 0);
    await waitFor('the results diagnostics back', () => (resultDiagnostics(uri).length > 0 ? true : undefined));
  });

  it('sweeps the exit threshold and applies a measured suggestion, as a quick fix and through the panel path, as undoable edits', async () => {
    const swept = await vscode.commands.executeCommand<Results | undefined>('dynn.sweepThresholds', uri);
    assert.ok(swept, `the sweep returned nothing: ${api.runner.lastFailure() ?? ''}${tail(api)}`);
    assert.ok(swept.sweeps.length > 0, 'no sweep in the results');
    const before = doc.getText();
    // The sweep of this model measures two suggestions (remove exit1; set the policy threshold to 0.5), both
    // offered as quick fixes of the hijack warning and as the panel's Apply.
    const measured = swept.suggestions.filter((s) => s.target.kind === 'exit' || s.target.kind === 'policy');
    assert.ok(measured.length > 0, `the sweep measured no exit or policy suggestion: ${JSON.stringify(swept.suggestions.map((s) => s.title))}`);
    const warning = await waitFor('a hijack warning after the sweep', () => resultDiagnostics(uri).find((d) => d.code === 'results/hijack-rate'));
    const actions = await vscode.commands.executeCommand<vscode.CodeAction[]>('vscode.executeCodeActionProvider', uri, warning.range, vscode.CodeActionKind.QuickFix.value);
    const fixes = actions.filter((a) => a.title.startsWith('Apply measured suggestion: '));
    assert.ok(fixes.length > 0, `no suggestion fix among: ${actions.map((a) => a.title).join(' | ')}`);
    for (const fix of fixes) assert.ok(measured.some((m) => fix.title.includes(m.title)), `${fix.title} is not one of the measured suggestions`);
    const fix = fixes[0];
    assert.ok(fix?.edit);
    assert.ok(await vscode.workspace.applyEdit(fix.edit));
    const after = doc.getText();
    assert.notStrictEqual(after, before, 'the fix did not change the file');
    assert.ok(doc.isDirty);
    await waitFor('stale lenses after applying the suggestion', async () => ((await lensTitles(uri))[0]?.endsWith('(stale)') ? true : undefined));
    // Undo acts on the focused editor; the results panel opened beside it.
    await vscode.window.showTextDocument(doc);
    await vscode.commands.executeCommand('undo');
    assert.strictEqual(doc.getText(), before, 'undo did not restore the file');
    // The panel's Apply path, with a measured suggestion: the same kind of undoable edit.
    const policy = measured.find((m) => m.target.kind === 'policy');
    assert.ok(policy, `no measured policy suggestion: ${measured.map((m) => m.title).join(' | ')}`);
    assert.strictEqual(await vscode.commands.executeCommand('dynn.applySuggestion', uri, policy), true);
    assert.match(doc.getText(), new RegExp(`threshold: ${String(policy.change.value)}\\b`));
    await vscode.window.showTextDocument(doc);
    await vscode.commands.executeCommand('undo');
    assert.strictEqual(doc.getText(), before, 'undo did not restore the file after the panel path');
  });

  it("Run Attack runs one of the file's attacks, and adds an attack of a kind the file lacks before running it", async () => {
    const own = await vscode.commands.executeCommand<Results | undefined>('dynn.runAttack', uri, { attack: 'pgd', eps: [0.05, 0.1], samples: 20 });
    assert.ok(own, `${api.runner.lastFailure() ?? ''}${tail(api)}`);
    assert.deepStrictEqual(own.attacks.map((a) => a.id), ['pgd@0.05', 'pgd@0.1']);
    assert.strictEqual(own.provenance.samples, 20);
    const before = doc.getText();
    const added = await vscode.commands.executeCommand<Results | undefined>('dynn.runAttack', uri, { attack: 'slowdown', eps: 0.2, samples: 20 });
    assert.ok(added, `${api.runner.lastFailure() ?? ''}${tail(api)}`);
    assert.deepStrictEqual(added.attacks.map((a) => `${a.kind}:${a.id}`), ['slowdown:slowdown@0.2']);
    assert.ok(doc.getText().includes('- {id: slowdown, kind: slowdown, norm: linf, eps: [0.2]}'), doc.getText());
    // The added attack is an ordinary undoable edit.
    await vscode.window.showTextDocument(doc);
    await vscode.commands.executeCommand('undo');
    assert.strictEqual(doc.getText(), before);
    assert.strictEqual(doc.isDirty, false);
    // Bad arguments are refused with the reason, nothing runs.
    assert.strictEqual(await vscode.commands.executeCommand('dynn.runAttack', uri, { attack: 'nope' }), undefined);
    assert.ok(api.logLines().some((l) => l.includes('no attack "nope" in the file\'s checks')), tail(api));
  });

  it('reloads persisted results: from .dynn/results/ when the store has none, and when the file changes on disk', async () => {
    const stored = api.results.get(uri.toString());
    assert.ok(stored);
    api.results.clear(uri);
    assert.strictEqual(api.results.get(uri.toString()), undefined);
    await vscode.commands.executeCommand('dynn.showResults', uri);
    const loaded = api.results.get(uri.toString());
    assert.ok(loaded, `Show Results did not load the saved results${tail(api)}`);
    assert.strictEqual(loaded.provenance.date, stored.provenance.date);
    // A results file written by someone else (the CLI in a terminal) reaches the editor through the file watcher.
    const saved = path.join(folder.uri.fsPath, '.dynn', 'results', 'it-tiny.json');
    const edited = { ...loaded, provenance: { ...loaded.provenance, date: '2030-01-01T00:00:00.000Z', seconds: 42 } };
    fs.writeFileSync(saved, JSON.stringify(edited));
    const reloaded = await waitFor('the watcher to reload the results', () => {
      const r = api.results.get(uri.toString());
      return r?.provenance.date === '2030-01-01T00:00:00.000Z' ? r : undefined;
    });
    assert.ok((await lensTitles(uri))[0]?.includes(' · 42 s'));
    // A broken file is ignored (and logged), the results in memory stay.
    fs.writeFileSync(saved, '{ "version": 1, "model": ');
    await new Promise((resolve) => setTimeout(resolve, 1500));
    assert.strictEqual(api.results.get(uri.toString()), reloaded);
    fs.writeFileSync(saved, JSON.stringify(stored));
    await waitFor('the original results back', () => (api.results.get(uri.toString())?.provenance.date === stored.provenance.date ? true : undefined));
  });

  it('Install GPU Backend says exactly why a machine without an NVIDIA driver cannot use CUDA, and finds WebGPU there', async () => {
    // The command probes PATH for nvidia-smi in this process (the extension host): without it on PATH the answer is
    // the same on every machine, a GPU one included (where the command would otherwise ask to install).
    const hasSmi = (d: string): boolean => d !== '' && fs.existsSync(path.join(d, 'nvidia-smi'));
    const saved = process.env.PATH;
    process.env.PATH = (saved ?? '').split(path.delimiter).filter((d) => !hasSmi(d)).join(path.delimiter);
    let outcome: { installed: boolean; reasons: string[] } | undefined;
    try {
      outcome = await vscode.commands.executeCommand<{ installed: boolean; reasons: string[] } | undefined>('dynn.installGpuBackend');
    } finally {
      process.env.PATH = saved;
    }
    assert.ok(outcome, 'the command returned nothing');
    // WebGPU (webgpu + tfjs-backend-webgpu) resolves from the development folder's node_modules: nothing to install,
    // so no prompt; the CUDA backend is left out, with the reason.
    assert.strictEqual(outcome.installed, true);
    assert.ok(outcome.reasons.includes('no NVIDIA driver: nvidia-smi is not on PATH, so this machine has no usable NVIDIA GPU'), outcome.reasons.join(' | '));
    assert.ok(api.logLines().some((l) => l.startsWith(`[info] GPU backends left out: ${outcome.reasons.join('; ')}`)), tail(api));
  });

  it('the walkthrough opens the main example, copied into the workspace, and its media exist', async () => {
    const target = path.join(folder.uri.fsPath, 'mnist-sdn.dynn.yaml');
    fs.rmSync(target, { force: true });
    const opened = await vscode.commands.executeCommand<vscode.Uri | undefined>('dynn.openExample', 'copy');
    assert.strictEqual(opened?.fsPath, target);
    assert.ok(fs.readFileSync(target, 'utf8').includes('name: mnist-sdn'));
    assert.strictEqual(vscode.window.activeTextEditor?.document.uri.fsPath, target);
    const ext = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(ext);
    const walkthroughs = (ext.packageJSON as { contributes: { walkthroughs: { steps: { media: { markdown?: string } }[] }[] } }).contributes.walkthroughs;
    const media = walkthroughs.flatMap((w) => w.steps.map((st) => st.media.markdown ?? ''));
    assert.strictEqual(media.length, 5);
    for (const m of media) assert.ok(fs.existsSync(path.join(ext.extensionPath, m)), `missing walkthrough media ${m}`);
    await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
    fs.rmSync(target, { force: true });
  });

  it('cancels a running check within two seconds and keeps the earlier results', async () => {
    const kept = api.results.get(uri.toString());
    assert.ok(kept);
    fs.writeFileSync(uri.fsPath, LONG);
    await waitFor('the long model to be loaded', () => (doc.getText().includes('samples: 400') ? true : undefined));
    const run = vscode.commands.executeCommand<Results | undefined>('dynn.runCheck', uri);
    // Wait until the attacks are under way (the model is trained and cached from the first run).
    await waitFor('the check to run', () => (api.runner.runningOn() ? true : undefined));
    await new Promise((resolve) => setTimeout(resolve, 3000));
    assert.ok(api.runner.runningOn(), 'the long check finished before it could be cancelled');
    assert.match(api.backendStatus(), /check running on CPU \(wasm\)/);
    const cancelledAt = Date.now();
    await vscode.commands.executeCommand('dynn.cancelRun');
    const outcome = await run;
    const took = Date.now() - cancelledAt;
    assert.strictEqual(outcome, undefined);
    assert.ok(took < 2000, `cancel took ${took} ms`);
    assert.match(api.runner.lastFailure() ?? '', /cancel/i);
    assert.strictEqual(api.results.get(uri.toString()), kept, 'a cancelled run replaced the results');
  });

  it('reports a worker that dies mid-run with its last words, earlier results untouched', async () => {
    const kept = api.results.get(uri.toString());
    const run = vscode.commands.executeCommand<Results | undefined>('dynn.runCheck', uri);
    await waitFor('the check to run', () => (api.runner.runningOn() ? true : undefined));
    const pid = await waitFor('the worker pid', () => api.workerPid());
    await new Promise((resolve) => setTimeout(resolve, 1000));
    process.kill(pid, 'SIGKILL');
    assert.strictEqual(await run, undefined);
    assert.match(api.runner.lastFailure() ?? '', /The DyNN worker was killed by SIGKILL while running 'check'/);
    assert.strictEqual(api.results.get(uri.toString()), kept);
    // The next run starts a fresh worker.
    fs.writeFileSync(uri.fsPath, TINY);
    await waitFor('the tiny model back', () => (doc.getText().includes('samples: 40\n') ? true : undefined));
    const again = await vscode.commands.executeCommand<Results | undefined>('dynn.runCheck', uri);
    assert.ok(again, `${api.runner.lastFailure() ?? ''}${tail(api)}`);
    assert.notStrictEqual(await api.workerPid(), pid);
  });

  it('runs the WASM backend with the threads dynn.wasmThreads asks for, restarting an idle worker', async () => {
    const dynn = (): vscode.WorkspaceConfiguration => vscode.workspace.getConfiguration('dynn');
    const pid = await api.workerPid();
    await dynn().update('wasmThreads', 1, vscode.ConfigurationTarget.Workspace);
    try {
      const one = await vscode.commands.executeCommand<Results | undefined>('dynn.runCheck', uri);
      assert.ok(one, `${api.runner.lastFailure() ?? ''}${tail(api)}`);
      assert.match(one.provenance.backendReason, /wasm with SIMD, single-threaded \(1 thread requested\)/);
      assert.notStrictEqual(await api.workerPid(), pid, 'the worker was not restarted for the new thread count');
    } finally {
      await dynn().update('wasmThreads', undefined, vscode.ConfigurationTarget.Workspace);
    }
    const two = await vscode.commands.executeCommand<Results | undefined>('dynn.runCheck', uri);
    assert.ok(two, `${api.runner.lastFailure() ?? ''}${tail(api)}`);
    assert.match(two.provenance.backendReason, os.cpus().length > 1 ? /wasm with SIMD, \d+ threads/ : /single-threaded/);
  });
});
