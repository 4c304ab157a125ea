// Checks and studies of an imported model: a tiny 2-exit TF.js Layers model for MNIST is built with tf.layers,
// trained for a few batches, saved as model.json + weights.bin (as tensorflowjs_converter writes them) into a
// temporary workspace next to its sidecar, then checked through runCheck, the CLI verbs and the worker jobs.
// Assertions do not depend on the model's accuracy.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import Ajv from 'ajv';
import { main } from '../../../src/cli/cli';
import { loadData } from '../../../src/engine/data';
import { checkResults } from '../../../src/protocol/results-check';
import { analyzeText } from '../../../src/modelfile';
import type { ModelSpec } from '../../../src/modelfile/types';
import { ensureBackend } from '../../../src/studies/backendChoice';
import { CheckInputError, runCheck } from '../../../src/studies/check';
import { defaultStudiesFor, withImportedExits } from '../../../src/studies/importedSpec';
import type { Results } from '../../../src/protocol/results';
import type { CheckAnswer } from '../../../src/protocol/jobs';
import { STUDY_NAMES } from '../../../src/protocol/study-names';
import { exitDesignGrid } from '../../../src/studies/sweep';
import { NotTrainableError, runTrain } from '../../../src/studies/train';
import { WorkerClient, WorkerError } from '../../../src/worker/client';
import { tinyAnalysis } from './helpers';
import { layersFolderHandler } from '../../fixtures/layers-folder';

const SCHEMA = path.join(__dirname, '..', '..', '..', '..', 'docs', 'results.schema.json');
const WORKER = path.join(__dirname, '..', '..', '..', 'src', 'worker', 'main.js');

const SIDECAR = `dynn: 1
name: imported-mnist
input: { shape: [28, 28, 1], range: [0, 1] }
classes: 10
import: { model: keras/model.json, outputs: [exit1, final], thresholds: [0.6] }
policy: { kind: maxProb, threshold: 0.9 }
data: { source: mnist, trainFraction: 0.05 }
checks:
  samples: 32
  seed: 0
  attacks:
    - {id: pgd, kind: pgd, norm: linf, eps: [0.05, 0.2], step: 0.05, steps: 2, loss: average}
    - {id: hijack, kind: hijack, norm: linf, eps: [0.2], step: 0.05, steps: 2}
    - {id: slowdown, kind: slowdown, norm: linf, eps: [0.2], step: 0.05, steps: 2}
`;

// FLOPs by docs/import.md: conv 3x3 1->4 'same' stride 2 to 14x14 (2*9*4*196 + 784 bias); exit1 dense 784->10
// (2*7840 + 10); conv 3x3 4->8 'same' stride 2 to 7x7 (2*36*8*49 + 392); final dense 392->10 (2*3920 + 10).
const EXIT1_FLOPS = 14896 + 15690;
const FULL_FLOPS = EXIT1_FLOPS + 28616 + 7850;

/** exit1 reads conv1 and answers logits; the final classifier reads conv2 and answers softmax probabilities. */
function twoExitMnistModel(): tf.LayersModel {
  const init = (seed: number) => tf.initializers.glorotUniform({ seed });
  const input = tf.input({ shape: [28, 28, 1] });
  const c1 = tf.layers.conv2d({ filters: 4, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu', name: 'conv1', kernelInitializer: init(1) }).apply(input);
  const exit1 = tf.layers.dense({ units: 10, name: 'exit1_dense', kernelInitializer: init(2) }).apply(tf.layers.flatten({ name: 'exit1_flat' }).apply(c1)) as tf.SymbolicTensor;
  const c2 = tf.layers.conv2d({ filters: 8, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu', name: 'conv2', kernelInitializer: init(3) }).apply(c1);
  const final = tf.layers.dense({ units: 10, activation: 'softmax', name: 'final_dense', kernelInitializer: init(4) }).apply(tf.layers.flatten({ name: 'final_flat' }).apply(c2)) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: [exit1, final] });
}

function analysisOf(text: string): { spec: ModelSpec; specHash: string } {
  const analysis = analyzeText(text, { fileName: 'imported.dynn.yaml' });
  const errors = analysis.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length > 0 || analysis.spec === undefined || analysis.specHash === undefined) throw new Error(`sidecar invalid: ${errors.map((d) => d.message).join('; ')}`);
  return { spec: analysis.spec, specHash: analysis.specHash };
}

async function cli(argv: string[], cwd: string): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await main(argv, { stdout: { write: (s: string) => (stdout += s) }, stderr: { write: (s: string) => (stderr += s) }, cwd });
  return { code, stdout, stderr };
}

