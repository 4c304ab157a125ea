// Structural check of a Results document before the panel draws it. The webview receives Results through
// postMessage and the report embeds them, so both sides check the shape they read instead of trusting it.
// Pure: no DOM, no vscode; shared by the extension side and the webview bundle.
import { RESULTS_VERSION, Results } from './results';

type Problems = string[];

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function num(p: Problems, o: Record<string, unknown>, key: string, at: string): void {
  const v = o[key];
  if (typeof v !== 'number' || !Number.isFinite(v)) p.push(`${at}.${key}: expected a finite number, got ${describe(v)}`);
}

function str(p: Problems, o: Record<string, unknown>, key: string, at: string): void {
  if (typeof o[key] !== 'string') p.push(`${at}.${key}: expected a string, got ${describe(o[key])}`);
}

function numArray(p: Problems, o: Record<string, unknown>, key: string, at: string): void {
  const v = o[key];
  if (!Array.isArray(v)) {
    p.push(`${at}.${key}: expected an array of numbers, got ${describe(v)}`);
    return;
  }
  v.forEach((x, i) => {
    if (typeof x !== 'number' || !Number.isFinite(x)) p.push(`${at}.${key}[${i}]: expected a finite number, got ${describe(x)}`);
  });
}

function strArray(p: Problems, o: Record<string, unknown>, key: string, at: string): void {
  const v = o[key];
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) p.push(`${at}.${key}: expected an array of strings`);
}

function list(p: Problems, o: Record<string, unknown>, key: string, at: string, each: (item: Record<string, unknown>, at: string) => void): void {
  const v = o[key];
  if (!Array.isArray(v)) {
    p.push(`${at}.${key}: expected an array, got ${describe(v)}`);
    return;
  }
  v.forEach((item, i) => {
    const here = `${at}.${key}[${i}]`;
    if (!isObject(item)) p.push(`${here}: expected an object, got ${describe(item)}`);
    else each(item, here);
  });
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'number' && !Number.isFinite(v)) return String(v);
  return typeof v;
}

function flag(p: Problems, f: Record<string, unknown>, at: string): void {
  str(p, f, 'code', at);
  str(p, f, 'message', at);
  if (f.severity !== 'warning' && f.severity !== 'error') p.push(`${at}.severity: expected "warning" or "error"`);
}

function pass(p: Problems, o: Record<string, unknown>, at: string): void {
  for (const k of ['accuracy', 'meanFlopsRatio', 'eec']) num(p, o, k, at);
  for (const k of ['exitDistribution', 'perExitAccuracy', 'gateFiringRate']) numArray(p, o, k, at);
}

function matrix2x2(p: Problems, v: unknown, at: string): void {
  const ok = Array.isArray(v) && v.length === 2 && v.every((row) => Array.isArray(row) && row.length === 2 && row.every((x) => typeof x === 'number' && Number.isFinite(x)));
  if (!ok) p.push(`${at}: expected a 2x2 matrix of finite numbers`);
}

/**
 * Problems with `value` as a Results document, each naming where ("results.attacks[2].eps: ..."); empty when the
 * document has every field the panel and the reports read, with the right types and matching exit counts.
 */
