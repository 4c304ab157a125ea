// The worst-case ensemble check (AutoAttack's standard version, made exit-aware): APGD-CE and APGD-T against the
// final exit, then against the exit each sample takes, then the file's exit-aware PGDs. Each APGD member attacks
// only the samples still standing; a sample is robust only if every member failed. Robust accuracy is reported for
// the dynamic prediction (the exit the policy picks on the adversarial input) and for the final exit.
// A PGD member is the file's own attack with its own seed on every sample (reused when the check ran it already),
// so the ensemble can never report more robustness than that attack alone.
import * as tf from '@tensorflow/tfjs';
import { attack, dlrRefusal, randomNoise, selectRows, type AttackConfig, type ExitDecider, type SanityFlag as AttackFlag } from '../attacks';
import { APGD_STEPS } from '../attacks/defaults';
import type { CancelToken, DynamicModel } from '../engine/types';
import type { AttackSpec } from '../modelfile/types';
import type { EnsembleMember } from '../protocol/results';
import { copyRun, deriveSeed, emptyPass, noiseFigures, type AttackPassOutput, type GalleryCandidate } from './attackPass';
import { argMaxRows } from './metrics';
import { perturbationNorms, readImages, recordExits } from './recording';

export type EnsemblePreset = 'thorough' | 'quick';

/** Budgets per preset. thorough: AutoAttack's 100 iterations and 9 targets, plus restarts for APGD-CE. */
export const ENSEMBLE_PRESETS: Readonly<Record<EnsemblePreset, { steps: number; restarts: number; targets: number }>> = {
  thorough: { steps: APGD_STEPS, restarts: 3, targets: 9 },
  quick: { steps: 20, restarts: 1, targets: 3 },
};

/** One planned member: an APGD configuration, or one of the file's PGD attacks at the ensemble's eps. */
export type MemberPlan =
  | { kind: 'apgd'; name: string; config: AttackConfig; skipped?: string }
  | { kind: 'pgd'; name: string; spec: AttackSpec; seed: number };

/**
 * The members in the order they run: APGD-CE and APGD-T at the final exit, the same at the exit each sample takes,
 * then every PGD of the file with the ensemble's norm. `pgdSeed(spec)` is the seed that attack uses on its own.
 */
export function planMembers(
  ensemble: AttackSpec,
  eps: number,
  classes: number,
  pgds: readonly AttackSpec[],
  pgdSeed: (spec: AttackSpec) => number,
): MemberPlan[] {
  const preset = ENSEMBLE_PRESETS[ensemble.preset ?? 'thorough'];
  const steps = ensemble.steps ?? preset.steps;
  const restarts = ensemble.restarts ?? preset.restarts;
  const targets = Math.min(ensemble.targets ?? preset.targets, classes - 1);
  const members: MemberPlan[] = [];
  for (const loss of ['final', 'taken'] as const) {
    members.push({ kind: 'apgd', name: `APGD-CE, loss ${loss}`, config: { kind: 'apgd', norm: ensemble.norm, eps, steps, restarts, criterion: 'ce', loss } });
    const refusal = dlrRefusal(classes, true);
    members.push({
      kind: 'apgd',
      name: `APGD-T (DLR, ${Math.max(targets, 0)} targets), loss ${loss}`,
      config: { kind: 'apgd', norm: ensemble.norm, eps, steps, restarts: 1, criterion: 'dlr', targets: Math.max(targets, 1), loss },
      ...(refusal !== undefined ? { skipped: refusal } : {}),
    });
  }
  for (const p of pgds) {
    if (p.kind !== 'pgd' || p.norm !== ensemble.norm) continue;
    members.push({ kind: 'pgd', name: p.id, spec: p, seed: pgdSeed(p) });
  }
  return members;
}

/** A PGD member's examples from the check's own run of that attack (same eps and seed). */
export interface ReusedPass {
  resultId: string;
  out: AttackPassOutput;
}

export interface EnsembleInput {
  model: DynamicModel;
  x: tf.Tensor;
  y: tf.Tensor1D;
  labels: Int32Array;
  cleanPrediction: Int32Array;
  /** Final-exit prediction on the clean inputs. */
  cleanFinalPrediction: Int32Array;
  ensemble: AttackSpec;
  eps: number;
  members: readonly MemberPlan[];
  seed: number;
  batchSize: number;
  policy: ExitDecider;
  galleryCount: number;
  /** Finds the check's own pass of a PGD attack at this eps, when it ran. */
  reused: (spec: AttackSpec) => ReusedPass | undefined;
  /** Runs a PGD attack on every sample with its own seed, keeping its examples (when it was not reused). */
  runPgd: (spec: AttackSpec, seed: number) => Promise<AttackPassOutput>;
  cancel?: CancelToken;
  /** Before each member, and after each batch of an APGD member (`detail` says which). */
  onMember?: (done: number, total: number, name: string, detail?: string) => void;
}

