// YAML completion from the schema. Works line by line on the raw text so it keeps working while the document
// is incomplete: the cursor's line says whether a key or a value is being typed, and the lines above (by
// indentation and "- " items) give the path of the mapping the cursor is in. Block-style YAML only.
import { parseDocument } from 'yaml';
import { deref, dynnSchema, isLayerUnion, layerSchema, layerTypes, type SchemaNode } from './schema';
import type { Span } from './types';

export interface Completion {
  label: string;
  detail?: string;
  documentation?: string;
  insertText?: string;
}

export interface CompletionResult {
  kind: 'key' | 'value';
  items: Completion[];
  /** The text the chosen item replaces (the word being typed; empty at a fresh position). */
  replace: Span;
}

interface LineInfo {
  /** Column where the key (or content) starts, after indentation and "- " markers. */
  keyCol: number;
  /** Column of the last "- " marker, when the line starts a sequence item. */
  dashCol?: number;
  key?: string;
  /** Scalar text after "key:", trimmed ('' when the value continues on the next lines). */
  value?: string;
  blank: boolean;
}

const KEY_RE = /^([A-Za-z_][\w.-]*)\s*:(?:\s+(.*))?$/;

function lineInfo(line: string): LineInfo {
  const m = /^(\s*)((?:-\s+)*)(.*)$/.exec(line) ?? ['', '', '', ''];
  const indent = (m[1] ?? '').length;
  const dashes = m[2] ?? '';
  const rest = stripComment(m[3] ?? '').trimEnd();
  const info: LineInfo = { keyCol: indent + dashes.length, blank: rest.length === 0 && dashes.length === 0 };
  if (dashes.length > 0) info.dashCol = indent + dashes.trimEnd().lastIndexOf('-');
  const k = KEY_RE.exec(rest);
  if (k) {
    info.key = k[1];
    info.value = (k[2] ?? '').trim();
  }
  return info;
}

function stripComment(s: string): string {
  let quote: string | undefined;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (quote !== undefined) {
      if (c === quote) quote = undefined;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '#' && (i === 0 || s[i - 1] === ' ' || s[i - 1] === '\t')) return s.slice(0, i);
  }
  return s;
}

/** The path (keys, '*' for a list item) of the mapping whose keys start at `col` on line `lineNo`. */
function mappingContext(lines: string[], lineNo: number, col: number, startsItem: boolean, dashCol: number | undefined):
  { path: string[]; siblings: Map<string, string> } {
  const path: string[] = [];
  const siblings = new Map<string, string>();
  let mode: 'map' | 'seq' = startsItem ? 'seq' : 'map';
  let c = startsItem ? (dashCol ?? col - 2) : col;
  if (startsItem) path.unshift('*');
  let collecting = true;
  // Siblings below the cursor belong to the same mapping until the indentation drops or a new item starts.
  for (let i = lineNo + 1; i < lines.length; i++) {
    const li = lineInfo(lines[i] ?? '');
    if (li.blank) continue;
    if (li.keyCol < col || li.dashCol !== undefined && li.keyCol <= col) break;
    if (li.keyCol === col && li.key !== undefined) siblings.set(li.key, li.value ?? '');
  }
  for (let i = lineNo - 1; i >= 0; i--) {
    const li = lineInfo(lines[i] ?? '');
    if (li.blank) continue;
    if (mode === 'map') {
      if (li.keyCol > c) continue;
      if (li.keyCol === c && li.key !== undefined) {
        if (collecting) siblings.set(li.key, li.value ?? '');
        if (li.dashCol !== undefined) {
          // The first key of a list item: the mapping is that item.
          path.unshift('*');
          mode = 'seq';
          c = li.dashCol;
          collecting = false;
        }
        continue;
      }
      if (li.keyCol < c && li.key !== undefined) {
        path.unshift(li.key);
        collecting = false;
        c = li.keyCol;
        if (li.dashCol !== undefined) {
          path.unshift('*');
          mode = 'seq';
          c = li.dashCol;
        }
        continue;
      }
      if (li.keyCol < c) break;
    } else {
      // Looking for the key that owns the list: skip deeper content and earlier items of the same list.
      if (li.dashCol === c) continue;
      if (li.keyCol > c) continue;
      if (li.key === undefined) break;
      path.unshift(li.key);
      c = li.keyCol;
      mode = 'map';
      if (li.dashCol !== undefined) {
        path.unshift('*');
        mode = 'seq';
        c = li.dashCol;
      }
    }
  }
  return { path, siblings };
}

