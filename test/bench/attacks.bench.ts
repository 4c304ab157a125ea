// PGD throughput on the main example (examples/mnist-sdn.dynn.yaml, batch 128, Madry's MNIST settings) in TF.js,
// and THE SAME PGD on THE SAME weights and inputs in PyTorch on the CPU (test/bench/torch/pgd.py), as a speed peer
// and a cross-check: the largest logit difference between the two implementations must be tiny. APGD-CE (the same
// iterations, at eps 0.1) runs on both sides too: a throughput peer, and a robust accuracy an independent
// implementation of the paper's algorithm should match within sampling noise.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { getThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import { attack } from '../../src/attacks/attack';
import { restartSeed } from '../../src/attacks/ascent';
import { MNIST_LINF } from '../../src/attacks/defaults';
import type { AttackConfig } from '../../src/attacks/types';
import { projectAndClip, randomInBall } from '../../src/attacks/projection';
import { initBackend } from '../../src/engine/backend';
import { loadOrTrain } from '../../src/engine/cache';
import { loadArrays, loadData } from '../../src/engine/data';
import { encodeNpy } from '../../src/engine/data/npy';
import type { Network } from '../../src/engine/network';
import { analyzeText } from '../../src/modelfile';
import type { ModelSpec } from '../../src/modelfile/types';

const ROOT = path.join(__dirname, '..', '..', '..');
const EXAMPLE = path.join(ROOT, 'examples', 'mnist-sdn.dynn.yaml');
const BATCH = 128;
const SEED = 1;
/** APGD's radius: the main example's first one (at 0.3 nothing survives either implementation). */
const APGD_EPS = 0.1;
/** PGD iterations timed (Madry's 40 by default; DYNN_BENCH_PGD_STEPS shortens a run on a busy machine). */
const STEPS = Number(process.env.DYNN_BENCH_PGD_STEPS ?? MNIST_LINF.steps);
/** Debian's interpreter (the one python3-torch installs into); override with DYNN_TORCH_PYTHON. */
const PYTHON = process.env.DYNN_TORCH_PYTHON ?? '/usr/bin/python3';
const TORCH_SCRIPT = path.join(ROOT, 'test', 'bench', 'torch', 'pgd.py');
/**
 * PyTorch's intra-op threads: every core by default; DYNN_TORCH_THREADS=1 gives the per-core peer of the
 * single-threaded WASM backend (with other work on the machine, OpenMP threads that wait on a busy core can make
 * the 2-thread figure swing by an order of magnitude).
 */
const TORCH_THREADS = Number(process.env.DYNN_TORCH_THREADS ?? os.cpus().length);