function validator(): (doc: unknown) => void {
  const ajv = new Ajv({ strict: false, allErrors: true });
  const validate = ajv.compile(JSON.parse(fs.readFileSync(SCHEMA, 'utf8')) as object);
  return (doc) => {
    const plain = JSON.parse(JSON.stringify(doc)) as unknown;
    assert.ok(validate(plain), ajv.errorsText(validate.errors));
    assert.deepEqual(checkResults(plain), []);
  };
}

const inUnit = (x: number): boolean => x > 0 && x <= 1 + 1e-12;

describe('studies: checks of an imported Layers model', function () {
  this.timeout(180000);
  const root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'dynn-imported-')));
  const file = 'imported.dynn.yaml';
  const { spec, specHash } = analysisOf(SIDECAR);
  const input = { spec, specHash, file, workspaceRoot: root };
  let results: Results;

  before(async () => {
    await ensureBackend('cpu');
    // 48 batches on 512 MNIST digits (about 88% accurate on 200 test digits), so the exits are not random.
    const data = await loadData(spec, root, { maxTrain: 512, maxTest: 1 });
    const model = twoExitMnistModel();
    const onHot = tf.oneHot(tf.cast(data.train.y, 'int32'), 10);
    model.compile({
      optimizer: tf.train.adam(0.01),
      loss: [(t: tf.Tensor, p: tf.Tensor) => tf.losses.softmaxCrossEntropy(t, p), (t: tf.Tensor, p: tf.Tensor) => tf.metrics.categoricalCrossentropy(t, p)],
    });
    await model.fit(data.train.x, [onHot, onHot], { epochs: 3, batchSize: 32, verbose: 0, shuffle: false });
    await model.save(layersFolderHandler(path.join(root, 'keras')));
    tf.dispose([onHot, data.train.x, data.train.y, data.test.x, data.test.y]);
    model.dispose();
    fs.writeFileSync(path.join(root, file), SIDECAR);
    results = await runCheck(input, { backend: 'cpu', studies: ['sweep'], findings: true });
  });
  after(() => fs.rmSync(root, { recursive: true, force: true }));

  it('runCheck: the Results document validates against docs/results.schema.json and names the import', () => {
    validator()(results);
    assert.deepEqual(results.model.exitNames, ['exit1', 'final']);
    assert.deepEqual(results.model.gateNames, []);
    assert.equal(results.provenance.weights, 'imported keras/model.json');
    assert.equal(results.provenance.samples, 32);
    assert.match(results.provenance.data, /MNIST/);
  });

  it('runCheck: exit FLOPs come from the imported graph, and every FLOPs ratio lies in (0, 1]', () => {
    assert.equal(results.model.fullFlops, FULL_FLOPS);
    assert.deepEqual(results.model.exitFlopsShare, [EXIT1_FLOPS / FULL_FLOPS, 1]);
    const distribution = results.clean.exitDistribution;
    assert.equal(distribution.length, 2);
    assert.ok(Math.abs(distribution.reduce((a, b) => a + b, 0) - 1) < 1e-9, `clean exit distribution ${distribution.join(', ')}`);
    assert.ok(inUnit(results.clean.meanFlopsRatio), `clean ${results.clean.meanFlopsRatio}`);
    // A sample pays exit1's share or the whole model: the mean is their mix by the exit distribution.
    const expected = (distribution[0] ?? 0) * (EXIT1_FLOPS / FULL_FLOPS) + (distribution[1] ?? 0);
    assert.ok(Math.abs(results.clean.meanFlopsRatio - expected) < 1e-9);
    for (const a of results.attacks) {
      assert.ok(Math.abs(a.exitDistribution.reduce((s, v) => s + v, 0) - 1) < 1e-9, a.id);
      assert.ok(inUnit(a.meanFlopsRatio), `${a.id} ${a.meanFlopsRatio}`);
    }
  });

  it('runCheck: every attack of the file ran, hijack and slowdown included', () => {
    assert.deepEqual(
      results.attacks.map((a) => a.id),
      ['pgd@0.05', 'pgd@0.2', 'hijack@0.2', 'slowdown@0.2'],
    );
    const hijack = results.attacks.find((a) => a.kind === 'hijack');
    assert.ok(hijack && hijack.gradEvals > 0);
    assert.equal(hijack.hijackByExit.length, 1, 'one internal exit');
    assert.equal(hijack.hijackByExit[0], hijack.hijackRate);
    const slowdown = results.attacks.find((a) => a.kind === 'slowdown');
    assert.ok(slowdown && slowdown.gradEvals > 0);
    assert.equal(results.transfer.length, 0);
    assert.equal(results.efficiency.length, 0);
  });

  it('sweep: replaying the current design on recorded exits reproduces the measured dynamic inference', () => {
    assert.equal(results.sweeps.length, 3, 'one sweep per attack at its largest radius');
    for (const sweep of results.sweeps) {
      assert.ok(sweep.points.length > 2);
      const current = sweep.points.filter((p) => p.current);
      assert.equal(current.length, 1);
      const point = current[0]!;
      assert.deepEqual(point.thresholds, [0.6]);
      // Exact agreement needs the sidecar's threshold and the graph's FLOPs on both sides.
      assert.equal(point.cleanAccuracy, results.clean.accuracy);
      assert.ok(Math.abs(point.cleanFlopsRatio - results.clean.meanFlopsRatio) < 1e-12);
      const attack = results.attacks.find((a) => a.id === `${sweep.attackId}@${sweep.eps}`);
      assert.ok(attack);
      assert.equal(point.robustAccuracy, attack.robustAccuracy);
      for (const p of sweep.points) assert.ok(inUnit(p.cleanFlopsRatio) && inUnit(p.adversarialFlopsRatio));
      // Disabling exit1 sends everything to the final classifier, and its head (flatten + dense, 15690) is skipped.
      const off = sweep.points.find((p) => p.enabledExits[0] === false);
      assert.ok(off);
      assert.ok(Math.abs(off.cleanFlopsRatio - (FULL_FLOPS - 15690) / FULL_FLOPS) < 1e-12, `${off.cleanFlopsRatio}`);
    }
    const paper = results.findings.find((f) => f.id === 'transfer-asymmetry');
    assert.equal(paper?.holds, null, 'no transfer study for an imported model');
  });

  it('sweep: suggested edits point at import.thresholds, never at removing an output', () => {
    const grid = exitDesignGrid(withImportedExits(spec));
    const exitEdits = grid.filter((d) => d.change?.target.kind === 'exit');
    assert.ok(exitEdits.length > 0);
    for (const d of exitEdits) assert.deepEqual(d.change?.path, ['import', 'thresholds', 0]);
    assert.ok(grid.every((d) => d.change?.value !== null), 'no removal edit');
    assert.ok(grid.some((d) => d.enabled[0] === false), 'disabling exit1 is still measured');
  });

  it('refuses the studies that need a static twin, and training, with clear messages', async () => {
    for (const study of ['transfer', 'efficiency'] as const) {
      await assert.rejects(runCheck(input, { backend: 'cpu', studies: [study] }), (e: unknown) => e instanceof CheckInputError && /an imported model has no static twin/.test(e.message) && e.message.includes(study));
    }
    await assert.rejects(runTrain({ spec, workspaceRoot: root }), (e: unknown) => e instanceof NotTrainableError && /imported models are used as they are/.test(e.message));
    assert.deepEqual(defaultStudiesFor(spec, STUDY_NAMES), ['sweep']);
    assert.deepEqual(defaultStudiesFor(tinyAnalysis().spec, STUDY_NAMES), [...STUDY_NAMES]);
  });

  it('refuses to check an unsaved sidecar whose import or policy differs from the file on disk', async () => {
    const edited = analysisOf(SIDECAR.replace('thresholds: [0.6]', 'thresholds: [0.7]'));
    await assert.rejects(runCheck({ ...input, ...edited }, { backend: 'cpu', attacks: ['pgd'], samples: 4 }), /differs from the one being checked.*save it first/);
  });

  it('CLI: check and study --study sweep run on the sidecar; transfer and train are refused', async () => {
    const check = await cli(['check', file, '--backend', 'cpu', '--attack', 'hijack', '--samples', '16', '--json', 'out/r.json'], root);
    assert.equal(check.code, 0, check.stderr);
    assert.match(check.stdout, /^hijack +0\.2 /m);
    const written = JSON.parse(fs.readFileSync(path.join(root, 'out', 'r.json'), 'utf8')) as Results;
    validator()(written);
    assert.ok(fs.existsSync(path.join(root, '.dynn', 'results', 'imported-mnist.json')));

    const study = await cli(['study', file, '--study', 'sweep', '--backend', 'cpu', '--attack', 'slowdown', '--samples', '16', '--json', 'out/s.json'], root);
    assert.equal(study.code, 0, study.stderr);
    const swept = JSON.parse(fs.readFileSync(path.join(root, 'out', 's.json'), 'utf8')) as Results;
    validator()(swept);
    assert.equal(swept.sweeps.length, 1);

    const transfer = await cli(['study', file, '--study', 'transfer', '--backend', 'cpu', '--samples', '4'], root);
    assert.equal(transfer.code, 2);
    assert.match(transfer.stderr, /an imported model has no static twin/);
    const training = await cli(['study', file, '--study', 'adversarial-training', '--backend', 'cpu', '--samples', '4'], root);
    assert.equal(training.code, 2);
    assert.match(training.stderr, /is an imported model, trained elsewhere: the adversarial-training study trains the file's network two ways/);

    const train = await cli(['train', file, '--backend', 'cpu'], root);
    assert.equal(train.code, 1);
    assert.match(train.stderr, /^dynn-lens train: 'imported-mnist' imports a pretrained model \(keras\/model\.json\); imported models are used as they are/);
    assert.doesNotMatch(train.stderr, /internal error/);
  });

  it('CLI: a sidecar whose model cannot be imported is reported at its import.model line, not as an internal error', async () => {
    fs.writeFileSync(path.join(root, 'missing.dynn.yaml'), SIDECAR.replace('keras/model.json', 'nowhere/model.json'));
    const r = await cli(['check', 'missing.dynn.yaml', '--backend', 'cpu', '--samples', '4'], root);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^missing\.dynn\.yaml:5:18: error: .*'nowhere\/model\.json': file or folder not found/m);
    assert.doesNotMatch(r.stderr, /internal error/);
  });

  it('worker: the study job defaults to the sweep on an imported model; the train job fails with the reason', async () => {
    const client = new WorkerClient({ workerPath: WORKER });
    try {
      const params = { file, workspaceRoot: root, backend: 'cpu' };
      const { results: r } = await client.run<CheckAnswer>('study', { ...params, attacks: ['pgd'], eps: [0.2], samples: 8, save: false });
      validator()(r);
      assert.equal(r.sweeps.length, 1);
      assert.equal(r.transfer.length, 0);
      await assert.rejects(client.run('train', params), (e: unknown) => e instanceof WorkerError && /imported models are used as they are/.test(e.message));
    } finally {
      client.dispose();
    }
  });
});
