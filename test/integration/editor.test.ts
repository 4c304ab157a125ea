// The editor features inside a real VS Code extension host: diagnostics, hover, outline, code lenses, quick fix
// with undo, YAML completion, the template command, and that activation loaded no TF.js.
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import type { Diagnostic as Finding } from '../../src/modelfile/types';
import type { Results } from '../../src/protocol/results';
import type { InfoResult } from '../../src/protocol/jobs';
import { LENS_FIXTURE } from '../unit/extension/fixture';
import { cloneResults } from '../unit/panel/fixtures';
import { closeModel, openModel, positionOf, waitFor } from './support';


interface ResultsStoreApi {
  set(fileKey: string, results: Results): void;
  clear(uri: vscode.Uri): void;
}

interface Api {
  analysisFor(uri: vscode.Uri): unknown;
  findingsFor(uri: vscode.Uri): Finding[] | undefined;
  tfjsLoaded(): boolean;
  workerStarted(): boolean;
  results: ResultsStoreApi;
}

// The same model the editor unit tests check by hand in plain Node.
const MODEL = LENS_FIXTURE;

function hoverText(hovers: vscode.Hover[]): string {
  return hovers
    .flatMap((h) => h.contents)
    .map((c) => (typeof c === 'string' ? c : c.value))
    .join('\n');
}

/** The findings' codes, sorted, as the Problems view would list them. */
function codes(diagnostics: readonly vscode.Diagnostic[]): string[] {
  return diagnostics.map((d) => String(typeof d.code === 'object' ? d.code.value : d.code)).sort();
}

/** Applies core edits (offsets into `text`) back to front, as the core defines them. */
function applyEdits(text: string, edits: readonly { span: { start: number; end: number }; newText: string }[]): string {
  let out = text;
  for (const e of [...edits].sort((a, b) => b.span.start - a.span.start)) out = out.slice(0, e.span.start) + e.newText + out.slice(e.span.end);
  return out;
}

