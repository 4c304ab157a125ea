// ONNX import against PyTorch: the fixtures in test/fixtures/onnx were trained and exported by make_fixtures.py,
// which recorded PyTorch's outputs for a fixed batch and its per-exit accuracy on the test split. No Python here.
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { importModel, type ImportedModel } from '../../../src/engine/import';
import type { OnnxStep } from '../../../src/engine/import/onnxGraph';
import { DEFAULT_TRAIN_FRACTION, MNIST_PIXELS, loadMnistAll, mnistSplit } from '../../../src/engine/data/mnist';
import { useCpuBackend } from './helpers';
import { initBackend } from '../../../src/engine/backend';

const FIXTURES = path.join(__dirname, '..', '..', '..', '..', 'test', 'fixtures', 'onnx');

interface Reference {
  model: string;
  normalize: { mean: number; std: number };
  batch: { testIndices: number[]; outputs: Record<string, number[][]> };
  accuracy: Record<string, number>;
  testSamples: number;
}

const reference = (name: string): Reference => JSON.parse(fs.readFileSync(path.join(FIXTURES, `${name}.reference.json`), 'utf8')) as Reference;

/** The project's MNIST test split, NHWC in [0, 1] (as dump-mnist.ts wrote it for PyTorch). */
async function testSplit(): Promise<{ x: tf.Tensor4D; y: Int32Array }> {
  const all = await loadMnistAll();
  const idx = mnistSplit(DEFAULT_TRAIN_FRACTION).test;
  const x = new Float32Array(idx.length * MNIST_PIXELS);
  const y = new Int32Array(idx.length);
  idx.forEach((i, j) => {
    x.set(all.x.subarray(i * MNIST_PIXELS, (i + 1) * MNIST_PIXELS), j * MNIST_PIXELS);
    y[j] = all.y[i] as number;
  });
  return { x: tf.tensor4d(x, [idx.length, 28, 28, 1]), y };
}

/** The digits as make_fixtures.py gave them to the residual net: padded to 32x32, the channel repeated 3 times. */
const toRgb32 = (x: tf.Tensor4D): tf.Tensor4D => tf.tidy(() => tf.tile(tf.pad(x, [[0, 0], [2, 2], [2, 2], [0, 0]]), [1, 1, 1, 3]));

/** A sidecar; MNIST-shaped models use the built-in digits, others name (absent) CSV files the import never reads. */
export function sidecar(name: string, model: string, shape: number[], outputs: string[], extra = ''): string {
  const data = shape.join() === '28,28,1' ? '{ source: mnist }' : '{ source: csv, train: train.csv, test: test.csv }';
  return `dynn: 1\nname: ${name}\nimport: { model: ${model}, outputs: [${outputs.join(', ')}]${extra} }\ninput: { shape: [${shape.join(', ')}], range: [0, 1] }\nclasses: 10\npolicy: { kind: maxProb, threshold: 0.9 }\ndata: ${data}\n`;
}

