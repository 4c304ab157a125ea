// A check and the twin studies on an ONNX model exported from PyTorch (test/fixtures/onnx): the SDN-style MNIST
// network with its static twin named by `import.static`, normalisation applied inside the model.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { analyzeText } from '../../../src/modelfile';
import { checkResults } from '../../../src/protocol/results-check';
import { runCheck } from '../../../src/studies/check';
import { defaultStudiesFor } from '../../../src/studies/importedSpec';
import { PAPER_STUDIES, STUDY_NAMES } from '../../../src/protocol/study-names';

const FIXTURES = path.join(__dirname, '..', '..', '..', '..', 'test', 'fixtures', 'onnx');

const SIDECAR = (extra: string): string => `dynn: 1
name: pytorch-sdn
input: { shape: [28, 28, 1], range: [0, 1] }
classes: 10
import: { model: mnist-sdn.onnx, outputs: [exit1, exit2, final], normalize: { mean: [0.1307], std: [0.3081] }${extra} }
policy: { kind: maxProb, threshold: 0.9 }
data: { source: mnist }
checks:
  samples: 24
  seed: 0
  attacks:
    - {id: pgd, kind: pgd, norm: linf, eps: [0.1], step: 0.05, steps: 2, loss: average}
    - {id: hijack, kind: hijack, norm: linf, eps: [0.1], step: 0.05, steps: 2}
`;

describe('studies on an imported ONNX model (PyTorch export)', function () {
  this.timeout(300_000);
  let root: string;

  before(() => {
    root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'dynn-onnx-study-')));
    for (const f of ['mnist-sdn.onnx', 'mnist-static.onnx']) fs.copyFileSync(path.join(FIXTURES, f), path.join(root, f));
  });
  after(() => fs.rmSync(root, { recursive: true, force: true }));

  function input(text: string): Parameters<typeof runCheck>[0] {
    fs.writeFileSync(path.join(root, 'sdn.dynn.yaml'), text);
    const analysis = analyzeText(text, { fileName: 'sdn.dynn.yaml' });
    const errors = analysis.diagnostics.filter((d) => d.severity === 'error');
    assert.deepEqual(errors.map((d) => d.message), []);
    return { spec: analysis.spec!, specHash: analysis.specHash!, file: 'sdn.dynn.yaml', workspaceRoot: root };
  }

  it("with import.static, the paper's studies run by default, transfer and efficiency included, on the twin named there", async () => {
    const inp = input(SIDECAR(', static: mnist-static.onnx'));
    assert.deepEqual(defaultStudiesFor(inp.spec, PAPER_STUDIES), [...PAPER_STUDIES]);
    // Adversarial training retrains the file's network, which an imported model does not have: never a default.
    assert.deepEqual(defaultStudiesFor(inp.spec, STUDY_NAMES), [...PAPER_STUDIES]);
    const results = await runCheck(inp, { backend: 'cpu', studies: ['transfer', 'efficiency'] });
    assert.deepEqual(checkResults(results), []);
    assert.match(results.provenance.weights ?? '', /imported mnist-sdn\.onnx; static twin imported mnist-static\.onnx/);
    assert.deepEqual(results.model.exitNames, ['exit1', 'exit2', 'final']);
    assert.ok(results.transfer.length > 0, 'transfer measured');
    assert.ok(results.efficiency.length > 0, 'efficiency measured');
    // Clean accuracy of a network PyTorch measured at 96.6% (final exit) on these digits: the normalisation is in.
    assert.ok(results.clean.finalExitAccuracy > 0.8, `final-exit accuracy ${results.clean.finalExitAccuracy}`);
  });

  it('without import.static, the twin studies are refused with the key to add', async () => {
    const inp = input(SIDECAR(''));
    await assert.rejects(runCheck(inp, { backend: 'cpu', studies: ['transfer'] }), /no static twin.*'import\.static'/);
  });

  it('a static twin with several outputs is refused, naming the file', async () => {
    const inp = input(SIDECAR(', static: mnist-sdn.onnx'));
    await assert.rejects(runCheck(inp, { backend: 'cpu', studies: ['transfer'] }), /mnist-sdn\.onnx: is named as the static twin \('import\.static'\) but has 3 outputs/);
  });
});
