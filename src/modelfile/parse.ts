// Text -> plain JSON-like value plus a source map, with guards: NUL bytes, nesting depth, alias expansion,
// node count, non-finite numbers. YAML 1.2 reads JSON too; for .json files JSON.parse runs first so JSON-only
// mistakes (a trailing comma, which YAML accepts) get JSON-specific messages.
import { Document, isAlias, isMap, isPair, isScalar, isSeq, parseDocument, type Node as YamlNode } from 'yaml';
import { LIMITS } from './limits';
import { SourceMap } from './source-map';
import type { Diagnostic, NodePath, Span } from './types';

export interface ParseResult {
  /** Undefined when the text could not be read as one document. */
  value: unknown;
  sourceMap: SourceMap;
  diagnostics: Diagnostic[];
  /** True when there were parse errors (the value, if any, is not trustworthy). */
  failed: boolean;
}

const YAML_CODES: Record<string, string> = {
  MULTIPLE_DOCS: 'parse/multiple-documents',
};

function diag(code: string, message: string, span: Span, severity: Diagnostic['severity'] = 'error'): Diagnostic {
  return { severity, code, message, span, source: 'schema' };
}

export function parseText(text: string, fileName?: string): ParseResult {
  const sourceMap = new SourceMap();
  const fail = (d: Diagnostic): ParseResult => ({ value: undefined, sourceMap, diagnostics: [d], failed: true });

  const binary = findBinary(text);
  if (binary !== undefined) {
    return fail(diag('parse/binary', 'the file is not text: it contains a NUL or other control character here', { start: binary, end: binary + 1 }));
  }
  const scan = prescan(text, LIMITS.maxDepth, LIMITS.maxNodes);
  if (scan.tooDeepAt !== undefined) {
    return fail(diag('limits/too-deep', `nesting deeper than ${LIMITS.maxDepth} levels is not supported`, { start: scan.tooDeepAt, end: scan.tooDeepAt + 1 }));
  }
  if (scan.tooManyAt !== undefined) {
    // Parsing time grows with the number of values; a model file needs a few thousand at most.
    return fail(diag('limits/too-large', `the document has more than ${LIMITS.maxNodes.toLocaleString('en-US')} values; a model file needs far fewer`, { start: scan.tooManyAt, end: scan.tooManyAt + 1 }));
  }
  if (fileName !== undefined && /\.json$/i.test(fileName)) {
    const jsonError = checkJson(text);
    if (jsonError) return fail(jsonError);
  }

  let doc;
  try {
    // uniqueKeys is checked while walking (the package's own check is quadratic in the number of keys).
    doc = parseDocument(text, { uniqueKeys: false, prettyErrors: false, strict: true, version: '1.2' });
  } catch (e) {
    // The yaml package recurses while composing; the depth pre-scan should make this unreachable.
    return fail(diag('parse/syntax', `could not parse the file: ${e instanceof Error ? e.message : String(e)}`, { start: 0, end: 0 }));
  }
  const diagnostics: Diagnostic[] = [];
  for (const e of doc.errors) {
    const [start, end] = e.pos;
    diagnostics.push(diag(YAML_CODES[e.code] ?? 'parse/syntax', cleanMessage(e.message, e.code), clamp({ start, end: Math.max(end, start + 1) }, text.length)));
  }
  for (const w of doc.warnings) {
    const [start, end] = w.pos;
    diagnostics.push(diag('parse/warning', cleanMessage(w.message, w.code), clamp({ start, end }, text.length), 'warning'));
  }
  if (doc.contents === null) {
    diagnostics.push(diag('parse/empty', 'the file is empty: a model needs at least `dynn: 1`, `input`, `classes` and `backbone`', { start: 0, end: 0 }));
    return { value: undefined, sourceMap, diagnostics, failed: true };
  }
  const walker = new Walker(text, doc, sourceMap, diagnostics);
  let value: unknown;
  try {
    value = walker.walk(doc.contents, [], 0);
  } catch (e) {
    if (!(e instanceof WalkAbort)) throw e;
    diagnostics.push(e.diagnostic);
    value = undefined;
  }
  const failed = diagnostics.some((d) => d.severity === 'error');
  return { value, sourceMap, diagnostics, failed };
}

function clamp(s: Span, length: number): Span {
  const start = Math.max(0, Math.min(s.start, length));
  return { start, end: Math.max(start, Math.min(s.end, length)) };
}

function cleanMessage(message: string, code: string): string {
  const m = message.replace(/ at line \d+, column \d+:[\s\S]*$/, '').trim();
  return m.length > 0 ? m : code;
}

