// The one place that turns core data (UTF-16 offsets, findings, fixes) into VS Code objects.
import * as vscode from 'vscode';
import type { Diagnostic, Fix, Severity, Span } from '../modelfile/types';

/** `diagnostic.source` of everything DyNN Lens reports, and the name of its log. */
export const SOURCE = 'DyNN Lens';

/** Anything with `positionAt`: a TextDocument, or a snapshot of one for tests. */
export interface PositionAt {
  positionAt(offset: number): vscode.Position;
}

export function spanToRange(doc: PositionAt, span: Span): vscode.Range {
  return new vscode.Range(doc.positionAt(span.start), doc.positionAt(span.end));
}

const SEVERITY: Record<Severity, vscode.DiagnosticSeverity> = {
  error: vscode.DiagnosticSeverity.Error,
  warning: vscode.DiagnosticSeverity.Warning,
  info: vscode.DiagnosticSeverity.Information,
  hint: vscode.DiagnosticSeverity.Hint,
};

export function toVsDiagnostic(doc: PositionAt, finding: Diagnostic): vscode.Diagnostic {
  const d = new vscode.Diagnostic(spanToRange(doc, finding.span), finding.message, SEVERITY[finding.severity]);
  d.code = finding.code;
  d.source = SOURCE;
  return d;
}

/** The fix as an undoable edit of `uri`; `doc` must be the text the fix's offsets refer to. */
export function fixToWorkspaceEdit(doc: PositionAt, uri: vscode.Uri, fix: Fix): vscode.WorkspaceEdit {
  const edit = new vscode.WorkspaceEdit();
  for (const e of fix.edits) edit.replace(uri, spanToRange(doc, e.span), e.newText);
  return edit;
}

/** True when a VS Code diagnostic was made from `finding` on the same text. */
export function sameFinding(doc: PositionAt, vs: vscode.Diagnostic, finding: Diagnostic): boolean {
  const code = typeof vs.code === 'object' ? vs.code.value : vs.code;
  return vs.source === SOURCE && code === finding.code && vs.range.isEqual(spanToRange(doc, finding.span)) && vs.message === finding.message;
}
