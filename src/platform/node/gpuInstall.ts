// Installing the CUDA backend (@tensorflow/tfjs-node-gpu) beside the tool, never into the user's project. The
// decision ("can this machine run it, and how do we install it") is a pure function over probe results so every
// branch is unit-tested with fake probes; the probes and the npm run are thin wrappers around the OS.
// It must not import backend.ts: that loads TF.js, and the extension host (which installs) never does.
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createRequire } from 'node:module';

export const GPU_PACKAGE = '@tensorflow/tfjs-node-gpu';

/** What the machine offers, as found by `probeGpuMachine` (or a test's fake). */
export interface GpuMachineProbe {
  platform: NodeJS.Platform;
  arch: string;
  /** `nvidia-smi` on PATH and what it reported; `gpus` empty when it ran but listed no device. */
  nvidiaSmi: { found: false; error?: string } | { found: true; gpus: string[]; driverVersion?: string; error?: string };
  /** A CUDA runtime library found on the library path (absolute path), or undefined. */
  cudaRuntime: string | undefined;
  /** npm executable found on PATH, or undefined. */
  npm: string | undefined;
  /** Where the package already resolves from, if it is installed (anywhere the engine looks). */
  installedAt: string | undefined;
}

export type GpuInstallPlan =
  | { ok: true; alreadyInstalled: boolean; summary: string; command: string; args: string[]; targetDir: string }
  | { ok: false; reasons: string[] };

/** Platforms for which tfjs-node-gpu ships prebuilt CUDA bindings. */
const SUPPORTED = new Set(['linux-x64', 'win32-x64']);

/**
 * Decides whether the GPU backend can be installed into `targetDir` and with which npm command. Every reason it
 * cannot is listed (not just the first), so the user sees everything to fix at once.
 */
export function planGpuInstall(probe: GpuMachineProbe, targetDir: string, version: string): GpuInstallPlan {
  const reasons: string[] = [];
  if (!SUPPORTED.has(`${probe.platform}-${probe.arch}`)) {
    reasons.push(`${GPU_PACKAGE} has CUDA builds only for Linux and Windows on x64; this machine is ${probe.platform}-${probe.arch}`);
  }
  if (!probe.nvidiaSmi.found) {
    reasons.push(`no NVIDIA driver: nvidia-smi is not on PATH${probe.nvidiaSmi.error ? ` (${probe.nvidiaSmi.error})` : ''}, so this machine has no usable NVIDIA GPU`);
  } else if (probe.nvidiaSmi.gpus.length === 0) {
    reasons.push(`nvidia-smi found no NVIDIA GPU${probe.nvidiaSmi.error ? ` (${probe.nvidiaSmi.error})` : ''}`);
  }
  if (probe.cudaRuntime === undefined) {
    reasons.push('no CUDA runtime library (libcudart) on the library path; install the CUDA toolkit and cuDNN that TensorFlow 2.9 needs (CUDA 11.2, cuDNN 8.1)');
  }
  if (probe.npm === undefined) reasons.push('npm is not on PATH, and it is needed to download the package');
  if (reasons.length > 0) return { ok: false, reasons };
  const gpus = probe.nvidiaSmi.found ? probe.nvidiaSmi.gpus.join(', ') : '';
  const already = probe.installedAt !== undefined;
  return {
    ok: true,
    alreadyInstalled: already,
    summary: already ? `${GPU_PACKAGE} is already installed (${probe.installedAt ?? ''}); GPU: ${gpus}` : `GPU: ${gpus}; CUDA runtime ${probe.cudaRuntime ?? ''}`,
    command: probe.npm ?? 'npm',
    // --prefix keeps everything inside targetDir; no package-lock or save into any project.
    args: ['install', '--prefix', targetDir, '--no-save', '--no-package-lock', '--no-audit', '--no-fund', `${GPU_PACKAGE}@${version}`],
    targetDir,
  };
}

/** Finds an executable on PATH (PATHEXT on Windows); undefined when absent. */
export function findOnPath(name: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const dirs = (env.PATH ?? env.Path ?? '').split(path.delimiter).filter((d) => d !== '');
  const exts = process.platform === 'win32' ? (env.PATHEXT ?? '.EXE;.CMD;.BAT').split(';') : [''];
  for (const dir of dirs) {
    for (const ext of exts) {
      const file = path.join(dir, name + ext);
      try {
        if (fs.statSync(file).isFile()) {
          if (process.platform !== 'win32') fs.accessSync(file, fs.constants.X_OK);
          return file;
        }
      } catch {
        // Not here; keep looking.
      }
    }
  }
  return undefined;
}

/** Reads `nvidia-smi --query-gpu=name,driver_version` output: one GPU per line. */
export function parseNvidiaSmi(stdout: string): { gpus: string[]; driverVersion?: string } {
  const gpus: string[] = [];
  let driverVersion: string | undefined;
  for (const line of stdout.split(/\r?\n/)) {
    const [name, driver] = line.split(',').map((s) => s.trim());
    if (name === undefined || name === '') continue;
    gpus.push(name);
    if (driver !== undefined && driver !== '') driverVersion ??= driver;
  }
  return driverVersion === undefined ? { gpus } : { gpus, driverVersion };
}

