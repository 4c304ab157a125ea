// The check of a Results document where it enters the editor or a report: read from .dynn/results/ (a file anyone
// can edit) or answered by the worker. The shape is the published JSON Schema, docs/results.schema.json, compiled
// once with ajv; that schema is tested against the Results types (test/unit/protocol/results-contract.test.ts), so
// the types, the schema and this check cannot drift apart. What a schema cannot say (per-exit arrays that match
// the model's exits, unique attack ids, gallery images that fill their shape) is checked after it, here.
// Downstream code (the panel session, the reports, the webview) receives checked Results and does not re-check.
import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import schema from '../../docs/results.schema.json';
import { RESULTS_VERSION, type Results } from './results';

let validator: ValidateFunction | undefined;

/** Compiled on first use (a few ms) and kept for the life of the process. */
function validate(): ValidateFunction {
  if (validator === undefined) {
    const ajv = new Ajv({ allErrors: true, strict: true, strictRequired: false, allowUnionTypes: true });
    validator = ajv.compile(schema);
  }
  return validator;
}

/** `/attacks/2/eps` -> `results.attacks[2].eps`: the same path a reader of the JSON would write. */
function where(instancePath: string): string {
  return (
    'results' +
    instancePath
      .split('/')
      .slice(1)
      .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'))
      .map((part) => (/^\d+$/.test(part) ? `[${part}]` : `.${part}`))
      .join('')
  );
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'number' && !Number.isFinite(v)) return String(v);
  if (typeof v === 'string') return `"${v.length > 40 ? `${v.slice(0, 40)}...` : v}"`;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return typeof v;
}

function valueAt(root: unknown, instancePath: string): unknown {
  let v = root;
  for (const part of instancePath.split('/').slice(1)) {
    if (typeof v !== 'object' || v === null) return undefined;
    v = (v as Record<string, unknown>)[part.replace(/~1/g, '/').replace(/~0/g, '~')];
  }
  return v;
}

function problem(root: unknown, e: ErrorObject): string {
  const at = where(e.instancePath);
  const params = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'required':
      return `${at}: missing ${String(params.missingProperty)}`;
    case 'additionalProperties':
      return `${at}: unexpected key ${JSON.stringify(params.additionalProperty)}`;
    case 'type':
      return `${at}: expected ${String(params.type).replace('number', 'a finite number')}, got ${describe(valueAt(root, e.instancePath))}`;
    default:
      return `${at}: ${e.message ?? e.keyword}, got ${describe(valueAt(root, e.instancePath))}`;
  }
}

/**
 * Problems with `value` as a Results document, each naming where ("results.attacks[2].eps: ..."); empty when the
 * document matches the published schema and its per-exit arrays line up with the model.
 */
export function checkResults(value: unknown): string[] {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return [`results: expected an object, got ${describe(value)}`];
  const version = (value as { version?: unknown }).version;
  if (version !== RESULTS_VERSION) return [`results.version: expected ${RESULTS_VERSION}, got ${JSON.stringify(version) ?? 'nothing'}`];
  const check = validate();
  if (!check(value)) {
    // One line per place: anyOf/oneOf branches repeat a place with each alternative's complaint.
    const seen = new Set<string>();
    return (check.errors ?? []).map((e) => problem(value, e)).filter((p) => !seen.has(p) && seen.add(p) !== undefined);
  }
  return checkConsistency(value as Results);
}

/** Parses and checks the text of a results file; throws naming `where` and what is wrong (at most 3 places). */
export function parseResultsText(text: string, where: string): Results {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new Error(`${where} is not valid JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
  const problems = checkResults(value);
  if (problems.length > 0) throw new Error(`${where} is not a DyNN Lens results file: ${problems.slice(0, 3).join('; ')}`);
  return value as Results;
}

/** Per-exit arrays must line up with the model's exits, or tables and curves would silently shift columns. */
function checkConsistency(r: Results): string[] {
  const p: string[] = [];
  const exits = r.model.exitNames.length;
  const gates = r.model.gateNames.length;
  if (exits === 0) p.push('results.model.exitNames: a model has at least its final exit');
  if (r.model.exitFlopsShare.length !== exits) p.push(`results.model.exitFlopsShare: ${r.model.exitFlopsShare.length} values for ${exits} exits`);
  const passes: [string, { exitDistribution: number[]; perExitAccuracy: number[]; gateFiringRate: number[] }][] = [
    ['results.clean', r.clean],
    ...r.attacks.map((a, i): [string, typeof a] => [`results.attacks[${i}]`, a]),
  ];
  for (const [at, f] of passes) {
    if (f.exitDistribution.length !== exits) p.push(`${at}.exitDistribution: ${f.exitDistribution.length} values for ${exits} exits`);
    if (f.perExitAccuracy.length !== exits) p.push(`${at}.perExitAccuracy: ${f.perExitAccuracy.length} values for ${exits} exits`);
    if (f.gateFiringRate.length !== gates) p.push(`${at}.gateFiringRate: ${f.gateFiringRate.length} values for ${gates} gates`);
  }
  const ids = new Set<string>();
  r.attacks.forEach((a, i) => {
    if (ids.has(a.id)) p.push(`results.attacks[${i}].id: "${a.id}" is not unique`);
    ids.add(a.id);
  });
  if (r.training !== undefined) {
    for (const side of ['clean', 'adversarial'] as const) {
      const v = r.training[side];
      const at = `results.training.${side}`;
      if (v.cleanPerExitAccuracy.length !== exits) p.push(`${at}.cleanPerExitAccuracy: ${v.cleanPerExitAccuracy.length} values for ${exits} exits`);
      v.attacks.forEach((a, i) => {
        if (a.perExitRobustAccuracy.length !== exits) p.push(`${at}.attacks[${i}].perExitRobustAccuracy: ${a.perExitRobustAccuracy.length} values for ${exits} exits`);
      });
    }
  }
  r.gallery.forEach((g, i) => {
    const size = g.shape.reduce((a, b) => a * b, 1);
    for (const k of ['original', 'adversarial'] as const) {
      if (g[k].length !== size) p.push(`results.gallery[${i}].${k}: ${g[k].length} values do not fill shape [${g.shape.join(', ')}]`);
    }
  });
  return p;
}