export async function bench(): Promise<Record<string, unknown>> {
  const backend = await initBackend();
  const spec = loadSpec(EXAMPLE);
  // The trained example from the engine's weight cache (.dynn/weights), trained once when absent.
  const trainStarted = performance.now();
  const trained = await loadOrTrain(spec, ROOT, () => loadData(spec, ROOT));
  const trainSeconds = (performance.now() - trainStarted) / 1000;
  const model = trained.model;
  try {
    const data = await loadArrays(spec, ROOT, { maxTrain: 1, maxTest: BATCH });
    const x = tf.tensor(data.test.x, [data.test.n, ...data.test.shape]);
    const y = tf.tensor1d(data.test.y, 'int32');
    const config = { kind: 'pgd', norm: 'linf', eps: MNIST_LINF.eps, step: MNIST_LINF.step, steps: STEPS, loss: 'final' } as const;

    // One step first so kernel compilation and allocation are not counted.
    // Its one-step result is also compared with PyTorch's first step from the same start.
    const warm = await attack(model, x, y, { ...config, steps: 1 }, { seed: SEED });
    const cpuBefore = process.cpuUsage();
    const result = await attack(model, x, y, config, { seed: SEED });
    const cpu = process.cpuUsage(cpuBefore);
    const cpuSeconds = (cpu.user + cpu.system) / 1e6;
    const tfjs = {
      backend: backend.name,
      threads: backend.name === 'wasm' ? getThreadsCount() : undefined,
      backendReason: backend.reason,
      seconds: result.seconds,
      cpuSeconds,
      imagesStepsPerSecond: (BATCH * config.steps) / result.seconds,
      imagesStepsPerCpuSecond: (BATCH * config.steps) / cpuSeconds,
      gradEvals: result.gradEvals,
      robustAccuracy: finalAccuracy(model, result.xAdv, y),
      cleanAccuracy: finalAccuracy(model, x, y),
      flags: result.flags.map((f) => f.code),
    };
    // APGD-CE (Croce & Hein) on the same batch with the same iterations, at eps 0.1 where the model is not emptied
    // (at 0.3 every attack leaves 0%, so the figure could not tell two implementations apart): its throughput and
    // what it leaves standing. PyTorch runs the same algorithm on the same weights and images below.
    const apgdWarm = await attack(model, x, y, { kind: 'apgd', norm: 'linf', eps: APGD_EPS, steps: 1, loss: 'final' }, { seed: SEED });
    apgdWarm.xAdv.dispose();
    const apgdResult = await attack(model, x, y, { kind: 'apgd', norm: 'linf', eps: APGD_EPS, steps: STEPS, loss: 'final' }, { seed: SEED });
    const apgd = {
      eps: APGD_EPS,
      steps: STEPS,
      seconds: apgdResult.seconds,
      // One restart: N + 1 gradient evaluations per image (the start and each iteration).
      imagesStepsPerSecond: apgdResult.gradEvals / apgdResult.seconds,
      gradEvals: apgdResult.gradEvals,
      robustAccuracy: finalAccuracy(model, apgdResult.xAdv, y),
      flags: apgdResult.flags.map((f) => f.code),
    };
    apgdResult.xAdv.dispose();
    const convolutionMsPerStep = await convolutionTimePerStep(model, x, y, config);
    const torch = runTorch(spec, model, x, y, result.xAdv, warm.xAdv, config);
    // The kernel under both: one convolution of the example's conv3 shape, forward only, each side's fastest run.
    // PGD can beat the peer only as far as its kernels allow (WASM SIMD is 128 bits wide, without fused multiply-add).
    const convKernel = { shapeNHWC: CONV_SHAPE, kernelHWIO: CONV_KERNEL, tfjsGflops: convKernelGflops(), torchGflops: torch.convKernelGflops };
    const torchMsPerStep = typeof torch.seconds === 'number' ? (torch.seconds * 1000) / config.steps : undefined;
    const torchApgd = typeof torch.apgd === 'object' && torch.apgd !== null ? (torch.apgd as { imagesStepsPerSecond: number; robustAccuracy: number }) : undefined;
    const tfjsMsPerStep = (result.seconds * 1000) / config.steps;
    tf.dispose([x, y, result.xAdv, warm.xAdv]);
    const rate = (side: Record<string, unknown>, key: string): number | undefined => (typeof side[key] === 'number' ? (side[key]) : undefined);
    const ratio = (key: string): number | undefined => {
      const mine = rate(tfjs, key);
      const theirs = rate(torch, key);
      return mine === undefined || theirs === undefined || theirs === 0 ? undefined : mine / theirs;
    };
    return {
      // Speed of TF.js relative to PyTorch on the same machine, in the same run (>= 1 means TF.js is as fast).
      ratioTfjsToTorch: {
        perWallSecond: ratio('imagesStepsPerSecond'),
        perCpuSecond: ratio('imagesStepsPerCpuSecond'),
        convKernel: typeof convKernel.torchGflops === 'number' ? convKernel.tfjsGflops / convKernel.torchGflops : undefined,
        // The best TF.js could reach if everything but its convolution kernels took no time.
        ceilingIfOnlyConvolutions: torchMsPerStep === undefined ? undefined : torchMsPerStep / convolutionMsPerStep,
        // APGD-CE, the same iterations at the same radius on both sides (gradient evaluations per wall second).
        apgdPerWallSecond: torchApgd === undefined ? undefined : apgd.imagesStepsPerSecond / torchApgd.imagesStepsPerSecond,
      },
      convKernel,
      // One PGD step: TF.js's wall time, the part its convolution kernels take (tf.profile), PyTorch's wall time.
      msPerStep: { tfjs: tfjsMsPerStep, tfjsConvolutionKernels: convolutionMsPerStep, torch: torchMsPerStep },
      // Other work on the machine skews wall time; CPU time is the fairer figure under load.
      loadAverageAtEnd: os.loadavg()[0],
      model: `${spec.name} (examples/mnist-sdn.dynn.yaml)`,
      weights: trained.cached ? `engine weight cache ${trained.key}` : `trained now (${trainSeconds.toFixed(0)} s), cached as ${trained.key}`,
      loadOrTrainSeconds: trainSeconds,
      data: data.test.description,
      batch: BATCH,
      attack: config,
      tfjs,
      apgd,
      torch,
    };
  } finally {
    model.dispose();
  }
}

/**
 * Milliseconds per PGD step spent in convolution kernels (forward convs and the input gradients written as convs),
 * from tf.profile: a 4-step run minus a 1-step run, so the set-up and the final evaluation cancel out.
 */