/** Offset of the first NUL or C0 control character other than tab, LF, CR (and a BOM at the start is fine). */
function findBinary(text: string): number | undefined {
  const m = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F\uFFFE\uFFFF]/.exec(text);
  return m ? m.index : undefined;
}

export interface PrescanResult {
  /** Offset where the nesting bound first exceeds the depth limit. */
  tooDeepAt?: number;
  /** Offset where the estimated number of values first exceeds the node limit. */
  tooManyAt?: number;
}

/**
 * Conservative linear pre-scan, so the YAML package never sees a pathological document: an upper bound on
 * nesting (flow brackets, block indentation, compact "- - x" sequences) and an estimate of the number of values
 * (separators outside quotes and comments).
 */
export function prescan(text: string, depthLimit: number, nodeLimit: number): PrescanResult {
  const limit = depthLimit;
  let values = 0;
  const indents: number[] = [];
  let flow = 0;
  let i = 0;
  const n = text.length;
  while (i < n) {
    // Start of a line.
    let col = 0;
    while (i < n && text.charCodeAt(i) === 32) {
      i++;
      col++;
    }
    const lineStart = i;
    const c0 = text[i];
    const blank = i >= n || c0 === '\n' || c0 === '\r' || c0 === '#';
    if (!blank && flow === 0) {
      while (indents.length > 0 && (indents[indents.length - 1] ?? 0) >= col) indents.pop();
      indents.push(col);
    }
    let compact = 0;
    let quote: string | undefined;
    for (; i < n; i++) {
      const c = text[i];
      if (c === '\n' || c === '\r') break;
      if (quote !== undefined) {
        if (c === '\\' && quote === '"') i++;
        else if (c === quote) quote = undefined;
        continue;
      }
      if (c === '"' || c === "'") quote = c;
      else if (c === '#' && (i === lineStart || text[i - 1] === ' ')) {
        while (i < n && text[i] !== '\n' && text[i] !== '\r') i++;
        break;
      } else if (c === '[' || c === '{') {
        flow++;
        values++;
      } else if (c === ']' || c === '}') flow = Math.max(0, flow - 1);
      else if (c === ',') values++;
      // Compact nesting ("- - x", "a: b: c") only exists in block context; inside brackets only brackets nest.
      else if (flow === 0 && (c === '-' || c === '?' || c === ':') && (text[i + 1] === ' ' || text[i + 1] === undefined)) compact++;
      else if (c === ':' && flow > 0) values++;
      if (indents.length + flow + compact > limit) return { tooDeepAt: i };
      if (values + compact > nodeLimit) return { tooManyAt: i };
    }
    if (!blank) values += compact + 1;
    if (values > nodeLimit) return { tooManyAt: Math.min(i, n - 1) };
    // Skip the line break.
    if (text[i] === '\r' && text[i + 1] === '\n') i += 2;
    else i++;
  }
  return {};
}

function checkJson(text: string): Diagnostic | undefined {
  try {
    JSON.parse(text);
    return undefined;
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    const m = /position (\d+)/.exec(msg);
    let at = m ? Number(m[1]) : text.length;
    if (text.trim().length === 0) {
      return diag('parse/empty', 'the file is empty: a model needs at least "dynn": 1, "input", "classes" and "backbone"', { start: 0, end: 0 });
    }
    // A trailing comma: the parser stops at the closing bracket; point at the comma instead.
    let j = at - 1;
    while (j >= 0 && /\s/.test(text[j] ?? '')) j--;
    const next = text[at];
    if (text[j] === ',' && (next === '}' || next === ']' || next === '"' || /\s/.test(next ?? ''))) {
      let k = at;
      while (k < text.length && /\s/.test(text[k] ?? '')) k++;
      if (text[k] === '}' || text[k] === ']') {
        return diag('parse/json-syntax', `trailing comma before '${text[k]}' is not allowed in JSON`, { start: j, end: j + 1 });
      }
    }
    if (at >= text.length) at = Math.max(0, text.length - 1);
    const detail = msg.replace(/ in JSON at position \d+.*$/, '').replace(/\s*\(line \d+ column \d+\)$/, '');
    return diag('parse/json-syntax', `invalid JSON: ${detail}`, { start: at, end: Math.min(text.length, at + 1) });
  }
}

class WalkAbort extends Error {
  constructor(readonly diagnostic: Diagnostic) {
    super(diagnostic.message);
  }
}

/** Converts the YAML AST to plain values, recording spans; expands aliases within a budget. */
class Walker {
  private aliases = 0;
  private nodes = 0;

  constructor(
    private readonly text: string,
    private readonly doc: Document,
    private readonly map: SourceMap,
    private readonly diagnostics: Diagnostic[],
  ) {}

