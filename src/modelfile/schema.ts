// The JSON Schema (dynn.schema.json) is the single source of truth for keys, types, enums and defaults. This
// module loads it, compiles ajv once (lazily), and answers questions about it for validation messages, the
// builder's defaults, and editor completion.
import Ajv, { type ValidateFunction } from 'ajv';
import schemaJson from './dynn.schema.json';
import type { LayerType } from './types';

/** A JSON Schema node, loosely typed (the schema is data). */
export interface SchemaNode {
  $ref?: string;
  type?: string | string[];
  description?: string;
  markdownDescription?: string;
  default?: unknown;
  enum?: unknown[];
  const?: unknown;
  properties?: Record<string, SchemaNode>;
  required?: string[];
  additionalProperties?: boolean | SchemaNode;
  items?: SchemaNode;
  oneOf?: SchemaNode[];
  anyOf?: SchemaNode[];
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  minItems?: number;
  maxItems?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  discriminator?: { propertyName: string };
  definitions?: Record<string, SchemaNode>;
  if?: SchemaNode;
  then?: SchemaNode;
  not?: SchemaNode;
}

export const dynnSchema: SchemaNode = schemaJson;

let validator: ValidateFunction | undefined;

/** The compiled validator; compiled on first use and kept for the life of the process. */
export function getValidator(): ValidateFunction {
  if (!validator) {
    const ajv = new Ajv({ allErrors: true, discriminator: true, strict: true, strictRequired: false });
    // Editor-only keywords VS Code understands; ajv must not reject them.
    ajv.addVocabulary(['markdownDescription']);
    validator = ajv.compile(dynnSchema);
  }
  return validator;
}

/** Follows a local `$ref` ("#/definitions/x"). */
export function deref(node: SchemaNode | undefined): SchemaNode | undefined {
  let n = node;
  for (let hops = 0; n?.$ref !== undefined && hops < 16; hops++) n = schemaAtPointer(n.$ref);
  return n;
}

/** The schema node at a JSON pointer such as "#/definitions/conv2d/properties/filters". */
export function schemaAtPointer(pointer: string): SchemaNode | undefined {
  const parts = pointer.replace(/^#\/?/, '').split('/').filter((p) => p.length > 0);
  let cur: unknown = dynnSchema;
  for (const raw of parts) {
    const p = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[p];
  }
  return cur === null || typeof cur !== 'object' ? undefined : cur;
}

/** Every layer branch of the `layer` definition, keyed by its `type`. */
export function layerSchemas(): Map<LayerType, SchemaNode> {
  const out = new Map<LayerType, SchemaNode>();
  for (const branch of dynnSchema.definitions?.layer?.oneOf ?? []) {
    const s = deref(branch);
    const t = s?.properties?.type?.const;
    if (s && typeof t === 'string') out.set(t as LayerType, s);
  }
  return out;
}

export function layerTypes(): LayerType[] {
  return [...layerSchemas().keys()];
}

export function layerSchema(type: string): SchemaNode | undefined {
  return layerSchemas().get(type as LayerType);
}

/** True for a node whose items are layers (a discriminated union on `type`). */
export function isLayerUnion(node: SchemaNode | undefined): boolean {
  return deref(node)?.discriminator?.propertyName === 'type';
}

/**
 * The schema that governs the value at `path` in `root` (a parsed document, possibly partial). Layer unions
 * resolve to the branch named by the value's `type` when it is known. Undefined past unknown keys.
 */
export function schemaAtPath(path: readonly (string | number)[], root: unknown): SchemaNode | undefined {
  let node = deref(dynnSchema);
  let value: unknown = root;
  for (const seg of path) {
    node = resolveUnion(node, value);
    if (!node) return undefined;
    if (typeof seg === 'number') {
      node = deref(node.items);
      value = Array.isArray(value) ? value[seg] : undefined;
    } else {
      node = deref(node.properties?.[seg]);
      value = value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>)[seg] : undefined;
    }
  }
  return resolveUnion(node, value);
}

/** Picks the layer branch for a value whose `type` is known; otherwise returns the union itself. */
export function resolveUnion(node: SchemaNode | undefined, value: unknown): SchemaNode | undefined {
  const n = deref(node);
  if (!n || !isLayerUnion(n)) return n;
  const t = value !== null && typeof value === 'object' ? (value as Record<string, unknown>).type : undefined;
  return (typeof t === 'string' ? layerSchema(t) : undefined) ?? n;
}

/** Copies `obj` and fills absent properties that have a schema `default` (one level; values are cloned). */
export function withDefaults(obj: Record<string, unknown>, node: SchemaNode | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = { ...obj };
  for (const [key, prop] of Object.entries(deref(node)?.properties ?? {})) {
    if (out[key] === undefined && prop.default !== undefined) out[key] = structuredClone(prop.default);
  }
  return out;
}

/** The schema default of one property of a definition, e.g. defaultOf('#/properties/policy', 'kind'). */
export function defaultOf(pointer: string, key: string): unknown {
  return deref(schemaAtPointer(pointer))?.properties?.[key]?.default;
}
