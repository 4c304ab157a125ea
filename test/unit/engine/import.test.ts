import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { importLayersModel, ImportError, parseImportSidecar } from '../../../src/engine/import';
import { buildModel } from '../../../src/engine/network';
import { specFrom } from './helpers';
import { maxAbsDiff, useCpuBackend } from './helpers';
import { layersFolderHandler } from '../../fixtures/layers-folder';

/** Two exits on 8x8x1 inputs: conv -> [flatten -> dense 3 (logits)] and conv -> pool -> conv -> dense 3 (softmax). */
function twoExitModel(): tf.LayersModel {
  const input = tf.input({ shape: [8, 8, 1] });
  const c1 = tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu', name: 'c1', kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) }).apply(input) as tf.SymbolicTensor;
  const e1 = tf.layers.dense({ units: 3, name: 'exit1_dense', kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) }).apply(tf.layers.flatten({ name: 'exit1_flat' }).apply(c1)) as tf.SymbolicTensor;
  const p = tf.layers.maxPooling2d({ poolSize: 2, name: 'p1' }).apply(c1);
  const c2 = tf.layers.conv2d({ filters: 6, kernelSize: 3, activation: 'relu', name: 'c2', kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }) }).apply(p);
  const fin = tf.layers.dense({ units: 3, activation: 'softmax', name: 'final_dense', kernelInitializer: tf.initializers.glorotUniform({ seed: 4 }) }).apply(tf.layers.flatten({ name: 'f' }).apply(c2)) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: [e1, fin] });
}

const SIDECAR = (model: string, outputs = '[exit1, final]', extra = ''): string =>
  `dynn: 1\nname: keras-two-exit\nimport: { model: ${model}, outputs: ${outputs} }\ninput: { shape: [8, 8, 1], range: [0, 1] }\nclasses: 3\npolicy: { kind: maxProb, threshold: 0.5 }\ndata: { source: csv, train: train.csv, test: test.csv }\n${extra}`;

