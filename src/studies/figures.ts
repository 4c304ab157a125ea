// Turning one attack pass into the figures of the Results document: the attack's AttackResult (aggregates and
// sanity flags against the random-noise baseline) and the per-sample records.
import { weakerThanNoiseFlag, type SanityFlag as AttackFlag } from '../attacks';
import { costModelFlops, executedDisagrees } from '../engine/executed';
import type { DynamicModel } from '../engine/types';
import type { AttackSpec } from '../modelfile/types';
import type { AttackPassOutput } from './attackPass';
import { hijackRates, maxOf, mean, perExitAccuracy, successRate, summarizePass, type PassRecord } from './metrics';
import type { AttackResult, SampleRecord, SanityFlag } from '../protocol/results';

export function toResultFlag(f: AttackFlag): SanityFlag {
  return { code: f.code, severity: f.severity === 'error' ? 'error' : 'warning', message: f.message };
}

/**
 * Flag when the FLOPs counted from the rows each part of the network ran on differ from what the cost model
 * charges for the exits and gates the samples took: the skip dynamic inference promises did not happen as priced.
 */
export function executedFlopsFlag(pass: PassRecord, label: string): SanityFlag | undefined {
  if (pass.executed === undefined) return undefined;
  const n = Math.max(1, pass.prediction.length);
  const counted = pass.executed.flops;
  const priced = costModelFlops(pass.flops);
  if (!executedDisagrees(counted, priced)) return undefined;
  return {
    code: 'executed-flops-mismatch',
    severity: 'error',
    message: `${label}: the network executed ${(counted / n).toFixed(0)} FLOPs per sample (counted from the rows each segment, exit head and gate actually ran on) but the cost model charges ${(priced / n).toFixed(0)} for the exits and gates the samples took: dynamic inference did not skip the work its exits save (or the cost model misprices a part). The FLOPs shown are the executed ones.`,
  };
}

export function isAccuracyAttack(kind: string): boolean {
  return kind === 'fgsm' || kind === 'pgd' || kind === 'hijack' || kind === 'apgd' || kind === 'ensemble';
}

export function attackResultOf(
  a: AttackSpec,
  eps: number,
  out: AttackPassOutput,
  clean: { accuracy: number; eec: number; meanFlopsRatio: number },
  labels: Int32Array,
  cleanPrediction: Int32Array,
  model: DynamicModel,
): AttackResult {
  const exits = model.exitNames.length;
  const gates = model.gateNames.length;
  const summary = summarizePass(out.pass, labels, model.flopsAtExit, model.fullFlops, gates);
  const perExit = perExitAccuracy(out.recording.probs, labels, out.recording.classes);
  const hijack = hijackRates(out.pass, labels, exits);
  const id = `${a.id}@${eps}`;
  const flags: SanityFlag[] = out.flags.map(toResultFlag);
  for (const f of [executedFlopsFlag(out.pass, id), executedFlopsFlag(out.noise.pass, `${id} (random-noise baseline)`)]) if (f !== undefined) flags.push(f);
  if (isAccuracyAttack(a.kind)) {
    const f = weakerThanNoiseFlag(summary.accuracy, out.noise.dynamicAccuracy, `${id} (dynamic inference)`);
    if (f) flags.push(toResultFlag(f));
    const finalAcc = perExit[exits - 1] ?? 0;
    if ((a.loss ?? 'final') === 'final' && a.kind !== 'hijack') {
      const g = weakerThanNoiseFlag(finalAcc, out.noise.finalAccuracy, `${id} (final exit)`);
      if (g && !flags.some((x) => x.code === g.code)) flags.push(toResultFlag(g));
    }
  } else {
    // Slowdown and gate attacks aim at cost: they must push cost above what random noise does.
    const noise = summarizePass(out.noise.pass, labels, model.flopsAtExit, model.fullFlops, gates);
    if (summary.meanFlopsRatio < noise.meanFlopsRatio) {
      flags.push({
        code: 'weaker-than-noise',
        severity: 'error',
        message: `${id}: mean executed FLOPs under the attack (${(100 * summary.meanFlopsRatio).toFixed(1)}%) are below those under random noise of the same norm (${(100 * noise.meanFlopsRatio).toFixed(1)}%): the gradient is misleading or the attack is misconfigured.`,
      });
    }
  }
  return {
    id,
    attackId: a.id,
    kind: a.kind,
    norm: a.norm,
    eps,
    loss: a.kind === 'fgsm' || a.kind === 'pgd' || a.kind === 'apgd' ? (a.loss ?? 'final') : a.kind,
    step: out.resolved.step,
    steps: out.resolved.steps,
    restarts: out.resolved.restarts,
    ...summary,
    perExitAccuracy: perExit,
    robustAccuracy: summary.accuracy,
    finalExitRobustAccuracy: perExit[exits - 1] ?? 0,
    successRate: successRate(cleanPrediction, out.pass.prediction, labels),
    hijackRate: hijack.rate,
    hijackByExit: hijack.byExit,
    gradEvals: out.gradEvals,
    seconds: out.seconds,
    maxPerturbation: maxOf(out.norms),
    meanPerturbation: mean(out.norms),
    flags,
  };
}

export function sampleRecords(labels: Int32Array, cleanRun: PassRecord, outcomes: readonly { result: AttackResult; out: AttackPassOutput }[]): SampleRecord[] {
  return Array.from(labels, (label, i) => {
    const adversarial: SampleRecord['adversarial'] = {};
    for (const o of outcomes) {
      const prediction = o.out.pass.prediction[i] ?? -1;
      adversarial[o.result.id] = { exit: o.out.pass.exitIndex[i] ?? 0, prediction, correct: prediction === label, norm: o.out.norms[i] ?? 0 };
    }
    const cleanPrediction = cleanRun.prediction[i] ?? -1;
    return { index: i, label, cleanExit: cleanRun.exitIndex[i] ?? 0, cleanPrediction, cleanCorrect: cleanPrediction === label, adversarial };
  });
}
