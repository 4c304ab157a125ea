// Worker jobs `train`, `check` and `study`: the same functions the CLI calls (src/studies), with progress, partial
// results (each attack result as soon as it is measured) and cancellation. The model is read from `text` when the
// editor sends its (possibly unsaved) document, else from `file` on disk; results are written atomically to
// .dynn/results/<model>.json unless `save` is false.
import * as path from 'node:path';
import { checkRunOutputs } from '../engine/workspace';
import type { CheckAnswer, CheckParams, ModelParams, TrainParams } from '../protocol/jobs';
import { PAPER_STUDIES, STUDY_NAMES, type StudyName } from '../protocol/study-names';
import { defaultStudiesFor } from '../studies/importedSpec';
import type { TrainSummary } from '../studies/train';
import { modelFromText, readModelFile, type LoadedModelFile } from '../studies/modelFile';
import { InvalidParamsError, expectObject, noExtraKeys, optionalNumber, registerJob, requireString, type JobContext } from './jobs';

const MODEL_KEYS = ['file', 'workspaceRoot', 'text', 'backend'];

function optionalString(o: Record<string, unknown>, key: string, job: string): string | undefined {
  const v = o[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw new InvalidParamsError(`'${job}' parameter '${key}' must be a string, got ${JSON.stringify(v)}`);
  return v;
}

function optionalBoolean(o: Record<string, unknown>, key: string, job: string): boolean | undefined {
  const v = o[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'boolean') throw new InvalidParamsError(`'${job}' parameter '${key}' must be true or false, got ${JSON.stringify(v)}`);
  return v;
}

function stringList(o: Record<string, unknown>, key: string, job: string): string[] | undefined {
  const v = o[key];
  if (v === undefined) return undefined;
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string' || x === '')) throw new InvalidParamsError(`'${job}' parameter '${key}' must be an array of non-empty strings`);
  return v as string[];
}

function parseModel(o: Record<string, unknown>, job: string): ModelParams {
  const workspaceRoot = requireString(o, 'workspaceRoot', job);
  if (!path.isAbsolute(workspaceRoot)) throw new InvalidParamsError(`'${job}' parameter 'workspaceRoot' must be an absolute path, got ${JSON.stringify(workspaceRoot)}`);
  const text = optionalString(o, 'text', job);
  const backend = optionalString(o, 'backend', job);
  return { file: requireString(o, 'file', job), workspaceRoot, ...(text !== undefined ? { text } : {}), ...(backend !== undefined ? { backend } : {}) };
}

export function parseTrainParams(raw: unknown): TrainParams {
  const o = expectObject(raw, 'train');
  noExtraKeys(o, [...MODEL_KEYS, 'staticTwin'], 'train');
  const staticTwin = optionalBoolean(o, 'staticTwin', 'train');
  return { ...parseModel(o, 'train'), ...(staticTwin !== undefined ? { staticTwin } : {}) };
}

function parseRun(raw: unknown, job: 'check' | 'study'): CheckParams {
  const o = expectObject(raw, job);
  noExtraKeys(o, [...MODEL_KEYS, 'attacks', 'eps', 'samples', 'steps', 'seed', 'studies', 'findings', 'save', 'ensemblePreset'], job);
  const out: CheckParams = parseModel(o, job);
  const attacks = stringList(o, 'attacks', job);
  if (attacks !== undefined) out.attacks = attacks;
  if (o.eps !== undefined) {
    if (!Array.isArray(o.eps) || o.eps.some((e) => typeof e !== 'number' || !Number.isFinite(e) || e < 0)) {
      throw new InvalidParamsError(`'${job}' parameter 'eps' must be an array of numbers >= 0`);
    }
    out.eps = o.eps as number[];
  }
  const samples = optionalNumber(o, 'samples', job, 1, 100000);
  if (samples !== undefined) {
    if (!Number.isInteger(samples)) throw new InvalidParamsError(`'${job}' parameter 'samples' must be an integer`);
    out.samples = samples;
  }
  const steps = optionalNumber(o, 'steps', job, 1, 100000);
  if (steps !== undefined) {
    if (!Number.isInteger(steps)) throw new InvalidParamsError(`'${job}' parameter 'steps' must be an integer`);
    out.steps = steps;
  }
  const seed = optionalNumber(o, 'seed', job, 0);
  if (seed !== undefined) {
    if (!Number.isInteger(seed)) throw new InvalidParamsError(`'${job}' parameter 'seed' must be an integer`);
    out.seed = seed;
  }
  const studies = stringList(o, 'studies', job);
  if (studies !== undefined) {
    const bad = studies.filter((s) => !STUDY_NAMES.includes(s as StudyName));
    if (bad.length > 0) throw new InvalidParamsError(`'${job}' parameter 'studies': unknown ${bad.join(', ')} (known: ${STUDY_NAMES.join(', ')})`);
    out.studies = studies as StudyName[];
  }
  const findings = optionalBoolean(o, 'findings', job);
  if (findings !== undefined) out.findings = findings;
  const save = optionalBoolean(o, 'save', job);
  if (save !== undefined) out.save = save;
  if (o.ensemblePreset !== undefined) {
    if (o.ensemblePreset !== 'thorough' && o.ensemblePreset !== 'quick') throw new InvalidParamsError(`'${job}' parameter 'ensemblePreset' must be 'thorough' or 'quick'`);
    out.ensemblePreset = o.ensemblePreset;
  }
  return out;
}

export const parseCheckParams = (raw: unknown): CheckParams => parseRun(raw, 'check');
export const parseStudyParams = (raw: unknown): CheckParams => parseRun(raw, 'study');

/** The model from the editor's text or from disk; errors become InvalidParams with the file's problems listed. */
async function loadModel(p: ModelParams): Promise<LoadedModelFile> {
  const absolute = path.resolve(p.workspaceRoot, p.file);
  try {
    return p.text === undefined ? await readModelFile(absolute, p.workspaceRoot) : modelFromText(p.text, absolute, p.workspaceRoot, p.file);
  } catch (e) {
    throw new InvalidParamsError(e instanceof Error ? e.message : String(e));
  }
}

async function runCheckJob(p: CheckParams, ctx: JobContext, defaults: { studies: readonly StudyName[]; findings: boolean }): Promise<CheckAnswer> {
  const model = await loadModel(p);
  const { runAndSave } = await import('../studies/runAndSave');
  const { CheckInputError } = await import('../studies/check');
  try {
    const { results, savedTo } = await runAndSave(
      model,
      p.workspaceRoot,
      {
        ...(p.attacks ? { attacks: p.attacks } : {}),
        ...(p.eps ? { eps: p.eps } : {}),
        ...(p.samples !== undefined ? { samples: p.samples } : {}),
        ...(p.steps !== undefined ? { steps: p.steps } : {}),
        ...(p.seed !== undefined ? { seed: p.seed } : {}),
        ...(p.ensemblePreset !== undefined ? { ensemblePreset: p.ensemblePreset } : {}),
        ...(p.backend !== undefined ? { backend: p.backend } : {}),
        // An imported model without 'import.static' has no static twin: its default study leaves out the studies that need one.
        studies: p.studies ?? defaultStudiesFor(model.spec, defaults.studies),
        findings: p.findings ?? defaults.findings,
        onProgress: (pr) => ctx.progress(pr),
        onAttackResult: (r) => ctx.partial({ kind: 'attack', result: r }),
        cancel: ctx.cancel,
      },
      { save: p.save !== false },
    );
    if (savedTo !== undefined) ctx.log('info', `results written to ${savedTo}`);
    return savedTo !== undefined ? { results, savedTo } : { results };
  } catch (e) {
    if (e instanceof CheckInputError) throw new InvalidParamsError(e.message);
    throw e;
  }
}

registerJob<TrainParams, TrainSummary>(
  'train',
  async (p, ctx) => {
    const model = await loadModel(p);
    checkRunOutputs(p.workspaceRoot, []);
    const { runTrain } = await import('../studies/train');
    const { CheckInputError } = await import('../studies/backendChoice');
    try {
      return await runTrain(
        { spec: model.spec, workspaceRoot: p.workspaceRoot },
        { ...(p.backend !== undefined ? { backend: p.backend } : {}), staticTwin: p.staticTwin === true, onProgress: (pr) => ctx.progress(pr), cancel: ctx.cancel },
      );
    } catch (e) {
      if (e instanceof CheckInputError) throw new InvalidParamsError(e.message);
      throw e;
    }
  },
  parseTrainParams,
);

registerJob<CheckParams, CheckAnswer>('check', (p, ctx) => runCheckJob(p, ctx, { studies: [], findings: false }), parseCheckParams);
registerJob<CheckParams, CheckAnswer>('study', (p, ctx) => runCheckJob(p, ctx, { studies: PAPER_STUDIES, findings: true }), parseStudyParams);
