// The editor's view of the core: parse + validate + cost (spec), design advice (advice), schema completion.
// Providers depend on this interface, not on the modules, so the wiring lives in one place.
import type { Analysis, Diagnostic, NodePath, Span } from '../../modelfile/types';
import { analyzeText } from '../../modelfile/index';
import { completionsAt } from '../../modelfile/schema-query';
import { advise, type AdviceDiagnostic } from '../../advice/index';

function isAdvice(d: Diagnostic): d is AdviceDiagnostic {
  return Array.isArray((d as Partial<AdviceDiagnostic>).subjects);
}

export interface CompletionEntry {
  label: string;
  detail?: string;
  documentation?: string;
  insertText?: string;
}

export interface Completions {
  /** Whether the items are keys of a mapping or values of a key. */
  kind: 'key' | 'value';
  items: CompletionEntry[];
  /** The text the chosen item replaces. */
  replace: Span;
}

export interface ModelAnalyzer {
  /** Analysis of the text plus the design advice on it, in one list of findings. */
  analyze(text: string, fileName: string): { analysis: Analysis; findings: Diagnostic[] };
  completions(text: string, offset: number): Completions;
  /** Of the findings `analyze` returned, the advice that names the exit or gate at `path` (or a node inside it). */
  adviceFor(findings: readonly Diagnostic[], path: NodePath): Diagnostic[];
}

export const coreAnalyzer: ModelAnalyzer = {
  analyze(text, fileName) {
    const analysis = analyzeText(text, { fileName });
    return { analysis, findings: [...analysis.diagnostics, ...advise(analysis, text)] };
  },
  completions(text, offset) {
    const r = completionsAt(text, offset);
    return { kind: r.kind, items: r.items, replace: r.replace };
  },
  // Same selection as advice's adviceForNode, but over the findings already computed for this version: re-running
  // every rule (tens of milliseconds on a real model) on each hover would be wasted work.
  adviceFor(findings, path) {
    return findings.filter((f) => isAdvice(f) && f.subjects.some((s) => s.length <= path.length && s.every((part, i) => part === path[i])));
  },
};
