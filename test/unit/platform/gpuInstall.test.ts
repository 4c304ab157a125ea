// The GPU-backend install decision with fake probes (every branch), and the real probes against fake tools in a
// temporary folder (nvidia-smi, npm, libcudart), so nothing here depends on the machine having a GPU.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  GPU_PACKAGE,
  WEBGPU_VERSION,
  findCudaRuntime,
  gpuNodeModules,
  findInstalledPackage,
  findOnPath,
  parseNvidiaSmi,
  planGpuInstall,
  probeGpuMachine,
  runGpuInstall,
  type GpuMachineProbe,
} from '../../../src/platform/node/gpuInstall';

const READY: GpuMachineProbe = {
  platform: 'linux',
  arch: 'x64',
  nvidiaSmi: { found: true, gpus: ['Tesla T4'], driverVersion: '535.54' },
  cudaRuntime: '/usr/local/cuda/lib64/libcudart.so.11.0',
  npm: '/usr/bin/npm',
  installedAt: undefined,
};

const posix = process.platform === 'win32' ? it.skip : it;

const made: string[] = [];
after(() => {
  for (const d of made.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dynn-gpu-'));
  made.push(dir);
  return dir;
}

function script(dir: string, name: string, body: string): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, `#!/bin/sh\n${body}\n`, { mode: 0o755 });
  return file;
}

describe('GPU backend install: decision', () => {
  const folders = (d: string) => ({ webgpu: path.join(d, 'webgpu'), cuda: path.join(d, 'cuda') });

  it('plans WebGPU and CUDA, each into its own folder through a staging folder, pinned to the tfjs version', () => {
    const plan = planGpuInstall(READY, '/store/gpu-backend', '4.22.0');
    assert.ok(plan.ok);
    assert.equal(plan.alreadyInstalled, false);
    assert.deepEqual(plan.skipped, []);
    assert.deepEqual(
      plan.steps.map((st) => [st.backend, st.dir, st.command, st.args]),
      [
        ['webgpu', folders('/store/gpu-backend').webgpu, '/usr/bin/npm', ['install', '--prefix', `${folders('/store/gpu-backend').webgpu}.partial`, '--no-save', '--no-package-lock', '--no-audit', '--no-fund', `webgpu@${WEBGPU_VERSION}`, '@tensorflow/tfjs-backend-webgpu@4.22.0']],
        ['tensorflow-gpu', folders('/store/gpu-backend').cuda, '/usr/bin/npm', ['install', '--prefix', `${folders('/store/gpu-backend').cuda}.partial`, '--no-save', '--no-package-lock', '--no-audit', '--no-fund', `${GPU_PACKAGE}@4.22.0`]],
      ],
    );
    assert.match(plan.summary, /to install: WebGPU \(Dawn: Vulkan, Metal or D3D12\) and CUDA \(@tensorflow\/tfjs-node-gpu\) for Tesla T4/);
  });

  it('offers WebGPU without an NVIDIA GPU, and says exactly why CUDA is left out (every missing piece)', () => {
    const plan = planGpuInstall({ ...READY, nvidiaSmi: { found: false }, cudaRuntime: undefined }, '/d', '4.22.0');
    assert.ok(plan.ok);
    assert.deepEqual(plan.steps.map((st) => st.backend), ['webgpu']);
    assert.deepEqual(plan.skipped, [
      'no NVIDIA driver: nvidia-smi is not on PATH, so this machine has no usable NVIDIA GPU',
      'no CUDA runtime library (libcudart) on the library path; install the CUDA toolkit and cuDNN that TensorFlow 2.9 needs (CUDA 11.2, cuDNN 8.1)',
    ]);
  });

  it('offers WebGPU on macOS (Metal), where tfjs-node-gpu has no build', () => {
    const mac = planGpuInstall({ ...READY, platform: 'darwin', arch: 'arm64', nvidiaSmi: { found: false } }, '/d', '4.22.0');
    assert.ok(mac.ok);
    assert.deepEqual(mac.steps.map((st) => st.backend), ['webgpu']);
    assert.match(mac.skipped[0] ?? '', /only for Linux and Windows on x64; this machine is darwin-arm64/);
  });

  it('leaves CUDA out when nvidia-smi runs but lists no GPU, with its error', () => {
    const plan = planGpuInstall({ ...READY, nvidiaSmi: { found: true, gpus: [], error: 'NVIDIA-SMI has failed because it could not communicate with the NVIDIA driver' } }, '/d', '4.22.0');
    assert.ok(plan.ok);
    assert.match(plan.skipped[0] ?? '', /nvidia-smi found no NVIDIA GPU \(NVIDIA-SMI has failed/);
  });

  it('refuses without npm when something is to be installed, and where nothing can be used at all', () => {
    const noNpm = planGpuInstall({ ...READY, npm: undefined }, '/d', '4.22.0');
    assert.deepEqual(noNpm.ok ? [] : noNpm.reasons, ['npm is not on PATH, and it is needed to download the packages']);
    const nothing = planGpuInstall({ ...READY, platform: 'freebsd', arch: 'x64', nvidiaSmi: { found: false } }, '/d', '4.22.0');
    assert.equal(nothing.ok, false);
    assert.match(nothing.ok ? '' : nothing.reasons.join(' | '), /WebGPU: the webgpu package has no Dawn binaries for freebsd-x64 \| .*only for Linux and Windows on x64/);
  });

  it('reports existing installs instead of installing again', () => {
    const plan = planGpuInstall({ ...READY, installedAt: '/d/cuda/node_modules/@tensorflow/tfjs-node-gpu/package.json', webgpuInstalledAt: '/d/webgpu/node_modules/@tensorflow/tfjs-backend-webgpu/package.json' }, '/d', '4.22.0');
    assert.ok(plan.ok);
    assert.equal(plan.alreadyInstalled, true);
    assert.deepEqual(plan.steps, []);
    assert.match(plan.summary, /WebGPU is already installed .*; @tensorflow\/tfjs-node-gpu is already installed/);
  });

  it('pins the webgpu version the project is built and tested with', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', '..', '..', 'package.json'), 'utf8')) as { optionalDependencies: Record<string, string> };
    assert.equal(pkg.optionalDependencies.webgpu, `^${WEBGPU_VERSION}`);
  });

  it('reads nvidia-smi CSV output', () => {
    assert.deepEqual(parseNvidiaSmi('Tesla T4, 535.54\nNVIDIA A100-SXM4-40GB, 535.54\n'), { gpus: ['Tesla T4', 'NVIDIA A100-SXM4-40GB'], driverVersion: '535.54' });
    assert.deepEqual(parseNvidiaSmi('\n'), { gpus: [] });
  });
});

