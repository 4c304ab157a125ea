// Shared pieces of the studies tests: a tiny MNIST early-exit model (2 conv layers, one internal exit plus the
// final one, 300 training images, 2 epochs) and a temporary workspace for its weight cache and results.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { analyzeText } from '../../../src/spec';
import type { ModelSpec } from '../../../src/spec/types';

export const TINY_MNIST_YAML = `
dynn: 1
name: tiny-mnist
input: {shape: [28, 28, 1], range: [0, 1]}
classes: 10
backbone:
  - {name: conv1, type: conv2d, filters: 4, kernel: 3, stride: 2, activation: relu}
  - {name: conv2, type: conv2d, filters: 8, kernel: 3, stride: 2, activation: relu}
  - {name: flatten, type: flatten}
  - {name: classifier, type: dense, units: 10}
exits:
  - {name: exit1, after: conv2}
policy: {kind: maxProb, threshold: 0.5}
data: {source: mnist, trainFraction: 0.03}
train: {epochs: 2, batchSize: 32, optimizer: adam, learningRate: 0.01, seed: 3}
checks:
  samples: 48
  seed: 0
  attacks:
    - {id: pgd, kind: pgd, norm: linf, eps: [0.05, 0.2], step: 0.05, steps: 3, loss: average}
    - {id: hijack, kind: hijack, norm: linf, eps: [0.2], step: 0.05, steps: 3}
    - {id: slowdown, kind: slowdown, norm: linf, eps: [0.2], step: 0.05, steps: 3}
`;

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
