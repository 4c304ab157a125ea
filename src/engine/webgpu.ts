// The WebGPU backend (tfjs-backend-webgpu on Dawn's navigator.gpu, loaded through host().backends.openWebGpu):
// the adapter probe, the hardware/software verdict, and a backend whose reads fail loudly once the device is lost
// or ran out of memory (tfjs-backend-webgpu itself would return whatever the buffers hold), so runWithFallback can
// move the run to the next backend instead of reporting wrong figures. backend.ts decides when this is used.
import * as tf from '@tensorflow/tfjs';
import { host } from '../protocol/host';
import type { GpuAdapterSummary } from '../protocol/jobs';

/** The parts of the WebGPU API used here (typed locally: the core carries no DOM or @webgpu typings). */
interface GpuDeviceLike {
  readonly lost: Promise<{ reason?: string; message?: string }>;
  destroy(): void;
  addEventListener(type: 'uncapturederror', listener: (event: { error?: { message?: string; constructor?: { name?: string } } }) => void): void;
}
interface GpuAdapterLike {
  readonly info?: Record<string, unknown>;
  readonly isFallbackAdapter?: boolean;
  readonly limits: Record<string, number>;
  readonly features: { has(name: string): boolean };
  requestDevice(descriptor?: { requiredFeatures?: string[]; requiredLimits?: Record<string, number> }): Promise<GpuDeviceLike>;
}
interface GpuLike {
  requestAdapter(options?: { powerPreference?: string }): Promise<GpuAdapterLike | null>;
}
/** tfjs-backend-webgpu's exports used here. */
interface WebGpuPackage {
  WebGPUBackend: new (device: GpuDeviceLike, adapterInfo?: unknown) => tf.KernelBackend;
}

/** Names that only software rasterisers and fallback adapters report (Dawn's, Mesa's, Microsoft's). */
const SOFTWARE_NAMES = /swiftshader|llvmpipe|lavapipe|softpipe|software|basic render|\bwarp\b|\bcpu\b/i;

/** The native API Dawn drives by default on each OS. */
export function gpuApiFor(platform: string): string {
  if (platform === 'darwin') return 'Metal';
  if (platform === 'win32') return 'D3D12';
  return 'Vulkan';
}

