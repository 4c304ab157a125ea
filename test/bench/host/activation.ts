// Runs inside a real VS Code extension host (loaded as the extension tests path by test/bench/editor.bench.ts):
// times the extension's activation (loading dist/extension.js plus activate()) in a workspace without model
// files, so nothing has activated it before, and checks that activation loaded no TensorFlow.js.
import * as fs from 'fs';
import * as vscode from 'vscode';

export async function run(): Promise<void> {
  const out = process.env.DYNN_BENCH_OUT;
  if (!out) throw new Error('DYNN_BENCH_OUT is not set');
  const ext = vscode.extensions.getExtension('dynn-lens.dynn-lens');
  if (!ext) throw new Error('extension dynn-lens.dynn-lens not found in the host');
  const alreadyActive = ext.isActive;
  const t0 = performance.now();
  await ext.activate();
  const activationMs = performance.now() - t0;
  const tfjsModules = Object.keys(require.cache).filter((k) => k.includes('@tensorflow')).length;
  fs.writeFileSync(out, JSON.stringify({ activationMs, alreadyActive, tfjsModulesLoaded: tfjsModules, host: process.version }));
}
