// TF.js backends on Node (the host side of src/engine/backend.ts): native packages resolved and loaded at run
// time, the WASM binaries found on disk, the CUDA device probe and the threaded WASM bridge.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import type { HostBackends } from '../../protocol/host';
import { installWasmThreads, wasmPackageFile } from './wasmThreads';

/** Resolves a package from the default paths and the extra search paths; undefined when not installed. */
export function resolvePackage(pkg: string, searchPaths: readonly string[] = []): string | undefined {
  // createRequire keeps webpack from trying to bundle the native packages (they are externals anyway).
  const req = createRequire(__filename);
  for (const paths of [undefined, ...searchPaths.map((p) => [p, path.join(p, 'node_modules')])]) {
    try {
      return paths === undefined ? req.resolve(pkg) : req.resolve(pkg, { paths });
    } catch {
      // Not found here; try the next place.
    }
  }
  return undefined;
}

/** True when a CUDA device node or driver entry exists (Linux); other platforms let tfjs-node-gpu decide. */
export function hasCudaDevice(): boolean {
  if (process.platform !== 'linux') return true;
  return fs.existsSync('/dev/nvidia0') || fs.existsSync('/proc/driver/nvidia/gpus');
}

/** Folder with the WASM binaries: beside the bundle (dist/), else the package's own dist/ folder. */
export function findWasmDir(explicit?: string): string | undefined {
  const candidates = [explicit, __dirname];
  const pkgJson = resolvePackage('@tensorflow/tfjs-backend-wasm/package.json');
  if (pkgJson !== undefined) candidates.push(path.join(path.dirname(pkgJson), 'dist'));
  for (const dir of candidates) {
    if (dir !== undefined && fs.existsSync(path.join(dir, 'tfjs-backend-wasm-simd.wasm'))) return dir;
  }
  return undefined;
}

type WebGpuOpened = Awaited<ReturnType<HostBackends['openWebGpu']>>;
let webGpu: Promise<WebGpuOpened> | undefined;

// `webgpu` is an ES module; a CommonJS build (tsc's and webpack's) would turn a plain import() into require(), which
// cannot load it, so the import runs through a function the compilers leave alone.
// eslint-disable-next-line @typescript-eslint/no-implied-eval -- a fixed string, not data: the one way to keep import()
const importModule = new Function('url', 'return import(url)') as (url: string) => Promise<unknown>;

/** Folders the Linux dynamic loader searches besides LD_LIBRARY_PATH and its cache (glibc's defaults, multiarch). */
const LINUX_LIB_DIRS = ['/lib', '/usr/lib', '/lib64', '/usr/lib64', '/usr/local/lib', `/lib/${process.arch === 'arm64' ? 'aarch64' : 'x86_64'}-linux-gnu`, `/usr/lib/${process.arch === 'arm64' ? 'aarch64' : 'x86_64'}-linux-gnu`];

/**
 * Where the Vulkan loader (libvulkan.so.1) is on Linux, or undefined when the dynamic loader could not find it:
 * then Dawn can find no adapter and only prints a native warning trying, so the probe says why without loading it.
 * Elsewhere (Metal, D3D12) the system provides the API: '' (nothing to look for).
 */
export function findVulkanLoader(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (process.platform !== 'linux') return '';
  const name = 'libvulkan.so.1';
  const dirs = [...(env.LD_LIBRARY_PATH ?? '').split(path.delimiter).filter((d) => d !== ''), ...LINUX_LIB_DIRS];
  const found = dirs.map((d) => path.join(d, name)).find((f) => fs.existsSync(f));
  if (found !== undefined) return found;
  try {
    // ldconfig's cache names every library the loader knows; a plain byte search is enough to tell.
    if (fs.readFileSync('/etc/ld.so.cache').includes(name)) return '/etc/ld.so.cache';
  } catch {
    // no cache: the folders above were the answer
  }
  return undefined;
}

/**
 * Loads Dawn (`webgpu`) once per process and installs navigator.gpu and the WebGPU globals here (the worker or the
 * CLI; the extension host never calls it). Node 21+ already has a `navigator`: gpu is added to it.
 */
export function openWebGpu(searchPaths: readonly string[] = []): Promise<WebGpuOpened> {
  webGpu ??= (async (): Promise<WebGpuOpened> => {
    const pkgJson = resolvePackage('webgpu/package.json', searchPaths);
    if (pkgJson === undefined) return { error: 'the webgpu package (Dawn) is not installed' };
    if (findVulkanLoader() === undefined) {
      return { error: 'no WebGPU adapter: no Vulkan loader (libvulkan.so.1) on this machine, so no GPU driver is reachable through Vulkan' };
    }
    const dir = path.dirname(pkgJson);
    let version = 'unknown';
    try {
      const declared = (JSON.parse(fs.readFileSync(pkgJson, 'utf8')) as { version?: unknown }).version;
      if (typeof declared === 'string') version = declared;
      const mod = (await importModule(pathToFileURL(path.join(dir, 'index.js')).href)) as { create(flags: string[]): unknown; globals: Record<string, unknown> };
      const gpu = mod.create([]);
      for (const [name, value] of Object.entries(mod.globals)) {
        if (!(name in globalThis)) Object.defineProperty(globalThis, name, { value, configurable: true, writable: true });
      }
      const g = globalThis as { navigator?: object };
      if (g.navigator === undefined) Object.defineProperty(globalThis, 'navigator', { value: {}, configurable: true, writable: true });
      Object.defineProperty(g.navigator as object, 'gpu', { value: gpu, configurable: true, writable: true });
      return { gpu, version, platform: process.platform };
    } catch (err) {
      return { error: `the webgpu package ${version} failed to load: ${err instanceof Error ? err.message : String(err)}` };
    }
  })();
  return webGpu;
}

export const nodeBackends: HostBackends = {
  resolvePackage,
  load: (file) => createRequire(__filename)(file) as unknown,
  hasCudaDevice,
  findWasmDir,
  cpuCount: () => os.cpus().length,
  startWasmThreads: (threads) => installWasmThreads(threads, wasmPackageFile()),
  openWebGpu,
};
