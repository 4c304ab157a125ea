// ONNX import: load + convert time per fixture (test/fixtures/onnx), and PGD throughput on the imported residual
// network next to PyTorch (test/bench/torch/onnx_pgd.py) on the same ONNX-exported weights, inputs and start.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { getThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import { attack } from '../../src/attacks/attack';
import { restartSeed } from '../../src/attacks/ascent';
import { projectAndClip, randomInBall } from '../../src/attacks/projection';
import { initBackend } from '../../src/engine/backend';
import { DEFAULT_TRAIN_FRACTION, MNIST_PIXELS, loadMnistAll, mnistSplit } from '../../src/engine/data/mnist';
import { encodeNpy } from '../../src/engine/data/npy';
import { importModel } from '../../src/engine/import';
import { decodeOnnx } from '../../src/engine/import/onnxDecode';

const ROOT = path.join(__dirname, '..', '..', '..');
const FIXTURES = path.join(ROOT, 'test', 'fixtures', 'onnx');
const PYTHON = process.env.DYNN_TORCH_PYTHON ?? '/usr/bin/python3';
const TORCH_SCRIPT = path.join(ROOT, 'test', 'bench', 'torch', 'onnx_pgd.py');
const TORCH_THREADS = Number(process.env.DYNN_TORCH_THREADS ?? os.cpus().length);
const BATCH = 64;
const STEPS = Number(process.env.DYNN_BENCH_PGD_STEPS ?? 10);
const SEED = 1;

const SIDECARS: Record<string, string> = {
  'mnist-sdn': 'input: { shape: [28, 28, 1], range: [0, 1] }\nimport: { model: mnist-sdn.onnx, outputs: [exit1, exit2, final], normalize: { mean: [0.1307], std: [0.3081] } }\ndata: { source: mnist }',
  'mnist-static': 'input: { shape: [28, 28, 1], range: [0, 1] }\nimport: { model: mnist-static.onnx, outputs: [final] }\ndata: { source: mnist }',
  'resnet-exits': 'input: { shape: [32, 32, 3], range: [0, 1] }\nimport: { model: resnet-exits.onnx, outputs: [exit1, exit2, final] }\ndata: { source: csv, train: a.csv, test: b.csv }',
};

