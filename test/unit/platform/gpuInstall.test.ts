// The GPU-backend install decision with fake probes (every branch), and the real probes against fake tools in a
// temporary folder (nvidia-smi, npm, libcudart), so nothing here depends on the machine having a GPU.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  GPU_PACKAGE,
  findCudaRuntime,
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
  it('plans an npm install into the target folder only, pinned to the tfjs version', () => {
    const plan = planGpuInstall(READY, '/store/gpu-backend', '4.22.0');
    assert.ok(plan.ok);
    assert.equal(plan.alreadyInstalled, false);
    assert.equal(plan.command, '/usr/bin/npm');
    assert.deepEqual(plan.args, ['install', '--prefix', '/store/gpu-backend', '--no-save', '--no-package-lock', '--no-audit', '--no-fund', `${GPU_PACKAGE}@4.22.0`]);
    assert.match(plan.summary, /Tesla T4/);
  });

  it('says exactly why not on a machine without an NVIDIA GPU (and lists every other missing piece)', () => {
    const plan = planGpuInstall({ ...READY, nvidiaSmi: { found: false }, cudaRuntime: undefined }, '/d', '4.22.0');
    assert.equal(plan.ok, false);
    assert.deepEqual(plan.ok ? [] : plan.reasons, [
      'no NVIDIA driver: nvidia-smi is not on PATH, so this machine has no usable NVIDIA GPU',
      'no CUDA runtime library (libcudart) on the library path; install the CUDA toolkit and cuDNN that TensorFlow 2.9 needs (CUDA 11.2, cuDNN 8.1)',
    ]);
  });

  it('refuses when nvidia-smi runs but lists no GPU, with its error', () => {
    const plan = planGpuInstall({ ...READY, nvidiaSmi: { found: true, gpus: [], error: 'NVIDIA-SMI has failed because it could not communicate with the NVIDIA driver' } }, '/d', '4.22.0');
    assert.equal(plan.ok, false);
    assert.match(plan.ok ? '' : (plan.reasons[0] ?? ''), /nvidia-smi found no NVIDIA GPU \(NVIDIA-SMI has failed/);
  });

  it('refuses without npm, and on platforms without CUDA builds', () => {
    const noNpm = planGpuInstall({ ...READY, npm: undefined }, '/d', '4.22.0');
    assert.deepEqual(noNpm.ok ? [] : noNpm.reasons, ['npm is not on PATH, and it is needed to download the package']);
    const mac = planGpuInstall({ ...READY, platform: 'darwin', arch: 'arm64' }, '/d', '4.22.0');
    assert.match(mac.ok ? '' : (mac.reasons[0] ?? ''), /only for Linux and Windows on x64; this machine is darwin-arm64/);
  });

  it('reports an existing install instead of installing again', () => {
    const plan = planGpuInstall({ ...READY, installedAt: '/d/node_modules/@tensorflow/tfjs-node-gpu/package.json' }, '/d', '4.22.0');
    assert.ok(plan.ok);
    assert.equal(plan.alreadyInstalled, true);
    assert.match(plan.summary, /already installed/);
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
    assert.equal(plan.ok, false);
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

  posix('runs the planned command and fails with its last output lines when it fails', async () => {
    const dir = tempDir();
    const fakeNpm = script(dir, 'npm', 'echo "npm error code E404" >&2; echo "npm error 404 Not Found" >&2; exit 1');
    const plan = planGpuInstall({ ...READY, npm: fakeNpm }, path.join(dir, 'target'), '4.22.0');
    assert.ok(plan.ok);
    const lines: string[] = [];
    await assert.rejects(runGpuInstall(plan, { onLine: (l) => lines.push(l) }), /failed with exit code 1:\nnpm error code E404\nnpm error 404 Not Found/);
    assert.deepEqual(lines, ['npm error code E404', 'npm error 404 Not Found']);
  });

  posix('resolves with the installed package when the command put it under the prefix', async () => {
    const dir = tempDir();
    // A stand-in for npm that does what `npm install --prefix DIR pkg` leaves behind.
    const fakeNpm = script(dir, 'npm', 'mkdir -p "$3/node_modules/@tensorflow/tfjs-node-gpu" && echo "{}" > "$3/node_modules/@tensorflow/tfjs-node-gpu/package.json" && echo "added 1 package"');
    const target = path.join(dir, 'target');
    const plan = planGpuInstall({ ...READY, npm: fakeNpm }, target, '4.22.0');
    assert.ok(plan.ok);
    const installed = await runGpuInstall(plan);
    assert.equal(installed, path.join(target, 'node_modules', '@tensorflow', 'tfjs-node-gpu', 'package.json'));
  });
});
