// Installing the GPU backends beside the tool, never into the user's project: WebGPU (Dawn's `webgpu` package with
// the matching @tensorflow/tfjs-backend-webgpu) on every OS Dawn ships binaries for, and the CUDA backend
// (@tensorflow/tfjs-node-gpu) where an NVIDIA driver and a CUDA runtime are present. Each backend gets a folder of
// its own (<dir>/webgpu, <dir>/cuda), installed into a staging folder and swapped in whole, so a failed or
// cancelled install leaves every backend that worked before as it was. The decision is a pure function over probe
// results so every branch is unit-tested with fake probes; the probes and the npm runs are thin wrappers.
// It must not import backend.ts: that loads TF.js, and the extension host (which installs) never does.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createRequire } from 'node:module';
import { type NpmRunOptions, runNpm } from './npm';

export const GPU_PACKAGE = '@tensorflow/tfjs-node-gpu';
export const WEBGPU_PACKAGE = 'webgpu';
export const WEBGPU_TFJS_PACKAGE = '@tensorflow/tfjs-backend-webgpu';
/** The Dawn binding this release is tested with (package.json optionalDependencies says the same; a test checks). */
export const WEBGPU_VERSION = '0.6.2';

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
  /** Where tfjs-node-gpu already resolves from, if it is installed (anywhere the engine looks). */
  installedAt: string | undefined;
  /** Where the WebGPU pair already resolves from (the tfjs backend's package.json), when both are installed. */
  webgpuInstalledAt?: string | undefined;
}

/** One backend's install: npm installs `packages` into a staging folder that then replaces `dir` in whole. */
export interface GpuInstallStep {
  backend: 'webgpu' | 'tensorflow-gpu';
  packages: string[];
  dir: string;
  command: string;
  args: string[];
}

export type GpuInstallPlan =
  | {
      ok: true;
      /** Nothing left to install: every backend this machine can use is there. */
      alreadyInstalled: boolean;
      summary: string;
      steps: GpuInstallStep[];
      /** Why a backend is left out (e.g. no NVIDIA driver for the CUDA backend); shown, not an error. */
      skipped: string[];
      targetDir: string;
    }
  | { ok: false; reasons: string[] };

/** Platforms for which tfjs-node-gpu ships prebuilt CUDA bindings. */
const SUPPORTED = new Set(['linux-x64', 'win32-x64']);
/** Platforms the `webgpu` package ships Dawn binaries for. */
const WEBGPU_PLATFORMS = new Set(['linux-x64', 'linux-arm64', 'win32-x64', 'win32-arm64', 'darwin-x64', 'darwin-arm64']);

/** The folders a target holds, one per backend, plus the older layout that put tfjs-node-gpu at the top. */
export function gpuBackendFolders(targetDir: string): { webgpu: string; cuda: string; legacy: string } {
  return { webgpu: path.join(targetDir, 'webgpu'), cuda: path.join(targetDir, 'cuda'), legacy: targetDir };
}

/** Why the CUDA backend cannot be used here (empty when it can). */
function cudaReasons(probe: GpuMachineProbe): string[] {
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
  return reasons;
}

function npmArgs(dir: string, packages: string[]): string[] {
  // --prefix keeps everything inside the folder; no package-lock or save into any project.
  return ['install', '--prefix', dir, '--no-save', '--no-package-lock', '--no-audit', '--no-fund', ...packages];
}

/**
 * Decides which GPU backends to install into `targetDir` and with which npm commands: WebGPU wherever Dawn ships
 * binaries, the CUDA backend where this machine can run it. Every reason a backend is left out is listed (not
 * just the first), so the user sees everything to fix at once; nothing installable at all is `ok: false`.
 */
