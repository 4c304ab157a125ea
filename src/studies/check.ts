// runCheck: the whole attack check of one model file, and the optional studies (transfer, generation efficiency,
// design sweep, paper findings), as one Results document. Every figure is computed in this run from the weights
// the engine cache holds (trained on first use), or from the imported model a sidecar names, and the file's test
// split.
import * as tf from '@tensorflow/tfjs';
import { exitDecider, risingWithEpsFlags, robustAboveCleanFlag, saturatedExitFlags, saturationShares } from '../attacks';
import { currentBackend, runWithFallback } from '../engine/backend';
import { assertFitsInMemory, availableBytes, batchForBackend } from '../engine/memory';
import { loadOrTrain, type LoadOrTrainResult } from '../engine/cache';
import { FASHION_CLASS_NAMES, loadData } from '../engine/data';
import { importModel, type ImportedModel } from '../engine/import';
import { policyFromSpec } from '../engine/policy';
import type { CancelToken, DataSplit, DynamicModel, Progress } from '../engine/types';
import type { AttackSpec, ModelSpec } from '../modelfile/types';
import { CheckInputError, ensureBackend } from './backendChoice';
import { runAttackPass, type AttackPassOutput } from './attackPass';
import { planMembers, runEnsemble } from './ensemble';
import { perturbOption } from './adversarialTraining';
import { compareTrainings, suggestTraining, trainingPair, trainingVariant } from './trainingComparison';
import { attackResultOf, executedFlopsFlag, isAccuracyAttack, sampleRecords, toResultFlag } from './figures';
import { efficiencyOf } from './efficiency';
import { designChoices, generationEfficiency, mechanismAttack, transferAsymmetry } from './findings';
import { buildGallery } from './gallery';
import { accuracy, argMaxRows, clamp01, hijackRates, perExitAccuracy, successCount, successRate, summarizePass } from './metrics';
import { describeWeights, currentToolVersion, tfjsVersion } from './provenance';
import { recordExits, type ExitRecording } from './recording';
import { RESULTS_VERSION, type AttackResult, type CleanFigures, type EfficiencyResult, type Results, type SanityFlag, type Suggestion, type SweepResult, type TransferResult } from '../protocol/results';
import { mergeSuggestions, suggestFromSweep } from './suggestions';
import { importedStudyRefusal, withImportedExits } from './importedSpec';
import { costsFromReport, geometryOf, runSweep, type DesignPasses, type ModelCosts } from './sweep';
import { STUDY_NAMES, type StudyName } from '../protocol/study-names';

export { STUDY_NAMES, type StudyName };

export interface CheckInput {
  spec: ModelSpec;
  /** Analysis.specHash of the file (64 hex digits). */
  specHash: string;
  /** Workspace-relative path of the model file (shown in results). */
  file: string;
  /** Folder holding `.dynn/` (weight cache, results). */
  workspaceRoot: string;
}

export interface CheckOptions {
  /** Attack ids from the file's `checks.attacks`; default all. */
  attacks?: readonly string[];
  /** Radii replacing each attack's own list. */
  eps?: readonly number[];
  /** Iterations for every attack instead of each attack's own (quick checks). */
  steps?: number;
  /** Budget of every ensemble instead of its own preset (the editor's Check lens runs 'quick'). */
  ensemblePreset?: 'thorough' | 'quick';
  /** Test samples; default checks.samples. */
  samples?: number;
  /** Attack seed; default checks.seed. */
  seed?: number;
  /** Backend preference (auto, tensorflow-gpu, webgpu, tensorflow, wasm, cpu); default keeps the active one or auto. */
  backend?: string;
  studies?: readonly StudyName[];
  /** Evaluate the paper's findings (study --paper). */
  findings?: boolean;
  /** Samples per batch for attacks and inference; default 128. */
  batchSize?: number;
  /** Gallery images (image data only); default 8. */
  galleryCount?: number;
  onProgress?: (p: Progress) => void;
  /** Called with each attack result as soon as it is measured (the worker forwards it as a partial result). */
  onAttackResult?: (result: AttackResult) => void;
  cancel?: CancelToken;
}


export { CheckInputError };

export const DEFAULT_BATCH = 128;
export const DEFAULT_GALLERY = 8;

interface Plan {
  attacks: AttackSpec[];
  samples: number;
  seed: number;
  studies: Set<StudyName>;
  batchSize: number;
  /** --steps, when given (an ensemble's PGD members take it too). */
  steps?: number;
}

