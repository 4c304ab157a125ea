// `dynn-lens install-gpu [--dir DIR] [--check]`: installs the CUDA backend (@tensorflow/tfjs-node-gpu) into a
// folder of the tool's own (never the current project) when this machine can run it, and says exactly why not
// when it cannot. The decision is src/platform/node/gpuInstall.ts, shared with the editor's "Install GPU Backend".
import * as path from 'node:path';
import { GPU_PACKAGE, defaultGpuBackendDir, gpuNodeModules, planGpuInstall, probeGpuMachine, runGpuInstall, tfjsVersion } from '../../platform/node/gpuInstall';
import type { Command } from '../command';

export const installGpuCommand: Command = {
  name: 'install-gpu',
  summary: `Install the CUDA backend (${GPU_PACKAGE}) when this machine has an NVIDIA GPU`,
  usage: 'install-gpu [--dir DIR] [--check]',
  description: [
    `Checks for an NVIDIA driver (nvidia-smi), a CUDA runtime library and npm, then installs ${GPU_PACKAGE} into DIR`,
    `(default ${defaultGpuBackendDir()}) with npm. Nothing is installed into the current project. When the machine`,
    'cannot run it, every reason is printed and nothing is downloaded. Backend selection finds the package when DIR',
    "is on the worker's search path (the editor passes its own folder; for the CLI set NODE_PATH=DIR/node_modules).",
    'Exit code: 0 installed (or, with --check, installable), 1 when this machine cannot use it or npm failed.',
  ].join('\n'),
  options: {
    dir: { type: 'string', valueName: 'DIR', description: 'Folder to install into' },
    check: { type: 'boolean', description: 'Only report whether this machine can use the GPU backend' },
  },
  async run({ values, io }) {
    const dir = typeof values.dir === 'string' && values.dir !== '' ? path.resolve(io.cwd, values.dir) : defaultGpuBackendDir();
    const plan = planGpuInstall(probeGpuMachine([dir]), dir, tfjsVersion());
    if (!plan.ok) {
      io.stderr.write(`The GPU backend cannot be used on this machine:\n${plan.reasons.map((r) => `  - ${r}`).join('\n')}\n`);
      return 1;
    }
    io.stdout.write(`${plan.summary}\n`);
    if (values.check === true) {
      io.stdout.write(plan.alreadyInstalled ? 'Nothing to install.\n' : `Installable with: ${plan.command} ${plan.args.join(' ')}\n`);
      return 0;
    }
    if (plan.alreadyInstalled) return 0;
    try {
      const installed = await runGpuInstall(plan, { onLine: (line) => io.stderr.write(`npm: ${line}\n`) });
      io.stdout.write(`Installed ${GPU_PACKAGE} (${installed}). Use it with NODE_PATH=${gpuNodeModules(dir)} and --backend tensorflow-gpu.\n`);
      return 0;
    } catch (err) {
      io.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
      return 1;
    }
  },
};