describe('editor: language features in a real extension host', function () {
  this.timeout(60_000);
  let dir: string;
  let uri: vscode.Uri;
  let doc: vscode.TextDocument;
  let api: Api;

  before(async () => {
    ({ dir, uri, doc, api } = await openModel<Api>(`.editor-test-${process.pid}`, 'lens.dynn.yaml', MODEL));
  });

  after(async () => {
    await closeModel(dir);
  });

  it('activated without loading TF.js', () => {
    assert.strictEqual(api.tfjsLoaded(), false, 'the extension reports TF.js loaded');
    const tf = Object.keys(require.cache).filter((k) => /[\\/]@tensorflow[\\/]/.test(k));
    assert.deepStrictEqual(tf, [], 'TF.js modules in require.cache');
    assert.strictEqual('_tfengine' in globalThis, false, 'a TF.js engine is registered on the global object');
    assert.strictEqual(api.workerStarted(), false, 'activation started the worker');
  });

  it('publishes the design findings with code, range and source', async () => {
    const diagnostics = await waitFor('diagnostics on lens.dynn.yaml', () => {
      const found = vscode.languages.getDiagnostics(uri);
      return found.length > 0 ? found : undefined;
    });
    assert.deepStrictEqual(codes(diagnostics), ['gate-placement', 'input-range-unbounded']);
    for (const d of diagnostics) assert.strictEqual(d.source, 'DyNN Lens');
    const range = diagnostics.find((d) => d.code === 'input-range-unbounded')?.range;
    assert.ok(range);
    assert.strictEqual(doc.getText(range), 'input', 'input-range-unbounded underlines the `input` key');
    assert.strictEqual(diagnostics.find((d) => d.code === 'gate-placement')?.severity, vscode.DiagnosticSeverity.Warning);
  });

  it('hovers over a layer with shapes, parameters and FLOPs', async () => {
    const hovers = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', uri, positionOf(doc, 'conv2, filters'));
    const text = hoverText(hovers);
    assert.ok(text.includes('**Layer `conv2`** · `conv2d`'), text);
    assert.ok(text.includes('- Output shape: 14 × 14 × 16'), text);
    assert.ok(text.includes('- Parameters: 1,168'), text);
    assert.ok(text.includes('- FLOPs: 454,720 (19% of the full network)'), text);
    assert.ok(text.includes('- Cumulative FLOPs: 580,160 (24% of the full network)'), text);
  });

  it('hovers over a gate with the advice that names it', async () => {
    const hovers = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', uri, positionOf(doc, 'block: res1'));
    const text = hoverText(hovers);
    assert.ok(text.includes('**Gate `g1`** · decides whether block `res1` runs'), text);
    assert.ok(text.includes('- Block FLOPs saved when closed: 1,815,744 (76% of the full network)'), text);
    assert.ok(text.includes("- `gate-placement` Gate 'g1'"), text);
  });

  it('hovers over an exit with its rule and cost', async () => {
    const hovers = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', uri, positionOf(doc, 'after: conv2'));
    const text = hoverText(hovers);
    assert.ok(text.includes('a sample leaves here when max-prob ≥ 0.95'), text);
    assert.ok(text.includes('- FLOPs to leave here: 594,250 (cumulative 25% of the full network)'), text);
  });

  it('outlines backbone, exits and gates, with the block body nested', async () => {
    const symbols = await vscode.commands.executeCommand<vscode.DocumentSymbol[]>('vscode.executeDocumentSymbolProvider', uri);
    const tree = (ss: vscode.DocumentSymbol[]): unknown[] => ss.map((s) => (s.children.length ? [s.name, tree(s.children)] : s.name));
    assert.deepStrictEqual(tree(symbols), [
      ['backbone', ['conv1', 'pool1', 'conv2', ['res1', ['res1a', 'res1b']], 'gap', 'logits']],
      ['exits', ['e1']],
      ['gates', ['g1']],
    ]);
    const e1 = symbols[1]?.children[0];
    assert.strictEqual(e1?.detail, 'after conv2 · max-prob ≥ 0.95');
    assert.strictEqual(e1?.kind, vscode.SymbolKind.Event);
  });

  it('shows cost lenses over the model, the exit and the gate', async () => {
    const lenses = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', uri);
    const shown = lenses.map((l) => [l.range.start.line, l.command?.title]);
    assert.deepStrictEqual(shown, [
      [positionOf(doc, 'name: lens-fixture').line, '2.4 MFLOPs full · best 0.6 · worst 2.4 · 8.6k params'],
      [positionOf(doc, 'name: lens-fixture').line, '$(play) Check'],
      [positionOf(doc, 'name: e1').line, 'exit e1 · 25% of FLOPs · max-prob ≥ 0.95'],
      [positionOf(doc, 'name: e1').line, 'Check'],
      [positionOf(doc, 'name: g1').line, 'gate g1 · skips 76% of FLOPs when closed · fires at ≥ 0.50'],
      [positionOf(doc, 'name: g1').line, 'Check'],
    ]);
    assert.ok(lenses.filter((l) => /Check/.test(l.command?.title ?? '')).every((l) => l.command?.command === 'dynn.runCheck' && String(l.command.arguments?.[0]) === uri.toString()));
  });

  it('adds the measured figures of stored results to the lenses, with Show Results, and drops them when cleared', async () => {
    const analysis = api.analysisFor(uri) as { specHash?: string } | undefined;
    assert.ok(analysis?.specHash);
    const results = cloneResults();
    results.model = { ...results.model, name: 'lens-fixture', specHash: analysis.specHash, exitNames: ['e1', 'final'], gateNames: ['g1'] };
    results.clean.exitDistribution = [0.7, 0.3];
    for (const a of results.attacks) a.hijackByExit = [0.04];
    api.results.set(uri.toString(), results);
    const lenses = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', uri);
    assert.deepStrictEqual(
      lenses.map((l) => [l.command?.title, l.command?.command]),
      [
        ['2.4 MFLOPs full · best 0.6 · worst 2.4 · 8.6k params · robust acc 12% at pgd eps 0.3 · clean acc 96% · FLOPs 40% clean vs 52% under pgd · CPU (wasm) · seed 1234 · 500 samples · 73 s', ''],
        ['$(play) Check', 'dynn.runCheck'],
        ['Show Results', 'dynn.showResults'],
        ['exit e1 · 25% of FLOPs · max-prob ≥ 0.95 · 70% exit here · hijack 4% at eps 0.1', ''],
        ['Check', 'dynn.runCheck'],
        ['gate g1 · skips 76% of FLOPs when closed · fires at ≥ 0.50 · runs 64% clean · 90% under pgd', ''],
        ['Check', 'dynn.runCheck'],
      ],
    );
    api.results.clear(uri);
    const after = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', uri);
    assert.strictEqual(after.length, 6);
  });

  it('serves *.dynn.json as JSON (schema from jsonValidation) with our findings, lenses and outline', async () => {
    const file = path.join(dir, 'lens.dynn.json');
    fs.writeFileSync(
      file,
      JSON.stringify(
        {
          dynn: 1,
          name: 'json-fixture',
          input: { shape: [28, 28, 1] },
          classes: 10,
          backbone: [
            { type: 'conv2d', name: 'conv1', filters: 8, kernel: 3, activation: 'relu' },
            { type: 'maxPool', name: 'pool1', size: 2 },
            { type: 'conv2d', name: 'conv2', filters: 16, kernel: 3, activation: 'relu' },
            { type: 'globalPool', name: 'gap' },
            { type: 'dense', name: 'logits', units: 10 },
          ],
          exits: [{ name: 'e1', after: 'conv2', threshold: 0.95 }],
        },
        null,
        2,
      ),
    );
    const jsonUri = vscode.Uri.file(file);
    const jsonDoc = await vscode.workspace.openTextDocument(jsonUri);
    assert.strictEqual(jsonDoc.languageId, 'json');
    const diagnostics = await waitFor('diagnostics on lens.dynn.json', () => {
      const ours = vscode.languages.getDiagnostics(jsonUri).filter((d) => d.source === 'DyNN Lens');
      return ours.length > 0 ? ours : undefined;
    });
    assert.deepStrictEqual(codes(diagnostics), ['input-range-unbounded']);
    const lenses = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', jsonUri);
    const titles = lenses.map((l) => l.command?.title ?? '');
    assert.strictEqual(titles.length, 4, titles.join(' | '));
    assert.ok(titles[2]?.startsWith('exit e1 · ') && titles[2].endsWith(' · max-prob ≥ 0.95'), titles.join(' | '));
    assert.deepStrictEqual([titles[1], titles[3]], ['$(play) Check', 'Check']);
    const symbols = await vscode.commands.executeCommand<vscode.DocumentSymbol[]>('vscode.executeDocumentSymbolProvider', jsonUri);
    // VS Code's JSON outline and ours both answer; ours is the one with the layer names under `backbone`.
    const backbone = symbols.find((s) => s.name === 'backbone' && s.children.some((c) => c.name === 'conv1'));
    assert.ok(backbone, `no DyNN outline among: ${symbols.map((s) => s.name).join(', ')}`);
    assert.deepStrictEqual(backbone.children.map((c) => c.name), ['conv1', 'pool1', 'conv2', 'gap', 'logits']);

    // Schema errors come from VS Code's JSON service only, not twice.
    const editor = await vscode.window.showTextDocument(jsonDoc);
    const at = jsonDoc.getText().indexOf('"classes": 10');
    assert.ok(at >= 0);
    await editor.edit((b) => b.replace(new vscode.Range(jsonDoc.positionAt(at), jsonDoc.positionAt(at + '"classes": 10'.length)), '"classes": "ten"'));
    await waitFor('the JSON service to flag "classes": "ten"', () => {
      const all = vscode.languages.getDiagnostics(jsonUri);
      return all.some((d) => d.source !== 'DyNN Lens' && jsonDoc.getText(d.range) === '"ten"') ? all : undefined;
    });
    // Our analysis saw the same error; give the debounced publisher time to (wrongly) repeat it.
    await waitFor('DyNN Lens to analyse the edit', () => (api.findingsFor(jsonUri)?.some((f) => f.source === 'schema') ? true : undefined));
    await new Promise((resolve) => setTimeout(resolve, 600));
    const ours = vscode.languages.getDiagnostics(jsonUri).filter((d) => d.source === 'DyNN Lens' && jsonDoc.getText(d.range) === '"ten"');
    assert.deepStrictEqual(ours.map((d) => d.message), [], 'DyNN Lens repeated a schema error on a JSON model');
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
  });

  it('offers layer types when completing a `type:` value in YAML', async () => {
    const scratch = await vscode.workspace.openTextDocument({ language: 'dynn', content: 'dynn: 1\nbackbone:\n  - type: ' });
    const end = scratch.positionAt(scratch.getText().length);
    const list = await vscode.commands.executeCommand<vscode.CompletionList>('vscode.executeCompletionItemProvider', scratch.uri, end);
    const labels = list.items.map((i) => (typeof i.label === 'string' ? i.label : i.label.label));
    for (const t of ['conv2d', 'dense', 'residual', 'mixedPool']) assert.ok(labels.includes(t), `no "${t}" in ${labels.join(', ')}`);
  });

  it('applies the input-range quick fix as an undoable edit', async () => {
    const editor = await vscode.window.showTextDocument(doc);
    const before = doc.getText();
    const diagnostic = vscode.languages.getDiagnostics(uri).find((d) => d.code === 'input-range-unbounded');
    assert.ok(diagnostic, 'no input-range-unbounded diagnostic');
    const actions = await vscode.commands.executeCommand<vscode.CodeAction[]>('vscode.executeCodeActionProvider', uri, diagnostic.range, vscode.CodeActionKind.QuickFix.value);
    const fix = actions.find((a) => a.title === 'Declare range: [0, 1]');
    assert.ok(fix?.edit, `no "Declare range: [0, 1]" fix among: ${actions.map((a) => a.title).join(', ')}`);
    assert.strictEqual(fix.kind?.value, vscode.CodeActionKind.QuickFix.value);

    const finding = api.findingsFor(uri)?.find((f) => f.code === 'input-range-unbounded');
    assert.ok(finding?.fixes?.[0], 'the API has no fix for the finding');
    const expected = applyEdits(before, finding.fixes[0].edits);
    assert.ok(expected.includes('input:\n  range: [0, 1]\n  shape: [28, 28, 1]\n'), expected);

    assert.strictEqual(await vscode.workspace.applyEdit(fix.edit), true, 'applyEdit refused the fix');
    assert.strictEqual(doc.getText(), expected);
    const cleared = await waitFor('the input-range finding to go away', () => {
      const left = vscode.languages.getDiagnostics(uri);
      return left.some((d) => d.code === 'input-range-unbounded') ? undefined : left;
    });
    assert.deepStrictEqual(codes(cleared), ['gate-placement']);

    assert.strictEqual(vscode.window.activeTextEditor?.document, editor.document);
    await vscode.commands.executeCommand('undo');
    assert.strictEqual(doc.getText(), before, 'undo did not restore the text');
    const restored = await waitFor('the input-range finding to come back after undo', () => {
      const now = vscode.languages.getDiagnostics(uri);
      return now.some((d) => d.code === 'input-range-unbounded') ? now : undefined;
    });
    assert.deepStrictEqual(codes(restored), ['gate-placement', 'input-range-unbounded']);
  });

  it('re-analyses after an edit and moves the findings with the text', async () => {
    const editor = await vscode.window.showTextDocument(doc);
    const line = vscode.languages.getDiagnostics(uri).find((d) => d.code === 'gate-placement')?.range.start.line;
    assert.ok(line !== undefined);
    assert.strictEqual(line, positionOf(doc, 'block: res1').line, 'gate-placement is not on the line of `block: res1`');
    assert.strictEqual(await editor.edit((b) => b.insert(new vscode.Position(0, 0), '# moved down\n')), true, 'the edit was refused');
    const moved = await waitFor('gate-placement to move down one line', () => {
      const d = vscode.languages.getDiagnostics(uri).find((x) => x.code === 'gate-placement');
      return d && d.range.start.line === line + 1 ? d : undefined;
    });
    assert.strictEqual(moved.range.start.line, line + 1);
    await vscode.commands.executeCommand('undo');
  });

  it('starts the worker on the first command that needs it; TF.js loads there, not in the host', async () => {
    const info = await vscode.commands.executeCommand<InfoResult | undefined>('dynn.showBackend');
    assert.ok(info, 'dynn.showBackend returned nothing (untrusted workspace?)');
    assert.strictEqual(api.workerStarted(), true);
    assert.notStrictEqual(info.process.pid, process.pid, 'the job ran in the extension host');
    assert.ok(info.backend && ['tensorflow-gpu', 'webgpu', 'tensorflow', 'wasm', 'cpu'].includes(info.backend.name), JSON.stringify(info.backend));
    assert.strictEqual(api.tfjsLoaded(), false, 'TF.js reached the extension host');
  });

  it('opens a new model from the SDN template that analyses cleanly', async () => {
    const created = await vscode.commands.executeCommand<vscode.Uri | undefined>('dynn.newModel', 'dynn-sdn');
    assert.ok(created, 'dynn.newModel returned no document');
    const newDoc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === created.toString());
    assert.ok(newDoc);
    assert.strictEqual(newDoc.languageId, 'dynn');
    assert.ok(newDoc.getText().includes('name: sdn-mnist'), newDoc.getText());
    // The snippet lands a moment after the command returns: wait for its analysis, then its exit lenses.
    await waitFor('the snippet in the document', () => (newDoc.getText().includes('exits:') ? true : undefined));
    // Asking for lenses analyses the current text, so the findings below are of the whole template.
    await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', created);
    const errors = (api.findingsFor(created) ?? []).filter((f) => f.severity === 'error');
    assert.deepStrictEqual(errors.map((f) => f.message), [], 'the template does not analyse cleanly');
    const exitLenses = await waitFor('exit lenses on the new model', async () => {
      const lenses = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', created);
      const titles = lenses.map((l) => l.command?.title.split(' · ')[0]).filter((t) => t?.startsWith('exit '));
      return titles.length > 0 ? titles : undefined;
    });
    assert.deepStrictEqual(exitLenses, ['exit e1', 'exit e2', 'exit e3']);
    await waitFor('the new model to be analysed', () => api.findingsFor(created));
    assert.deepStrictEqual(api.findingsFor(created)?.filter((f) => f.severity === 'error'), []);
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
  });
});