function planOf(spec: ModelSpec, options: CheckOptions): Plan {
  const known = spec.checks.attacks;
  let attacks = known;
  if (options.attacks !== undefined && options.attacks.length > 0) {
    attacks = options.attacks.map((id) => {
      const found = known.find((a) => a.id === id);
      if (found === undefined) {
        throw new CheckInputError(`attack '${id}' is not in checks.attacks of '${spec.name}' (known: ${known.map((a) => a.id).join(', ') || 'none'})`);
      }
      return found;
    });
  }
  if (options.eps !== undefined && options.eps.length > 0) {
    for (const e of options.eps) if (!Number.isFinite(e) || e < 0) throw new CheckInputError(`eps ${e}: must be a finite number >= 0`);
    attacks = attacks.map((a) => ({ ...a, eps: [...(options.eps as number[])] }));
  }
  if (options.steps !== undefined) {
    const steps = options.steps;
    if (!Number.isInteger(steps) || steps < 1) throw new CheckInputError(`steps ${steps}: must be an integer >= 1`);
    attacks = attacks.map((a) => ({ ...a, steps }));
  }
  const internal = spec.exits.length;
  for (const a of attacks) {
    if ((a.kind === 'hijack' || a.kind === 'slowdown') && internal === 0) {
      throw new CheckInputError(`attack '${a.id}' (${a.kind}) needs internal exits, and '${spec.name}' has none`);
    }
    if (a.kind === 'gate' && spec.gates.length === 0) throw new CheckInputError(`attack '${a.id}' (gate) needs gates, and '${spec.name}' has none`);
  }
  const samples = options.samples ?? spec.checks.samples;
  if (!Number.isInteger(samples) || samples < 1) throw new CheckInputError(`samples ${samples}: must be an integer >= 1`);
  const seed = options.seed ?? spec.checks.seed;
  if (!Number.isInteger(seed) || seed < 0) throw new CheckInputError(`seed ${seed}: must be an integer >= 0`);
  const batchSize = options.batchSize ?? DEFAULT_BATCH;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new CheckInputError(`batchSize ${batchSize}: must be an integer >= 1`);
  for (const s of options.studies ?? []) {
    if (!STUDY_NAMES.includes(s)) throw new CheckInputError(`study '${String(s)}': expected one of ${STUDY_NAMES.join(', ')}`);
    const refusal = importedStudyRefusal(spec, s);
    if (refusal !== undefined) throw new CheckInputError(refusal);
    // Refuses before anything trains: an imported model, or no L-inf accuracy attack to judge the recipe by.
    if (s === 'adversarial-training') trainingPair(spec);
  }
  return { attacks, samples, seed, studies: new Set(options.studies ?? []), batchSize, ...(options.steps !== undefined ? { steps: options.steps } : {}) };
}

/** The models a check measures, what their exits cost, and where their weights came from. */
interface Weights {
  model: DynamicModel;
  /** The static twin, when a study needs it (an imported model's only when its sidecar names `import.static`). */
  twin?: DynamicModel;
  costs: ModelCosts;
  /** provenance.weights */
  description: string;
  /** Set when the weight cache held a damaged entry that was retrained and replaced. */
  cacheProblem?: string;
  /** Wall time of the DyNN's training (recorded with cached weights); absent for imported models. */
  trainingSeconds?: number;
}

/** Loads (or trains) the DyNN and, when a study needs it, its static twin with the same recipe and seed. */
async function trainedWeights(spec: ModelSpec, root: string, data: DataSplit, twin: boolean, options: CheckOptions, label = 'the DyNN'): Promise<Weights> {
  const common = { ...(options.cancel ? { cancel: options.cancel } : {}), ...perturbOption(spec) };
  const progress = (what: string) => (p: Progress) => options.onProgress?.({ ...p, phase: 'train', message: `${what}: ${p.message}` });
  const model = await loadOrTrain(spec, root, () => Promise.resolve(data), { ...common, onProgress: progress(`training ${label}`) });
  const weights = (t?: LoadOrTrainResult): Weights => ({
    model: model.model,
    ...(t !== undefined ? { twin: t.model } : {}),
    costs: costsFromReport(model.model.cost),
    description: [describeWeights(model, 'DyNN'), ...(t !== undefined ? [describeWeights(t, 'static twin')] : [])].join('; '),
    ...(model.cacheProblem !== undefined ? { cacheProblem: model.cacheProblem } : {}),
    ...(model.metrics !== undefined ? { trainingSeconds: model.metrics.seconds } : {}),
  });
  if (!twin) return weights();
  try {
    return weights(await loadOrTrain(spec, root, () => Promise.resolve(data), { ...common, staticTwin: true, onProgress: progress('training the static twin') }));
  } catch (err) {
    model.model.dispose();
    throw err;
  }
}

