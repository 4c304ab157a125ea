// "DyNN: Install GPU Backend": installs the GPU backends into the extension's global storage folder (never the
// user's project): WebGPU (Dawn) on every OS, and @tensorflow/tfjs-node-gpu where an NVIDIA driver and a CUDA
// runtime are present; says exactly why a backend is left out. Nothing is downloaded at activation, only here,
// after the user confirms. The decision is src/platform/node/gpuInstall.ts (shared with `dynn-lens install-gpu`);
// the worker finds the packages through NODE_PATH.
import * as vscode from 'vscode';
import { gpuSearchDirs, planGpuInstall, probeGpuMachine, runGpuInstall, tfjsVersion } from '../../platform/node/gpuInstall';
import { gpuBackendDir } from '../runs/worker';
import type { CommandFactory } from './command';
import { whenTrusted } from '../trust';
import { withNpmProgress } from '../runs/npm-progress';

/** What the command did: `installed` when a GPU backend is now there; `reasons` why a backend is not. */
export interface InstallGpuOutcome {
  installed: boolean;
  reasons: string[];
}

export const installGpu: CommandFactory = (ctx) =>
  whenTrusted('Installing the GPU backend', async (): Promise<InstallGpuOutcome> => {
    const dir = gpuBackendDir(ctx.extension);
    const probe = probeGpuMachine(gpuSearchDirs(dir));
    ctx.log.info(`GPU probe: ${JSON.stringify(probe)}`);
    const plan = planGpuInstall(probe, dir, tfjsVersion());
    if (!plan.ok) {
      const why = plan.reasons.join('; ');
      ctx.log.warn(`GPU backend not installed: ${why}`);
      void vscode.window.showErrorMessage(`DyNN Lens cannot use a GPU backend on this machine: ${why}. Checks keep running on the CPU.`, 'Show Log').then((c) => {
        if (c) ctx.log.show();
      });
      return { installed: false, reasons: plan.reasons };
    }
    if (plan.skipped.length > 0) ctx.log.info(`GPU backends left out: ${plan.skipped.join('; ')}`);
    if (plan.alreadyInstalled) {
      void vscode.window.showInformationMessage(`DyNN Lens: ${plan.summary}.`);
      return { installed: true, reasons: plan.skipped };
    }
    const go = await vscode.window.showInformationMessage(
      `${plan.summary}. Install into the extension's storage folder (WebGPU about 60 MB, CUDA several hundred MB)?`,
      { modal: true, detail: [...plan.steps.map((s) => `${s.command} ${s.args.join(' ')}`), ...plan.skipped.map((r) => `Left out: ${r}`)].join('\n') },
      'Install',
    );
    if (go !== 'Install') return { installed: false, reasons: [...plan.skipped, 'declined'] };
    const outcome = await withNpmProgress(ctx.log, 'DyNN: installing the GPU backends', (options) => runGpuInstall(plan, options));
    for (const f of outcome.failed) ctx.log.error(`${f.message} (the backends installed before are unchanged)`);
    if (outcome.installed.length > 0) {
      // A fresh worker picks the packages up through NODE_PATH.
      ctx.worker.reset();
      ctx.log.info(`Installed GPU backends: ${outcome.installed.map((i) => `${i.backend} at ${i.at}`).join(', ')}`);
    }
    const names = outcome.installed.map((i) => i.backend).join(' and ');
    if (outcome.failed.length > 0) {
      void vscode.window.showErrorMessage(`DyNN Lens: ${outcome.failed.map((f) => f.message.split('\n')[0]).join('; ')}. The backends that worked before are unchanged.${names ? ` Installed: ${names}.` : ''}`, 'Show Log').then((c) => {
        if (c) ctx.log.show();
      });
    } else {
      void vscode.window.showInformationMessage(`DyNN Lens: installed ${names}. Checks use it with dynn.backend "auto" (a hardware GPU) or "${outcome.installed[0]?.backend ?? 'webgpu'}".`);
    }
    return { installed: outcome.installed.length > 0, reasons: [...plan.skipped, ...outcome.failed.map((f) => f.message)] };
  });
