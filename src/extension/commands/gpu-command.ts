// "DyNN: Install GPU Backend": installs @tensorflow/tfjs-node-gpu into the extension's global storage folder
// (never the user's project) when this machine can run it, and says exactly why not otherwise. The decision is
// src/platform/node/gpuInstall.ts (shared with `dynn-lens install-gpu`); the worker finds the package through NODE_PATH.
import * as vscode from 'vscode';
import { GPU_PACKAGE, planGpuInstall, probeGpuMachine, runGpuInstall, tfjsVersion } from '../../platform/node/gpuInstall';
import { gpuBackendDir } from '../runs/worker';
import type { CommandFactory } from './command';
import { whenTrusted } from '../trust';

export const installGpu: CommandFactory = (ctx) =>
  whenTrusted('Installing the GPU backend', async () => {
    const dir = gpuBackendDir(ctx.extension);
    const probe = probeGpuMachine([dir]);
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
    if (plan.alreadyInstalled) {
      void vscode.window.showInformationMessage(`DyNN Lens: ${plan.summary}.`);
      return { installed: true, reasons: [] };
    }
    const go = await vscode.window.showInformationMessage(
      `${plan.summary}. Install ${GPU_PACKAGE} (several hundred MB) into the extension's storage folder?`,
      { modal: true, detail: `${plan.command} ${plan.args.join(' ')}` },
      'Install',
    );
    if (go !== 'Install') return { installed: false, reasons: ['declined'] };
    const installed = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `DyNN: installing ${GPU_PACKAGE}`, cancellable: true },
      async (progress, token) => {
        const abort = new AbortController();
        const sub = token.onCancellationRequested(() => abort.abort());
        try {
          return await runGpuInstall(plan, {
            signal: abort.signal,
            onLine: (line) => {
              ctx.log.info(`[npm] ${line}`);
              progress.report({ message: line.slice(0, 80) });
            },
          });
        } finally {
          sub.dispose();
        }
      },
    );
    // A fresh worker picks the package up through NODE_PATH.
    ctx.worker.reset();
    ctx.log.info(`Installed ${GPU_PACKAGE} at ${installed}`);
    void vscode.window.showInformationMessage(`DyNN Lens: ${GPU_PACKAGE} installed. Checks use it with dynn.backend "auto" or "tensorflow-gpu".`);
    return { installed: true, reasons: [] };
  });