describe('engine/import: ONNX models exported by PyTorch (oracle: PyTorch outputs recorded at export)', function () {
  this.timeout(300_000);
  let root: string;
  let digits: { x: tf.Tensor4D; y: Int32Array } | undefined;
  const models = new Map<string, ImportedModel>();

  before(async () => {
    // The accuracy on 2000 test digits takes minutes on the pure-JS backend; single-threaded WASM takes seconds.
    await initBackend({ preference: 'wasm', wasmThreads: 1 });
    root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'dynn-onnx-')));
    for (const f of fs.readdirSync(FIXTURES)) if (f.endsWith('.onnx')) fs.copyFileSync(path.join(FIXTURES, f), path.join(root, f));
    const norm = ', normalize: { mean: [0.1307], std: [0.3081] }';
    fs.writeFileSync(path.join(root, 'sdn.dynn.yaml'), sidecar('mnist-sdn', 'mnist-sdn.onnx', [28, 28, 1], ['exit1', 'exit2', 'final'], `${norm}, static: mnist-static.onnx`));
    fs.writeFileSync(path.join(root, 'resnet.dynn.yaml'), sidecar('resnet-exits', 'resnet-exits.onnx', [32, 32, 3], ['exit1', 'exit2', 'final']));
    models.set('mnist-sdn', await importModel('sdn.dynn.yaml', root));
    models.set('mnist-static', await importModel('sdn.dynn.yaml', root, { staticTwin: true }));
    models.set('resnet-exits', await importModel('resnet.dynn.yaml', root));
    digits = await testSplit();
  });
  after(async () => {
    for (const m of models.values()) m.dispose();
    await useCpuBackend();
    digits?.x.dispose();
    fs.rmSync(root, { recursive: true, force: true });
  });

  const inputsFor = (name: string, x: tf.Tensor4D): tf.Tensor4D => (name === 'resnet-exits' ? toRgb32(x) : tf.clone(x));

  for (const name of ['mnist-sdn', 'mnist-static', 'resnet-exits']) {
    it(`${name}: every exit's output equals PyTorch's within 1e-4 on the recorded batch`, () => {
      const ref = reference(name);
      const model = models.get(name) as ImportedModel;
      const idx = ref.batch.testIndices;
      const batch = tf.tidy(() => inputsFor(name, tf.gather(digits!.x, idx)));
      const outs = model.forwardAll(batch).exits;
      const names = Object.keys(ref.batch.outputs);
      assert.deepStrictEqual([...model.exitNames], names);
      names.forEach((exit, k) => {
        const got = outs[k]!.arraySync();
        const want = ref.batch.outputs[exit]!;
        let worst = 0;
        want.forEach((row, i) => row.forEach((v, j) => (worst = Math.max(worst, Math.abs(v - got[i]![j]!)))));
        assert.ok(worst < 1e-4, `${name} ${exit}: max |TF.js - PyTorch| = ${worst}`);
      });
      tf.dispose([batch, ...outs]);
    });

    it(`${name}: per-exit accuracy on the test split matches PyTorch's`, async () => {
      const ref = reference(name);
      const model = models.get(name) as ImportedModel;
      assert.strictEqual(digits!.y.length, ref.testSamples);
      const correct = model.exitNames.map(() => 0);
      for (let b = 0; b < digits!.y.length; b += 250) {
        const size = Math.min(250, digits!.y.length - b);
        const preds = tf.tidy(() => model.forwardAll(inputsFor(name, tf.slice(digits!.x, b, size))).exits.map((e) => tf.argMax(e, 1)));
        for (const [k, p] of preds.entries()) {
          const data = await p.data();
          for (let i = 0; i < size; i++) if (data[i] === digits!.y[b + i]) correct[k]!++;
        }
        tf.dispose(preds);
      }
      model.exitNames.forEach((exit, k) => {
        const acc = correct[k]! / digits!.y.length;
        // float32 order of operations may flip an argmax on a near-tie: at most one sample in 2000.
        assert.ok(Math.abs(acc - ref.accuracy[exit]!) <= 1 / digits!.y.length + 1e-9, `${name} ${exit}: ${acc} here, ${ref.accuracy[exit]} in PyTorch`);
      });
    });
  }

  it('normalisation runs inside the model: input gradients are in pixel space and flow through every op', () => {
    for (const name of ['mnist-sdn', 'resnet-exits']) {
      const model = models.get(name) as ImportedModel;
      const x = tf.tidy(() => inputsFor(name, tf.slice(digits!.x, 0, 4)));
      const g = tf.grad((v: tf.Tensor) => tf.sum(model.forwardAll(v).exits.reduce((a, e) => tf.add(a, tf.sum(e)), tf.scalar(0))))(x);
      assert.deepStrictEqual(g.shape, x.shape);
      const norm = tf.tidy(() => tf.sum(tf.abs(g)).dataSync()[0]!);
      assert.ok(Number.isFinite(norm) && norm > 0, `${name}: non-zero, finite input gradient (${norm})`);
      // The gradient is the right one: along a random direction it matches a central difference of each exit. Random
      // inputs, not digits: a digit's flat background makes max-pooling windows tie, where the two sides of a
      // difference take different maxima.
      const xr = tf.randomUniform([2, ...model.inputShape], 0.2, 0.8, 'float32', 7);
      const d = tf.randomUniform(xr.shape, -1, 1, 'float32', 5);
      model.exitNames.forEach((exit, k) => {
        const f = (v: tf.Tensor): tf.Scalar => tf.sum(model.forwardAll(v).exits[k]!);
        const [analytic, numeric] = tf.tidy(() => {
          const value = (v: tf.Tensor): number => f(v).dataSync()[0]!;
          // float32 and ReLU kinks make one difference noisy (about 10%): average three step sizes.
          const steps = [1e-3, 3e-4, 1e-4];
          const central = steps.map((h) => (value(tf.add(xr, tf.mul(d, h))) - value(tf.sub(xr, tf.mul(d, h)))) / (2 * h));
          return [tf.sum(tf.mul(tf.grad(f)(xr), d)).dataSync()[0]!, central.reduce((a, b) => a + b, 0) / steps.length];
        });
        assert.ok(Math.abs(analytic - numeric) <= 0.25 * Math.abs(numeric) + 0.1, `${name} ${exit}: directional derivative ${analytic} by tf.grad, ${numeric} by central difference`);
      });
      tf.dispose([xr, d]);
      tf.dispose([x, g]);
    }
  });

  it('dynamic inference really skips work: a sample that leaves at exit 1 never runs the later segments', async () => {
    const model = models.get('mnist-sdn') as ImportedModel;
    const x = tf.slice(digits!.x, 0, 64);
    // Every step of every exit's part records the rows it ran on.
    const rows = model.plan.exits.map(() => [] as number[]);
    const restore: (() => void)[] = [];
    model.plan.exits.forEach((e, k) => {
      for (const step of [...e.trunk.steps, ...e.head.steps] as OnnxStep[]) {
        const run = step.run;
        step.run = (xs) => {
          rows[k]!.push(xs[0]?.shape[0] ?? -1);
          return run(xs);
        };
        restore.push(() => (step.run = run));
      }
    });
    try {
      assert.ok(model.plan.exits.every((e) => e.trunk.steps.length + e.head.steps.length > 0), 'every exit has its own part');
      const before = tf.memory().numTensors;
      const all = await model.runDynamic(x, { thresholds: [0, 0] });
      assert.strictEqual(tf.memory().numTensors, before, 'no tensors leaked');
      assert.ok(all.exitIndex.every((e) => e === 0));
      assert.deepStrictEqual(all.executed.segmentRows, [64, 0, 0]);
      assert.ok(rows[0]!.length > 0 && rows[0]!.every((r) => r === 64));
      assert.deepStrictEqual([rows[1], rows[2]], [[], []], 'the later segments never ran');

      rows.forEach((r) => (r.length = 0));
      const run = await model.runDynamic(x, { thresholds: [0.99, 0.99] });
      const past = (k: number): number => run.exitIndex.filter((e) => e >= k).length;
      assert.ok(past(1) > 0 && past(1) < 64, `some samples leave at exit 1 (${64 - past(1)} did)`);
      assert.deepStrictEqual(run.executed.segmentRows, [64, past(1), past(2)]);
      assert.ok(rows[1]!.every((r) => r === past(1)) && rows[2]!.every((r) => r === past(2)), `rows seen per part: ${rows.map((r) => r[0]).join(', ')}`);
      // Each answer is the one the whole graph gives at the exit the sample took.
      const outs = model.forwardAll(x).exits;
      const preds = outs.map((o) => Array.from(tf.argMax(o, 1).dataSync()));
      run.exitIndex.forEach((e, i) => assert.strictEqual(run.prediction[i], preds[e]![i], `sample ${i} at exit ${e}`));
      assert.strictEqual(run.flops[0], model.flopsAtExit[run.exitIndex[0]!]);
      tf.dispose(outs);
    } finally {
      restore.forEach((r) => r());
      x.dispose();
    }
  });
});
