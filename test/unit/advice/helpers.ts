// Model texts and fix helpers for the advice tests: every test runs the real analyser on real text.
import * as assert from 'node:assert/strict';
import { parse } from 'yaml';
import { advise, applyEdits, type AdviceDiagnostic } from '../../../src/advice';
import { analyzeText } from '../../../src/modelfile';
import type { Analysis } from '../../../src/modelfile/types';

export interface ModelParts {
  input?: string;
  classes?: number;
  exits?: string;
  gates?: string;
  policy?: string;
  train?: string;
  block2?: string;
}

/** A small valid MNIST model that breaks no rule; each part can be replaced by YAML text. */
export function model(parts: ModelParts = {}): string {
  return `dynn: 1
name: test-model
${parts.input ?? 'input:\n  shape: [28, 28, 1]\n  range: [0, 1]'}
classes: ${parts.classes ?? 10}
backbone:
  - {type: conv2d, name: stem, filters: 8, kernel: 3, activation: relu}
  - type: residual
    name: block1
    layers:
      - {type: conv2d, filters: 8, kernel: 3, activation: relu}
      - {type: conv2d, filters: 8, kernel: 3}
  - {type: maxPool, name: pool1, size: 2}
  - {type: conv2d, name: widen, filters: 16, kernel: 3, activation: relu}
${parts.block2 ?? `  - type: residual
    name: block2
    layers:
      - {type: conv2d, filters: 16, kernel: 3, activation: relu}
      - {type: conv2d, filters: 16, kernel: 3}`}
  - {type: globalPool, name: gap}
  - {type: dense, name: logits, units: ${parts.classes ?? 10}}
${parts.exits ?? 'exits:\n  - name: mid\n    after: widen'}
${parts.gates ?? 'gates:\n  - name: skip2\n    block: block2'}
${parts.policy ?? 'policy:\n  kind: maxProb\n  threshold: 0.9'}
data:
  source: mnist
${parts.train ?? 'train:\n  epochs: 1'}
`;
}

/** The same model as pretty-printed JSON. */
export function toJsonText(yamlText: string): string {
  return `${JSON.stringify(parse(yamlText), null, 2)}\n`;
}

export interface Checked {
  text: string;
  fileName: string;
  analysis: Analysis;
  advice: AdviceDiagnostic[];
}

/** Analyses and advises; fails the test if the model itself has errors (tests must start from valid files). */
export function check(text: string, fileName = 'model.dynn.yaml', allowErrors = false): Checked {
  const analysis = analyzeText(text, { fileName });
  if (!allowErrors) {
    const errors = analysis.diagnostics.filter((d) => d.severity === 'error');
    assert.deepEqual(errors.map((d) => `${d.code}: ${d.message}`), [], 'the test model should have no errors');
  }
  return { text, fileName, analysis, advice: advise(analysis, text, { fileName }) };
}

export function findings(c: Checked, code: string): AdviceDiagnostic[] {
  return c.advice.filter((d) => d.code === code);
}

export function spanText(c: Checked, d: AdviceDiagnostic): string {
  return c.text.slice(d.span.start, d.span.end);
}

/** Applies fix `fixIndex` of `d`, re-analyses, and checks: no errors, and the same finding (code and subjects) is gone. */
export function applyFix(c: Checked, d: AdviceDiagnostic, fixIndex = 0): Checked {
  const fix = d.fixes?.[fixIndex];
  assert.ok(fix, `expected fix #${fixIndex} on ${d.code}: ${d.message}`);
  const edited = applyEdits(c.text, fix.edits);
  assert.ok(edited !== undefined, 'the fix edits overlap');
  const after = check(edited, c.fileName);
  const same = after.advice.filter((x) => x.code === d.code && JSON.stringify(x.subjects) === JSON.stringify(d.subjects));
  assert.deepEqual(same.map((x) => x.message), [], `the finding ${d.code} should be gone after "${fix.title}"`);
  return after;
}
