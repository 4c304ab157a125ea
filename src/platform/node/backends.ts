// TF.js backends on Node (the host side of src/engine/backend.ts): native packages resolved and loaded at run
// time, the WASM binaries found on disk, the CUDA device probe and the threaded WASM bridge.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createRequire } from 'node:module';
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

export const nodeBackends: HostBackends = {
  resolvePackage,
  load: (file) => createRequire(__filename)(file) as unknown,
  hasCudaDevice,
  findWasmDir,
  cpuCount: () => os.cpus().length,
  startWasmThreads: (threads) => installWasmThreads(threads, wasmPackageFile()),
};