/**
 * The pretrained model a sidecar names, used as it is; its exit costs come from its own graph. When a study needs
 * the static twin, `import.static` is imported too (importedStudyRefusal refuses those studies without it).
 */
async function importedWeights(input: CheckInput, options: CheckOptions, needTwin: boolean): Promise<Weights> {
  options.onProgress?.({ phase: 'setup', message: `Importing the model named in ${input.file}` });
  const model = await importModel(input.file, input.workspaceRoot);
  let twin: ImportedModel | undefined;
  try {
    assertSameSidecar(input, model);
    if (needTwin && model.sidecar.static !== undefined) twin = await importModel(input.file, input.workspaceRoot, { staticTwin: true });
  } catch (err) {
    model.dispose();
    throw err;
  }
  const description = `imported ${model.modelFile}${twin !== undefined ? `; static twin imported ${twin.modelFile}` : ''}`;
  return { model, ...(twin !== undefined ? { twin } : {}), costs: importedCosts(model), description };
}

/**
 * The importer reads the sidecar from disk; the check was given the spec (maybe an unsaved editor buffer). Dynamic
 * inference follows the disk's policy and the attacks the spec's, so they must agree.
 */
function assertSameSidecar(input: CheckInput, model: ImportedModel): void {
  const imp = input.spec.import;
  const disk = model.sidecar;
  const same =
    imp !== undefined &&
    JSON.stringify([imp.model, imp.outputs, imp.thresholds ?? null, imp.normalize ?? null, imp.static ?? null]) ===
      JSON.stringify([disk.model, disk.outputs, disk.thresholds ?? null, disk.normalize ?? null, disk.static ?? null]) &&
    input.spec.policy.kind === disk.policy.kind &&
    input.spec.policy.threshold === disk.policy.threshold &&
    input.spec.policy.patience === disk.policy.patience;
  if (!same) throw new CheckInputError(`${input.file}: the file on disk differs from the one being checked in 'import' or 'policy'; save it first`);
}

/** Exit costs of an imported model: a disabled exit skips its head (ImportedModel.runDynamic does the same). */
function importedCosts(model: ImportedModel): ModelCosts {
  return {
    flopsAtExit: model.flopsAtExit,
    fullFlops: model.fullFlops,
    headFlops: model.plan.exits.slice(0, -1).map((e) => e.head.flops),
    blockFlops: new Map(),
  };
}

