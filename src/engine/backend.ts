// The only place that picks a TF.js backend. Order: tfjs-node-gpu (CUDA, when TensorFlow sees the GPU) -> WebGPU
// (Dawn) on a hardware adapter -> tfjs-node -> WASM (SIMD) -> pure-JS cpu, overridable by a preference (setting
// `dynn.backend`, CLI `--backend`). `auto` never picks a software WebGPU adapter (SwiftShader, llvmpipe: correct
// but slower than WASM); a forced `webgpu` may, and says so. The decision itself is a pure function over probe
// results so every branch is unit-tested without the native packages.
import * as tf from '@tensorflow/tfjs';
import { host } from '../protocol/host';
import type { GpuAdapterSummary } from '../protocol/jobs';
import type { BackendInfo } from './types';
import { installWasmKernels } from './wasmKernels';
import { activateWebGpu, describeAdapter, probeWebGpu } from './webgpu';

export type BackendName = BackendInfo['name'];
export type BackendPreference = 'auto' | Exclude<BackendName, 'webgl'>;

/** Node backends in the order they are tried. */
export const BACKEND_ORDER: readonly Exclude<BackendName, 'webgl'>[] = ['tensorflow-gpu', 'webgpu', 'tensorflow', 'wasm', 'cpu'];

/** What is known about one backend before (or after) trying it. */
export interface BackendProbe {
  name: Exclude<BackendName, 'webgl'>;
  available: boolean;
  /** Why it is unavailable ("tfjs-node-gpu not installed", "no CUDA device"), or a note when available. */
  note: string;
  /** A software (or fallback) WebGPU adapter: usable when asked for by name, never picked by `auto`. */
  software?: boolean;
  /** The WebGPU adapter found, for webgpu. */
  adapter?: GpuAdapterSummary;
}

export interface BackendChoice {
  name: Exclude<BackendName, 'webgl'>;
  reason: string;
}

const ALIASES: Record<string, BackendPreference> = {
  auto: 'auto',
  'tensorflow-gpu': 'tensorflow-gpu',
  'tfjs-node-gpu': 'tensorflow-gpu',
  gpu: 'tensorflow-gpu',
  cuda: 'tensorflow-gpu',
  webgpu: 'webgpu',
  dawn: 'webgpu',
  tensorflow: 'tensorflow',
  'tfjs-node': 'tensorflow',
  node: 'tensorflow',
  wasm: 'wasm',
  cpu: 'cpu',
};

/** Reads a user-given preference; throws a clear error for unknown names. */
export function parseBackendPreference(value: string | undefined): BackendPreference {
  if (value === undefined || value.trim() === '') return 'auto';
  const found = ALIASES[value.trim().toLowerCase()];
  if (found === undefined) {
    throw new Error(`Unknown backend "${value}": expected one of auto, tensorflow-gpu, webgpu, tensorflow, wasm, cpu.`);
  }
  return found;
}

/** A forced backend that cannot run, where falling back would hide that the user's request was not honoured. */
export class BackendUnavailableError extends Error {
  override readonly name = 'BackendUnavailableError';
}

/**
 * Pure decision: the first available backend in order, or the preferred one when it is available. A forced
 * webgpu without an adapter is an error (the user asked for a GPU; quietly running on the CPU would mislead);
 * other forced backends fall back down the order and say so.
 */
export function chooseBackend(probes: readonly BackendProbe[], preference: BackendPreference): BackendChoice {
  const byName = new Map(probes.map((p) => [p.name, p]));
  const notes: string[] = [];
  if (preference !== 'auto') {
    const wanted = byName.get(preference);
    if (wanted?.available) {
      return { name: preference, reason: `${preference} requested${wanted.note ? ` (${wanted.note})` : ''}` };
    }
    if (preference === 'webgpu') {
      throw new BackendUnavailableError(
        `webgpu requested but unavailable: ${wanted?.note ?? 'not probed'}. Install it with "DyNN: Install GPU Backend" (or dynn-lens install-gpu), or set the backend to auto.`,
      );
    }
    notes.push(`${preference} requested but unavailable (${wanted?.note ?? 'not probed'})`);
  }
  for (const name of BACKEND_ORDER) {
    if (preference !== 'auto' && name === preference) continue;
    const probe = byName.get(name);
    if (probe === undefined) continue;
    if (probe.available && probe.software === true) {
      notes.push(`webgpu: ${probe.note}, not picked by auto (set the backend to webgpu to use it)`);
      continue;
    }
    if (probe.available) {
      notes.push(probe.note ? `${name}: ${probe.note}` : name);
      return { name, reason: notes.join('; ') };
    }
    notes.push(probe.note);
  }
  throw new Error(`No TF.js backend is usable: ${notes.join('; ')}`);
}

