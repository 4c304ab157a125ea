// Entry point of the model-definition language: text in, Analysis out (never throws, bounded work).
// Pipeline: size guard -> YAML/JSON parse with offsets -> schema -> typed ModelSpec -> semantics -> cost.
import { buildSpec } from './build';
import { CostError, computeCost } from './cost';
import { LIMITS } from './limits';
import { parseText } from './parse';
import { checkSemantics } from './semantics';
import { SourceMap } from './source-map';
import { specHash } from './hash';
import type { Analysis, CostReport, Diagnostic, ModelSpec, NodePath, Span } from './types';
import { validateSchema } from './validate';

export interface AnalyzeOptions {
  /** Used to pick JSON error messages for `.json` files and as the default model name. */
  fileName?: string;
}

export function analyzeText(text: string, options: AnalyzeOptions = {}): Analysis {
  try {
    return analyze(text, options);
  } catch (e) {
    // A bug here must not take the editor down: report it where the user will see it.
    const message = e instanceof Error ? e.message : String(e);
    return result([{ severity: 'error', code: 'internal/error', message: `internal error while analysing the file: ${message}`, span: { start: 0, end: 0 }, source: 'schema' }], new SourceMap());
  }
}

function analyze(text: string, options: AnalyzeOptions): Analysis {
  if (text.length > LIMITS.maxFileBytes) {
    return result([{
      severity: 'error', code: 'limits/file-too-large', source: 'schema', span: { start: 0, end: 0 },
      message: `the file has ${text.length.toLocaleString('en-US')} characters; model files are limited to ${LIMITS.maxFileBytes.toLocaleString('en-US')}`,
    }], new SourceMap());
  }
  const parsed = parseText(text, options.fileName);
  const diagnostics = parsed.diagnostics;
  if (parsed.failed) return result(diagnostics, parsed.sourceMap);

  const schemaDiagnostics = validateSchema(parsed.value, text, parsed.sourceMap);
  for (const d of schemaDiagnostics) diagnostics.push(d);
  if (schemaDiagnostics.some((d) => d.severity === 'error')) return result(diagnostics, parsed.sourceMap);

  const spec = buildSpec(parsed.value, options.fileName);
  const sem = checkSemantics(spec, parsed.sourceMap, text);
  for (const d of sem.diagnostics) diagnostics.push(d);
  let cost: CostReport | undefined;
  if (sem.shapesOk) {
    try {
      cost = computeCost(spec);
    } catch (e) {
      if (!(e instanceof CostError)) throw e;
      // Semantics should have caught it; if not, it still points at the node it is about.
      diagnostics.push({ severity: 'error', code: 'shape/mismatch', message: e.message, span: locateNode(parsed.sourceMap, e.path), source: 'semantics' });
    }
  }
  if (cost) for (const d of costLimits(cost, parsed.sourceMap)) diagnostics.push(d);
  return result(diagnostics, parsed.sourceMap, spec, cost);
}

/** The span of the nearest node of `path` that has text (a default-filled node has none): its key, or its value. */
function locateNode(map: SourceMap, path: NodePath): Span {
  const loc = map.nearest(path)?.loc;
  return loc ? (loc.key ?? loc.value) : { start: 0, end: 0 };
}

/** Absurd sizes are refused here, before any engine builds the model. */
function costLimits(cost: CostReport, map: SourceMap): Diagnostic[] {
  const out: Diagnostic[] = [];
  const at = (path: NodePath): Span => locateNode(map, path);
  const biggest = (key: 'params' | 'flops'): NodePath => {
    let best = cost.layers[0];
    for (const l of cost.layers) if (best === undefined || (l.type !== 'residual' && l[key] > best[key])) best = l;
    return best?.path ?? ['backbone'];
  };
  if (cost.totalParams > LIMITS.maxParams) {
    out.push({
      severity: 'error', code: 'limits/too-large', source: 'semantics', span: at(biggest('params')),
      message: `the model has ${cost.totalParams.toLocaleString('en-US')} parameters; the limit is ${LIMITS.maxParams.toLocaleString('en-US')} (this layer is the largest)`,
    });
  }
  if (cost.fullFlops > LIMITS.maxFlops) {
    out.push({
      severity: 'error', code: 'limits/too-large', source: 'semantics', span: at(biggest('flops')),
      message: `the model needs ${(cost.fullFlops / 1e9).toFixed(1)} GFLOPs per sample; the limit is ${LIMITS.maxFlops / 1e9} GFLOPs (this layer costs the most)`,
    });
  }
  return out;
}

/** Keeps the first LIMITS.maxDiagnostics findings and says how many more there were. */
function capped(diagnostics: Diagnostic[]): Diagnostic[] {
  if (diagnostics.length <= LIMITS.maxDiagnostics) return diagnostics;
  const kept = diagnostics.slice(0, LIMITS.maxDiagnostics);
  kept.push({
    severity: 'error', code: 'limits/too-many-problems', source: 'schema', span: { start: 0, end: 0 },
    message: `${(diagnostics.length - LIMITS.maxDiagnostics).toLocaleString('en-US')} more problems not shown`,
  });
  return kept;
}

function result(diagnostics: Diagnostic[], map: SourceMap, spec?: ModelSpec, cost?: CostReport): Analysis {
  const a: Analysis = {
    diagnostics: capped(diagnostics),
    locate: (path: NodePath) => {
      const loc = map.get(path);
      if (!loc) return undefined;
      return loc.key ? { key: loc.key, value: loc.value } : { value: loc.value };
    },
  };
  if (spec) {
    a.spec = spec;
    a.specHash = specHash(spec);
  }
  if (cost) a.cost = cost;
  return a;
}

export { LineIndex, type Position } from './lines';
export { computeCost, CostError } from './cost';
export { specHash, weightsHash, canonicalJson } from './hash';
export { LIMITS, DEFAULT_POLICY_THRESHOLD, DEFAULT_HEAD_POOL } from './limits';
export { dynnSchema, getValidator, layerTypes, layerSchema, schemaAtPath, schemaAtPointer, deref, type SchemaNode } from './schema';
export { inferLayer, inferSequence, residualDetail, describeLayer, formatShape, windowOut, elements, sameShape } from './shapes';
export { workspacePathProblem } from './semantics';
export { completionsAt, type Completion, type CompletionResult } from './schema-query';
export type * from './types';
