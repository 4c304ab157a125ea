// Engine bench on the main example (examples/mnist-sdn.dynn.yaml): training time, clean evaluation, dynamic vs
// static wall time per sample next to the FLOPs ratio, and the attack's inner loop (input gradient, batch 128),
// plus the fast custom gradients against the stock kernels they replace.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { initBackend, parseBackendPreference } from '../../src/engine/backend';
import { loadData } from '../../src/engine/data';
import { evaluate } from '../../src/engine/evaluate';
import { conv2dFast, maxPoolFast } from '../../src/engine/fastgrad';
import { buildStaticTwin } from '../../src/engine/network';
import { loadOrTrain } from '../../src/engine/cache';
import type { Network } from '../../src/engine/network';
import { analyzeText } from '../../src/modelfile';
import type { ModelSpec } from '../../src/modelfile/types';

const ROOT = path.join(__dirname, '..', '..', '..');
/** The main example; DYNN_BENCH_EXAMPLE measures another model file (layout experiments) the same way. */
const EXAMPLE = process.env.DYNN_BENCH_EXAMPLE ? path.resolve(process.env.DYNN_BENCH_EXAMPLE) : path.join(ROOT, 'examples', 'mnist-sdn.dynn.yaml');

function loadSpec(file: string): ModelSpec {
  const analysis = analyzeText(fs.readFileSync(file, 'utf8'), { fileName: path.basename(file) });
  const errors = analysis.diagnostics.filter((d) => d.severity === 'error');
  if (analysis.spec === undefined || errors.length > 0) throw new Error(`${file}: ${errors.map((e) => e.message).join('; ')}`);
  return analysis.spec;
}

const DYNAMIC_BATCH = 256;

/** Untimed passes of each model first: a process's first passes have measured 1.3-2x slower than its later ones. */
const WARM_UP_PASSES = 3;
const TIMED_PASSES = 9;

/**
 * Dynamic inference of the trained model against the static twin on the same inputs: interleaved runs, fastest and
 * median of each (on a shared machine the minimum is the least disturbed one). Wall time does not depend on the
 * weights, so the twin is timed untrained (same backbone, no heads).
 */
export async function timeDynamicVsStatic(spec: ModelSpec, model: Network, x: tf.Tensor, flopsSaving: number): Promise<Record<string, unknown>> {
  const twin = buildStaticTwin(spec);
  try {
    const batchSize = DYNAMIC_BATCH;
    const dynTimes: number[] = [];
    const staticTimes: number[] = [];
    for (let i = 0; i < WARM_UP_PASSES; i++) {
      await model.runDynamic(x, { batchSize });
      await twin.runDynamic(x, { batchSize });
    }
    for (let i = 0; i < TIMED_PASSES; i++) {
      dynTimes.push((await model.runDynamic(x, { batchSize })).millis);
      staticTimes.push((await twin.runDynamic(x, { batchSize })).millis);
    }
    const n = x.shape[0] ?? 1;
    const summary = (dyn: number, stat: number): Record<string, number | null> => {
      const timeSaving = 1 - dyn / stat;
      return { dynamicMsPerSample: dyn / n, staticMsPerSample: stat / n, wallRatio: dyn / stat, timeSaving, realisedShareOfFlopsSaving: flopsSaving > 0 ? timeSaving / flopsSaving : null };
    };
    return {
      warmUpPasses: WARM_UP_PASSES,
      timedPasses: TIMED_PASSES,
      fastest: summary(Math.min(...dynTimes), Math.min(...staticTimes)),
      median: summary(median(dynTimes), median(staticTimes)),
    };
  } finally {
    twin.dispose();
  }
}