/** Runs the check (and studies) and returns the Results document. Tensors it creates are disposed. */
export async function runCheck(input: CheckInput, options: CheckOptions = {}): Promise<Results> {
  const started = performance.now();
  // An imported model's exits are its outputs (see importedSpec.ts); everything below reads them from spec.exits.
  const spec = withImportedExits(input.spec);
  const imported = spec.import !== undefined;
  const plan = planOf(spec, options);
  const report = (p: Progress): void => options.onProgress?.(p);
  report({ phase: 'setup', fraction: 0, message: 'Starting the compute backend' });
  const backend = await ensureBackend(options.backend);
  // The estimate comes from the spec's layers, which a sidecar does not list; an imported model that does not fit
  // is caught by the out-of-memory fallback below instead.
  if (!imported) assertFitsInMemory(spec, plan.batchSize, false, availableBytes(currentBackend()?.name), backend.backend);
  const gpuBatch = imported ? { batchSize: plan.batchSize } : batchForBackend(spec, plan.batchSize, currentBackend());
  if (gpuBatch.note !== undefined) {
    plan.batchSize = gpuBatch.batchSize;
    backend.backendReason = `${backend.backendReason}; ${gpuBatch.note}`;
  }
  options.cancel?.throwIfCancelled();
  report({ phase: 'data', fraction: 0, message: 'Loading data' });
  // An imported model is never trained here: one training sample is enough (the loader needs a non-empty split).
  const load = (): ReturnType<typeof loadData> => loadData(spec, input.workspaceRoot, { maxTest: plan.samples, ...(imported ? { maxTrain: 1 } : {}) });
  let data = await load();
  const needTwin = plan.studies.has('transfer') || plan.studies.has('efficiency');
  const loadWeights = (d: DataSplit): Promise<Weights> => (imported ? importedWeights(input, options, needTwin) : trainedWeights(spec, input.workspaceRoot, d, needTwin, options));
  let weights: Weights | undefined;
  try {
    let w = await loadWeights(data);
    weights = w;
    let madeOn = currentBackend()?.name;
    // An out-of-memory error retries the measurement with half the batch, a backend failure on the next backend;
    // either is said in the provenance and as a flag, since the figures then come from another configuration.
    const run = await runWithFallback(
      async ({ batchSize, backend: now }) => {
        if (now.name !== madeOn) {
          // The tensors live on the backend that failed (a lost GPU device cannot even be read to move them):
          // the data and the weights are loaded again (the weights from the cache this run filled) on the new one,
          // and every figure is measured there, so the results never mix two backends.
          disposeRun(data, weights);
          weights = undefined;
          data = await load();
          w = await loadWeights(data);
          weights = w;
          madeOn = now.name;
        }
        const measured = await measure(input, options, { ...plan, batchSize }, spec, data, w, backend, started);
        if (plan.studies.has('adversarial-training')) await addTrainingComparison(measured, input, options, { ...plan, batchSize }, spec, data, w, backend, started);
        return measured;
      },
      {
        batchSize: plan.batchSize,
        onFallback: (message) => report({ phase: 'setup', message }),
      },
    );
    if (run.fallbacks.length > 0) {
      run.result.provenance.backend = run.backend.name;
      run.result.provenance.backendReason = `${run.backend.reason}; ${run.fallbacks.join('; ')}`;
      run.result.flags.push({ code: 'fallback', severity: 'warning', message: `The run fell back: ${run.fallbacks.join('; ')}` });
    }
    return run.result;
  } finally {
    disposeRun(data, weights);
  }
}

/**
 * Study adversarial-training: trains (or loads) the file's network the other way, measures it with the same plan,
 * samples and seeds, and adds the comparison (and, when the recipe helps, its suggestion) to the file's results.
 */
async function addTrainingComparison(
  results: Results,
  input: CheckInput,
  options: CheckOptions,
  plan: Plan,
  spec: ModelSpec,
  data: DataSplit,
  fileWeights: Weights,
  backend: { backend: string; backendReason: string },
  started: number,
): Promise<void> {
  const pair = trainingPair(spec);
  const label = pair.file === 'clean' ? 'the adversarially trained variant' : 'the clean-trained variant';
  const prefixed: CheckOptions = {
    ...options,
    onProgress: (p) => options.onProgress?.({ ...p, message: p.message.startsWith('training ') ? p.message : `${label}: ${p.message}` }),
  };
  // The other side gets no partial results (they would be taken for the file's) and no twin studies.
  const { onAttackResult: _file, ...quiet } = prefixed;
  const other = await trainedWeights(pair.other, input.workspaceRoot, data, false, quiet, label);
  try {
    const studies = new Set([...plan.studies].filter((s) => s === 'sweep'));
    const measured = await measure(input, { ...quiet, findings: false }, { ...plan, studies }, pair.other, data, other, backend, started);
    const comparison = compareTrainings(pair, trainingVariant(results, fileWeights.trainingSeconds), trainingVariant(measured, other.trainingSeconds), measured.sweeps);
    results.training = comparison;
    const suggestion = suggestTraining(comparison, input.spec.name, results.model.exitNames);
    if (suggestion !== undefined) results.suggestions.push(suggestion);
    if (other.cacheProblem !== undefined) results.flags.push({ code: 'weights-cache-replaced', severity: 'warning', message: `The cached weights of ${label} were damaged, not used, and retrained: ${other.cacheProblem}` });
    results.provenance.seconds = (performance.now() - started) / 1000;
  } finally {
    other.model.dispose();
  }
}

/** Disposes a run's data and models; tensors of a failed backend may refuse, which must not hide the real error. */
function disposeRun(data: DataSplit, weights: Weights | undefined): void {
  try {
    weights?.model.dispose();
    weights?.twin?.dispose();
    tf.dispose([data.train.x, data.train.y, data.test.x, data.test.y]);
  } catch {
    // The backend is gone; its memory went with it.
  }
}

