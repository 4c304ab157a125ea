// `npm run -s bench -- gpu`: the WebGPU backend next to WASM and PyTorch in the same run, on the main example
// (examples/mnist-sdn.dynn.yaml, cached weights): the adapter, PGD throughput (images x steps per second, L-inf,
// final-exit loss, the same start on every side), and the editor's quick check (PGD-10 + exit hijack + slowdown).
// Each backend runs in a child process: WebGPU's Vulkan loader reads its environment at start-up, and a machine
// without a GPU gets SwiftShader's software Vulkan (test/harness/tools.js), whose figures are marked as not a GPU's
// and measured on a smaller workload (DYNN_BENCH_GPU_BATCH / _STEPS / _SAMPLES override the sizes).
// Goals on a discrete GPU (not measurable here): the quick check in at most 1 s, PGD at least 10x WASM's throughput.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { attack } from '../../src/attacks/attack';
import { MNIST_LINF } from '../../src/attacks/defaults';
import { initBackend, type BackendPreference } from '../../src/engine/backend';
import { loadOrTrain } from '../../src/engine/cache';
import { loadArrays, loadData } from '../../src/engine/data';
import { probeWebGpu } from '../../src/engine/webgpu';
import { analyzeText } from '../../src/modelfile';
import type { ModelSpec } from '../../src/modelfile/types';
import { runCheck } from '../../src/studies/check';
import { runTorch } from './attacks.bench';

const ROOT = path.join(__dirname, '..', '..', '..');
const FILE = 'examples/mnist-sdn.dynn.yaml';
const SEED = 1;
const GOALS = { quickCheckSeconds: 1, pgdSpeedupOverWasm: 10 };
const TOOLS = path.join(ROOT, 'test', 'harness', 'tools.js');

/** Workload sizes: the quick check's and attacks bench's on a hardware adapter, smaller on a software one. */
function workload(software: boolean): { batch: number; steps: number; samples: number } {
  const n = (name: string, fallback: number): number => Number(process.env[`DYNN_BENCH_GPU_${name}`] ?? fallback);
  return software ? { batch: n('BATCH', 16), steps: n('STEPS', 3), samples: n('SAMPLES', 16) } : { batch: n('BATCH', 128), steps: n('STEPS', MNIST_LINF.steps), samples: n('SAMPLES', 500) };
}

export function bench(): Promise<Record<string, unknown>> {
  return Promise.resolve(run());
}

function run(): Record<string, unknown> {
  // Which environment gives WebGPU an adapter: this machine's own, else SwiftShader's.
  const plain = child('probe', {});
  let env: Record<string, string> = {};
  let probe = plain;
  if (plain.found !== true) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const swift = (require(TOOLS) as { swiftShaderEnv(): { env: Record<string, string> } | undefined }).swiftShaderEnv();
    if (swift !== undefined) {
      env = swift.env;
      probe = child('probe', env);
    }
  }
  if (probe.found !== true) return { adapter: null, why: probe.why ?? plain.why, goals: GOALS };
  const adapter = probe.adapter as { software: boolean; vendor: string; architecture: string; description: string; api: string };
  // On a software adapter the run takes about ten minutes and measures no GPU: only when asked for by name.
  if (adapter.software && !process.argv.slice(2).some((a) => a.length > 0 && 'gpu'.startsWith(a))) {
    return { adapter, skipped: 'a software adapter: its figures would not be a GPU\'s (npm run -s bench -- gpu measures it anyway)', goals: GOALS };
  }
  const size = workload(adapter.software);
  const webgpu = child('webgpu', env, size);
  const wasm = child('wasm', {}, size);
  const rate = (side: Record<string, unknown>): number | undefined => {
    const pgd = side.pgd as { imagesStepsPerSecond?: number } | undefined;
    return pgd?.imagesStepsPerSecond;
  };
  const speedup = rate(webgpu) !== undefined && rate(wasm) !== undefined ? (rate(webgpu) ?? 0) / (rate(wasm) ?? 1) : undefined;
  return {
    adapter,
    environment: Object.keys(env).length > 0 ? 'SwiftShader (software Vulkan, shipped with Chromium) set up by the test tools' : 'this machine',
    note: adapter.software ? "software adapter: these figures are NOT a GPU's (SwiftShader runs on the CPU); the workload is smaller than on a GPU" : 'hardware adapter',
    workload: { ...size, model: FILE, attack: 'PGD L-inf, final-exit loss, eps 0.3, step 0.01' },
    pgdImagesStepsPerSecond: { webgpu: rate(webgpu), wasm: rate(wasm), torch: (wasm.torch as { imagesStepsPerSecond?: number } | undefined)?.imagesStepsPerSecond },
    webgpuOverWasm: speedup,
    quickCheckSeconds: { webgpu: (webgpu.quickCheck as { seconds?: number } | undefined)?.seconds, wasm: (wasm.quickCheck as { seconds?: number } | undefined)?.seconds },
    goals: { ...GOALS, note: 'goals for a discrete GPU, not measurements' },
    loadAverageAtEnd: os.loadavg()[0],
    webgpu,
    wasm,
  };
}

