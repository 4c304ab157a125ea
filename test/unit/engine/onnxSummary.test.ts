// The editor's figures of an .onnx file (no TF.js): FLOPs and parameters per exit from the ONNX nodes, the outputs
// the create-file command lists, and the sidecar it writes.
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { analyzeText } from '../../../src/modelfile';
import { importModel } from '../../../src/engine/import';
import { decodeForEditor, outputChoices, sidecarText, summarizeOnnx } from '../../../src/engine/import/onnxSummary';
import { buildOnnx, tinyTwoExit } from '../../fixtures/onnx/builder';
import { useCpuBackend } from './helpers';

const FIXTURES = path.join(__dirname, '..', '..', '..', '..', 'test', 'fixtures', 'onnx');

describe('engine/import/onnxSummary (editor figures of an ONNX model, without TF.js)', () => {
  before(useCpuBackend);

  it('counts FLOPs and parameters per exit by the documented rules (hand-computed tiny model)', async () => {
    const s = await summarizeOnnx(buildOnnx(tinyTwoExit()), 'tiny.onnx', ['exit1', 'final']);
    // conv 3x3 1->2, pads 1, on 4x4: 2*9*1*32 + 32 bias = 608; Gemm 32->3: 2*32*3 + 3 = 195; relu 0; Gemm 195.
    assert.deepStrictEqual(s.exits, [
      { name: 'exit1', flopsAtExit: 803, partFlops: 803, partParams: 18 + 2 + 96 + 3 },
      { name: 'final', flopsAtExit: 998, partFlops: 195, partParams: 96 + 3 },
    ]);
    assert.strictEqual(s.fullFlops, 998);
    assert.strictEqual(s.params, 218);
    assert.strictEqual(s.opset, 13);
  });

  it('agrees with the engine on a PyTorch export: the same FLOPs at every exit as dynamic inference charges', async () => {
    const bytes = fs.readFileSync(path.join(FIXTURES, 'resnet-exits.onnx'));
    const s = await summarizeOnnx(bytes, 'resnet-exits.onnx', ['exit1', 'exit2', 'final']);
    const root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'dynn-onnx-sum-')));
    try {
      fs.writeFileSync(path.join(root, 'r.onnx'), bytes);
      fs.writeFileSync(path.join(root, 'r.dynn.yaml'), 'dynn: 1\nname: r\ninput: { shape: [32, 32, 3], range: [0, 1] }\nclasses: 10\nimport: { model: r.onnx, outputs: [exit1, exit2, final] }\ndata: { source: csv, train: a.csv, test: b.csv }\n');
      const model = await importModel('r.dynn.yaml', root);
      assert.deepStrictEqual(s.exits.map((e) => e.flopsAtExit), [...model.flopsAtExit]);
      model.dispose();
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
    assert.ok(s.exits[0]!.flopsAtExit < s.exits[1]!.flopsAtExit && s.exits[1]!.flopsAtExit < s.fullFlops);
    // Every float initializer is a parameter of exactly one exit's part (BatchNormalization's four vectors included).
    const decoded = await decodeForEditor(bytes, 'resnet-exits.onnx');
    const total = [...decoded.initializers.values()].filter((t) => t.float && t.dims.length > 0).reduce((a, t) => a + t.dims.reduce((p, d) => p * d, 1), 0);
    assert.strictEqual(s.params, total);
  });

  it('lists the outputs and writes a sidecar that is a valid model file once the TODOs are kept as they are', async () => {
    const decoded = await decodeForEditor(fs.readFileSync(path.join(FIXTURES, 'mnist-sdn.onnx')), 'mnist-sdn.onnx');
    assert.deepStrictEqual(outputChoices(decoded).map((o) => [o.name, o.dims, o.classifier]), [
      ['exit1', ['batch', 10], true],
      ['exit2', ['batch', 10], true],
      ['final', ['batch', 10], true],
    ]);
    const text = sidecarText('mnist-sdn', 'mnist-sdn.onnx', decoded, ['exit1', 'exit2', 'final']);
    assert.match(text, /input: \{ shape: \[28, 28, 1\], range: \[0, 1\] \}/);
    const a = analyzeText(text, { fileName: 'mnist-sdn.dynn.yaml' });
    assert.deepStrictEqual(a.diagnostics.filter((d) => d.severity === 'error').map((d) => d.message), []);
    assert.deepStrictEqual(a.spec?.import?.outputs, ['exit1', 'exit2', 'final']);
    // A last output not named 'final' is flagged in the file and by the analyser.
    const renamed = sidecarText('m', 'm.onnx', decoded, ['exit1', 'exit2']);
    assert.match(renamed, /TODO: the last exit must be named 'final'/);
    assert.ok(analyzeText(renamed).diagnostics.some((d) => d.code === 'import/outputs'));
  });

  it('external data is not read by the editor: the summary says so, naming the file', async () => {
    const def = tinyTwoExit();
    def.initializers = def.initializers!.map((t) => (t.name === 'w2' ? { ...t, data: undefined, external: { location: 'w2.bin' } } : t));
    await assert.rejects(summarizeOnnx(buildOnnx(def), 'ext.onnx', ['exit1', 'final']), /^ImportError: ext\.onnx: keeps weights in external data \('w2\.bin'\)/);
  });
});