interface AttackOutcome {
  spec: AttackSpec;
  eps: number;
  out: AttackPassOutput;
  result: AttackResult;
}

/** What every step of one measurement reads: the models, the test split, the plan and the caller's options. */
interface Measurement {
  options: CheckOptions;
  plan: Plan;
  spec: ModelSpec;
  model: DynamicModel;
  twin: DynamicModel | undefined;
  x: DataSplit['test']['x'];
  y: DataSplit['test']['y'];
  labels: Int32Array;
  n: number;
}

/** The clean pass: what every attack is compared with. */
interface CleanMeasurement {
  pass: Awaited<ReturnType<DynamicModel['runDynamic']>>;
  recording: ExitRecording;
  figures: CleanFigures;
  /** The static twin's predictions on clean inputs, when there is a twin. */
  twinPrediction: Int32Array | undefined;
}

async function measure(
  input: CheckInput,
  options: CheckOptions,
  plan: Plan,
  spec: ModelSpec,
  data: DataSplit,
  weights: Weights,
  backend: { backend: string; backendReason: string },
  started: number,
): Promise<Results> {
  const { x, y } = data.test;
  const m: Measurement = { options, plan, spec, model: weights.model, twin: weights.twin, x, y, labels: Int32Array.from(await y.data()), n: x.shape[0] ?? 0 };
  const { model, labels, n } = m;
  const flags: SanityFlag[] = [];
  if (weights.cacheProblem !== undefined) flags.push({ code: 'weights-cache-replaced', severity: 'warning', message: `The cached weights were damaged, not used, and retrained: ${weights.cacheProblem}` });
  const clean = await measureClean(m, flags);
  for (const f of saturatedExitFlags(model.exitNames, saturationShares(clean.recording.probs, clean.recording.classes))) flags.push(toResultFlag(f));
  const outcomes = await runAttacks(m, clean);
  try {
    for (const o of outcomes) {
      if (isAccuracyAttack(o.spec.kind)) {
        const f = robustAboveCleanFlag(o.result.robustAccuracy, clean.figures.accuracy, `${o.result.id} (dynamic inference)`);
        if (f) flags.push(toResultFlag(f));
      }
    }
    for (const a of new Set(outcomes.filter((o) => isAccuracyAttack(o.spec.kind)).map((o) => o.spec.id))) {
      const runs = outcomes.filter((o) => o.spec.id === a).map((o) => o.result);
      for (const f of risingWithEpsFlags(runs, n)) {
        flags.push(toResultFlag(f));
        runs.find((r) => f.message.startsWith(`${r.id}:`))?.flags.push(toResultFlag(f));
      }
    }
    const { transfer, efficiency } = twinStudies(m, clean, outcomes);
    const { sweeps, suggestions } = await designSweeps(m, clean, outcomes, geometryOf(spec, weights.costs));
    const attacks = outcomes.map((o) => o.result);
    const findings =
      options.findings === true
        ? [transferAsymmetry(transfer, { samples: n, dynamicCleanAccuracy: clean.figures.accuracy }), generationEfficiency(efficiency), designChoices(sweeps), mechanismAttack(attacks, clean.figures, hijackRates(clean.pass, labels, model.exitNames.length).rate)]
        : [];
    return {
      version: RESULTS_VERSION,
      model: {
        name: input.spec.name,
        specHash: input.specHash,
        file: input.file,
        exitNames: [...model.exitNames],
        gateNames: [...model.gateNames],
        exitFlopsShare: model.flopsAtExit.map((f) => clamp01(model.fullFlops > 0 ? f / model.fullFlops : 0)),
        fullFlops: model.fullFlops,
        ...(spec.data.source === 'fashion-mnist' ? { classNames: [...FASHION_CLASS_NAMES] } : {}),
      },
      provenance: {
        ...backend,
        seed: plan.seed,
        samples: n,
        seconds: (performance.now() - started) / 1000,
        date: new Date().toISOString(),
        toolVersion: currentToolVersion(),
        tfjsVersion: tfjsVersion(),
        weights: weights.description,
        data: data.test.description,
      },
      clean: clean.figures,
      attacks,
      transfer,
      efficiency,
      sweeps,
      suggestions,
      findings,
      samples: sampleRecords(labels, clean.pass, outcomes),
      gallery: buildGallery(outcomes, clean.recording, labels, spec),
      flags,
    };
  } finally {
    for (const o of outcomes) tf.dispose([o.out.xAdv, o.out.staticCraftedXAdv].filter((t): t is tf.Tensor => t !== undefined));
  }
}

