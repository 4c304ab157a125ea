// `dynn-lens install-gpu [--dir DIR] [--check]`: installs the GPU backends into a folder of the tool's own (never the
// current project): WebGPU (Dawn) on every OS it ships binaries for, and the CUDA backend (@tensorflow/tfjs-node-gpu)
// when this machine has an NVIDIA GPU; says exactly why a backend is left out. The decision is
// src/platform/node/gpuInstall.ts, shared with the editor's "Install GPU Backend".
import * as path from 'node:path';
import { GPU_PACKAGE, WEBGPU_PACKAGE, defaultGpuBackendDir, gpuNodeModules, gpuSearchDirs, planGpuInstall, probeGpuMachine, runGpuInstall, tfjsVersion } from '../../platform/node/gpuInstall';
import type { Command } from '../command';

export const installGpuCommand: Command = {
  name: 'install-gpu',
  summary: `Install the GPU backends: WebGPU (${WEBGPU_PACKAGE}, any GPU) and, with an NVIDIA GPU, CUDA (${GPU_PACKAGE})`,
  usage: 'install-gpu [--dir DIR] [--check]',
  description: [
    `Installs WebGPU (Dawn's ${WEBGPU_PACKAGE} package and the matching @tensorflow/tfjs-backend-webgpu; Vulkan, Metal or`,
    `D3D12) and, when nvidia-smi, a CUDA runtime library and npm are there, ${GPU_PACKAGE}, into DIR (default`,
    `${defaultGpuBackendDir()}) with npm, one folder per backend. Nothing is installed into the current project. A`,
    'backend this machine cannot use is left out with every reason printed. A failed install leaves the backends',
    'installed before as they were. Backend selection finds the packages when their folders are on NODE_PATH (printed',
    'at the end; the editor passes its own folder).',
    'Exit code: 0 installed (or, with --check, installable or already there), 1 when nothing can be installed or npm failed.',
  ].join('\n'),
  options: {
    dir: { type: 'string', valueName: 'DIR', description: 'Folder to install into' },
    check: { type: 'boolean', description: 'Only report which GPU backends this machine can use' },
  },
  async run({ values, io }) {
    const dir = typeof values.dir === 'string' && values.dir !== '' ? path.resolve(io.cwd, values.dir) : defaultGpuBackendDir();
    const plan = planGpuInstall(probeGpuMachine(gpuSearchDirs(dir)), dir, tfjsVersion());
    if (!plan.ok) {
      io.stderr.write(`The GPU backend cannot be used on this machine:\n${plan.reasons.map((r) => `  - ${r}`).join('\n')}\n`);
      return 1;
    }
    io.stdout.write(`${plan.summary}\n`);
    if (plan.skipped.length > 0) io.stdout.write(`Left out:\n${plan.skipped.map((r) => `  - ${r}`).join('\n')}\n`);
    if (values.check === true) {
      io.stdout.write(plan.alreadyInstalled ? 'Nothing to install.\n' : `Installable with:\n${plan.steps.map((s) => `  ${s.command} ${s.args.join(' ')}`).join('\n')}\n`);
      return 0;
    }
    if (plan.alreadyInstalled) return 0;
    const outcome = await runGpuInstall(plan, { onLine: (line) => io.stderr.write(`npm: ${line}\n`) });
    for (const f of outcome.failed) io.stderr.write(`${f.message}\nThe backends installed before are unchanged.\n`);
    for (const i of outcome.installed) io.stdout.write(`Installed the ${i.backend} backend in ${i.at}.\n`);
    if (outcome.installed.length > 0) {
      io.stdout.write(`Use it with NODE_PATH=${gpuNodeModules(dir).join(path.delimiter)} and --backend auto (or webgpu / tensorflow-gpu).\n`);
    }
    return outcome.failed.length > 0 ? 1 : 0;
  },
};