export async function bench(): Promise<Record<string, unknown>> {
  const backend = await initBackend();
  const work = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'dynn-onnx-bench-')));
  try {
    const load: Record<string, { bytes: number; medianMs: number; runs: number }> = {};
    for (const [name, body] of Object.entries(SIDECARS)) {
      fs.copyFileSync(path.join(FIXTURES, `${name}.onnx`), path.join(work, `${name}.onnx`));
      fs.writeFileSync(path.join(work, `${name}.dynn.yaml`), `dynn: 1\nname: ${name}\nclasses: 10\n${body}\n`);
      const times: number[] = [];
      for (let i = 0; i < 5; i++) {
        const started = performance.now();
        const m = await importModel(`${name}.dynn.yaml`, work);
        times.push(performance.now() - started);
        m.dispose();
      }
      times.sort((a, b) => a - b);
      load[name] = { bytes: fs.statSync(path.join(work, `${name}.onnx`)).size, medianMs: times[2] as number, runs: times.length };
    }
    return { backend: backend.name, threads: backend.name === 'wasm' ? getThreadsCount() : undefined, loadAndConvert: load, pgd: await pgdSideBySide(work) };
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

/** PGD on the imported residual net in TF.js, then the same in PyTorch; both from the same random start. */
async function pgdSideBySide(work: string): Promise<Record<string, unknown>> {
  const model = await importModel('resnet-exits.dynn.yaml', work);
  const all = await loadMnistAll();
  const idx = mnistSplit(DEFAULT_TRAIN_FRACTION).test.slice(0, BATCH);
  const raw = new Float32Array(BATCH * MNIST_PIXELS);
  idx.forEach((i, j) => raw.set(all.x.subarray(i * MNIST_PIXELS, (i + 1) * MNIST_PIXELS), j * MNIST_PIXELS));
  // The digits as make_fixtures.py trained the residual net on them: padded to 32x32, the channel repeated.
  const x = tf.tidy(() => tf.tile(tf.pad(tf.tensor4d(raw, [BATCH, 28, 28, 1]), [[0, 0], [2, 2], [2, 2], [0, 0]]), [1, 1, 1, 3]));
  const y = tf.tensor1d(Array.from(idx, (i) => all.y[i] as number), 'int32');
  const config = { kind: 'pgd', norm: 'linf', eps: 8 / 255, step: 2 / 255, steps: STEPS, loss: 'final' } as const;
  try {
    (await attack(model, x, y, { ...config, steps: 1 }, { seed: SEED })).xAdv.dispose();
    const result = await attack(model, x, y, config, { seed: SEED });
    const tfjs = { seconds: result.seconds, imagesStepsPerSecond: (BATCH * STEPS) / result.seconds, gradEvals: result.gradEvals };
    result.xAdv.dispose();
    const dir = path.join(work, 'torch');
    fs.mkdirSync(dir);
    const npy = (t: tf.Tensor): Uint8Array => encodeNpy(t.dtype === 'int32' ? { dtype: '<i4', shape: t.shape, data: Int32Array.from(t.dataSync()) } : { dtype: '<f4', shape: t.shape, data: Float32Array.from(t.dataSync()) });
    // The random start the attack used (ascent.ts seeds restart 0 with restartSeed(seed, 0)).
    const x0 = tf.tidy(() => projectAndClip(tf.add(x, randomInBall(x.shape, 'linf', config.eps, restartSeed(SEED, 0))), x, 'linf', config.eps, model.inputRange));
    fs.writeFileSync(path.join(dir, 'x.npy'), npy(x));
    fs.writeFileSync(path.join(dir, 'y.npy'), npy(y));
    fs.writeFileSync(path.join(dir, 'x0.npy'), npy(x0));
    x0.dispose();
    fs.writeFileSync(path.join(dir, 'params.json'), JSON.stringify({ fixture: 'resnet-exits', eps: config.eps, step: config.step, steps: STEPS, threads: TORCH_THREADS }));
    // The initializers as the importer decoded them, one .npy each, named as in the ONNX graph.
    const decoded = await decodeOnnx(fs.readFileSync(path.join(work, model.modelFile)), model.modelFile, () => Promise.reject(new Error('no external data')));
    const names: Record<string, string> = {};
    [...decoded.initializers.values()].forEach((t, i) => {
      if (!t.float) return;
      names[t.name] = `w${i}.npy`;
      fs.writeFileSync(path.join(dir, `w${i}.npy`), encodeNpy({ dtype: '<f4', shape: t.dims, data: t.data as Float32Array }));
    });
    // The exporter stores equal tensors once and names the others through Identity nodes.
    for (const n of decoded.nodes) if (n.opType === 'Identity' && names[n.inputs[0] ?? ''] !== undefined) names[n.outputs[0] ?? ''] = names[n.inputs[0] ?? '']!;
    fs.writeFileSync(path.join(dir, 'weights.json'), JSON.stringify(names));
    const run = spawnSync(PYTHON, [TORCH_SCRIPT, dir], { encoding: 'utf8', timeout: 30 * 60 * 1000 });
    if (run.status !== 0) return { tfjs, torch: { error: `${PYTHON} ${path.basename(TORCH_SCRIPT)} failed: ${(run.stderr || run.error?.message || '').slice(-800)}` } };
    const torchOut = JSON.parse(fs.readFileSync(path.join(dir, 'torch_result.json'), 'utf8')) as { seconds: number; cleanFinalLogits: number[][] } & Record<string, unknown>;
    // Cross-check: the clean final-exit logits of both sides on the same weights.
    const ours = tf.tidy(() => model.forwardAll(x).exits[2]!.arraySync());
    let maxAbsLogitDiff = 0;
    torchOut.cleanFinalLogits.forEach((row, i) => row.forEach((v, j) => (maxAbsLogitDiff = Math.max(maxAbsLogitDiff, Math.abs(v - ours[i]![j]!)))));
    const { cleanFinalLogits: _drop, ...torch } = torchOut;
    return {
      model: 'resnet-exits (32x32x3; grouped and depthwise convolutions, batch norm, HardSwish)',
      batch: BATCH,
      attack: config,
      tfjs,
      torch: { ...torch, imagesStepsPerSecond: (BATCH * STEPS) / torchOut.seconds },
      ratioTfjsToTorchPerWallSecond: torchOut.seconds / result.seconds,
      maxAbsLogitDiff,
      loadAverageAtEnd: os.loadavg()[0],
    };
  } finally {
    tf.dispose([x, y]);
    model.dispose();
  }
}