async function measureClean(m: Measurement, flags: SanityFlag[]): Promise<CleanMeasurement> {
  const { model, twin, x, labels, plan } = m;
  const exits = model.exitNames.length;
  report(m.options, { phase: 'clean', fraction: 0, message: `Clean evaluation of ${m.n} samples` });
  const pass = await model.runDynamic(x, { batchSize: plan.batchSize });
  const recording = await recordExits(model, x, plan.batchSize);
  const summary = summarizePass(pass, labels, model.flopsAtExit, model.fullFlops, model.gateNames.length);
  const work = executedFlopsFlag(pass, 'clean inputs');
  if (work !== undefined) flags.push(work);
  const perExit = perExitAccuracy(recording.probs, labels, recording.classes);
  const figures = { ...summary, perExitAccuracy: perExit, finalExitAccuracy: perExit[exits - 1] ?? 0 };
  const twinPrediction = twin !== undefined ? (await twin.runDynamic(x, { batchSize: plan.batchSize })).prediction : undefined;
  return { pass, recording, figures, twinPrediction };
}

/** Every attack of the plan at every eps, in order; each result is handed to onAttackResult as soon as it is measured. */
async function runAttacks(m: Measurement, clean: CleanMeasurement): Promise<AttackOutcome[]> {
  const { model, twin, x, y, labels, plan, options, spec } = m;
  const policy = exitDecider(policyFromSpec(spec.policy, spec.exits));
  const units = plan.attacks.reduce((s, a) => s + a.eps.length, 0) * Math.ceil(m.n / plan.batchSize);
  let doneUnits = 0;
  const attackStart = performance.now();
  const outcomes: AttackOutcome[] = [];
  const keepAdversarial = plan.studies.has('sweep') && model.gateNames.length > 0;
  const galleryCount = spec.input.shape.length === 3 ? (options.galleryCount ?? DEFAULT_GALLERY) : 0;
  // Seeds follow the attack's place in the file, so `--attack ID` reproduces the full check's figures and an
  // ensemble's PGD member equals the attack run on its own.
  const seedOf = (a: AttackSpec, eps: number): number => runSeed(plan.seed, spec.checks.attacks, a, eps);
  const ensembles = plan.attacks.filter((a) => a.kind === 'ensemble');
  const ensembleNeeds = (a: AttackSpec, eps: number): boolean =>
    a.kind === 'pgd' && ensembles.some((e) => e.norm === a.norm && e.eps.includes(eps));
  for (const a of plan.attacks) {
    if (a.kind === 'ensemble') continue;
    const largest = Math.max(...a.eps);
    for (const eps of a.eps) {
      const out = await runAttackPass({
        model,
        ...(twin !== undefined ? { twin } : {}),
        x,
        y,
        labels,
        cleanPrediction: clean.pass.prediction,
        attack: a,
        eps,
        seed: seedOf(a, eps),
        batchSize: plan.batchSize,
        policy,
        recordStaticCrafted: plan.studies.has('sweep') && eps === largest,
        galleryCount,
        keepAdversarial: (keepAdversarial && eps === largest) || ensembleNeeds(a, eps),
        ...(options.cancel ? { cancel: options.cancel } : {}),
        onBatch: () => {
          doneUnits++;
          const elapsed = (performance.now() - attackStart) / 1000;
          report(options, {
            phase: 'attack',
            fraction: doneUnits / units,
            message: `${a.id} eps ${eps}: batch ${doneUnits} of ${units}`,
            etaSeconds: (elapsed / doneUnits) * (units - doneUnits),
          });
        },
      });
      const outcome = { spec: a, eps, out, result: attackResultOf(a, eps, out, clean.figures, labels, clean.pass.prediction, model) };
      outcomes.push(outcome);
      options.onAttackResult?.(outcome.result);
    }
  }
  for (const e of ensembles) {
    for (const eps of e.eps) {
      const outcome = await runEnsembleOutcome(m, clean, e, eps, outcomes, seedOf, policy, galleryCount);
      outcomes.push(outcome);
      options.onAttackResult?.(outcome.result);
    }
  }
  return outcomes;
}