/** Options for probing and initialising. */
export interface BackendOptions {
  preference?: BackendPreference;
  /** Extra folders where node_modules with a GPU backend may live (e.g. the extension's storage folder). */
  searchPaths?: readonly string[];
  /** Folder holding the tfjs-backend-wasm *.wasm files; found automatically when absent. */
  wasmDir?: string;
  /** Backends not to use (e.g. ones that already failed during this run). */
  exclude?: readonly BackendName[];
  /** Threads for the WASM backend; default from DYNN_WASM_THREADS, else every core up to 4. 1 = single-threaded. */
  wasmThreads?: number;
}

const NODE_PACKAGES = { 'tensorflow-gpu': '@tensorflow/tfjs-node-gpu', tensorflow: '@tensorflow/tfjs-node' } as const;

/** Threads the WASM backend uses by default: every core, at most 4 (XNNPACK's gains flatten beyond that here). */
export function defaultWasmThreads(cores: number): number {
  return Math.max(1, Math.min(4, Math.floor(cores)));
}

/** Reads DYNN_WASM_THREADS (1 turns threads off); an invalid value is an error naming the variable. */
export function wasmThreadsFromEnv(value: string | undefined, cores: number): number {
  if (value === undefined || value.trim() === '') return defaultWasmThreads(cores);
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 64) throw new Error(`DYNN_WASM_THREADS=${value}: expected a whole number from 1 to 64`);
  return n;
}

/** Cheap checks: is each package there, is there a device; WebGPU asks Dawn for its adapter (no device is made). */
export async function probeBackends(options: BackendOptions = {}): Promise<BackendProbe[]> {
  const search = options.searchPaths ?? [];
  const backends = host().backends;
  const gpuPath = backends.resolvePackage(NODE_PACKAGES['tensorflow-gpu'], search);
  const nodePath = backends.resolvePackage(NODE_PACKAGES.tensorflow, search);
  const wasmDir = backends.findWasmDir(options.wasmDir);
  return [
    gpuPath === undefined
      ? { name: 'tensorflow-gpu', available: false, note: 'tfjs-node-gpu not installed' }
      : backends.hasCudaDevice()
        ? { name: 'tensorflow-gpu', available: true, note: 'CUDA' }
        : { name: 'tensorflow-gpu', available: false, note: 'no CUDA device' },
    // Dawn is a 50 MB native library that starts the GPU driver: loaded only when WebGPU may be chosen.
    options.preference === undefined || options.preference === 'auto' || options.preference === 'webgpu'
      ? await probeWebGpuBackend(search)
      : { name: 'webgpu', available: false, note: `webgpu not probed (${options.preference} requested)` },
    nodePath === undefined
      ? { name: 'tensorflow', available: false, note: 'tfjs-node not installed' }
      : { name: 'tensorflow', available: true, note: 'native TensorFlow on the CPU' },
    wasmDir === undefined
      ? { name: 'wasm', available: false, note: 'wasm binaries not found' }
      : { name: 'wasm', available: true, note: '' },
    { name: 'cpu', available: true, note: 'pure JavaScript' },
  ];
}

/** The webgpu probe: the adapter named, software adapters marked, or why there is none. */
async function probeWebGpuBackend(searchPaths: readonly string[]): Promise<BackendProbe> {
  const found = await probeWebGpu(searchPaths);
  if (!found.found) return { name: 'webgpu', available: false, note: found.why };
  return { name: 'webgpu', available: true, note: describeAdapter(found.adapter), software: found.adapter.software, adapter: found.adapter };
}

let current: BackendInfo | undefined;

/** The backend chosen by the last initBackend call, if any. */
export function currentBackend(): BackendInfo | undefined {
  return current;
}

function versions(extra: Record<string, string>): Record<string, string> {
  return { 'tfjs-core': tf.version_core, ...extra, ...host().runtimeVersions() };
}

