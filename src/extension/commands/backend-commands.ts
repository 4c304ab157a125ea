// Commands about the compute backend: which one the worker starts (Show Backend), which one to ask for (Select
// Backend). Installing a GPU backend is gpu-command.ts.
import * as vscode from 'vscode';
import type { InfoResult } from '../../protocol/jobs';
import { BACKENDS, type BackendSetting } from '../config';
import type { Ctx } from '../ctx';
import { UserError } from '../runs/model-target';
import { whenTrusted } from '../trust';
import type { CommandFactory } from './command';

/**
 * Starts the worker (on first use) and asks which TF.js backend checks and training will use under the current
 * `dynn.backend` setting; shows the answer and logs every probe. Needs trust: the worker loads native TF.js
 * bindings.
 */
export const showBackend: CommandFactory = (ctx) =>
  whenTrusted('Showing the compute backend', async (): Promise<InfoResult> => {
    const preference = ctx.config.settings.backend;
    const info = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: 'DyNN: starting the compute backend', cancellable: true },
      (_progress, token) => showBackendInfo(ctx, token),
    );
    for (const p of info.probes) ctx.log.info(`backend probe ${p.name}: ${p.available ? 'available' : 'unavailable'} (${p.note})`);
    const backend = info.backend;
    if (!backend) throw new Error('the worker started no backend');
    ctx.log.info(`Checks run on ${backend.name} (preference ${preference}) in worker process ${info.process.pid}: ${backend.reason}`);
    void vscode.window.showInformationMessage(`DyNN Lens checks run on ${backend.name} (setting dynn.backend: ${preference}). ${backend.reason}`);
    return info;
  });

const BACKEND_DETAILS: Record<BackendSetting, string> = {
  auto: 'best available: CUDA, then a hardware WebGPU adapter, then native CPU, then WebAssembly, then JavaScript',
  'tensorflow-gpu': 'CUDA through @tensorflow/tfjs-node-gpu (DyNN: Install GPU Backend)',
  webgpu: 'any GPU through WebGPU (Dawn: Vulkan, Metal, D3D12; DyNN: Install GPU Backend); also a software adapter',
  tensorflow: 'native TensorFlow on the CPU (@tensorflow/tfjs-node)',
  wasm: 'WebAssembly with SIMD (bundled)',
  cpu: 'pure JavaScript (slowest, always available)',
};

/** Select Backend: writes `dynn.backend` (workspace settings when a folder is open, else user settings). */
export const selectBackend: CommandFactory = (ctx) => async (value?: unknown) => {
  let chosen = typeof value === 'string' ? value : undefined;
  if (chosen !== undefined && !(BACKENDS as readonly string[]).includes(chosen)) throw new UserError(`unknown backend "${chosen}": one of ${BACKENDS.join(', ')}`);
  if (chosen === undefined) {
    const current = ctx.config.settings.backend;
    const pick = await vscode.window.showQuickPick(
      BACKENDS.map((b) => ({ label: b, description: b === current ? '(current)' : '', detail: BACKEND_DETAILS[b] })),
      { title: 'DyNN: Select Backend for checks and training' },
    );
    if (!pick) return undefined;
    chosen = pick.label;
  }
  const target = vscode.workspace.workspaceFolders?.length ? vscode.ConfigurationTarget.Workspace : vscode.ConfigurationTarget.Global;
  await vscode.workspace.getConfiguration('dynn').update('backend', chosen, target);
  // The running worker keeps its backend; the next run asks for the new one.
  ctx.log.info(`dynn.backend set to ${chosen} (${target === vscode.ConfigurationTarget.Workspace ? 'workspace' : 'user'} settings)`);
  return chosen;
};

/** Asks the worker which backend it starts under the current setting; updates the status item. */
export const showBackendInfo = async (ctx: Ctx, token?: vscode.CancellationToken): Promise<InfoResult> => {
  const worker = await ctx.worker.get();
  const info = await worker.run<InfoResult>('info', { backend: ctx.config.settings.backend }, token ? { token } : {});
  if (info.backend) ctx.status.setBackend({ name: info.backend.name, reason: info.backend.reason, from: 'worker info' });
  return info;
};