/** One ensemble at one eps: its members in order, the worst case, and its figures as an attack result. */
async function runEnsembleOutcome(
  m: Measurement,
  clean: CleanMeasurement,
  e: AttackSpec,
  eps: number,
  outcomes: readonly AttackOutcome[],
  seedOf: (a: AttackSpec, eps: number) => number,
  policy: ReturnType<typeof exitDecider>,
  galleryCount: number,
): Promise<AttackOutcome> {
  const { model, x, y, labels, plan, options, spec } = m;
  if (options.ensemblePreset !== undefined) e = { ...e, preset: options.ensemblePreset };
  // Its PGD members are the file's PGD attacks (with this run's --steps), whether or not --attack selected them.
  const pgds = spec.checks.attacks.filter((a) => a.kind === 'pgd').map((a) => (plan.steps !== undefined ? { ...a, steps: plan.steps } : a));
  const members = planMembers(e, eps, model.classes, pgds, (a) => seedOf(a, eps));
  const exits = model.exitNames.length;
  const cleanFinalPrediction = argMaxRows(clean.recording.probs[exits - 1] ?? new Float32Array(0), clean.recording.classes);
  const started = performance.now();
  const run = await runEnsemble({
    model,
    x,
    y,
    labels,
    cleanPrediction: clean.pass.prediction,
    cleanFinalPrediction,
    ensemble: e,
    eps,
    members,
    seed: seedOf(e, eps),
    batchSize: plan.batchSize,
    policy,
    galleryCount,
    reused: (a) => {
      const o = outcomes.find((k) => k.spec.id === a.id && k.eps === eps && k.out.xAdv !== undefined && (plan.steps === undefined || k.spec.steps === plan.steps));
      return o === undefined ? undefined : { resultId: o.result.id, out: o.out };
    },
    runPgd: (a, seed) =>
      runAttackPass({ model, x, y, labels, cleanPrediction: clean.pass.prediction, attack: a, eps, seed, batchSize: plan.batchSize, policy, recordStaticCrafted: false, galleryCount: 0, keepAdversarial: true, ...(options.cancel ? { cancel: options.cancel } : {}) }),
    ...(options.cancel ? { cancel: options.cancel } : {}),
    onMember: (done, total, name, detail) => {
      const elapsed = (performance.now() - started) / 1000;
      report(options, {
        phase: 'attack',
        fraction: done / total,
        message: `${e.id} eps ${eps}: member ${done + 1} of ${total} (${name})${detail !== undefined ? `, ${detail}` : ''}`,
        ...(done > 0 ? { etaSeconds: (elapsed / done) * (total - done) } : {}),
      });
    },
  });
  const base = attackResultOf(e, eps, run.out, clean.figures, labels, clean.pass.prediction, model);
  const result: AttackResult = {
    ...base,
    loss: 'worst case',
    robustAccuracy: run.robustAccuracy,
    finalExitRobustAccuracy: run.finalExitRobustAccuracy,
    ensemble: { preset: e.preset ?? 'thorough', members: run.members },
  };
  return { spec: e, eps, out: run.out, result };
}

/** Transfer between the DyNN and its static twin, and the cost of a successful example on each (the paper's RQ1, RQ2). */
function twinStudies(m: Measurement, clean: CleanMeasurement, outcomes: readonly AttackOutcome[]): { transfer: TransferResult[]; efficiency: EfficiencyResult[] } {
  const { model, twin, labels, plan } = m;
  const twinClean = clean.twinPrediction;
  const transfer: TransferResult[] = [];
  const efficiency: EfficiencyResult[] = [];
  for (const o of outcomes) {
    const st = o.out.staticSide;
    if (st === undefined || twinClean === undefined || twin === undefined) continue;
    if (plan.studies.has('transfer')) {
      transfer.push({
        attackId: o.spec.id,
        eps: o.eps,
        matrix: [
          [successRate(clean.pass.prediction, o.out.pass.prediction, labels), successRate(twinClean, st.staticOnDynamicCrafted, labels)],
          [successRate(clean.pass.prediction, st.dynamicOnStaticCrafted, labels), successRate(twinClean, st.staticOnStaticCrafted, labels)],
        ],
        staticCleanAccuracy: accuracy(twinClean, labels),
      });
    }
    if (plan.studies.has('efficiency')) {
      const base = { attackId: o.spec.id, eps: o.eps };
      efficiency.push(
        efficiencyOf({ ...base, model: 'dynamic', successes: successCount(clean.pass.prediction, o.out.pass.prediction, labels).successes, gradEvals: o.out.gradEvals, forwardFlops: model.fullFlops, seconds: o.out.seconds }),
        efficiencyOf({ ...base, model: 'static', successes: successCount(twinClean, st.staticOnStaticCrafted, labels).successes, gradEvals: st.gradEvals, forwardFlops: twin.fullFlops, seconds: st.seconds }),
      );
    }
  }
  return { transfer, efficiency };
}

