// Shared helpers for the spec tests: analyse a text, find diagnostics, read the text a span covers.
import * as assert from 'assert';
import * as path from 'path';
import { analyzeText } from '../../../src/modelfile';
import type { Analysis, Diagnostic } from '../../../src/modelfile/types';

/** Repository root (tests run from out/test/unit/modelfile). */
export const ROOT = path.resolve(__dirname, '..', '..', '..', '..');

export function spanText(text: string, d: { span: { start: number; end: number } }): string {
  return text.slice(d.span.start, d.span.end);
}

export function errors(a: Analysis): Diagnostic[] {
  return a.diagnostics.filter((d) => d.severity === 'error');
}

/** Analyse and return the one diagnostic with `code` (fails if there is none). */
export function only(text: string, code: string, fileName?: string): { a: Analysis; d: Diagnostic } {
  const a = analyzeText(text, fileName === undefined ? {} : { fileName });
  const found = a.diagnostics.filter((d) => d.code === code);
  assert.ok(found.length > 0, `expected ${code}, got ${JSON.stringify(a.diagnostics.map((d) => [d.code, d.message]))}`);
  return { a, d: found[0] as Diagnostic };
}

export function assertClean(a: Analysis, label = 'model'): void {
  assert.deepStrictEqual(errors(a).map((d) => `${d.code}: ${d.message}`), [], `${label} should have no errors`);
}

/** A small valid MNIST model; `extra` is appended (top-level keys), `layers` replaces the backbone body. */
export function model(opts: { layers?: string; extra?: string; head?: string } = {}): string {
  const layers = opts.layers ?? [
    '  - { name: c1, type: conv2d, filters: 4, kernel: 3 }',
    '  - { name: p1, type: maxPool, size: 2 }',
    '  - { name: f, type: flatten }',
  ].join('\n');
  return [
    'dynn: 1',
    'input: { shape: [28, 28, 1] }',
    'classes: 10',
    'backbone:',
    layers,
    opts.head ?? '  - { name: out, type: dense, units: 10 }',
    opts.extra ?? '',
  ].join('\n');
}
