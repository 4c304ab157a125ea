// Where built-in data-set packages live for the editor (the extension's storage) and the worker environment that
// lets the engine find them. Apart from dataset-install.ts so the context can use it without an import circle.
import * as path from 'path';
import * as vscode from 'vscode';

/** The folder data-set packages are installed into: the extension's storage, never the user's project. */
export function datasetsDir(extension: vscode.ExtensionContext): string {
  return vscode.Uri.joinPath(extension.globalStorageUri, 'datasets').fsPath;
}

/** NODE_PATH entry of the installed data sets (present or not: Node looks it up when the data is loaded). */
export function datasetsEnv(dir: string): Record<string, string> {
  return { NODE_PATH: path.join(dir, 'node_modules') };
}

/** Environments merged, NODE_PATH entries joined rather than replaced. */
export function mergeEnv(...envs: Record<string, string>[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const env of envs) {
    for (const [k, v] of Object.entries(env)) out[k] = k === 'NODE_PATH' && out[k] !== undefined ? `${out[k]}${path.delimiter}${v}` : v;
  }
  return out;
}
