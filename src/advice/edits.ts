// Minimal, layout-preserving text edits on a model file: replace a value, add a key to a mapping, insert or
// remove a sequence item. They work on offsets from Analysis.locate and on both YAML (block or flow) and JSON.
import type { NodePath, Span, TextEdit } from '../modelfile/types';
import type { DocumentFormat } from './format';

export interface EditTarget {
  text: string;
  format: DocumentFormat;
  locate(path: NodePath): { key?: Span; value: Span } | undefined;
}

/** A plain value rendered inline: a YAML flow node or JSON. */
export type InlineValue = number | string | boolean | InlineValue[] | { [key: string]: InlineValue };

const YAML_PLAIN = /^[A-Za-z_][A-Za-z0-9_.-]*$/;
const YAML_RESERVED = /^(true|false|null|yes|no|on|off|y|n|~)$/i;

export function renderInline(value: InlineValue, format: DocumentFormat): string {
  if (typeof value === 'number') return formatNumber(value);
  if (typeof value === 'boolean') return String(value);
  if (typeof value === 'string') {
    return format === 'yaml' && YAML_PLAIN.test(value) && !YAML_RESERVED.test(value) ? value : JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map((v) => renderInline(v, format)).join(', ')}]`;
  const entries = Object.entries(value).map(([k, v]) => `${renderKey(k, format)}: ${renderInline(v, format)}`);
  return `{${entries.join(', ')}}`;
}

function renderKey(key: string, format: DocumentFormat): string {
  return format === 'json' ? JSON.stringify(key) : renderInline(key, format);
}

/** Shortest decimal that round-trips, without float noise such as 0.30000000000000004. */
export function formatNumber(n: number): string {
  return String(Number(n.toPrecision(12)));
}

/** The file's own line break, so a fix never mixes \n into a \r\n file. */
function eol(text: string): string {
  return text.includes('\r\n') ? '\r\n' : '\n';
}

function lineStart(text: string, offset: number): number {
  return text.lastIndexOf('\n', offset - 1) + 1;
}

/** End of the line holding `offset`, including its line break. */
function lineEndInclusive(text: string, offset: number): number {
  const nl = text.indexOf('\n', offset);
  return nl < 0 ? text.length : nl + 1;
}

/** Offset just after the last non-blank character before `end` (spans of block nodes may include newlines). */
function trimmedEnd(text: string, span: Span): number {
  let end = span.end;
  while (end > span.start && /\s/.test(text.charAt(end - 1))) end--;
  return end;
}

function isFlow(text: string, span: Span): boolean {
  const c = text.charAt(span.start);
  return c === '{' || c === '[';
}

/** Replaces the value at `path` (which must exist). */
export function replaceValue(t: EditTarget, path: NodePath, newText: string): TextEdit | undefined {
  const loc = t.locate(path);
  if (!loc) return undefined;
  return { span: { start: loc.value.start, end: trimmedEnd(t.text, loc.value) }, newText };
}

/** Adds `key: value` to the mapping at `mapPath` (the key must not exist yet). */
export function insertMappingEntry(t: EditTarget, mapPath: NodePath, key: string, value: InlineValue): TextEdit | undefined {
  const loc = t.locate(mapPath);
  if (!loc) return undefined;
  const { text, format } = t;
  const entry = `${renderKey(key, format)}: ${renderInline(value, format)}`;
  const start = loc.value.start;
  if (text.charAt(start) === '{') {
    let first = start + 1;
    while (first < text.length && /\s/.test(text.charAt(first))) first++;
    if (text.charAt(first) === '}') return { span: { start: start + 1, end: first }, newText: entry };
    const gap = text.slice(start + 1, first);
    return { span: { start: first, end: first }, newText: `${entry},${gap.includes('\n') ? gap : ' '}` };
  }
  if (isFlow(text, loc.value)) return undefined;
  // Block mapping: the span starts at its first key; the new key goes on its own line at the same column.
  const column = start - lineStart(text, start);
  return { span: { start, end: start }, newText: `${entry}${eol(text)}${' '.repeat(column)}` };
}

/** Sets `key` in the mapping at `mapPath`: replaces the value when present, adds the entry otherwise. */
export function setMappingEntry(t: EditTarget, mapPath: NodePath, key: string, value: InlineValue): TextEdit | undefined {
  if (t.locate([...mapPath, key])) return replaceValue(t, [...mapPath, key], renderInline(value, t.format));
  return insertMappingEntry(t, mapPath, key, value);
}

/** Inserts `value` before item `index` of the (non-empty) sequence at `seqPath`. */
export function insertSequenceItem(t: EditTarget, seqPath: NodePath, index: number, value: InlineValue): TextEdit | undefined {
  const seq = t.locate(seqPath);
  const item = t.locate([...seqPath, index]);
  if (!seq || !item) return undefined;
  const { text, format } = t;
  const rendered = renderInline(value, format);
  const at = item.value.start;
  if (text.charAt(seq.value.start) === '[') return { span: { start: at, end: at }, newText: `${rendered}, ` };
  // Block sequence: repeat the item's "- " prefix (nested compact sequences keep only the innermost dash).
  const prefix = text.slice(lineStart(text, at), at);
  const dash = prefix.lastIndexOf('-');
  if (dash < 0 || !/^\s*$/.test(prefix.slice(dash + 1))) return undefined;
  const itemPrefix = ' '.repeat(dash) + prefix.slice(dash);
  return { span: { start: at, end: at }, newText: `${rendered}${eol(text)}${itemPrefix}` };
}

/** Removes item `index` of the sequence at `seqPath` that holds `length` items; an emptied sequence becomes []. */
export function removeSequenceItem(t: EditTarget, seqPath: NodePath, index: number, length: number): TextEdit | undefined {
  const seq = t.locate(seqPath);
  const item = t.locate([...seqPath, index]);
  if (!seq || !item) return undefined;
  const { text } = t;
  if (length <= 1) {
    if (text.charAt(seq.value.start) === '[') return replaceValue(t, seqPath, '[]');
    if (!seq.key) return undefined;
    // `key:\n  - item` becomes `key: []` (the colon sits between the key and the value in both syntaxes).
    return { span: { start: seq.key.end, end: trimmedEnd(text, seq.value) }, newText: ': []' };
  }
  const next = index + 1 < length ? t.locate([...seqPath, index + 1]) : undefined;
  const prev = index > 0 ? t.locate([...seqPath, index - 1]) : undefined;
  if (text.charAt(seq.value.start) === '[') {
    if (next) return { span: { start: item.value.start, end: next.value.start }, newText: '' };
    if (prev) return { span: { start: trimmedEnd(text, prev.value), end: trimmedEnd(text, item.value) }, newText: '' };
    return undefined;
  }
  const from = lineStart(text, item.value.start);
  if (next) return { span: { start: from, end: lineStart(text, next.value.start) }, newText: '' };
  return { span: { start: from, end: lineEndInclusive(text, trimmedEnd(text, item.value) - 1) }, newText: '' };
}
