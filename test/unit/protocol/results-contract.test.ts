// Results are described by the TypeScript types (src/protocol/results.ts, the source) and by the published JSON
// Schema (docs/results.schema.json, which adds ranges and integer constraints for other tools). This test keeps the
// two from drifting: the schema has exactly the types' objects, fields, required fields, enums and closed objects.
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { createGenerator } from 'ts-json-schema-generator';

const ROOT = path.resolve(__dirname, '..', '..', '..', '..');

type Schema = {
  $ref?: string;
  type?: string | string[];
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  enum?: unknown[];
  anyOf?: Schema[];
  oneOf?: Schema[];
  additionalProperties?: boolean | Schema;
  definitions?: Record<string, Schema>;
  const?: unknown;
};

/** The schema's shape without what only the published one adds: descriptions, ranges, integer vs number. */
function shape(node: Schema, defs: Record<string, Schema>, seen: string[] = []): unknown {
  if (node.$ref !== undefined) {
    const name = node.$ref.replace('#/definitions/', '');
    if (seen.includes(name)) return { ref: name };
    const target = defs[name];
    assert.ok(target, `unresolved ${node.$ref}`);
    return shape(target, defs, [...seen, name]);
  }
  const alternatives = node.anyOf ?? node.oneOf;
  // `KnownCode | string` is a string to a reader of the schema.
  if (alternatives?.some((a) => a.type === 'string' && a.enum === undefined)) return { type: ['string'] };
  if (alternatives) return { anyOf: alternatives.map((a) => shape(a, defs, seen)).map((s) => JSON.stringify(s)).sort() };
  if (node.const !== undefined) return { enum: [node.const] };
  if (node.enum !== undefined) return { enum: [...node.enum].map(String).sort() };
  const types = (Array.isArray(node.type) ? node.type : node.type !== undefined ? [node.type] : []).map((t) => (t === 'integer' ? 'number' : t)).sort();
  const out: Record<string, unknown> = { type: types };
  if (node.properties) {
    out.properties = Object.fromEntries(Object.keys(node.properties).sort().map((k) => [k, shape(node.properties?.[k] as Schema, defs, seen)]));
    out.required = [...(node.required ?? [])].sort();
    out.closed = node.additionalProperties === false;
  }
  if (node.items) out.items = shape(node.items, defs, seen);
  return out;
}

function published(): Schema {
  return JSON.parse(fs.readFileSync(path.join(ROOT, 'docs', 'results.schema.json'), 'utf8')) as Schema;
}

describe('protocol: the Results types and the published schema agree', function () {
  this.timeout(60_000);

  it('the published schema has exactly the fields, required fields and enums of the Results type', () => {
    const generated = createGenerator({ path: path.join(ROOT, 'src', 'protocol', 'results.ts'), tsconfig: path.join(ROOT, 'tsconfig.json'), type: 'Results', skipTypeCheck: true }).createSchema('Results') as Schema;
    const fromTypes = shape(generated, generated.definitions ?? {});
    const schema = published();
    const fromDocs = shape(schema, schema.definitions ?? {});
    assert.deepStrictEqual(fromDocs, fromTypes);
  });
});