describe('GPU backend install: probes', () => {
  posix('finds executables on PATH and nothing on an empty PATH', () => {
    const dir = tempDir();
    const npm = script(dir, 'npm', 'exit 0');
    fs.writeFileSync(path.join(dir, 'not-executable'), 'x', { mode: 0o644 });
    assert.equal(findOnPath('npm', { PATH: dir }), npm);
    assert.equal(findOnPath('not-executable', { PATH: dir }), undefined);
    assert.equal(findOnPath('npm', { PATH: '' }), undefined);
  });

  posix('finds libcudart on LD_LIBRARY_PATH', () => {
    const dir = tempDir();
    assert.notEqual(findCudaRuntime({ LD_LIBRARY_PATH: dir }), path.join(dir, 'libcudart.so.11.0'));
    fs.writeFileSync(path.join(dir, 'libcudart.so.11.0'), '');
    assert.equal(findCudaRuntime({ LD_LIBRARY_PATH: dir }), path.join(dir, 'libcudart.so.11.0'));
  });

  posix('runs nvidia-smi and reads its GPUs; a failing nvidia-smi counts as no GPU with its message', () => {
    const dir = tempDir();
    script(dir, 'nvidia-smi', 'echo "Tesla T4, 535.54"');
    const found = probeGpuMachine([], { PATH: dir });
    assert.deepEqual(found.nvidiaSmi, { found: true, gpus: ['Tesla T4'], driverVersion: '535.54' });
    assert.equal(found.npm, undefined);
    const broken = tempDir();
    script(broken, 'nvidia-smi', 'echo "NVIDIA-SMI has failed because it could not communicate with the NVIDIA driver" >&2; exit 9');
    const failed = probeGpuMachine([], { PATH: broken });
    assert.deepEqual(failed.nvidiaSmi, { found: true, gpus: [], error: 'NVIDIA-SMI has failed because it could not communicate with the NVIDIA driver' });
    const plan = planGpuInstall(failed, broken, '4.22.0');
    assert.match(plan.ok ? plan.skipped.join(' | ') : plan.reasons.join(' | '), /nvidia-smi found no NVIDIA GPU \(NVIDIA-SMI has failed/);
  });

  it('sees a package installed under a search folder', () => {
    const dir = tempDir();
    assert.equal(findInstalledPackage(GPU_PACKAGE, [dir]), undefined);
    const pkg = path.join(dir, 'node_modules', ...GPU_PACKAGE.split('/'));
    fs.mkdirSync(pkg, { recursive: true });
    fs.writeFileSync(path.join(pkg, 'package.json'), '{"name":"@tensorflow/tfjs-node-gpu","version":"4.22.0"}');
    assert.equal(findInstalledPackage(GPU_PACKAGE, [dir]), path.join(pkg, 'package.json'));
  });

  it("is found by the engine's backend lookup through NODE_PATH, as the editor's worker gets it", () => {
    const dir = tempDir();
    const pkg = path.join(dir, 'node_modules', ...GPU_PACKAGE.split('/'));
    fs.mkdirSync(pkg, { recursive: true });
    fs.writeFileSync(path.join(pkg, 'package.json'), '{"name":"@tensorflow/tfjs-node-gpu","version":"4.22.0","main":"index.js"}');
    fs.writeFileSync(path.join(pkg, 'index.js'), 'module.exports = {};');
    const backend = require.resolve('../../../src/platform/node/backends');
    const probe = `const b = require(${JSON.stringify(backend)}); process.stdout.write(String(b.resolvePackage(${JSON.stringify(GPU_PACKAGE)})));`;
    const withPath = spawnSync(process.execPath, ['-e', probe], { encoding: 'utf8', env: { ...process.env, NODE_PATH: path.join(dir, 'node_modules') } });
    assert.equal(withPath.status, 0, withPath.stderr);
    assert.equal(withPath.stdout, path.join(pkg, 'index.js'));
    const without = spawnSync(process.execPath, ['-e', probe], { encoding: 'utf8', env: { ...process.env, NODE_PATH: '' } });
    assert.equal(without.stdout, 'undefined');
  });

  posix('a failed install says what failed, removes its staging folder and leaves the installed backends as they were', async () => {
    const dir = tempDir();
    const target = path.join(dir, 'target');
    // A working CUDA backend from an earlier install, and a WebGPU folder from an earlier version.
    const marker = path.join(target, 'webgpu', 'node_modules', 'webgpu', 'package.json');
    fs.mkdirSync(path.dirname(marker), { recursive: true });
    fs.writeFileSync(marker, '{"name":"webgpu","version":"0.6.1"}');
    const fakeNpm = script(dir, 'npm', 'mkdir -p "$3/node_modules/webgpu"; echo "npm error code E404" >&2; echo "npm error 404 Not Found" >&2; exit 1');
    const plan = planGpuInstall({ ...READY, npm: fakeNpm, nvidiaSmi: { found: false } }, target, '4.22.0');
    assert.ok(plan.ok);
    const lines: string[] = [];
    const outcome = await runGpuInstall(plan, { onLine: (l) => lines.push(l) });
    assert.deepEqual(outcome.installed, []);
    assert.equal(outcome.failed.length, 1);
    assert.match(outcome.failed[0]?.message ?? '', /^installing webgpu@0\.6\.2 and @tensorflow\/tfjs-backend-webgpu@4\.22\.0 failed: npm exited with code 1:\nnpm error code E404\nnpm error 404 Not Found$/);
    assert.deepEqual(lines, ['npm error code E404', 'npm error 404 Not Found']);
    assert.equal(fs.readFileSync(marker, 'utf8'), '{"name":"webgpu","version":"0.6.1"}', 'the earlier install is untouched');
    assert.deepEqual(fs.readdirSync(target).sort(), ['webgpu'], 'no staging folder is left behind');
  });

  posix('an install that succeeds replaces the backend folder in whole, and its node_modules is what NODE_PATH gets', async () => {
    const dir = tempDir();
    // A stand-in for npm that does what `npm install --prefix DIR pkg...` leaves behind.
    const fakeNpm = script(dir, 'npm', 'for p in webgpu @tensorflow/tfjs-backend-webgpu; do mkdir -p "$3/node_modules/$p" && echo "{\\"main\\":\\"index.js\\"}" > "$3/node_modules/$p/package.json" && echo "module.exports = {}" > "$3/node_modules/$p/index.js"; done; echo "added 2 packages"');
    const target = path.join(dir, 'target');
    fs.mkdirSync(path.join(target, 'webgpu', 'stale'), { recursive: true });
    const plan = planGpuInstall({ ...READY, npm: fakeNpm, nvidiaSmi: { found: false } }, target, '4.22.0');
    assert.ok(plan.ok);
    const outcome = await runGpuInstall(plan);
    assert.deepEqual(outcome, { installed: [{ backend: 'webgpu', at: path.join(target, 'webgpu') }], failed: [] });
    assert.deepEqual(fs.readdirSync(target).sort(), ['webgpu']);
    assert.equal(fs.existsSync(path.join(target, 'webgpu', 'stale')), false, 'the old folder was replaced, not merged');
    assert.deepEqual(gpuNodeModules(target), [path.join(target, 'webgpu', 'node_modules')]);
    // What the worker's NODE_PATH (and the engine's search paths) point Node's resolution at.
    assert.equal(require.resolve('@tensorflow/tfjs-backend-webgpu', { paths: gpuNodeModules(target) }), path.join(target, 'webgpu', 'node_modules', '@tensorflow', 'tfjs-backend-webgpu', 'index.js'));
  });
});