/** The design sweep on each attack's largest eps (the paper's RQ3), and the suggestions it measures. */
async function designSweeps(
  m: Measurement,
  clean: CleanMeasurement,
  outcomes: readonly AttackOutcome[],
  geometry: ReturnType<typeof geometryOf>,
): Promise<{ sweeps: SweepResult[]; suggestions: Suggestion[] }> {
  const { model, x, labels, plan, options, spec } = m;
  const sweeps: SweepResult[] = [];
  const suggestionLists: Suggestion[][] = [];
  if (!plan.studies.has('sweep')) return { sweeps, suggestions: [] };
  report(options, { phase: 'sweep', fraction: 0, message: 'Design sweep' });
  for (const o of outcomes) {
    if (o.eps !== Math.max(...o.spec.eps)) continue;
    options.cancel?.throwIfCancelled();
    const gateReplay = (xAdv: tf.Tensor | undefined): ((gateThresholds: number[]) => Promise<DesignPasses>) | undefined =>
      xAdv !== undefined
        ? async (gateThresholds: number[]): Promise<DesignPasses> => ({
            clean: await model.runDynamic(x, { batchSize: plan.batchSize, gateThresholds }),
            adversarial: await model.runDynamic(xAdv, { batchSize: plan.batchSize, gateThresholds }),
          })
        : undefined;
    const evaluateGates = gateReplay(o.out.xAdv);
    const swept = await runSweep({ spec, geometry, labels, clean: clean.recording, adversarial: o.out.recording, attackId: o.spec.id, eps: o.eps, ...(evaluateGates ? { evaluateGates } : {}) });
    sweeps.push(swept.result);
    if (informsDesign(o.spec)) suggestionLists.push(suggestFromSweep(swept.evaluated, o.spec.id, o.eps, o.spec.kind));
    const staticRec: ExitRecording | undefined = o.out.staticSide?.dynamicRecordingOnStaticCrafted;
    if (staticRec !== undefined) {
      const staticGates = gateReplay(o.out.staticCraftedXAdv);
      const fromStatic = await runSweep({ spec, geometry, labels, clean: clean.recording, adversarial: staticRec, attackId: `static:${o.spec.id}`, eps: o.eps, ...(staticGates ? { evaluateGates: staticGates } : {}) });
      sweeps.push(fromStatic.result);
    }
  }
  return { sweeps, suggestions: mergeSuggestions(suggestionLists) };
}

/**
 * Whether replaying a design on this attack's examples says anything about that design. The examples are crafted
 * against the file's design and replayed unchanged; an attack on one exit (loss 'final' or 'exit:<name>') looks
 * "defeated" by any design that answers elsewhere, which an adaptive attacker would simply target. Attacks on every
 * exit (average, maxAverage, taken) and the mechanism attacks do not have that blind spot.
 */
function informsDesign(a: AttackSpec): boolean {
  if (a.kind !== 'fgsm' && a.kind !== 'pgd') return true;
  const loss = a.loss ?? 'final';
  return loss === 'average' || loss === 'maxAverage' || loss === 'taken';
}

function report(options: CheckOptions, p: Progress): void {
  options.onProgress?.(p);
}

function deriveRunSeed(seed: number, attackIndex: number, epsIndex: number): number {
  return seed * 1_000_003 + attackIndex * 1009 + epsIndex * 101;
}

/**
 * The seed of an attack at one eps: from its index in the file and the eps's index in its own list (an eps it
 * does not list, e.g. an ensemble's, gets an index past the list's end).
 */
function runSeed(seed: number, fileAttacks: readonly AttackSpec[], a: AttackSpec, eps: number): number {
  const ai = Math.max(0, fileAttacks.findIndex((k) => k.id === a.id));
  const listed = a.eps.indexOf(eps);
  return deriveRunSeed(seed, ai, listed >= 0 ? listed : a.eps.length + Math.round(eps * 1e6));
}