export interface EnsembleOutput {
  /** The assembled worst case: per sample the example that broke its dynamic prediction first, else the last tried
   *  (`out.xAdv`, which the caller disposes). */
  out: AttackPassOutput;
  members: EnsembleMember[];
  /** Worst case over every member: share of samples whose dynamic / final-exit answer survived all. */
  robustAccuracy: number;
  finalExitRobustAccuracy: number;
}

/** Per-sample state of the worst case while members run. */
interface Standing {
  dynamic: Uint8Array;
  final: Uint8Array;
  /** The example each sample will be evaluated on (the clean input until a member tries it). */
  assembled: tf.Tensor;
}

export async function runEnsemble(input: EnsembleInput): Promise<EnsembleOutput> {
  const { x, labels, members } = input;
  const n = labels.length;
  const standing: Standing = {
    dynamic: Uint8Array.from(labels, (l, i) => (input.cleanPrediction[i] === l ? 1 : 0)),
    final: Uint8Array.from(labels, (l, i) => (input.cleanFinalPrediction[i] === l ? 1 : 0)),
    assembled: tf.clone(x),
  };
  const results: EnsembleMember[] = [];
  const flags: AttackFlag[] = [];
  let gradEvals = 0;
  let seconds = 0;
  try {
    for (const [mi, plan] of members.entries()) {
      input.cancel?.throwIfCancelled();
      input.onMember?.(mi, members.length, plan.name);
      const before = { dynamic: Uint8Array.from(standing.dynamic), final: Uint8Array.from(standing.final) };
      let member: Omit<EnsembleMember, 'brokeFirst' | 'brokeFirstFinalExit' | 'robustAccuracyAfter' | 'finalExitRobustAccuracyAfter'>;
      if (plan.kind === 'apgd') {
        if (plan.skipped !== undefined) {
          member = { ...apgdDescription(plan), attacked: 0, gradEvals: 0, seconds: 0, skipped: plan.skipped };
        } else {
          const r = await runApgdMember(input, plan, mi, standing, flags);
          member = { ...apgdDescription(plan), ...r };
        }
      } else {
        const r = await runPgdMember(input, plan, standing);
        member = r;
      }
      gradEvals += member.gradEvals;
      seconds += member.seconds;
      results.push({
        ...member,
        brokeFirst: brokenNow(before.dynamic, standing.dynamic),
        brokeFirstFinalExit: brokenNow(before.final, standing.final),
        robustAccuracyAfter: share(standing.dynamic),
        finalExitRobustAccuracyAfter: share(standing.final),
      });
    }
    const out = await assembledPass(input, standing.assembled, gradEvals, seconds, flags);
    // The assembled examples travel on as the outcome's xAdv (design sweeps re-run inference on them).
    return { out: { ...out, xAdv: standing.assembled }, members: results, robustAccuracy: share(standing.dynamic), finalExitRobustAccuracy: share(standing.final) };
  } catch (error) {
    standing.assembled.dispose();
    throw error;
  }

  function share(a: Uint8Array): number {
    let s = 0;
    for (const v of a) s += v;
    return n > 0 ? s / n : 0;
  }
}

function apgdDescription(plan: Extract<MemberPlan, { kind: 'apgd' }>): Pick<EnsembleMember, 'name' | 'kind' | 'loss' | 'criterion' | 'steps' | 'restarts'> & { targets?: number } {
  return {
    name: plan.name,
    kind: 'apgd',
    loss: plan.config.loss ?? 'final',
    criterion: plan.config.criterion ?? 'ce',
    ...(plan.config.targets !== undefined ? { targets: plan.config.targets } : {}),
    steps: plan.config.steps ?? APGD_STEPS,
    restarts: plan.config.restarts ?? 1,
  };
}

function brokenNow(before: Uint8Array, after: Uint8Array): number[] {
  const out: number[] = [];
  before.forEach((b, i) => {
    if (b === 1 && after[i] === 0) out.push(i);
  });
  return out;
}

/** Final-exit predictions for a batch of inputs (one forward pass). */
async function finalPredictions(model: DynamicModel, x: tf.Tensor): Promise<Int32Array> {
  const t = tf.tidy(() => {
    const exits = model.forwardAll(x).exits;
    const last = exits[exits.length - 1];
    if (last === undefined) throw new Error(`model '${model.name}' returned no exits`);
    return tf.argMax(last, 1);
  });
  const values = Int32Array.from(await t.data());
  t.dispose();
  return values;
}

