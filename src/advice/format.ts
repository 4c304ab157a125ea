// Which syntax a model file uses, and checks that an edited text still parses. Fixes are validated with this
// before they are offered, so a quick fix can never leave the user with a broken file.
import { parseDocument } from 'yaml';
import type { TextEdit } from '../modelfile/types';

export type DocumentFormat = 'yaml' | 'json';

/** JSON when the file is named *.json or its first significant character opens an object. JSON-style edits are
 *  also valid YAML, so a YAML file written as one flow mapping is safely treated as JSON. */
export function detectFormat(text: string, fileName?: string): DocumentFormat {
  if (fileName !== undefined && /\.json$/i.test(fileName)) return 'json';
  if (fileName !== undefined && /\.ya?ml$/i.test(fileName)) return text.trimStart().startsWith('{') ? 'json' : 'yaml';
  return text.trimStart().startsWith('{') ? 'json' : 'yaml';
}

/** Applies non-overlapping edits; returns undefined when two edits overlap. */
export function applyEdits(text: string, edits: readonly TextEdit[]): string | undefined {
  const sorted = [...edits].sort((a, b) => a.span.start - b.span.start || a.span.end - b.span.end);
  let out = '';
  let cursor = 0;
  for (const edit of sorted) {
    if (edit.span.start < cursor || edit.span.end < edit.span.start || edit.span.end > text.length) return undefined;
    out += text.slice(cursor, edit.span.start) + edit.newText;
    cursor = edit.span.end;
  }
  return out + text.slice(cursor);
}

/** True when the text is a syntactically valid document of the given format. */
export function parsesCleanly(text: string, format: DocumentFormat): boolean {
  if (format === 'json') {
    try {
      JSON.parse(text);
      return true;
    } catch {
      return false;
    }
  }
  const doc = parseDocument(text, { uniqueKeys: true });
  return doc.errors.length === 0;
}
