// Schema validation: ajv errors -> one friendly diagnostic each, placed on the exact key or value.
import type { ErrorObject } from 'ajv';
import { deref, getValidator, layerTypes, schemaAtPointer, type SchemaNode } from './schema';
import type { SourceMap } from './source-map';
import type { Diagnostic, Fix, NodePath, Span } from './types';

export function validateSchema(value: unknown, text: string, sourceMap: SourceMap): Diagnostic[] {
  const validate = getValidator();
  if (validate(value)) return [];
  const errors = validate.errors ?? [];
  const ctx = new MessageContext(value, text, sourceMap);
  const out: Diagnostic[] = [];
  const skip = suppressed(errors);
  const seen = new Set<string>();
  for (const e of errors) {
    if (skip.has(e)) continue;
    const d = ctx.toDiagnostic(e);
    if (!d) continue;
    const key = `${d.span.start}:${d.span.end}:${d.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(d);
  }
  return out;
}

/** Errors that another error at the same place explains better. */
function suppressed(errors: ErrorObject[]): Set<ErrorObject> {
  const skip = new Set<ErrorObject>();
  for (const e of errors) {
    if (e.keyword === 'anyOf') {
      // Children of a failed anyOf are folded into the anyOf's message.
      const prefix = e.schemaPath + '/';
      for (const c of errors) if (c !== e && c.schemaPath.startsWith(prefix) && c.instancePath.startsWith(e.instancePath)) skip.add(c);
    }
    if (e.keyword === 'if' || e.keyword === 'oneOf') skip.add(e);
    if (e.keyword === 'discriminator') {
      for (const c of errors) if (c !== e && c.instancePath === e.instancePath && c.keyword === 'required' && c.params.missingProperty === 'type') skip.add(c);
    }
  }
  return skip;
}

export function pointerToPath(pointer: string): (string | number)[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

class MessageContext {
  constructor(
    private readonly root: unknown,
    private readonly text: string,
    private readonly sourceMap: SourceMap,
  ) {}

  toDiagnostic(e: ErrorObject): Diagnostic | undefined {
    const path = pointerToPath(e.instancePath);
    const where = this.where(path);
    const name = this.label(path);
    const got = this.repr(path);
    const parent = schemaAtPointer(e.schemaPath.replace(/\/[^/]*$/, ''));
    const p = e.params as Record<string, unknown>;
    switch (e.keyword) {
      case 'additionalProperties': {
        const key = String(p.additionalProperty);
        const allowed = Object.keys(deref(parent)?.properties ?? {});
        const suggestion = closest(key, allowed);
        const keyPath = [...path, key];
        const span = this.sourceMap.get(keyPath)?.key ?? this.valueSpan(keyPath);
        const fixes: Fix[] = suggestion ? [{ title: `Rename to '${suggestion}'`, edits: [{ span, newText: suggestion }] }] : [];
        const hint = suggestion ? ` Did you mean '${suggestion}'?` : ` Allowed keys: ${allowed.join(', ')}.`;
        return this.make('schema/unknown-key', `unknown key '${key}'${where}.${hint}`, span, fixes);
      }
      case 'required': {
        const missing = String(p.missingProperty);
        if (path[0] === 'data' && e.schemaPath.includes('/then/')) {
          const source = (this.at(path) as Record<string, unknown> | undefined)?.source;
          return this.make('schema/required', `data source '${String(source)}' needs '${missing}' (a workspace-relative path)`, this.headSpan(path));
        }
        return this.make('schema/required', `missing required key '${missing}'${where}`, this.headSpan(path));
      }
      case 'type': {
        const span = this.valueSpan(path);
        if (got === undefined) return this.make('schema/type', `'${name}' must be ${typeNoun(parent, String(p.type))}`, span);
        return this.make('schema/type', `'${name}' must be ${typeNoun(parent, String(p.type))}, got ${got}`, span);
      }
      case 'minimum':
      case 'exclusiveMinimum':
      case 'maximum':
      case 'exclusiveMaximum': {
        const s = deref(parent);
        const bound = p.limit as number;
        let rule: string;
        if (s?.type === 'integer' && s.minimum === 1 && e.keyword === 'minimum') rule = 'a positive integer';
        else if (e.keyword === 'minimum') rule = `at least ${bound}`;
        else if (e.keyword === 'exclusiveMinimum') rule = `greater than ${bound}`;
        else if (e.keyword === 'maximum') rule = `at most ${bound}`;
        else rule = `less than ${bound}`;
        const code = e.keyword.endsWith('aximum') && bound >= 1000 ? 'limits/too-large' : 'schema/range';
        return this.make(code, `'${name}' must be ${rule}, got ${got ?? '?'}`, this.valueSpan(path));
      }
      case 'enum':
      case 'const': {
        const allowed = (p.allowedValues as unknown[] | undefined) ?? [p.allowedValue];
        const span = this.valueSpan(path);
        const v = this.at(path);
        const suggestion = typeof v === 'string' ? closest(v, allowed.map(String)) : undefined;
        const fixes: Fix[] = suggestion ? [{ title: `Change to '${suggestion}'`, edits: [{ span, newText: suggestion }] }] : [];
        const list = allowed.map((a) => String(a)).join(', ');
        const hint = suggestion ? ` Did you mean '${suggestion}'?` : '';
        return this.make('schema/enum', `'${name}' must be ${allowed.length === 1 ? list : `one of ${list}`}; got ${got ?? '?'}.${hint}`, span, fixes);
      }
      case 'discriminator': {
        const types = layerTypes();
        if (p.error === 'mapping') {
          const typePath = [...path, 'type'];
          const span = this.valueSpan(typePath);
          const v = String(this.at(typePath));
          const suggestion = closest(v, types);
          const fixes: Fix[] = suggestion ? [{ title: `Change to '${suggestion}'`, edits: [{ span, newText: suggestion }] }] : [];
          const hint = suggestion ? ` Did you mean '${suggestion}'?` : '';
          return this.make('schema/unknown-layer-type', `unknown layer type '${v}'.${hint} Layer types: ${types.join(', ')}`, span, fixes);
        }
        const typePath = [...path, 'type'];
        if (this.sourceMap.get(typePath)) {
          return this.make('schema/type', `a layer 'type' must be text, one of: ${types.join(', ')}`, this.valueSpan(typePath));
        }
        return this.make('schema/required', `a layer needs a 'type', one of: ${types.join(', ')}`, this.headSpan(path));
      }
      case 'anyOf': {
        const alternatives = (deref(schemaAtPointer(e.schemaPath))?.anyOf ?? (parent?.anyOf ?? []))
          .map((s) => describe(deref(s)))
          .filter((s) => s.length > 0);
        const uniq = [...new Set(alternatives)];
        return this.make('schema/type', `'${name}' must be ${uniq.join(' or ')}${got !== undefined ? `, got ${got}` : ''}`, this.valueSpan(path));
      }
      case 'minItems':
      case 'maxItems': {
        const s = deref(parent);
        const range = s?.minItems !== undefined && s.maxItems !== undefined
          ? s.minItems === s.maxItems ? `exactly ${s.minItems}` : `${s.minItems} to ${s.maxItems}`
          : e.keyword === 'minItems' ? `at least ${String(p.limit)}` : `at most ${String(p.limit)}`;
        const code = e.keyword === 'maxItems' ? 'limits/too-large' : 'schema/length';
        return this.make(code, `'${name}' must have ${range} item(s)`, this.valueSpan(path));
      }
      case 'minLength':
        return this.make('schema/length', `'${name}' must not be empty`, this.valueSpan(path));
      case 'maxLength':
        return this.make('schema/length', `'${name}' must be at most ${String(p.limit)} characters`, this.valueSpan(path));
      case 'pattern': {
        const rule = String(p.pattern).startsWith('^exit:')
          ? "'exit:' followed by an exit name"
          : 'a name: a letter or _ first, then letters, digits, _ . or -';
        return this.make('schema/pattern', `'${name}' must be ${rule}, got ${got ?? '?'}`, this.valueSpan(path));
      }
      default:
        return this.make('schema/invalid', `'${name}' ${e.message ?? 'is invalid'}`, this.valueSpan(path));
    }
  }

  private make(code: string, message: string, span: Span, fixes: Fix[] = []): Diagnostic {
    const d: Diagnostic = { severity: 'error', code, message, span, source: 'schema' };
    if (fixes.length > 0) d.fixes = fixes;
    return d;
  }

  private at(path: NodePath): unknown {
    let v: unknown = this.root;
    for (const seg of path) {
      if (v === null || typeof v !== 'object') return undefined;
      v = (v as Record<string | number, unknown>)[seg];
    }
    return v;
  }

  /** The key name (or "item N of 'key'") for messages. */
  private label(path: NodePath): string {
    const last = path[path.length - 1];
    if (last === undefined) return 'the document';
    if (typeof last === 'string') return last;
    const owner = path[path.length - 2];
    return `item ${last + 1} of ${owner === undefined ? 'the list' : `${String(owner)}`}`;
  }

  /** " in conv2d layer 'conv1'" style context for the object at `path`. */
  private where(path: NodePath): string {
    const v = this.at(path);
    if (path.length === 0) return ' at the top level';
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
      const o = v as Record<string, unknown>;
      if (typeof o.type === 'string') return ` in ${o.type} layer${typeof o.name === 'string' ? ` '${o.name}'` : ''}`;
    }
    const last = path[path.length - 1];
    const owner = path.filter((p) => typeof p === 'string').join('.');
    if (typeof last === 'number') return ` in item ${last + 1} of '${owner}'`;
    return ` in '${owner}'`;
  }

  /** Source text of a value for "got ..." (short, as written). */
  private repr(path: NodePath): string | undefined {
    const loc = this.sourceMap.get(path);
    if (!loc) return undefined;
    let s = this.text.slice(loc.value.start, loc.value.end);
    if (s.length === 0) return 'nothing';
    const v = this.at(path);
    if (Array.isArray(v)) return 'a list';
    if (v !== null && typeof v === 'object') return 'a mapping';
    if (s.length > 40) s = s.slice(0, 37) + '...';
    return s.includes('\n') ? s.split(/\r?\n/)[0] + '...' : s;
  }

  private valueSpan(path: NodePath): Span {
    const near = this.sourceMap.nearest(path);
    const span = near?.loc.value;
    // A document with no content (only `...` or `---`) has an empty root: the problem is the whole text.
    if (!span || (near.path.length === 0 && span.start === span.end)) return { start: 0, end: this.text.trimEnd().length };
    return span;
  }

  /** Where to report a problem with a whole mapping: its key, or the `type` of a layer, or its first line. */
  private headSpan(path: NodePath): Span {
    const loc = this.sourceMap.get(path);
    if (loc?.key) return loc.key;
    const typeLoc = this.sourceMap.get([...path, 'type']);
    if (typeLoc) return typeLoc.value;
    const v = loc?.value ?? this.valueSpan(path);
    const nl = this.text.slice(v.start, v.end).search(/\r?\n/);
    return nl < 0 ? v : { start: v.start, end: v.start + nl };
  }
}

function typeNoun(parent: SchemaNode | undefined, type: string): string {
  const s = deref(parent);
  if (type === 'integer') return s?.minimum === 1 ? 'a positive integer' : 'an integer';
  return ({ number: 'a number', string: 'text', boolean: 'true or false', array: 'a list', object: 'a mapping', null: 'empty' } as Record<string, string>)[type] ?? type;
}

function describe(s: SchemaNode | undefined): string {
  if (!s) return '';
  if (s.enum) return `one of ${s.enum.map(String).join(', ')}`;
  if (s.pattern?.startsWith('^exit:')) return 'exit:<name>';
  if (s.type === 'array') return `a list of ${describe(deref(s.items)).replace(/^an? /, '')}s`.replace(/ss$/, 's');
  return typeNoun(s, String(s.type));
}

/** The allowed word nearest to `word` (edit distance <= 2, or a case-insensitive match). */
export function closest(word: string, allowed: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const a of allowed) {
    if (a.toLowerCase() === word.toLowerCase()) return a;
    const d = editDistance(word.toLowerCase(), a.toLowerCase());
    if (d < bestD) {
      bestD = d;
      best = a;
    }
  }
  return bestD <= Math.min(2, Math.floor(word.length / 2)) ? best : undefined;
}

function editDistance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 3 || a.length > 64 || b.length > 64) return 99;
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur.push(Math.min((prev[j] ?? 0) + 1, (cur[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1)));
    }
    prev = cur;
  }
  return prev[b.length] ?? 99;
}