/** The schema of the mapping at `path`; a layer union resolves by the key that comes next or by `type`. */
function schemaFor(path: string[], type: string | undefined): SchemaNode | undefined {
  let node = deref(dynnSchema);
  for (let i = 0; i < path.length; i++) {
    const seg = path[i] as string;
    if (!node) return undefined;
    if (isLayerUnion(node)) node = layerBranchWith(seg);
    if (!node) return undefined;
    node = deref(seg === '*' ? node.items : node.properties?.[seg]);
  }
  if (node && isLayerUnion(node) && type !== undefined) return layerSchema(type) ?? node;
  return node;
}

/** The one layer branch that has property `key` (e.g. `layers` -> residual). */
function layerBranchWith(key: string): SchemaNode | undefined {
  for (const t of layerTypes()) {
    const s = layerSchema(t);
    if (s?.properties?.[key]) return s;
  }
  return undefined;
}

function summary(s: SchemaNode | undefined): string | undefined {
  const n = deref(s);
  if (!n) return undefined;
  if (n.enum) return n.enum.map(String).join(' | ');
  if (n.anyOf) return n.anyOf.map((a) => summary(a) ?? '').filter((x) => x.length > 0).join(' | ');
  const t = Array.isArray(n.type) ? n.type.join(' | ') : n.type;
  if (t === 'array') return `list of ${summary(n.items) ?? 'items'}`;
  let out = t ?? (n.const !== undefined ? JSON.stringify(n.const) : undefined);
  if (out !== undefined && n.default !== undefined) out += ` (default ${JSON.stringify(n.default)})`;
  return out;
}

function doc(s: SchemaNode | undefined): string | undefined {
  const n = deref(s);
  return n?.markdownDescription ?? n?.description;
}

/** Names declared in the document (for `after`, `block` and `exit:<name>` values); tolerant of broken text. */
function declaredNames(text: string): { top: string[]; residual: string[]; exits: string[] } {
  const out = { top: [] as string[], residual: [] as string[], exits: [] as string[] };
  try {
    const value = parseDocument(text, { uniqueKeys: false, prettyErrors: false }).toJS({ maxAliasCount: 10 }) as unknown;
    const root = value !== null && typeof value === 'object' ? (value as Record<string, unknown>) : {};
    const backbone = Array.isArray(root.backbone) ? root.backbone : [];
    backbone.forEach((l: unknown, i) => {
      const o = l !== null && typeof l === 'object' ? (l as Record<string, unknown>) : {};
      const name = typeof o.name === 'string' ? o.name : `${String(o.type)}${i}`;
      out.top.push(name);
      if (o.type === 'residual') out.residual.push(name);
    });
    const exits = Array.isArray(root.exits) ? root.exits : [];
    exits.forEach((e: unknown, i) => {
      const o = e !== null && typeof e === 'object' ? (e as Record<string, unknown>) : {};
      out.exits.push(typeof o.name === 'string' ? o.name : `exit${i}`);
    });
  } catch {
    // Half-typed documents may not parse; completion then just lacks the names.
  }
  return out;
}

/** End of the word under the cursor; values may contain ':' (exit:<name>), keys may not. */
function wordEnd(text: string, offset: number, value: boolean): number {
  const word = value ? /[\w.:-]/ : /[\w.-]/;
  let e = offset;
  while (e < text.length && word.test(text[e] ?? '')) e++;
  return e;
}