/** timeDynamicVsStatic in a child process (WASM on `threads` threads, or the default), on the weights cached in `workspace`. */
function childComparison(workspace: string, flopsSaving: number, threads: number | undefined): Record<string, unknown> {
  const script = `
    require(${JSON.stringify(path.join(__dirname, '..', '..', 'src', 'platform', 'node'))}).useNodeHost();
    const bench = require(${JSON.stringify(__filename)});
    bench.comparisonChild(${JSON.stringify(EXAMPLE)}, ${JSON.stringify(workspace)}, ${flopsSaving})
      .then((r) => console.log(JSON.stringify(r)), (e) => { console.error(e); process.exitCode = 1; });`;
  const env = { ...process.env, ...(threads === undefined ? {} : { DYNN_WASM_THREADS: String(threads) }) };
  const run = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', cwd: ROOT, env, timeout: 10 * 60 * 1000 });
  if (run.status !== 0) return { error: run.stderr.trim().split('\n').slice(-3).join(' | ') };
  const lines = run.stdout.trim().split('\n');
  return JSON.parse(lines[lines.length - 1] ?? '{}') as Record<string, unknown>;
}

/** The child side of childComparison. */
export async function comparisonChild(file: string, workspace: string, flopsSaving: number): Promise<Record<string, unknown>> {
  const backend = await initBackend({ preference: parseBackendPreference(process.env.DYNN_BACKEND) });
  const spec = loadSpec(file);
  const data = await loadData(spec, workspace, {});
  const cached = await loadOrTrain(spec, workspace);
  if (!cached.cached) throw new Error('the fresh-process comparison found no cached weights');
  try {
    return { backendReason: backend.reason, ...(await timeDynamicVsStatic(spec, cached.model, data.test.x, flopsSaving)) };
  } finally {
    cached.model.dispose();
  }
}

/** Median milliseconds of `runs` calls after one warm-up; each call reads its result back. */
async function timeMs(fn: () => tf.Tensor | Promise<unknown>, runs: number): Promise<number> {
  const once = async (): Promise<void> => {
    const r = fn();
    if (r instanceof tf.Tensor) {
      await r.data();
      r.dispose();
    } else await r;
  };
  await once();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    await once();
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)] ?? NaN;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? NaN;
}