/** Writes `rows` of `values` into `into` (same per-sample shape) at sample indices `at`; returns the new tensor. */
function writeRows(into: tf.Tensor, at: readonly number[], values: tf.Tensor): tf.Tensor {
  if (at.length === 0) return into;
  const next = tf.tidy(() => {
    const index = tf.tensor2d([...at], [at.length, 1], 'int32');
    const n = into.shape[0] ?? 0;
    const mask = tf.scatterND(index, tf.ones([at.length]), [n]);
    const spread = tf.scatterND(index, values, into.shape);
    return selectRows(mask, spread, into);
  });
  into.dispose();
  return next;
}

/** An APGD member on the samples still standing (for the dynamic or the final-exit answer), in batches. */
async function runApgdMember(
  input: EnsembleInput,
  plan: Extract<MemberPlan, { kind: 'apgd' }>,
  memberIndex: number,
  standing: Standing,
  flags: AttackFlag[],
): Promise<{ attacked: number; gradEvals: number; seconds: number }> {
  const { model, x, y, labels } = input;
  // A member attacks the samples whose answer at its exit still stands (AutoAttack runs each attack on the points
  // still classified correctly): the final exit's for loss 'final', the dynamic one's for 'taken'.
  const loss = plan.config.loss ?? 'final';
  const aims = (i: number): boolean =>
    loss === 'final' ? standing.final[i] === 1 : loss === 'taken' ? standing.dynamic[i] === 1 : standing.dynamic[i] === 1 || standing.final[i] === 1;
  const open: number[] = [];
  for (let i = 0; i < labels.length; i++) if (aims(i)) open.push(i);
  let gradEvals = 0;
  let seconds = 0;
  // Samples whose dynamic answer this member's own example left correct, and those random noise left correct:
  // a member must do better than noise on the samples it attacked.
  let survived = 0;
  let noiseSurvived = 0;
  let dynamicAttacked = 0;
  for (let begin = 0; begin < open.length; begin += input.batchSize) {
    input.cancel?.throwIfCancelled();
    input.onMember?.(memberIndex, input.members.length, plan.name, `batch ${begin / input.batchSize + 1} of ${Math.ceil(open.length / input.batchSize)}, ${open.length} samples standing`);
    const rows = open.slice(begin, begin + input.batchSize);
    const seed = deriveSeed(input.seed, memberIndex, begin / input.batchSize);
    const index = tf.tensor1d(rows, 'int32');
    const xb = tf.gather(x, index);
    const yb = tf.gather(y, index);
    index.dispose();
    try {
      const res = await attack(model, xb, yb, plan.config, { seed, policy: input.policy, ...(input.cancel ? { cancel: input.cancel } : {}) });
      try {
        gradEvals += res.gradEvals;
        seconds += res.seconds;
        for (const f of res.flags) if (!flags.some((g) => g.code === f.code)) flags.push({ ...f, message: `${plan.name}: ${f.message}` });
        const dyn = (await model.runDynamic(res.xAdv, { batchSize: input.batchSize })).prediction;
        const fin = await finalPredictions(model, res.xAdv);
        const noisy = randomNoise(model, xb, plan.config.eps, plan.config.norm, seed);
        const noise = (await model.runDynamic(noisy, { batchSize: input.batchSize })).prediction;
        noisy.dispose();
        // The example replaces the sample's assembled one unless an earlier member already broke its dynamic answer.
        const replace: number[] = [];
        const replaceRows: number[] = [];
        rows.forEach((s, k) => {
          const label = labels[s];
          if (standing.dynamic[s] === 1) {
            dynamicAttacked++;
            if (dyn[k] === label) survived++;
            if (noise[k] === label) noiseSurvived++;
            replace.push(s);
            replaceRows.push(k);
            if (dyn[k] !== label) standing.dynamic[s] = 0;
          }
          if (standing.final[s] === 1 && fin[k] !== label) standing.final[s] = 0;
        });
        const picked = tf.gather(res.xAdv, replaceRows);
        standing.assembled = writeRows(standing.assembled, replace, picked);
        picked.dispose();
      } finally {
        res.xAdv.dispose();
      }
    } finally {
      tf.dispose([xb, yb]);
    }
  }
  if (dynamicAttacked > 0 && survived > noiseSurvived) {
    flags.push({
      code: 'weaker-than-noise',
      severity: 'error',
      message: `${plan.name}: on the ${dynamicAttacked} samples it attacked, its examples left ${survived} dynamic answers correct, random noise of the same norm and radius only ${noiseSurvived}: this member's gradient is misleading (gradient masking, often a saturated exit) or it is misconfigured, so it adds nothing to the worst case.`,
    });
  }
  return { attacked: open.length, gradEvals, seconds };
}

