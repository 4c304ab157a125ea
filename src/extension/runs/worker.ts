// The worker process as the editor sees it: created on the first command that needs it (never at activation),
// its log lines go to the extension's log, and it is stopped with the context.
import * as path from 'path';
import * as vscode from 'vscode';
import { gpuNodeModules } from '../../platform/node/gpuInstall';
import type { WorkerClient } from '../../worker/client';
import { Lazy } from '../lazy';
import type { Log } from '../log';

export type LazyWorker = Lazy<WorkerClient & vscode.Disposable>;

/** The folder "Install GPU Backend" installs into: the extension's storage, never the user's project. */
export function gpuBackendDir(extension: vscode.ExtensionContext): string {
  return vscode.Uri.joinPath(extension.globalStorageUri, 'gpu-backend').fsPath;
}

/** NODE_PATH to the installed GPU backends (one folder each), when there are any, so the worker's backend lookup finds it. */
export function gpuBackendEnv(dir: string): Record<string, string> {
  const modules = gpuNodeModules(dir);
  return modules.length > 0 ? { NODE_PATH: modules.join(path.delimiter) } : {};
}

/** The worker's DYNN_WASM_THREADS from the `dynn.wasmThreads` setting; 0 (auto) leaves the engine's default. */
export function wasmThreadsEnv(threads: number): Record<string, string> {
  return threads > 0 ? { DYNN_WASM_THREADS: String(threads) } : {};
}

/**
 * `env` is read when the child starts: it carries e.g. NODE_PATH to the GPU backend installed in the extension's
 * storage folder, so the engine's backend lookup finds it without touching the user's project.
 */
export function lazyWorker(extensionUri: vscode.Uri, log: Log, env: () => Record<string, string> = () => ({})): LazyWorker {
  return new Lazy(async () => {
    // Required here so activation does not even evaluate the client module.
    const { WorkerClient } = await import('../../worker/client');
    const workerPath = vscode.Uri.joinPath(extensionUri, 'dist', 'worker.js').fsPath;
    log.info(`Starting the DyNN worker (${workerPath})`);
    const extra = env();
    if (Object.keys(extra).length > 0) log.info(`Worker environment: ${JSON.stringify(extra)}`);
    return new WorkerClient({
      workerPath,
      env: extra,
      onLog: (entry) => {
        const line = `[worker] ${entry.message}`;
        if (entry.level === 'error') log.error(line);
        else if (entry.level === 'warn') log.warn(line);
        else if (entry.level === 'info') log.info(line);
        else log.debug(line);
      },
    });
  });
}