async function convolutionTimePerStep(model: Network, x: tf.Tensor, y: tf.Tensor1D, config: AttackConfig): Promise<number> {
  const convMs = async (steps: number): Promise<number> => {
    const info = await tf.profile(async () => {
      const r = await attack(model, x, y, { ...config, steps }, { seed: SEED });
      r.xAdv.dispose();
    });
    return info.kernels.filter((k) => /conv/i.test(k.name)).reduce((a, k) => a + (typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0), 0);
  };
  return ((await convMs(4)) - (await convMs(1))) / 3;
}

/** The example's conv3 input (batch 128, 14x14, 16 channels) and kernel (3x3, 16 -> 24). */
const CONV_SHAPE: [number, number, number, number] = [BATCH, 14, 14, 16];
const CONV_KERNEL: [number, number, number, number] = [3, 3, 16, 24];

function convKernelGflops(): number {
  const x = tf.randomNormal<tf.Rank.R4>(CONV_SHAPE, 0, 1, 'float32', 1);
  const w = tf.randomNormal<tf.Rank.R4>(CONV_KERNEL, 0, 1, 'float32', 2);
  for (let i = 0; i < 3; i++) tf.conv2d(x, w, 1, 'same').dispose();
  let best = Infinity;
  for (let i = 0; i < 20; i++) {
    const started = performance.now();
    // Node's backends run a kernel before the op returns; reading the result back is not part of the kernel.
    const y = tf.conv2d(x, w, 1, 'same');
    best = Math.min(best, performance.now() - started);
    y.dispose();
  }
  tf.dispose([x, w]);
  const [n, h, wd, c] = CONV_SHAPE;
  const [kh, kw, , out] = CONV_KERNEL;
  return (2 * n * h * wd * c * kh * kw * out) / (best / 1000) / 1e9;
}

function loadSpec(file: string): ModelSpec {
  const analysis = analyzeText(fs.readFileSync(file, 'utf8'), { fileName: path.basename(file) });
  if (analysis.spec === undefined) {
    const errors = analysis.diagnostics.filter((d) => d.severity === 'error').map((d) => d.message);
    throw new Error(`${file} does not give a model: ${errors.join('; ')}`);
  }
  return analysis.spec;
}


function finalAccuracy(model: Network, x: tf.Tensor, y: tf.Tensor1D): number {
  return tf.tidy(() => {
    const exits = model.forwardAll(x).exits;
    const last = exits[exits.length - 1];
    if (last === undefined) throw new Error('model returned no exits');
    return tf.mean(tf.cast(tf.equal(tf.argMax(last, 1), y), 'float32')).dataSync()[0] ?? NaN;
  });
}

/** Makes sure `import torch, numpy` works in Debian's python; installs python3-torch when root. */
function ensureTorch(): { ok: true } | { ok: false; reason: string } {
  const probe = (): boolean => spawnSync(PYTHON, ['-c', 'import torch, numpy'], { stdio: 'ignore' }).status === 0;
  if (!fs.existsSync(PYTHON)) return { ok: false, reason: `${PYTHON} not found (set DYNN_TORCH_PYTHON)` };
  if (probe()) return { ok: true };
  if (process.getuid?.() !== 0) {
    return { ok: false, reason: `PyTorch is not importable by ${PYTHON}; run 'apt-get install -y python3-torch' as root to enable the cross-check` };
  }
  process.stderr.write('bench: installing python3-torch (about 1 GB) for the PyTorch cross-check ...\n');
  const install = spawnSync('apt-get', ['install', '-y', 'python3-torch'], { stdio: 'ignore', timeout: 30 * 60 * 1000 });
  if (install.status !== 0 || !probe()) {
    return { ok: false, reason: `'apt-get install -y python3-torch' failed (status ${install.status ?? 'killed'})` };
  }
  return { ok: true };
}

function saveNpy(file: string, t: tf.Tensor): void {
  const data = t.dtype === 'int32' ? Int32Array.from(t.dataSync()) : Float32Array.from(t.dataSync());
  fs.writeFileSync(file, encodeNpy({ dtype: t.dtype === 'int32' ? '<i4' : '<f4', shape: [...t.shape], data }));
}

function loadNpyFloats(file: string): Float32Array {
  const buf = fs.readFileSync(file);
  const headerLength = buf.readUInt16LE(8);
  const body = buf.subarray(10 + headerLength);
  return new Float32Array(body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength));
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length mismatch ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs((a[i] ?? 0) - (b[i] ?? 0)));
  return m;
}

function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] ?? 0));
  return m;
}