export function completionsAt(text: string, offset: number): CompletionResult {
  const at = Math.max(0, Math.min(offset, text.length));
  const lineStart = text.lastIndexOf('\n', at - 1) + 1;
  const prefix = text.slice(lineStart, at);
  const none: CompletionResult = { kind: 'key', items: [], replace: { start: at, end: at } };
  if (stripComment(prefix) !== prefix) return none;

  const lines = text.slice(0, lineStart).split(/\r?\n/);
  lines.pop();
  const lineNo = lines.length;
  const after = text.slice(lineStart).split(/\r?\n/);
  const allLines = [...lines, ...after];

  const m = /^(\s*)((?:-\s+)*)(.*)$/.exec(prefix) ?? ['', '', '', ''];
  const indent = (m[1] ?? '').length;
  const dashes = m[2] ?? '';
  const rest = m[3] ?? '';
  const keyCol = indent + dashes.length;
  const dashCol = dashes.length > 0 ? indent + dashes.trimEnd().lastIndexOf('-') : undefined;

  const flow = unclosedBrace(prefix);
  if (flow >= 0) return flowCompletions(text, at, allLines, lineNo, prefix, flow);

  const valueMatch = /^([A-Za-z_][\w.-]*)\s*:\s*(.*)$/.exec(rest);
  if (valueMatch) {
    const key = valueMatch[1] as string;
    const partial = valueMatch[2] ?? '';
    if (/^[[{"'|>&*!]/.test(partial)) return { ...none, kind: 'value' };
    const ctx = mappingContext(allLines, lineNo, keyCol, dashes.length > 0, dashCol);
    const mapping = schemaFor(ctx.path, key === 'type' ? undefined : ctx.siblings.get('type'));
    const start = at - partial.length;
    return { kind: 'value', items: valueItems(mapping, key, ctx.path, text), replace: { start, end: wordEnd(text, at, true) } };
  }
  if (!/^[A-Za-z_]?[\w.-]*$/.test(rest)) return none;
  const ctx = mappingContext(allLines, lineNo, keyCol, dashes.length > 0, dashCol);
  const mapping = schemaFor(ctx.path, ctx.siblings.get('type'));
  const start = at - rest.length;
  return { kind: 'key', items: keyItems(mapping, ctx.siblings), replace: { start, end: wordEnd(text, at, false) } };
}

function keyItems(mapping: SchemaNode | undefined, present: Map<string, string>): Completion[] {
  const n = deref(mapping);
  if (!n) return [];
  if (isLayerUnion(n)) {
    // A layer without a `type` yet: offer the discriminator and every layer type ready to insert.
    const items: Completion[] = [];
    if (!present.has('type')) {
      items.push({ label: 'type', detail: layerTypes().join(' | '), documentation: n.description, insertText: 'type: ' });
      for (const t of layerTypes()) {
        const s = layerSchema(t);
        items.push({ label: `type: ${t}`, detail: 'layer', documentation: doc(s), insertText: `type: ${t}` });
      }
    }
    if (!present.has('name')) items.push({ label: 'name', detail: 'string', documentation: 'Unique layer name.', insertText: 'name: ' });
    return items;
  }
  const items: Completion[] = [];
  for (const [key, prop] of Object.entries(n.properties ?? {})) {
    if (present.has(key)) continue;
    const p = deref(prop);
    const block = p?.type === 'object' || p?.type === 'array';
    const item: Completion = { label: key, insertText: block ? `${key}:` : `${key}: ` };
    const d = summary(p);
    if (d !== undefined) item.detail = (n.required?.includes(key) ? 'required, ' : '') + d;
    const documentation = doc(p);
    if (documentation !== undefined) item.documentation = documentation;
    items.push(item);
  }
  return items;
}

function valueItems(mapping: SchemaNode | undefined, key: string, path: string[], text: string): Completion[] {
  const n = deref(mapping);
  if (!n) return [];
  if (key === 'type' && isLayerUnion(n)) {
    return layerTypes().map((t) => {
      const item: Completion = { label: t, detail: 'layer' };
      const d = doc(layerSchema(t));
      if (d !== undefined) item.documentation = d;
      return item;
    });
  }
  const prop = deref(isLayerUnion(n) ? layerBranchWith(key)?.properties?.[key] : n.properties?.[key]);
  if (!prop) return [];
  const items: Completion[] = [];
  const push = (label: string, detail?: string, documentation?: string): void => {
    if (items.some((i) => i.label === label)) return;
    const item: Completion = { label };
    if (detail !== undefined) item.detail = detail;
    if (documentation !== undefined) item.documentation = documentation;
    items.push(item);
  };
  const alternatives = prop.anyOf ? prop.anyOf.map((a) => deref(a)) : [prop];
  for (const alt of alternatives) {
    for (const v of alt?.enum ?? []) push(String(v), v === prop.default ? 'default' : undefined, doc(prop));
    if (typeof alt?.const === 'string' || typeof alt?.const === 'number') push(String(alt.const), undefined, doc(prop));
    if (alt?.type === 'boolean') {
      push('true', prop.default === true ? 'default' : undefined, doc(prop));
      push('false', prop.default === false ? 'default' : undefined, doc(prop));
    }
  }
  // References to names declared elsewhere in the document.
  const owner = path[path.length - 2];
  if (owner === 'exits' && key === 'after') for (const name of declaredNames(text).top) push(name, 'backbone layer');
  if (owner === 'gates' && key === 'block') for (const name of declaredNames(text).residual) push(name, 'residual block');
  if (key === 'loss' && prop.anyOf?.some((a) => deref(a)?.pattern !== undefined)) {
    for (const name of [...declaredNames(text).exits, 'final']) push(`exit:${name}`, 'one exit');
  }
  const d = prop.default;
  if (items.length === 0 && (typeof d === 'number' || typeof d === 'string')) push(String(d), 'default', doc(prop));
  return items;
}

/** Index in `line` of the last '{' not closed before its end (outside quotes), or -1. */
function unclosedBrace(line: string): number {
  const open: number[] = [];
  let quote: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quote !== undefined) {
      if (c === quote) quote = undefined;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '{' || c === '[') open.push(c === '{' ? i : -1 - i);
    else if (c === '}' || c === ']') open.pop();
  }
  const last = open[open.length - 1];
  // Inside a list ("eps: [0.1, |") there is nothing to complete.
  return last === undefined || last < 0 ? -1 : last;
}

/** Completion inside a one-line flow mapping such as `- { type: conv2d, fil| }` or `input: { sh| }`. */
function flowCompletions(text: string, at: number, lines: string[], lineNo: number, prefix: string, brace: number): CompletionResult {
  const none: CompletionResult = { kind: 'key', items: [], replace: { start: at, end: at } };
  const before = prefix.slice(0, brace);
  const bm = /^(\s*)((?:-\s+)*)(?:([A-Za-z_][\w.-]*)\s*:\s*)?$/.exec(before);
  if (!bm) return none;
  const dashes = bm[2] ?? '';
  const keyCol = (bm[1] ?? '').length + dashes.length;
  const dashCol = dashes.length > 0 ? (bm[1] ?? '').length + dashes.trimEnd().lastIndexOf('-') : undefined;
  const ctx = mappingContext(lines, lineNo, keyCol, dashes.length > 0, dashCol);
  const path = bm[3] !== undefined ? [...ctx.path, bm[3]] : ctx.path;
  // Keys already in this flow mapping (before and after the cursor, up to its closing brace).
  const lineEnd = text.indexOf('\n', at);
  const body = prefix.slice(brace + 1) + text.slice(at, lineEnd < 0 ? text.length : lineEnd).split('}')[0];
  const present = new Map<string, string>();
  for (const m of body.matchAll(/([A-Za-z_][\w.-]*)\s*:\s*([^,}]*)/g)) present.set(m[1] as string, (m[2] ?? '').trim());
  const segment = prefix.slice(brace + 1).split(',').pop() ?? '';
  const value = /^\s*([A-Za-z_][\w.-]*)\s*:\s*(.*)$/.exec(segment);
  if (value) {
    const key = value[1] as string;
    const partial = value[2] ?? '';
    if (/^[[{"'&*!]/.test(partial)) return { ...none, kind: 'value' };
    const mapping = schemaFor(path, key === 'type' ? undefined : present.get('type'));
    return { kind: 'value', items: valueItems(mapping, key, path, text), replace: { start: at - partial.length, end: wordEnd(text, at, true) } };
  }
  const partial = segment.trimStart();
  if (!/^[A-Za-z_]?[\w.-]*$/.test(partial)) return none;
  present.delete(partial);
  const mapping = schemaFor(path, present.get('type'));
  return { kind: 'key', items: keyItems(mapping, present), replace: { start: at - partial.length, end: wordEnd(text, at, false) } };
}
