// A measured suggestion's change ({path, value}: set a value, add a missing key, or remove an item when value is
// null) as text edits of the current file. Shared by the results quick fixes and the results panel's "Apply",
// so both make the same, layout-preserving edit, checked to parse and to add no error to the file.
import { analyzeText } from '../modelfile';
import type { NodePath, TextEdit } from '../modelfile/types';
import { insertMappingEntry, removeSequenceItem, renderInline, replaceValue, type EditTarget, type InlineValue } from './edits';
import { applyEdits, parsesCleanly } from './format';

export type SuggestionEditResult = { ok: true; edits: TextEdit[] } | { ok: false; error: string };

function isInline(value: unknown): value is InlineValue {
  if (typeof value === 'number') return Number.isFinite(value);
  if (typeof value === 'string' || typeof value === 'boolean') return true;
  if (Array.isArray(value)) return value.every(isInline);
  if (typeof value === 'object' && value !== null) return Object.values(value).every(isInline);
  return false;
}

function pathText(path: NodePath): string {
  return path.length === 0 ? '(the document)' : path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${p}`)).join('').replace(/^\./, '');
}

/** Number of items of the sequence at `seqPath` (counted through locate, since EditTarget has no tree). */
function sequenceLength(t: EditTarget, seqPath: NodePath): number {
  let n = 0;
  while (t.locate([...seqPath, n]) !== undefined) n++;
  return n;
}

function editsFor(t: EditTarget, path: NodePath, value: unknown): SuggestionEditResult {
  if (path.length === 0) return { ok: false, error: 'the change has an empty path' };
  const parent = path.slice(0, -1);
  const last = path[path.length - 1] as string | number;
  if (value === null || value === undefined) {
    if (typeof last !== 'number') return { ok: false, error: `removing the key ${pathText(path)} is not a supported change` };
    if (t.locate(path) === undefined) return { ok: false, error: `${pathText(path)} is not in the file any more` };
    const edit = removeSequenceItem(t, parent, last, sequenceLength(t, parent));
    return edit ? { ok: true, edits: [edit] } : { ok: false, error: `cannot remove ${pathText(path)} from this layout` };
  }
  if (!isInline(value)) return { ok: false, error: `the new value for ${pathText(path)} is not plain data: ${JSON.stringify(value)}` };
  if (t.locate(path) !== undefined) {
    // Replaces the value only: comments after it on the line stay.
    const edit = replaceValue(t, path, renderInline(value, t.format));
    return edit ? { ok: true, edits: [edit] } : { ok: false, error: `cannot replace ${pathText(path)}` };
  }
  if (typeof last !== 'string') return { ok: false, error: `${pathText(path)} is not in the file` };
  if (t.locate(parent) === undefined) return { ok: false, error: `${pathText(parent)} is not in the file any more` };
  const edit = insertMappingEntry(t, parent, last, value);
  return edit ? { ok: true, edits: [edit] } : { ok: false, error: `cannot add ${last} to ${pathText(parent)} in this layout` };
}

/**
 * The edits that make `change` in the file; refuses (with the reason) when the path is gone or the edited text
 * would no longer parse.
 */
export function suggestionEdits(t: EditTarget, change: { path: readonly (string | number)[]; value: unknown }): SuggestionEditResult {
  const result = editsFor(t, change.path, change.value);
  if (!result.ok) return result;
  const after = applyEdits(t.text, result.edits);
  if (after === undefined || !parsesCleanly(after, t.format)) {
    return { ok: false, error: `setting ${pathText(change.path)} would leave the file unparseable` };
  }
  // A measured change must not break the rest of the file (e.g. removing the only exit that a hijack check needs).
  const fileName = t.format === 'json' ? 'model.dynn.json' : 'model.dynn.yaml';
  const errors = (text: string): string[] => analyzeText(text, { fileName }).diagnostics.filter((d) => d.severity === 'error').map((d) => d.message);
  const known = new Set(errors(t.text));
  const introduced = errors(after).filter((m) => !known.has(m));
  if (introduced.length > 0) return { ok: false, error: `it would leave the file with an error: ${introduced[0] ?? ''}` };
  return result;
}
