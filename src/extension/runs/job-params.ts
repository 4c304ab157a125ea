// The parameters of the worker's study jobs (src/worker/studyJobs.ts) as the editor builds them, and the reading
// of their answers. One place, so a change of the job contract is one file to follow.
import { checkResults } from '../../protocol/results-check';
import type { AttackResult, Results } from '../../protocol/results';
import type { StudyName } from '../../protocol/study-names';
import type { CheckAnswer, CheckParams, ModelParams, TrainParams } from '../../protocol/jobs';
import type { ModelTarget } from './model-target';

export interface CheckRequest {
  /** Attack ids of the file's checks; default all. */
  attacks?: string[];
  eps?: number[];
  samples?: number;
  seed?: number;
  studies?: StudyName[];
  findings?: boolean;
  /** Budget of the file's ensemble checks instead of their own preset. */
  ensemblePreset?: 'thorough' | 'quick';
  /** Open the results panel when done (default true). */
  showPanel?: boolean;
}

/**
 * The model as the editor sees it: the document's text (unsaved edits included, so the results' specHash is the
 * one the lenses compare against), its path relative to the workspace folder that holds `.dynn/`.
 */
function modelParams(target: ModelTarget, backend: string): ModelParams {
  return {
    file: target.file,
    workspaceRoot: target.folder.uri.fsPath,
    text: target.doc.getText(),
    backend,
  };
}

export function checkParams(target: ModelTarget, request: CheckRequest, backend: string): CheckParams {
  const p: CheckParams = modelParams(target, backend);
  if (request.attacks) p.attacks = request.attacks;
  if (request.eps) p.eps = request.eps;
  if (request.samples !== undefined) p.samples = request.samples;
  if (request.seed !== undefined) p.seed = request.seed;
  if (request.studies) p.studies = request.studies;
  if (request.findings !== undefined) p.findings = request.findings;
  if (request.ensemblePreset !== undefined) p.ensemblePreset = request.ensemblePreset;
  return p;
}

export function trainParams(target: ModelTarget, backend: string): TrainParams {
  return modelParams(target, backend);
}

/**
 * Checks a check/study job's answer before it reaches the store: the results are a Results document (the one check
 * on their way in from the worker), and `savedTo` is the file the worker wrote, if any.
 */
export function checkAnswer(answer: unknown): CheckAnswer {
  const o = (typeof answer === 'object' && answer !== null ? answer : {}) as Partial<Record<keyof CheckAnswer, unknown>>;
  const problems = checkResults(o.results);
  if (problems.length > 0) throw new Error(`the worker answered with malformed results: ${problems.slice(0, 3).join('; ')}`);
  if (o.savedTo !== undefined && typeof o.savedTo !== 'string') throw new Error('the worker answered with a results path that is not a string');
  const results = o.results as Results;
  return typeof o.savedTo === 'string' ? { results, savedTo: o.savedTo } : { results };
}

/** A partial result of a check job: one attack result as soon as it is measured. */
export function partialAttack(data: unknown): AttackResult | undefined {
  const o = data as { kind?: unknown; result?: unknown } | null;
  if (typeof o !== 'object' || o === null || o.kind !== 'attack') return undefined;
  const r = o.result as Partial<AttackResult> | null;
  return typeof r === 'object' && r !== null && typeof r.id === 'string' && typeof r.robustAccuracy === 'number' && Array.isArray(r.hijackByExit) ? (r as AttackResult) : undefined;
}
