// Shared pieces of the studies tests: a tiny MNIST early-exit model (2 conv layers, one internal exit plus the
// final one, 300 training images, 2 epochs) and a temporary workspace for its weight cache and results.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { analyzeText } from '../../../src/modelfile';
import type { ModelSpec } from '../../../src/modelfile/types';
import { tinyMnistModel } from '../../fixtures/tiny-mnist';

export const TINY_MNIST_YAML = tinyMnistModel({ name: 'tiny-mnist', threshold: 0.5, epochs: 2, samples: 48, pgdEps: [0.05, 0.2], slowdown: true });

export function tinyAnalysis(text = TINY_MNIST_YAML): { spec: ModelSpec; specHash: string } {
  const analysis = analyzeText(text, { fileName: 'tiny.dynn.yaml' });
  const errors = analysis.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length > 0 || analysis.spec === undefined || analysis.specHash === undefined) {
    throw new Error(`tiny spec invalid: ${errors.map((d) => `${d.code}: ${d.message}`).join('; ')}`);
  }
  return { spec: analysis.spec, specHash: analysis.specHash };
}

/** A fresh temporary workspace holding the tiny model file. */
export function tempWorkspace(text = TINY_MNIST_YAML): { root: string; file: string; cleanup(): void } {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'dynn-studies-'));
  fs.writeFileSync(path.join(root, 'tiny.dynn.yaml'), text);
  return { root, file: 'tiny.dynn.yaml', cleanup: () => fs.rmSync(root, { recursive: true, force: true }) };
}
