// The shape of a design rule. Rules are pure functions of the analysed model and its text, so the editor, the
// CLI and the hover all show the same findings.
import type { Analysis, CostReport, Fix, ModelSpec, NodePath, Severity } from '../modelfile/types';
import type { EditTarget } from './edits';

/** Where a rule's advice comes from. `measurement` means: run the named study to confirm on your own model. */
export interface RuleSource {
  kind: 'paper' | 'measurement' | 'heuristic';
  citation: string;
}

/** What a rule sees: the analysed model, and (as an EditTarget) the text, its syntax and `locate` for fixes. */
export interface RuleContext extends EditTarget {
  analysis: Analysis;
  spec: ModelSpec;
  /** Absent when shapes could not be inferred; rules that need FLOPs or shapes then stay silent. */
  cost?: CostReport;
}

/** One finding of one rule, before it becomes a Diagnostic. */
export interface Finding {
  message: string;
  /** Node the diagnostic underlines; the nearest existing ancestor is used when the node is not in the file. */
  at: NodePath;
  /** Underline the key (e.g. `input:` when `range` is missing) rather than the value. */
  atKey?: boolean;
  /** Exits or gates the finding is about (their `path`), so hovers can show it on each of them. */
  subjects: NodePath[];
  fixes: Fix[];
}

export interface Rule {
  /** Stable id, used as Diagnostic.code and documented in docs/rules.md. */
  id: string;
  severity: Severity;
  title: string;
  rationale: string;
  source: RuleSource;
  /** The numbers the rule compares against, shown in docs and tests. */
  constants: Readonly<Record<string, number>>;
  check(ctx: RuleContext): Finding[];
}