export function checkResults(value: unknown): string[] {
  const p: Problems = [];
  if (!isObject(value)) return [`results: expected an object, got ${describe(value)}`];
  if (value.version !== RESULTS_VERSION) p.push(`results.version: expected ${RESULTS_VERSION}, got ${JSON.stringify(value.version) ?? 'nothing'}`);

  const model = value.model;
  if (!isObject(model)) p.push('results.model: expected an object');
  else {
    for (const k of ['name', 'specHash', 'file']) str(p, model, k, 'results.model');
    strArray(p, model, 'exitNames', 'results.model');
    strArray(p, model, 'gateNames', 'results.model');
    numArray(p, model, 'exitFlopsShare', 'results.model');
    num(p, model, 'fullFlops', 'results.model');
    if (model.classNames !== undefined) strArray(p, model, 'classNames', 'results.model');
  }

  const prov = value.provenance;
  if (!isObject(prov)) p.push('results.provenance: expected an object');
  else {
    for (const k of ['backend', 'backendReason', 'date', 'toolVersion', 'tfjsVersion', 'weights', 'data']) str(p, prov, k, 'results.provenance');
    for (const k of ['seed', 'samples', 'seconds']) num(p, prov, k, 'results.provenance');
  }

  const clean = value.clean;
  if (!isObject(clean)) p.push('results.clean: expected an object');
  else {
    pass(p, clean, 'results.clean');
    num(p, clean, 'finalExitAccuracy', 'results.clean');
  }

  list(p, value, 'attacks', 'results', (a, at) => {
    pass(p, a, at);
    for (const k of ['id', 'attackId', 'kind', 'norm', 'loss']) str(p, a, k, at);
    for (const k of ['eps', 'step', 'steps', 'restarts', 'robustAccuracy', 'finalExitRobustAccuracy', 'successRate', 'hijackRate', 'gradEvals', 'seconds', 'maxPerturbation', 'meanPerturbation']) num(p, a, k, at);
    numArray(p, a, 'hijackByExit', at);
    list(p, a, 'flags', at, (f, fat) => flag(p, f, fat));
  });
  list(p, value, 'transfer', 'results', (t, at) => {
    str(p, t, 'attackId', at);
    num(p, t, 'eps', at);
    num(p, t, 'staticCleanAccuracy', at);
    matrix2x2(p, t.matrix, `${at}.matrix`);
  });
  list(p, value, 'efficiency', 'results', (e, at) => {
    str(p, e, 'attackId', at);
    if (e.model !== 'dynamic' && e.model !== 'static') p.push(`${at}.model: expected "dynamic" or "static"`);
    for (const k of ['eps', 'successes', 'gradEvalsPerSuccess', 'flopsPerSuccess', 'secondsPerSuccess']) num(p, e, k, at);
  });
  list(p, value, 'sweeps', 'results', (s, at) => {
    str(p, s, 'attackId', at);
    num(p, s, 'eps', at);
    list(p, s, 'points', at, (pt, pat) => {
      numArray(p, pt, 'thresholds', pat);
      numArray(p, pt, 'gateThresholds', pat);
      if (!Array.isArray(pt.enabledExits) || pt.enabledExits.some((x) => typeof x !== 'boolean')) p.push(`${pat}.enabledExits: expected an array of booleans`);
      for (const k of ['cleanAccuracy', 'robustAccuracy', 'hijackRate', 'cleanFlopsRatio', 'adversarialFlopsRatio', 'cleanEec', 'adversarialEec']) num(p, pt, k, pat);
      if (typeof pt.onParetoFront !== 'boolean') p.push(`${pat}.onParetoFront: expected a boolean`);
      if (typeof pt.current !== 'boolean') p.push(`${pat}.current: expected a boolean`);
    });
  });
  list(p, value, 'suggestions', 'results', (s, at) => {
    str(p, s, 'id', at);
    str(p, s, 'title', at);
    if (!isObject(s.target) || typeof s.target.name !== 'string' || typeof s.target.kind !== 'string') p.push(`${at}.target: expected {kind, name}`);
    if (!isObject(s.change) || !Array.isArray(s.change.path) || s.change.path.some((k) => typeof k !== 'string' && typeof k !== 'number') || !('value' in s.change)) {
      p.push(`${at}.change: expected {path: (string|number)[], value}`);
    }
    for (const k of ['before', 'after']) {
      const m = s[k];
      if (!isObject(m) || Object.values(m).some((x) => typeof x !== 'number' || !Number.isFinite(x))) p.push(`${at}.${k}: expected a map of finite numbers`);
    }
  });
  list(p, value, 'findings', 'results', (f, at) => {
    str(p, f, 'id', at);
    str(p, f, 'claim', at);
    str(p, f, 'evidence', at);
    if (f.holds !== null && typeof f.holds !== 'boolean') p.push(`${at}.holds: expected true, false or null`);
  });
  list(p, value, 'samples', 'results', (s, at) => {
    for (const k of ['index', 'label', 'cleanExit', 'cleanPrediction']) num(p, s, k, at);
    if (!isObject(s.adversarial)) p.push(`${at}.adversarial: expected an object`);
  });
  list(p, value, 'gallery', 'results', (g, at) => {
    num(p, g, 'index', at);
    num(p, g, 'label', at);
    str(p, g, 'attackResultId', at);
    for (const k of ['shape', 'original', 'adversarial']) numArray(p, g, k, at);
    const shape = Array.isArray(g.shape) ? (g.shape as unknown[]) : [];
    const size = shape.reduce<number>((a, b) => a * (typeof b === 'number' ? b : NaN), 1);
    for (const k of ['original', 'adversarial']) {
      const arr = g[k];
      if (Array.isArray(arr) && arr.length !== size) p.push(`${at}.${k}: ${arr.length} values do not fill shape [${shape.join(', ')}]`);
    }
    for (const k of ['cleanExits', 'adversarialExits']) {
      list(p, g, k, at, (e, eat) => {
        num(p, e, 'prediction', eat);
        num(p, e, 'confidence', eat);
      });
    }
  });
  list(p, value, 'flags', 'results', (f, at) => flag(p, f, at));

  if (p.length === 0) p.push(...checkExitCounts(value as unknown as Results));
  return p;
}

/** Per-exit arrays must line up with the model's exits, or tables and curves would silently shift columns. */
function checkExitCounts(r: Results): string[] {
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
  return p;
}