/** Runs `measure(what)` of this module in a fresh Node with `env`; its last stdout line is the JSON answer. */
function child(what: 'probe' | 'webgpu' | 'wasm', env: Record<string, string>, size?: ReturnType<typeof workload>): Record<string, unknown> {
  const script = `require(${JSON.stringify(path.join(ROOT, 'out', 'src', 'platform', 'node'))}).useNodeHost();
    require(${JSON.stringify(__filename)}).measure(${JSON.stringify(what)}, ${JSON.stringify(size ?? null)})
      .then((r) => console.log(JSON.stringify(r)), (e) => console.log(JSON.stringify({ error: String(e && e.stack || e) })));`;
  // stderr passes through: each side says what it is measuring (a software adapter takes minutes).
  const run = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', cwd: ROOT, env: { ...process.env, ...env }, timeout: 60 * 60 * 1000, maxBuffer: 64 * 1024 * 1024, stdio: ['ignore', 'pipe', 'inherit'] });
  const last = run.stdout.trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(last) as Record<string, unknown>;
  } catch {
    return { error: `the ${what} child exited with ${run.status ?? run.signal} (its messages are above)` };
  }
}

/** One side of the bench, in its own process: the adapter probe, or PGD throughput and the quick check on a backend. */
export async function measure(what: 'probe' | 'webgpu' | 'wasm', size: ReturnType<typeof workload> | null): Promise<Record<string, unknown>> {
  if (what === 'probe') return probeWebGpu();
  if (size === null) throw new Error('measure needs a workload');
  const backend = await initBackend({ preference: what as BackendPreference });
  const analysis = analyzeText(fs.readFileSync(path.join(ROOT, FILE), 'utf8'), { fileName: FILE });
  if (analysis.spec === undefined || analysis.specHash === undefined) throw new Error(`${FILE} does not parse`);
  const spec: ModelSpec = analysis.spec;
  const trained = await loadOrTrain(spec, ROOT, () => loadData(spec, ROOT));
  const model = trained.model;
  try {
    const data = await loadArrays(spec, ROOT, { maxTrain: 1, maxTest: size.batch });
    const x = tf.tensor(data.test.x, [data.test.n, ...data.test.shape]);
    const y = tf.tensor1d(data.test.y, 'int32');
    const config = { kind: 'pgd', norm: 'linf', eps: MNIST_LINF.eps, step: MNIST_LINF.step, steps: size.steps, loss: 'final' } as const;
    const say = (m: string): void => void process.stderr.write(`bench gpu (${what}): ${m}\n`);
    say(`PGD, batch ${size.batch}, ${size.steps} steps`);
    // One step first: shader compilation and allocation are not counted.
    const warm = await attack(model, x, y, { ...config, steps: 1 }, { seed: SEED });
    const result = await attack(model, x, y, config, { seed: SEED });
    const pgd = { seconds: result.seconds, imagesStepsPerSecond: (size.batch * size.steps) / result.seconds };
    const torch = what === 'wasm' ? runTorch(spec, model, x, y, result.xAdv, warm.xAdv, config) : undefined;
    tf.dispose([x, y, warm.xAdv, result.xAdv]);
    say(`PGD ${pgd.imagesStepsPerSecond.toFixed(1)} images x steps / s; quick check on ${size.samples} samples`);
    // The editor's quick check (check.bench.ts's attacks), weights from the cache.
    const started = performance.now();
    const check = await runCheck({ spec, specHash: analysis.specHash, file: FILE, workspaceRoot: ROOT }, { backend: what, attacks: ['pgd-final', 'hijack', 'slowdown'], eps: [0.1], steps: 10, samples: size.samples });
    const quickCheck = { seconds: (performance.now() - started) / 1000, samples: size.samples, backend: check.provenance.backend, cleanAccuracy: check.clean.accuracy, attacks: check.attacks.map((a) => ({ id: a.id, robustAccuracy: a.robustAccuracy })) };
    return { backend: backend.name, reason: backend.reason, pgd, quickCheck, ...(torch === undefined ? {} : { torch: pickTorch(torch) }) };
  } finally {
    model.dispose();
  }
}

function pickTorch(t: Record<string, unknown>): Record<string, unknown> {
  const keys = ['skipped', 'error', 'torch', 'threads', 'imagesStepsPerSecond', 'logitsAgree', 'adversarialAgreement'];
  return Object.fromEntries(keys.filter((k) => k in t).map((k) => [k, t[k]]));
}