export async function bench(): Promise<Record<string, unknown>> {
  const backend = await initBackend({ preference: parseBackendPreference(process.env.DYNN_BACKEND) });
  const spec = loadSpec(EXAMPLE);
  const workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'dynn-bench-'));
  const data = await loadData(spec, workspace, {});
  const result: Record<string, unknown> = { backend, example: path.relative(ROOT, EXAMPLE).split(path.sep).join('/'), train: data.train.description, test: data.test.description };

  // CPU seconds beside wall seconds: on a shared machine the wall clock mostly measures the neighbours.
  // Trained into the bench's own (empty) workspace cache, so the single-thread comparison below can load it.
  const cpuBefore = process.cpuUsage();
  const trained = await loadOrTrain(spec, workspace, () => Promise.resolve(data));
  const cpu = process.cpuUsage(cpuBefore);
  const model = trained.model;
  const metrics = trained.metrics;
  if (trained.cached || metrics === undefined) throw new Error('the bench workspace already had weights: training was not timed');
  result.training = { seconds: metrics.seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6, loadAverage: os.loadavg(), epochs: metrics.epochs, epochLoss: metrics.epochLoss, samples: metrics.samples };

  const evaluation = await evaluate(model, data.test);
  result.evaluation = evaluation;
  const finalAccuracy = evaluation.perExitAccuracy[evaluation.perExitAccuracy.length - 1] ?? 0;
  const batchSize = DYNAMIC_BATCH;
  const n = data.test.x.shape[0] ?? 1;
  const flopsSaving = 1 - evaluation.meanFlopsVsStatic;
  const timing = await timeDynamicVsStatic(spec, model, data.test.x, flopsSaving);
  // Every sample through every segment and head: where the time sits against where the FLOPs sit.
  const segments = model.profileSegments(data.test.x, batchSize, 3);
  const backboneMs = segments.reduce((a, g) => a + g.backboneMs, 0);
  const backboneFlops = segments.reduce((a, g) => a + g.backboneFlopsPerSample, 0);
  result.dynamicVsStatic = {
    samples: n,
    batchSize,
    flopsRatioVsStatic: evaluation.meanFlopsVsStatic,
    flopsSaving,
    exitDistribution: evaluation.exitDistribution,
    // In a fresh process on the cached weights (what a new worker or CLI run sees), with the backend's default
    // threads and, for WASM, on one thread (one WASM module per process, so each in its own child).
    freshProcess: childComparison(workspace, flopsSaving, undefined),
    ...(backend.name === 'wasm' ? { freshProcessOneThread: childComparison(workspace, flopsSaving, 1) } : {}),
    // In this process right after training (a worker that trains, then checks).
    afterTrainingInProcess: timing,
    accuracyLostVsFinal: finalAccuracy - evaluation.dynamicAccuracy,
    segments: segments.map((g) => ({
      exit: g.name,
      layers: g.layers,
      backboneMs: g.backboneMs,
      headMs: g.headMs,
      shareOfBackboneTime: backboneMs > 0 ? g.backboneMs / backboneMs : 0,
      shareOfBackboneFlops: backboneFlops > 0 ? g.backboneFlopsPerSample / backboneFlops : 0,
    })),
  };

  // The attack's inner loop: gradient of the summed exit losses w.r.t. a batch of 128 inputs.
  const x = tf.slice(data.test.x, 0, 128);
  const labels = tf.tidy(() => tf.oneHot(tf.cast(tf.slice(data.test.y, 0, 128), 'int32'), spec.classes));
  const inputGrad = (): tf.Tensor =>
    tf.tidy(() => tf.grad((xi: tf.Tensor) => tf.addN(model.forwardAll(xi).exits.map((l) => tf.losses.softmaxCrossEntropy(labels, l))))(x));
  const gradMs = await timeMs(inputGrad, 5);
  const forwardMs = await timeMs(() => tf.tidy(() => model.forwardAll(x).exits[model.exitNames.length - 1] as tf.Tensor), 5);
  result.attackInnerLoop = { batch: 128, forwardMs, forwardBackwardMs: gradMs, samplesPerSecond: (128 / gradMs) * 1000 };

  // Custom gradients against the stock kernels they replace (same shapes as the example's second conv).
  const fm = tf.randomNormal<tf.Rank.R4>([128, 14, 14, 16], 0, 1, 'float32', 1);
  const w = tf.randomNormal<tf.Rank.R4>([3, 3, 16, 16], 0, 1, 'float32', 2);
  const convUp = tf.randomNormal([128, 14, 14, 16], 0, 1, 'float32', 3);
  const poolUp = tf.randomNormal([128, 7, 7, 16], 0, 1, 'float32', 4);
  const convGrad = (op: typeof tf.conv2d) => () => tf.tidy(() => tf.grad((a: tf.Tensor) => tf.sum(tf.mul(op(a as tf.Tensor4D, w, 1, 'same'), convUp)))(fm));
  const poolGrad = (op: typeof tf.maxPool) => () => tf.tidy(() => tf.grad((a: tf.Tensor) => tf.sum(tf.mul(op(a as tf.Tensor4D, 2, 2, 'valid'), poolUp)))(fm));
  result.customGradients = {
    convForwardMs: await timeMs(() => tf.conv2d(fm, w, 1, 'same'), 5),
    convInputGradStockMs: await timeMs(convGrad(tf.conv2d), 5),
    convInputGradFastMs: await timeMs(convGrad(conv2dFast as typeof tf.conv2d), 5),
    maxPoolForwardMs: await timeMs(() => tf.maxPool(fm, 2, 2, 'valid'), 5),
    maxPoolGradStockMs: await timeMs(poolGrad(tf.maxPool), 5),
    maxPoolGradFastMs: await timeMs(poolGrad(maxPoolFast as typeof tf.maxPool), 5),
  };
  [x, labels, fm, w, convUp, poolUp].forEach((t) => t.dispose());
  model.dispose();
  data.train.x.dispose();
  data.train.y.dispose();
  data.test.x.dispose();
  data.test.y.dispose();
  fs.rmSync(workspace, { recursive: true, force: true });
  result.leakedTensors = tf.memory().numTensors;
  return result;
}

if (require.main === module) {
  bench()
    .then((r) => console.log(JSON.stringify(r, null, 2)))
    .catch((e: unknown) => {
      console.error(e);
      process.exitCode = 1;
    });
}