export function planGpuInstall(probe: GpuMachineProbe, targetDir: string, version: string, webgpuVersion = WEBGPU_VERSION): GpuInstallPlan {
  const folders = gpuBackendFolders(targetDir);
  const steps: Omit<GpuInstallStep, 'command' | 'args'>[] = [];
  const skipped: string[] = [];
  const have: string[] = [];
  const platform = `${probe.platform}-${probe.arch}`;
  if (!WEBGPU_PLATFORMS.has(platform)) {
    skipped.push(`WebGPU: the ${WEBGPU_PACKAGE} package has no Dawn binaries for ${platform}`);
  } else if (probe.webgpuInstalledAt !== undefined) {
    have.push(`WebGPU is already installed (${probe.webgpuInstalledAt})`);
  } else {
    steps.push({ backend: 'webgpu', packages: [`${WEBGPU_PACKAGE}@${webgpuVersion}`, `${WEBGPU_TFJS_PACKAGE}@${version}`], dir: folders.webgpu });
  }
  const cuda = cudaReasons(probe);
  const gpus = probe.nvidiaSmi.found ? probe.nvidiaSmi.gpus.join(', ') : '';
  if (cuda.length > 0) skipped.push(...cuda);
  else if (probe.installedAt !== undefined) have.push(`${GPU_PACKAGE} is already installed (${probe.installedAt}); GPU: ${gpus}`);
  else steps.push({ backend: 'tensorflow-gpu', packages: [`${GPU_PACKAGE}@${version}`], dir: folders.cuda });
  if (steps.length > 0 && probe.npm === undefined) return { ok: false, reasons: [...skipped, 'npm is not on PATH, and it is needed to download the packages'] };
  if (steps.length === 0 && have.length === 0) return { ok: false, reasons: skipped };
  const planned = steps.map((st) => ({ ...st, command: probe.npm ?? 'npm', args: npmArgs(`${st.dir}.partial`, st.packages) }));
  const what = planned.map((st) => (st.backend === 'webgpu' ? 'WebGPU (Dawn: Vulkan, Metal or D3D12)' : `CUDA (${GPU_PACKAGE}) for ${gpus}`));
  return {
    ok: true,
    alreadyInstalled: steps.length === 0,
    summary: [...have, ...(what.length > 0 ? [`to install: ${what.join(' and ')}`] : [])].join('; '),
    steps: planned,
    skipped,
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
    webgpuInstalledAt: findInstalledPackage(WEBGPU_PACKAGE, searchDirs) !== undefined ? findInstalledPackage(WEBGPU_TFJS_PACKAGE, searchDirs) : undefined,
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

/** The node_modules folders of every backend installed under `targetDir`, for the engine's `searchPaths` / NODE_PATH. */
export function gpuNodeModules(targetDir: string): string[] {
  const f = gpuBackendFolders(targetDir);
  return [f.webgpu, f.cuda, f.legacy].map((d) => path.join(d, 'node_modules')).filter((d) => fs.existsSync(d));
}

/** Where probes look for installed GPU packages: each backend's folder, and the folder itself (older layout). */
export function gpuSearchDirs(targetDir: string): string[] {
  const f = gpuBackendFolders(targetDir);
  return [f.webgpu, f.cuda, f.legacy];
}

/** What one install run did: the backends now installed, and each failure with npm's last lines. */
export interface GpuInstallOutcome {
  installed: { backend: GpuInstallStep['backend']; at: string }[];
  failed: { backend: GpuInstallStep['backend']; message: string }[];
}

/**
 * Runs each planned step: npm installs into `<dir>.partial`; only when every package then resolves from there does
 * it replace `<dir>` (old folder moved aside, then removed). A failed, cancelled or incomplete step removes its
 * staging folder and touches nothing else, so the backends that worked before still do; the other steps still run.
 */
export async function runGpuInstall(plan: Extract<GpuInstallPlan, { ok: true }>, options: { onLine?: (line: string) => void; signal?: AbortSignal } = {}): Promise<GpuInstallOutcome> {
  const outcome: GpuInstallOutcome = { installed: [], failed: [] };
  for (const step of plan.steps) {
    const staging = `${step.dir}.partial`;
    try {
      fs.rmSync(staging, { recursive: true, force: true });
      fs.mkdirSync(staging, { recursive: true });
      await runStep(step, options);
      const names = step.packages.map((p) => p.replace(/@[^@/]+$/, ''));
      const missing = names.filter((n) => !fs.existsSync(path.join(staging, 'node_modules', ...n.split('/'), 'package.json')));
      if (missing.length > 0) throw new Error(`npm reported success but ${missing.join(', ')} is not in ${staging}`);
      const old = `${step.dir}.old`;
      fs.rmSync(old, { recursive: true, force: true });
      if (fs.existsSync(step.dir)) fs.renameSync(step.dir, old);
      fs.renameSync(staging, step.dir);
      fs.rmSync(old, { recursive: true, force: true });
      outcome.installed.push({ backend: step.backend, at: step.dir });
    } catch (err) {
      fs.rmSync(staging, { recursive: true, force: true });
      outcome.failed.push({ backend: step.backend, message: `installing ${step.packages.join(' and ')} failed: ${err instanceof Error ? err.message : String(err)}` });
    }
  }
  return outcome;
}

/** One npm run of a step; rejects with npm's exit code and last output lines. */
async function runStep(step: GpuInstallStep, options: NpmRunOptions): Promise<void> {
  const { code, tail } = await runNpm(step.command, step.args, path.dirname(step.dir), options);
  if (code !== 0) throw new Error(`npm exited with code ${String(code)}:\n${tail.join('\n')}`);
}