describe('engine/import (TF.js Layers models)', () => {
  let root: string;
  let original: tf.LayersModel;
  const x = (): tf.Tensor4D => tf.randomUniform([40, 8, 8, 1], 0, 1, 'float32', 9);

  before(async () => {
    await useCpuBackend();
    root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'dynn-import-')));
    original = twoExitModel();
    await original.save(layersFolderHandler(path.join(root, 'keras')));
    fs.writeFileSync(path.join(root, 'two.dynn.yaml'), SIDECAR('keras/model.json'));
  });
  after(() => {
    original.dispose();
    fs.rmSync(root, { recursive: true, force: true });
  });

  /** A copy of the saved model under `name` with model.json and weights.bin edited by `edit`. */
  function variant(name: string, edit: (json: Record<string, unknown>, weights: Buffer) => { json?: string; weights?: Buffer }): string {
    const dir = path.join(root, name);
    fs.mkdirSync(dir, { recursive: true });
    const json = JSON.parse(fs.readFileSync(path.join(root, 'keras', 'model.json'), 'utf8')) as Record<string, unknown>;
    const changed = edit(json, fs.readFileSync(path.join(root, 'keras', 'weights.bin')));
    fs.writeFileSync(path.join(dir, 'model.json'), changed.json ?? JSON.stringify(json));
    fs.writeFileSync(path.join(dir, 'weights.bin'), changed.weights ?? fs.readFileSync(path.join(root, 'keras', 'weights.bin')));
    fs.writeFileSync(path.join(root, `${name}.dynn.yaml`), SIDECAR(`${name}/model.json`));
    return `${name}.dynn.yaml`;
  }

  it('imports the model: every output equals the original, exits named by the sidecar, FLOPs from layer configs', async () => {
    const model = await importLayersModel('two.dynn.yaml', root);
    assert.deepStrictEqual(model.exitNames, ['exit1', 'final']);
    assert.deepStrictEqual(model.inputShape, [8, 8, 1]);
    assert.strictEqual(model.classes, 3);
    // conv 3x3x1x4 'same' on 8x8 (2*9*256 + 256 bias) + dense 256->3 (2*768 + 3); then pool (4*64),
    // conv 3x3x4x6 'valid' to 2x2 (2*36*24 + 24), dense 24->3 (2*72 + 3).
    assert.deepStrictEqual(model.flopsAtExit, [4864 + 1539, 4864 + 1539 + 256 + 1752 + 147]);
    assert.strictEqual(model.fullFlops, 8558);
    const input = x();
    tf.tidy(() => {
      const want = original.predict(input) as tf.Tensor[];
      const got = model.forwardAll(input).exits;
      assert.ok(maxAbsDiff(got[0]!, want[0]!) < 1e-5, 'exit1 logits');
      // The final output is a softmax: forwardAll gives log-probabilities, whose softmax is the original output.
      assert.ok(maxAbsDiff(tf.softmax(got[1]!), want[1]!) < 1e-5, 'final probabilities');
    });
    input.dispose();
    model.dispose();
  });

  it('forwardAll is differentiable with respect to the input (attacks)', async () => {
    const model = await importLayersModel('two.dynn.yaml', root);
    const input = x();
    const g = tf.tidy(() => tf.grad((xi: tf.Tensor) => tf.addN(model.forwardAll(xi).exits.map((l) => tf.sum(l))))(input));
    assert.deepStrictEqual(g.shape, [40, 8, 8, 1]);
    assert.ok(tf.tidy(() => tf.sum(tf.abs(g)).dataSync()[0]!) > 0, 'non-zero input gradient');
    [g, input].forEach((t) => t.dispose());
    model.dispose();
  });

  it('runDynamic runs the later layers only on the samples that stay, and answers like the original', async () => {
    const model = await importLayersModel('two.dynn.yaml', root);
    const input = x();
    const finalDense = model.layers!.getLayer('final_dense');
    const seen: number[] = [];
    const apply = finalDense.apply.bind(finalDense);
    finalDense.apply = (inputs, kwargs) => {
      seen.push((Array.isArray(inputs) ? inputs[0]! : inputs).shape[0] ?? -1);
      return apply(inputs, kwargs);
    };
    const before = tf.memory().numTensors;
    // A threshold a random 3-class head reaches for some samples only.
    const run = await model.runDynamic(input, { thresholds: [0.36], batchSize: 16 });
    assert.strictEqual(tf.memory().numTensors, before, 'no tensors leaked');
    const early = run.exitIndex.filter((e) => e === 0).length;
    assert.ok(early > 0 && early < 40, `some but not all samples exit early (${early})`);
    assert.strictEqual(seen.reduce((a, b) => a + b, 0), 40 - early, 'the final part ran only on the remaining samples');
    assert.deepStrictEqual(run.executed.segmentRows, [40, 40 - early], 'rows counted from the tensors each part ran on');
    assert.deepStrictEqual(run.executed.headRows, [40]);
    // Conv trunk + exit head on every row, then the final part (pool, conv, dense: 2155 FLOPs) on the rest.
    assert.strictEqual(run.executed.flops, 40 * (4864 + 1539) + (40 - early) * 2155);
    run.exitIndex.forEach((e, s) => assert.strictEqual(run.flops[s], model.flopsAtExit[e]));
    const want = tf.tidy(() => (original.predict(input) as tf.Tensor[]).map((t) => tf.argMax(t, 1).dataSync()));
    run.exitIndex.forEach((e, s) => assert.strictEqual(run.prediction[s], want[e]![s], `sample ${s}`));
    // A disabled exit never fires and its head is not charged.
    const all = await model.runDynamic(input, { enabledExits: [false] });
    assert.ok(all.exitIndex.every((e) => e === 1));
    assert.ok(all.flops.every((f) => f === 8558 - 1539));
    assert.deepStrictEqual(all.executed.headRows, [0]);
    assert.strictEqual(all.executed.flops, 40 * (8558 - 1539));
    input.dispose();
    model.dispose();
  });

  it('refuses weight paths that leave the workspace (.., absolute, symlink)', async () => {
    const outside = fs.mkdtempSync(path.join(os.tmpdir(), 'dynn-outside-'));
    fs.copyFileSync(path.join(root, 'keras', 'weights.bin'), path.join(outside, 'weights.bin'));
    const rel = path.relative(path.join(root, 'dotdot'), path.join(outside, 'weights.bin'));
    const setPath = (p: string) => (json: Record<string, unknown>) => {
      (json.weightsManifest as { paths: string[] }[])[0]!.paths = [p];
      return {};
    };
    await assert.rejects(importLayersModel(variant('dotdot', setPath(rel)), root), (e: unknown) => e instanceof ImportError && /dotdot\/model\.json/.test(e.message) && /leaves the workspace/.test(e.message));
    await assert.rejects(importLayersModel(variant('absolute', setPath(path.join(outside, 'weights.bin'))), root), /absolute\/model\.json: weight shard .* must be a path relative to this file/);
    const link = variant('link', setPath('linked.bin'));
    fs.symlinkSync(path.join(outside, 'weights.bin'), path.join(root, 'link', 'linked.bin'));
    await assert.rejects(importLayersModel(link, root), /link\/model\.json: weight shard 'linked\.bin': .*symbolic link .*outside/);
    fs.rmSync(outside, { recursive: true, force: true });
  });

  it('refuses truncated or oversized shards, naming the shard', async () => {
    await assert.rejects(
      importLayersModel(variant('short', (_, w) => ({ weights: w.subarray(0, w.length - 8) })), root),
      /short\/weights\.bin: weight shards short\/weights\.bin \(\d+ bytes\) hold \d+ bytes, but the manifest's weights need \d+ \(truncated/,
    );
    await assert.rejects(importLayersModel(variant('long', (_, w) => ({ weights: Buffer.concat([w, Buffer.alloc(4)]) })), root), /long\/weights\.bin: .*larger than its manifest/);
  });

  it('refuses a model.json that is not JSON, not a Layers model, or a missing model', async () => {
    await assert.rejects(importLayersModel(variant('notjson', () => ({ json: '{ "format": "layers-model", ' })), root), /notjson\/model\.json: is not valid JSON/);
    await assert.rejects(importLayersModel(variant('graph', (j) => ({ json: JSON.stringify({ ...j, format: 'graph-model' }) })), root), /graph\/model\.json: has format "graph-model"/);
    fs.writeFileSync(path.join(root, 'missing.dynn.yaml'), SIDECAR('nowhere/model.json'));
    await assert.rejects(importLayersModel('missing.dynn.yaml', root), /missing\.dynn\.yaml: import\.model 'nowhere\/model\.json': file or folder not found/);
  });

  it('refuses a sidecar whose outputs do not match the model', async () => {
    fs.writeFileSync(path.join(root, 'three.dynn.yaml'), SIDECAR('keras/model.json', '[exit1, exit2, final]'));
    await assert.rejects(importLayersModel('three.dynn.yaml', root), (e: unknown) => e instanceof ImportError && e.file === 'three.dynn.yaml' && /names 3 exits .* keras\/model\.json has 2 outputs/.test(e.message));
    fs.writeFileSync(path.join(root, 'classes.dynn.yaml'), SIDECAR('keras/model.json').replace('classes: 3', 'classes: 10'));
    await assert.rejects(importLayersModel('classes.dynn.yaml', root), /classes\.dynn\.yaml: 'classes' is 10 but the model's outputs have 3/);
  });

  it('checks the sidecar itself with messages that say what is wrong and where', () => {
    const ok = parseImportSidecar(SIDECAR('m/model.json', '[a, b, final]', ''), 's.dynn.yaml');
    assert.deepStrictEqual(ok.outputs, ['a', 'b', 'final']);
    assert.deepStrictEqual(ok.inputShape, [8, 8, 1]);
    assert.deepStrictEqual(ok.policy, { kind: 'maxProb', threshold: 0.5, patience: 2 });
    assert.throws(() => parseImportSidecar(SIDECAR('m/model.json', '[a, b]'), 's.dynn.yaml'), /s\.dynn\.yaml: line 3: the last output .* 'final'/);
    assert.throws(() => parseImportSidecar(SIDECAR('m/model.json', '[a, a, final]'), 's.dynn.yaml'), /used twice/);
    assert.throws(() => parseImportSidecar(SIDECAR('m/model.json') + 'backbone:\n  - {type: dense, units: 3}\n', 's.dynn.yaml'), /'backbone' cannot be used with 'import'/);
    assert.throws(() => parseImportSidecar('dynn: [', 's.dynn.yaml'), /s\.dynn\.yaml: line 1/);
    assert.throws(() => parseImportSidecar('dynn: 1\ninput: {shape: [28, 28, 1]}\nclasses: 10\nbackbone:\n  - {type: flatten}\n  - {type: dense, units: 10}\n', 's.dynn.yaml'), /has no 'import' section/);
  });

  it('buildModel refuses a sidecar with a pointer to importModel', () => {
    assert.throws(() => buildModel(specFrom(SIDECAR('keras/model.json'))), /imports a pretrained model \(keras\/model\.json\); load it with importModel/);
  });

  it('refuses a sidecar whose input shape differs from the model', async () => {
    fs.writeFileSync(path.join(root, 'shape.dynn.yaml'), SIDECAR('keras/model.json').replace('shape: [8, 8, 1]', 'shape: [28, 28, 1]'));
    await assert.rejects(importLayersModel('shape.dynn.yaml', root), /shape\.dynn\.yaml: 'input\.shape' is \[28, 28, 1\] but keras\/model\.json takes \[8, 8, 1\]/);
  });
});