/** Folders where a CUDA runtime library usually lives, LD_LIBRARY_PATH / PATH first. */
function cudaLibraryDirs(env: NodeJS.ProcessEnv): string[] {
  const fromEnv = (process.platform === 'win32' ? (env.PATH ?? '') : (env.LD_LIBRARY_PATH ?? '')).split(path.delimiter).filter((d) => d !== '');
  const cudaHome = env.CUDA_HOME ?? env.CUDA_PATH;
  const homes = cudaHome ? [path.join(cudaHome, 'lib64'), path.join(cudaHome, 'bin')] : [];
  const system = process.platform === 'win32' ? [] : ['/usr/local/cuda/lib64', '/usr/lib/x86_64-linux-gnu', '/usr/lib64', '/usr/lib'];
  return [...fromEnv, ...homes, ...system];
}

export function findCudaRuntime(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const pattern = process.platform === 'win32' ? /^cudart64_\d+\.dll$/i : /^libcudart\.so(\.\d+)*$/;
  for (const dir of cudaLibraryDirs(env)) {
    let names: string[];
    try {
      names = fs.readdirSync(dir);
    } catch {
      continue;
    }
    const hit = names.find((n) => pattern.test(n));
    if (hit !== undefined) return path.join(dir, hit);
  }
  return undefined;
}

/** Probes this machine (runs nvidia-smi for at most 10 s). `searchDirs` are where an installed copy may live. */
export function probeGpuMachine(searchDirs: readonly string[] = [], env: NodeJS.ProcessEnv = process.env): GpuMachineProbe {
  const smiPath = findOnPath('nvidia-smi', env);
  let nvidiaSmi: GpuMachineProbe['nvidiaSmi'] = { found: false };
  if (smiPath !== undefined) {
    const r = spawnSync(smiPath, ['--query-gpu=name,driver_version', '--format=csv,noheader'], { encoding: 'utf8', timeout: 10_000 });
    if (r.error !== undefined || r.status !== 0) {
      const why = r.error?.message ?? (r.stderr.trim().split(/\r?\n/)[0] || `exit code ${String(r.status)}`);
      nvidiaSmi = { found: true, gpus: [], error: why };
    } else {
      nvidiaSmi = { found: true, ...parseNvidiaSmi(r.stdout) };
    }
  }
  return {
    platform: process.platform,
    arch: process.arch,
    nvidiaSmi,
    cudaRuntime: findCudaRuntime(env),
    npm: findOnPath('npm', env),
    installedAt: findInstalledPackage(GPU_PACKAGE, searchDirs),
  };
}

/** Resolves `<pkg>/package.json` from the default module paths or from `dir/node_modules` of each search dir. */
export function findInstalledPackage(pkg: string, searchDirs: readonly string[] = []): string | undefined {
  for (const dir of searchDirs) {
    const file = path.join(dir, 'node_modules', pkg, 'package.json');
    if (fs.existsSync(file)) return file;
  }
  try {
    return createRequire(__filename).resolve(`${pkg}/package.json`);
  } catch {
    return undefined;
  }
}

/** The tfjs version this build uses: the GPU package must match it. */
export function tfjsVersion(): string {
  try {
    const pkg = findInstalledPackage('@tensorflow/tfjs');
    if (pkg !== undefined) {
      const v = (JSON.parse(fs.readFileSync(pkg, 'utf8')) as { version?: unknown }).version;
      if (typeof v === 'string' && /^\d+\.\d+\.\d+/.test(v)) return v;
    }
  } catch {
    // Fall through to the major version range.
  }
  return '^4.22.0';
}

/** Where the CLI installs the GPU backend when no folder is given (the extension passes its storage folder). */
export function defaultGpuBackendDir(): string {
  return path.join(os.homedir(), '.dynn-lens', 'gpu-backend');
}

/** The folder an installed package's node_modules lives in, for the engine's `searchPaths` / NODE_PATH. */
export function gpuNodeModules(targetDir: string): string {
  return path.join(targetDir, 'node_modules');
}

/**
 * Runs the planned npm install; resolves with the package's path once it resolves from `targetDir`. Output lines go
 * to `onLine`; `signal` aborts the install.
 */
export async function runGpuInstall(
  plan: Extract<GpuInstallPlan, { ok: true }>,
  options: { onLine?: (line: string) => void; signal?: AbortSignal } = {},
): Promise<string> {
  fs.mkdirSync(plan.targetDir, { recursive: true });
  const tail: string[] = [];
  const code = await new Promise<number | null>((resolve, reject) => {
    const child = spawn(plan.command, plan.args, {
      cwd: plan.targetDir,
      stdio: ['ignore', 'pipe', 'pipe'],
      shell: process.platform === 'win32',
      ...(options.signal ? { signal: options.signal } : {}),
    });
    const collect = (chunk: Buffer): void => {
      for (const line of chunk.toString('utf8').split(/\r?\n/)) {
        if (line.trim() === '') continue;
        tail.push(line);
        if (tail.length > 15) tail.shift();
        options.onLine?.(line);
      }
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    child.on('error', reject);
    child.on('close', resolve);
  });
  if (code !== 0) throw new Error(`npm install of ${GPU_PACKAGE} failed with exit code ${String(code)}:\n${tail.join('\n')}`);
  const installed = findInstalledPackage(GPU_PACKAGE, [plan.targetDir]);
  if (installed === undefined) throw new Error(`npm reported success but ${GPU_PACKAGE} does not resolve from ${plan.targetDir}`);
  return installed;
}