/** Loads and activates one backend; throws with a short reason on failure. */
async function activate(name: Exclude<BackendName, 'webgl'>, options: BackendOptions): Promise<{ note: string; versions: Record<string, string>; adapter?: GpuAdapterSummary }> {
  if (name === 'webgpu') {
    const started = await activateWebGpu(options.searchPaths ?? []);
    return { note: started.note, versions: versions(started.versions), adapter: started.adapter };
  }
  if (name === 'tensorflow-gpu' || name === 'tensorflow') {
    const pkg = NODE_PACKAGES[name];
    const resolved = host().backends.resolvePackage(pkg, options.searchPaths ?? []);
    if (resolved === undefined) throw new Error(`${pkg} not installed`);
    const mod = host().backends.load(resolved) as { version?: Record<string, string> };
    if (!(await tf.setBackend('tensorflow'))) throw new Error(`${pkg} loaded but its backend did not start`);
    await tf.ready();
    // TensorFlow 2.9 needs CUDA 11.2: on a CUDA 12 machine it finds no libcudart.so.11.0 and silently runs on the
    // CPU (tfjs#8362). tfjs-node's backend says whether TensorFlow placed ops on a GPU.
    if (name === 'tensorflow-gpu' && (tf.backend() as { isUsingGpuDevice?: unknown }).isUsingGpuDevice === false) {
      throw new Error(`${pkg} loaded but TensorFlow sees no GPU (it needs CUDA 11.2 and cuDNN 8.1; with another CUDA it runs on the CPU)`);
    }
    return { note: name === 'tensorflow-gpu' ? 'CUDA' : 'native TensorFlow', versions: versions({ [pkg]: mod.version?.['tfjs-node'] ?? 'unknown' }) };
  }
  if (name === 'wasm') {
    const dir = host().backends.findWasmDir(options.wasmDir);
    if (dir === undefined) throw new Error('wasm binaries not found');
    // Imported lazily so the cpu path never pays for it.
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    wasm.setWasmPaths(dir.endsWith(host().path.sep) ? dir : dir + host().path.sep);
    installWasmKernels();
    const simd = (await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')) === true;
    const done = (threadsNote: string) => ({ note: `wasm ${simd ? 'with SIMD' : 'without SIMD'}, ${threadsNote}`, versions: versions({ 'tfjs-backend-wasm': wasm.version_wasm }) });
    // Started earlier in this process: the WASM module (and its thread pool) is made once per process.
    if (tf.findBackend('wasm') !== null) {
      if (!(await tf.setBackend('wasm'))) throw new Error('wasm backend failed to start');
      return done(threadCountNote(wasm.getThreadsCount()));
    }
    // A wrong DYNN_WASM_THREADS is named in the reason, not a reason to leave WASM for the much slower CPU backend.
    const cores = host().backends.cpuCount();
    let wanted = options.wasmThreads ?? defaultWasmThreads(cores);
    let envNote = '';
    if (options.wasmThreads === undefined) {
      try {
        wanted = wasmThreadsFromEnv(host().env('DYNN_WASM_THREADS'), cores);
      } catch (err) {
        envNote = `; ${errorMessage(err)}, so ${wanted} used`;
      }
    }
    let threadsNote = 'single-threaded (1 thread requested)';
    if (wanted > 1 && simd) {
      try {
        return done(threadCountNote(await startThreadedWasm(wasm, wanted)) + envNote);
      } catch (err) {
        threadsNote = `single-threaded (threads failed to start: ${errorMessage(err)})`;
      }
    } else if (wanted > 1) threadsNote = 'single-threaded (threads need wasm SIMD)';
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
    if (!(await tf.setBackend('wasm'))) throw new Error('wasm backend failed to start');
    await tf.ready();
    return done(threadsNote + envNote);
  }
  if (!(await tf.setBackend('cpu'))) throw new Error('cpu backend failed to start');
  await tf.ready();
  return { note: 'pure JavaScript', versions: versions({}) };
}

/** Starts the threaded WASM build through the host's bridge; resolves to the thread count XNNPACK really uses. */
async function startThreadedWasm(wasm: typeof import('@tensorflow/tfjs-backend-wasm'), threads: number): Promise<number> {
  const bridge = host().backends.startWasmThreads(threads);
  try {
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', true);
    wasm.setThreadsCount(threads);
    if (!(await tf.setBackend('wasm'))) throw new Error(`the threaded build did not start${bridge.lastError ? `: ${bridge.lastError}` : ''}`);
    await tf.ready();
  } catch (err) {
    await bridge.stopWorkers();
    throw err;
  } finally {
    bridge.restore();
  }
  return wasm.getThreadsCount();
}

function threadCountNote(threads: number): string {
  return threads > 1 ? `${threads} threads` : 'single-threaded';
}

/**
 * Chooses and activates a backend. A backend that probes fine but fails to start is marked unavailable with its
 * error and the choice is made again, so the reason always names every backend that was passed over and why.
 */
export async function initBackend(options: BackendOptions = {}): Promise<BackendInfo> {
  const probes = await probeBackends(options);
  for (const probe of probes) {
    if (options.exclude?.includes(probe.name)) {
      probe.available = false;
      probe.note = `${probe.name} excluded after a failure`;
    }
  }
  const preference = options.preference ?? 'auto';
  for (;;) {
    const choice = chooseBackend(probes, preference);
    try {
      const started = await activate(choice.name, options);
      const probe = probes.find((p) => p.name === choice.name);
      if (probe !== undefined) probe.note = started.note;
      const final = chooseBackend(probes, preference);
      current = { name: final.name, reason: final.reason, versions: started.versions, ...(started.adapter ? { adapter: started.adapter } : {}) };
      return current;
    } catch (err) {
      const probe = probes.find((p) => p.name === choice.name);
      if (probe === undefined) throw err;
      if (preference === 'webgpu' && choice.name === 'webgpu') {
        throw new BackendUnavailableError(`webgpu requested but it failed to start on ${probe.note}: ${errorMessage(err)}`);
      }
      probe.available = false;
      probe.note = `${choice.name} failed to start: ${errorMessage(err)}`;
    }
  }
}

/** False on WebGPU, whose reads in Node are asynchronous only (its synchronous read needs a browser canvas). */
export function readsSynchronously(): boolean {
  return tf.getBackend() !== 'webgpu';
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Failures that a smaller batch may fix. */
export function isOutOfMemory(err: unknown): boolean {
  return /out of memory|OOM|failed to allocate|Cannot allocate|allocation failed|Array buffer allocation|memory access out of bounds|RangeError: Invalid typed array length/i.test(
    errorMessage(err),
  );
}

/** Failures of the backend itself (missing kernel, crashed native or WASM code): another backend may work. */
export function isBackendFailure(err: unknown): boolean {
  const text = errorMessage(err);
  return /not registered for backend|RuntimeError|Aborted\(|CUDA|cuDNN|CUBLAS|WebGL|WebGPU|device lost|backend/i.test(text) || (err instanceof Error && (err.name === 'RuntimeError' || err.name === 'WebGpuFailure'));
}

export interface FallbackOptions {
  batchSize: number;
  backendOptions?: BackendOptions;
  /** Called with a sentence each time the run is retried. */
  onFallback?: (message: string) => void;
}

export interface FallbackResult<T> {
  result: T;
  batchSize: number;
  backend: BackendInfo;
  /** One sentence per retry ("out of memory at batch 256: retried with 128"). */
  fallbacks: string[];
}

/**
 * Runs `fn`; on out-of-memory retries with half the batch (down to 1), on a backend failure (or OOM at batch 1)
 * moves to the next backend that has not failed (in order) with the original batch size. Other errors propagate unchanged.
 */
export async function runWithFallback<T>(
  fn: (ctx: { batchSize: number; backend: BackendInfo }) => Promise<T>,
  options: FallbackOptions,
): Promise<FallbackResult<T>> {
  const fallbacks: string[] = [];
  const failed: BackendName[] = [];
  let backend = current ?? (await initBackend(options.backendOptions));
  let batchSize = Math.max(1, Math.floor(options.batchSize));
  for (;;) {
    try {
      const result = await fn({ batchSize, backend });
      return { result, batchSize, backend, fallbacks };
    } catch (err) {
      const oom = isOutOfMemory(err);
      if (oom && batchSize > 1) {
        const next = Math.max(1, Math.floor(batchSize / 2));
        fallbacks.push(`out of memory on ${backend.name} at batch ${batchSize}: retried with batch ${next}`);
        options.onFallback?.(fallbacks[fallbacks.length - 1] ?? '');
        batchSize = next;
        continue;
      }
      if (!oom && !isBackendFailure(err)) throw err;
      const previous = backend.name;
      failed.push(previous);
      if (BACKEND_ORDER.every((name) => failed.includes(name))) throw err;
      try {
        backend = await initBackend({ ...options.backendOptions, preference: 'auto', exclude: failed });
      } catch {
        throw err;
      }
      batchSize = Math.max(1, Math.floor(options.batchSize));
      fallbacks.push(`${previous} failed (${errorMessage(err)}): retried on ${backend.name} at batch ${batchSize}`);
      options.onFallback?.(fallbacks[fallbacks.length - 1] ?? '');
    }
  }
}