  /** `enclosing`: the span of the parent, where a node the YAML package gives no range (the items of `!!pairs`
   *  or `!!omap`) is located instead of at the start of the file. */
  walk(node: unknown, path: NodePath, depth: number, keySpan?: Span, via?: Span, enclosing?: Span): unknown {
    if (++this.nodes > LIMITS.maxNodes) {
      throw new WalkAbort(diag('limits/too-large', `the document expands to more than ${LIMITS.maxNodes} values`, via ?? this.spanOf(node, enclosing)));
    }
    if (depth > LIMITS.maxDepth) {
      throw new WalkAbort(diag('limits/too-deep', `nesting deeper than ${LIMITS.maxDepth} levels is not supported`, via ?? this.spanOf(node, enclosing)));
    }
    // An alias's location is the alias itself, not the anchored node it copies.
    const span = via ?? this.spanOf(node, enclosing);
    if (node !== null && node !== undefined) this.map.set(path, keySpan ? { key: keySpan, value: span } : { value: span });
    if (isAlias(node)) {
      if (++this.aliases > LIMITS.maxAliasCount) {
        throw new WalkAbort(diag('limits/too-many-aliases', `more than ${LIMITS.maxAliasCount} aliases: refusing to expand (possible "billion laughs" document)`, span));
      }
      const target = node.resolve(this.doc);
      if (target === undefined) {
        this.diagnostics.push(diag('parse/syntax', `unresolved alias '*${node.source}'`, span));
        return null;
      }
      return this.walk(target, path, depth + 1, keySpan, span, span);
    }
    if (isScalar(node)) {
      const v = node.value;
      if (typeof v === 'number' && !Number.isFinite(v)) {
        this.diagnostics.push(diag('schema/not-finite', `expected a finite number, got ${this.text.slice(span.start, span.end)}`, span));
      }
      if (typeof v === 'bigint') return Number(v);
      if (v instanceof Date) return this.text.slice(span.start, span.end);
      return v ?? null;
    }
    // A pair outside a mapping is an item of `!!pairs` / `!!omap`: a one-key mapping, as YAML's own toJS gives it.
    if (isMap(node) || isPair(node)) return this.walkPairs(isMap(node) ? node.items : [node], path, depth, span);
    if (isSeq(node)) {
      const out: unknown[] = [];
      node.items.forEach((item, i) => {
        out.push(this.walk(item, [...path, i], depth + 1, undefined, undefined, span));
      });
      return out;
    }
    return null;
  }

  private walkPairs(items: readonly unknown[], path: NodePath, depth: number, span: Span): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    const seen = new Set<string>();
    for (const item of items) {
      if (!isPair(item)) continue;
      const k = item.key as YamlNode | null;
      let kSpan = k ? this.spanOf(k, span) : span;
      // An empty key (`: value`) has no text: point at the pair, so the place is visible.
      if (kSpan.start === kSpan.end) kSpan = this.spanOf(item, span);
      if (k !== null && !isScalar(k)) {
        this.diagnostics.push(diag('parse/complex-key', 'keys must be plain names, not lists or mappings', kSpan));
        continue;
      }
      const keyValue = k === null ? '' : k.value;
      const key = typeof keyValue === 'string' ? keyValue : String(keyValue);
      if (seen.has(key)) {
        this.diagnostics.push(diag('parse/duplicate-key', `duplicate key '${key}': it already appears earlier in the same mapping`, kSpan));
        continue;
      }
      seen.add(key);
      const childPath = [...path, key];
      const v = item.value as YamlNode | null;
      if (v === null) {
        // `key:` with nothing after it (the YAML package sometimes omits the node).
        this.map.set(childPath, { key: kSpan, value: { start: kSpan.end, end: kSpan.end } });
        Object.defineProperty(out, key, { value: null, enumerable: true, writable: true, configurable: true });
        continue;
      }
      const child = this.walk(v, childPath, depth + 1, kSpan, undefined, span);
      // defineProperty: a key named __proto__ must stay a plain key.
      Object.defineProperty(out, key, { value: child, enumerable: true, writable: true, configurable: true });
    }
    return out;
  }

  private spanOf(node: unknown, enclosing?: Span): Span {
    if (isPair(node)) {
      // A pair has no range of its own: from its key to the end of its value.
      const k = this.spanOf(node.key, enclosing);
      const v = node.value === null ? k : this.spanOf(node.value, enclosing);
      return { start: Math.min(k.start, v.start), end: Math.max(k.end, v.end) };
    }
    const r = (node as { range?: [number, number, number] } | null)?.range;
    if (!r) return enclosing ?? { start: 0, end: 0 };
    let end = r[1];
    while (end > r[0] && /\s/.test(this.text[end - 1] ?? '')) end--;
    return { start: r[0], end };
  }
}
