// Design advice: runs every rule on an analysed model and turns findings into Diagnostics (source 'advice',
// code = rule id) with quick fixes that are checked to leave the file parseable.
import type { Analysis, Diagnostic, Fix, NodePath, Span } from '../modelfile/types';
import { applyEdits, detectFormat, parsesCleanly } from './format';
import { RULES } from './registry';
import type { Finding, Rule, RuleContext } from './types';

export { RULES } from './registry';
export { proposedAdversarialTraining } from './rules/no-adversarial-training';
export type { Finding, Rule, RuleContext, RuleSource } from './types';
export { applyEdits, detectFormat, type DocumentFormat } from './format';

export interface AdviseOptions {
  /** Used to tell JSON from YAML when the text alone is ambiguous. */
  fileName?: string;
  /** Rules to run; defaults to RULES. */
  rules?: readonly Rule[];
}

/** A Diagnostic from a rule, with the exits/gates it concerns (for hovers). */
export interface AdviceDiagnostic extends Diagnostic {
  subjects: NodePath[];
}

/** Runs every rule. Returns [] when the file did not parse into a spec (parse and schema errors come first). */
export function advise(analysis: Analysis, text: string, options: AdviseOptions = {}): AdviceDiagnostic[] {
  const spec = analysis.spec;
  if (!spec) return [];
  const ctx: RuleContext = {
    analysis,
    spec,
    text,
    format: detectFormat(text, options.fileName),
    locate: (path) => analysis.locate(path),
  };
  if (analysis.cost) ctx.cost = analysis.cost;
  const out: AdviceDiagnostic[] = [];
  for (const rule of options.rules ?? RULES) {
    let findings: Finding[];
    try {
      findings = rule.check(ctx);
    } catch (e) {
      // A broken rule must not hide the others or take the editor down; say which rule failed.
      out.push({
        severity: 'info',
        code: rule.id,
        message: `Design rule '${rule.id}' could not run on this file: ${e instanceof Error ? e.message : String(e)}`,
        span: spanOf(ctx, [], false),
        source: 'advice',
        subjects: [],
      });
      continue;
    }
    for (const f of findings) out.push(toDiagnostic(ctx, rule, f));
  }
  return out;
}

/** The advice that concerns one exit or gate (or a node inside it), e.g. for a hover on that exit. */
export function adviceForNode(analysis: Analysis, path: NodePath, text?: string, options: AdviseOptions = {}): AdviceDiagnostic[] {
  const all = advise(analysis, text ?? '', options);
  const found = all.filter((d) => d.subjects.some((s) => s.length <= path.length && s.every((part, i) => part === path[i])));
  // Without the text, offsets cannot be turned into edits the user would trust: drop the fixes.
  return text === undefined ? found.map(({ fixes: _fixes, ...d }) => d) : found;
}

function toDiagnostic(ctx: RuleContext, rule: Rule, f: Finding): AdviceDiagnostic {
  const diagnostic: AdviceDiagnostic = {
    severity: rule.severity,
    code: rule.id,
    message: f.message,
    span: spanOf(ctx, f.at, f.atKey ?? false),
    source: 'advice',
    subjects: f.subjects,
  };
  const fixes = f.fixes.filter((fix) => keepsDocumentValid(ctx, fix));
  if (fixes.length > 0) diagnostic.fixes = fixes;
  return diagnostic;
}

function keepsDocumentValid(ctx: RuleContext, fix: Fix): boolean {
  if (fix.edits.length === 0) return false;
  const edited = applyEdits(ctx.text, fix.edits);
  return edited !== undefined && parsesCleanly(edited, ctx.format);
}

/** Span of the node at `path`, or of its nearest ancestor present in the file; block values lose trailing blanks. */
function spanOf(ctx: RuleContext, path: NodePath, preferKey: boolean): Span {
  for (let n = path.length; n >= 0; n--) {
    const loc = ctx.locate(path.slice(0, n));
    if (!loc) continue;
    const span = (preferKey || n < path.length) && loc.key ? loc.key : loc.value;
    let end = span.end;
    while (end > span.start && /\s/.test(ctx.text.charAt(end - 1))) end--;
    return { start: span.start, end };
  }
  return { start: 0, end: 0 };
}