/** A PGD member: the file's attack on every sample with its own seed; only samples still standing can fall. */
async function runPgdMember(
  input: EnsembleInput,
  plan: Extract<MemberPlan, { kind: 'pgd' }>,
  standing: Standing,
): Promise<Omit<EnsembleMember, 'brokeFirst' | 'brokeFirstFinalExit' | 'robustAccuracyAfter' | 'finalExitRobustAccuracyAfter'>> {
  const { labels } = input;
  const reused = input.reused(plan.spec);
  const out = reused?.out ?? (await input.runPgd(plan.spec, plan.seed));
  try {
    if (out.xAdv === undefined) throw new Error(`the ensemble needs the examples of '${plan.spec.id}', and its pass did not keep them`);
    const classes = out.recording.classes;
    const final = argMaxRows(out.recording.probs[out.recording.probs.length - 1] ?? new Float32Array(0), classes);
    let attacked = 0;
    const replace: number[] = [];
    labels.forEach((label, s) => {
      if (standing.dynamic[s] === 1 || standing.final[s] === 1) attacked++;
      if (standing.dynamic[s] === 1) {
        replace.push(s);
        if (out.pass.prediction[s] !== label) standing.dynamic[s] = 0;
      }
      if (standing.final[s] === 1 && final[s] !== label) standing.final[s] = 0;
    });
    const picked = tf.gather(out.xAdv, replace);
    standing.assembled = writeRows(standing.assembled, replace, picked);
    picked.dispose();
    return {
      name: plan.name,
      kind: 'pgd',
      loss: plan.spec.loss ?? 'final',
      steps: out.resolved.steps,
      restarts: out.resolved.restarts,
      attacked,
      gradEvals: out.gradEvals,
      seconds: out.seconds,
      ...(reused !== undefined ? { reusedFrom: reused.resultId } : {}),
    };
  } finally {
    // A reused pass belongs to its own outcome; one run here is ours.
    if (reused === undefined) out.xAdv?.dispose();
  }
}

/** Evaluates the assembled worst case like any attack pass: dynamic inference, every exit, norms, noise, gallery. */
async function assembledPass(input: EnsembleInput, xAdv: tf.Tensor, gradEvals: number, seconds: number, flags: AttackFlag[]): Promise<AttackPassOutput> {
  const { model, x, labels, batchSize } = input;
  const n = labels.length;
  const gates = model.gateNames.length;
  const pass = emptyPass(n, model);
  const noisePass = emptyPass(n, model);
  let noiseFinalHits = 0;
  for (let begin = 0; begin < n; begin += batchSize) {
    const size = Math.min(batchSize, n - begin);
    const xb = tf.slice(xAdv, begin, size);
    const cb = tf.slice(x, begin, size);
    const noisy = randomNoise(model, cb, input.eps, input.ensemble.norm, deriveSeed(input.seed, 999, begin));
    try {
      copyRun(pass, await model.runDynamic(xb, { batchSize }), begin, gates);
      copyRun(noisePass, await model.runDynamic(noisy, { batchSize }), begin, gates);
      const fin = await finalPredictions(model, noisy);
      fin.forEach((p, k) => {
        if (p === labels[begin + k]) noiseFinalHits++;
      });
    } finally {
      tf.dispose([xb, cb, noisy]);
    }
  }
  const recording = await recordExits(model, xAdv, batchSize);
  const norms = await perturbationNorms(x, xAdv, input.ensemble.norm);
  const gallery: GalleryCandidate[] = [];
  const picks: number[] = [];
  for (let i = 0; i < n && picks.length < input.galleryCount; i++) if (input.cleanPrediction[i] === labels[i] && pass.prediction[i] !== labels[i]) picks.push(i);
  const [orig, adv] = [await readImages(x, picks), await readImages(xAdv, picks)];
  picks.forEach((i, k) => gallery.push({ index: i, original: orig[k] ?? [], adversarial: adv[k] ?? [] }));
  const preset = ENSEMBLE_PRESETS[input.ensemble.preset ?? 'thorough'];
  const steps = input.ensemble.steps ?? preset.steps;
  const restarts = input.ensemble.restarts ?? preset.restarts;
  return {
    config: { kind: 'ensemble', norm: input.ensemble.norm, eps: input.eps },
    resolved: { step: 2 * input.eps, steps, restarts, randomStart: true },
    pass,
    recording,
    norms,
    gradEvals,
    seconds,
    flags,
    noise: noiseFigures(noisePass, labels, noiseFinalHits),
    gallery,
  };
}