export function runTorch(
  spec: ModelSpec,
  model: Network,
  x: tf.Tensor,
  y: tf.Tensor1D,
  xAdvTf: tf.Tensor,
  oneStepTf: tf.Tensor,
  config: { eps: number; step: number; steps: number },
): Record<string, unknown> {
  const ready = ensureTorch();
  if (!ready.ok) return { skipped: ready.reason };
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dynn-pgd-'));
  try {
    fs.writeFileSync(path.join(dir, 'spec.json'), JSON.stringify({ backbone: spec.backbone, exits: spec.exits, gates: spec.gates, input: spec.input }));
    const files: Record<string, string> = {};
    model.weights.forEach((w, i) => {
      files[w.name] = `w${i}.npy`;
      saveNpy(path.join(dir, `w${i}.npy`), w.variable);
    });
    fs.writeFileSync(path.join(dir, 'weights.json'), JSON.stringify(files));
    // PGD's random start exactly as attack() draws it (restart 0), so both sides start from the same point.
    const x0 = tf.tidy(() => projectAndClip(tf.add(x, randomInBall(x.shape, 'linf', config.eps, restartSeed(SEED, 0))), x, 'linf', config.eps, model.inputRange));
    saveNpy(path.join(dir, 'x.npy'), x);
    saveNpy(path.join(dir, 'y.npy'), y);
    saveNpy(path.join(dir, 'x0.npy'), x0);
    saveNpy(path.join(dir, 'x_adv_tf.npy'), xAdvTf);
    saveNpy(path.join(dir, 'x_one_step_tf.npy'), oneStepTf);
    x0.dispose();
    const [n, h, w, c] = CONV_SHAPE;
    const [kh, kw, , out] = CONV_KERNEL;
    fs.writeFileSync(
      path.join(dir, 'params.json'),
      JSON.stringify({
        eps: config.eps,
        step: config.step,
        steps: config.steps,
        threads: TORCH_THREADS,
        convShape: [n, c, h, w],
        convKernelShape: [out, c, kh, kw],
        apgd: { eps: APGD_EPS, steps: config.steps, seed: SEED },
      }),
    );
    const run = spawnSync(PYTHON, [TORCH_SCRIPT, dir], { encoding: 'utf8', timeout: 20 * 60 * 1000 });
    if (run.status !== 0) return { error: `pgd.py exited with ${run.status ?? run.signal}: ${run.stderr.trim().split('\n').slice(-3).join(' | ')}` };
    const torchResult = JSON.parse(fs.readFileSync(path.join(dir, 'torch_result.json'), 'utf8')) as Record<string, unknown>;

    // Cross-check 1: every exit's logits on the same clean inputs.
    const tfExits = tf.tidy(() => model.forwardAll(x).exits.map((z) => z.dataSync()));
    let logitDiff = 0;
    let logitScale = 0;
    tfExits.forEach((z, k) => {
      const theirs = loadNpyFloats(path.join(dir, `torch_logits_${k}.npy`));
      logitDiff = Math.max(logitDiff, maxAbsDiff(z, theirs));
      logitScale = Math.max(logitScale, maxAbs(z));
    });
    // Cross-check 2: the final exit on TF.js's adversarial inputs.
    const tfAdvLogits = tf.tidy(() => {
      const exits = model.forwardAll(xAdvTf).exits;
      return (exits[exits.length - 1] as tf.Tensor).dataSync();
    });
    const advLogitDiff = maxAbsDiff(tfAdvLogits, loadNpyFloats(path.join(dir, 'torch_adv_logits_tf.npy')));
    // Cross-check 3: the PGD iterates from the same start, after one step and after all steps. One step agrees
    // except where a gradient entry is ~0 and float rounding flips its sign; over many steps such flips compound.
    const agreement = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
      let same = 0;
      for (let i = 0; i < a.length; i++) if (Math.abs((a[i] ?? 0) - (b[i] ?? 0)) <= 1e-4) same++;
      return same / a.length;
    };
    const mine = xAdvTf.dataSync();
    const theirsAdv = loadNpyFloats(path.join(dir, 'torch_x_adv.npy'));
    return {
      ...torchResult,
      maxLogitDifference: logitDiff,
      maxLogitMagnitude: logitScale,
      maxLogitDifferenceOnAdversarial: advLogitDiff,
      logitsAgree: logitDiff <= 1e-3 * Math.max(1, logitScale),
      oneStepAgreement: agreement(oneStepTf.dataSync(), loadNpyFloats(path.join(dir, 'torch_x_one_step.npy'))),
      adversarialAgreement: agreement(mine, theirsAdv),
      maxAdversarialDifference: maxAbsDiff(mine, theirsAdv),
    };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