function text(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

/** Reads adapter.info and adapter.limits into a summary; software when the adapter says it is a fallback or its names say so. */
export function summarizeAdapter(info: Record<string, unknown>, isFallbackAdapter: boolean | undefined, limits: Record<string, number>, platform: string): GpuAdapterSummary {
  const vendor = text(info.vendor);
  const architecture = text(info.architecture);
  const device = text(info.device);
  const description = text(info.description);
  const fallback = isFallbackAdapter === true || info.isFallbackAdapter === true;
  return {
    vendor,
    architecture,
    device,
    description,
    api: gpuApiFor(platform),
    software: fallback || SOFTWARE_NAMES.test([vendor, architecture, device, description].join(' ')),
    maxBufferSize: Number(limits.maxBufferSize ?? 0),
    maxStorageBufferBindingSize: Number(limits.maxStorageBufferBindingSize ?? 0),
  };
}

/** "google swiftshader (SwiftShader driver 5.0.0) on Vulkan, a software adapter". */
export function describeAdapter(a: GpuAdapterSummary): string {
  const name = [a.vendor, a.architecture].filter((s) => s !== '').join(' ') || a.device || 'unnamed adapter';
  const detail = a.description !== '' && a.description !== name ? ` (${a.description})` : '';
  return `${name}${detail} on ${a.api}${a.software ? ', a software adapter: figures are not a GPU\'s' : ''}`;
}

/** What the probe found: an adapter, or why there is none. */
export type WebGpuProbe = { found: true; adapter: GpuAdapterSummary; version: string } | { found: false; why: string };

let adapterFound: { adapter: GpuAdapterLike; summary: GpuAdapterSummary; version: string } | undefined;

/** Loads Dawn (once per process) and asks for the high-performance adapter; never throws. */
export async function probeWebGpu(searchPaths: readonly string[] = []): Promise<WebGpuProbe> {
  if (adapterFound !== undefined) return { found: true, adapter: adapterFound.summary, version: adapterFound.version };
  const opened = await host().backends.openWebGpu(searchPaths);
  if ('error' in opened) return { found: false, why: opened.error };
  let adapter: GpuAdapterLike | null;
  try {
    adapter = await (opened.gpu as GpuLike).requestAdapter({ powerPreference: 'high-performance' });
  } catch (err) {
    return { found: false, why: `requesting a WebGPU adapter failed: ${err instanceof Error ? err.message : String(err)}` };
  }
  if (adapter === null) {
    return { found: false, why: `no WebGPU adapter: Dawn found no ${gpuApiFor(opened.platform)} device (no GPU driver, or its loader is not on the library path)` };
  }
  const summary = summarizeAdapter(adapter.info ?? {}, adapter.isFallbackAdapter, adapter.limits, opened.platform);
  adapterFound = { adapter, summary, version: opened.version };
  return { found: true, adapter: summary, version: opened.version };
}

/** Why the device can no longer be trusted, if it cannot: lost (for good), or an allocation failed (the device lives
 *  on, so this is reported once and a smaller batch may then run). */
let failure: string | undefined;
let failureIsLoss = false;
let device: GpuDeviceLike | undefined;

/** The WebGPU device failed under a run: lost, or out of memory. Its message matches isOutOfMemory / isBackendFailure. */
export class WebGpuFailure extends Error {
  override readonly name = 'WebGpuFailure';
}

function checkDevice(): void {
  if (failure === undefined) return;
  const message = failure;
  if (!failureIsLoss) failure = undefined;
  throw new WebGpuFailure(message);
}

/** Makes every read of the backend (the only way figures leave the GPU) fail once the device failed. */
function guardReads(backend: tf.KernelBackend): void {
  const b = backend as unknown as { read(id: object): Promise<unknown>; readSync(id: object): unknown };
  const read = b.read.bind(backend);
  const readSync = b.readSync.bind(backend);
  b.read = async (id) => {
    checkDevice();
    let values;
    try {
      values = await read(id);
    } catch (err) {
      throw new WebGpuFailure(failure ?? `WebGPU read failed (${err instanceof Error ? err.message : String(err)}); the webgpu backend cannot continue`);
    }
    checkDevice();
    return values;
  };
  b.readSync = (id) => {
    checkDevice();
    const values = readSync(id);
    checkDevice();
    return values;
  };
}

/**
 * Registers and starts the `webgpu` backend on the probed adapter. Registered at priority 0 so TF.js never picks
 * it on its own; a device lost earlier in this process is replaced by a new one.
 */
export async function activateWebGpu(searchPaths: readonly string[] = []): Promise<{ note: string; adapter: GpuAdapterSummary; versions: Record<string, string> }> {
  // An adapter hands out one device: after a loss, a new device needs a new adapter.
  if (failureIsLoss) adapterFound = undefined;
  const probe = await probeWebGpu(searchPaths);
  if (!probe.found || adapterFound === undefined) throw new Error(probe.found ? 'no WebGPU adapter' : probe.why);
  const pkg = '@tensorflow/tfjs-backend-webgpu';
  const resolved = host().backends.resolvePackage(pkg, searchPaths);
  if (resolved === undefined) throw new Error(`${pkg} is not installed`);
  const mod = host().backends.load(resolved) as WebGpuPackage;
  const fresh = tf.findBackend('webgpu') === null || failureIsLoss || device === undefined;
  if (fresh) {
    // The package registers its own factory (on whichever adapter it likes, priority 3) when it loads: ours uses
    // the adapter probed and classed above and watches the device.
    if (tf.engine().registryFactory.webgpu !== undefined) tf.removeBackend('webgpu');
    const adapter = adapterFound.adapter;
    tf.registerBackend(
      'webgpu',
      async () => {
        const features = ['timestamp-query'].filter((f) => adapter.features.has(f));
        const names = ['maxComputeWorkgroupStorageSize', 'maxComputeWorkgroupsPerDimension', 'maxStorageBufferBindingSize', 'maxBufferSize', 'maxComputeWorkgroupSizeX', 'maxComputeInvocationsPerWorkgroup'];
        const requiredLimits = Object.fromEntries(names.map((n) => [n, adapter.limits[n] ?? 0]));
        const made = await adapter.requestDevice({ requiredFeatures: features, requiredLimits });
        failure = undefined;
        failureIsLoss = false;
        device = made;
        void made.lost.then((info) => {
          if (device !== made) return;
          failureIsLoss = true;
          failure = `WebGPU device lost (${info.reason ?? 'unknown'}: ${info.message ?? ''}); the webgpu backend cannot continue`;
        });
        made.addEventListener('uncapturederror', (event) => {
          const kind = event.error?.constructor?.name ?? '';
          const message = event.error?.message ?? 'unknown error';
          failure ??= /OutOfMemory/i.test(kind) ? `WebGPU out of memory: ${message}` : `WebGPU backend error (${kind || 'GPUError'}): ${message}`;
        });
        const backend = new mod.WebGPUBackend(made, adapter.info);
        guardReads(backend);
        return backend;
      },
      0,
    );
  }
  if (!(await tf.setBackend('webgpu'))) throw new Error(`${pkg} did not start on ${describeAdapter(adapterFound.summary)}`);
  await tf.ready();
  return {
    note: describeAdapter(adapterFound.summary),
    adapter: adapterFound.summary,
    versions: { webgpu: probe.version, [pkg]: packageVersion(pkg, searchPaths) },
  };
}

function packageVersion(pkg: string, searchPaths: readonly string[]): string {
  const file = host().backends.resolvePackage(`${pkg}/package.json`, searchPaths);
  const version = file === undefined ? undefined : (host().backends.load(file) as { version?: unknown }).version;
  return typeof version === 'string' ? version : 'unknown';
}

/** Destroys the current device, as a driver reset would (for tests of the fallback); the next read fails. */
export function loseWebGpuDevice(): void {
  device?.destroy();
}
