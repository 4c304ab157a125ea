// Diagnostics for people and for machines. JSON ranges are 0-based lines/characters (UTF-16), exactly what VS
// Code shows; text lines are 1-based `file:line:col: severity: message [code]`, like compilers print.
import type { Diagnostic, Severity } from '../modelfile/types';
import { LineIndex, type Position } from '../modelfile/lines';

export interface FileReport {
  /** The file as the user named it. */
  file: string;
  /** Undefined when the file could not be read (the diagnostics then have no position in it). */
  text?: string;
  diagnostics: Diagnostic[];
}

export interface JsonDiagnostic {
  file?: string;
  severity: Severity;
  code: string;
  message: string;
  range: { start: Position; end: Position };
}

export function toJson(reports: readonly FileReport[]): JsonDiagnostic[] {
  const several = reports.length > 1;
  return reports.flatMap((r) => {
    const lines = new LineIndex(r.text ?? '');
    return r.diagnostics.map((d) => {
      const out: JsonDiagnostic = several ? { file: r.file, severity: d.severity, code: d.code, message: d.message, range: range(lines, d) } : { severity: d.severity, code: d.code, message: d.message, range: range(lines, d) };
      return out;
    });
  });
}

function range(lines: LineIndex, d: Diagnostic): { start: Position; end: Position } {
  return { start: lines.positionAt(d.span.start), end: lines.positionAt(d.span.end) };
}

export function toText(reports: readonly FileReport[]): string {
  let out = '';
  for (const r of reports) {
    const lines = new LineIndex(r.text ?? '');
    for (const d of r.diagnostics) {
      const p = lines.positionAt(d.span.start);
      // Messages are one line in this format: a newline inside one would break line-based CI parsers.
      out += `${r.file}:${p.line + 1}:${p.character + 1}: ${d.severity}: ${d.message.replace(/\s*\n\s*/g, ' ')} [${d.code}]\n`;
    }
  }
  return out;
}

export function countBySeverity(reports: readonly FileReport[]): Record<Severity, number> {
  const counts: Record<Severity, number> = { error: 0, warning: 0, info: 0, hint: 0 };
  for (const r of reports) for (const d of r.diagnostics) counts[d.severity]++;
  return counts;
}

export function summary(reports: readonly FileReport[]): string {
  const c = countBySeverity(reports);
  const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;
  return `${plural(reports.length, 'file')}: ${plural(c.error, 'error')}, ${plural(c.warning, 'warning')}, ${c.info + c.hint} info`;
}
