// The paper matrix: which models it runs, the one attack protocol every cell uses, and each cell's verdicts on the
// paper's four findings, computed from the cell's Results with the statistics of stats.ts. Pure (no TF.js): the CLI
// runs each cell's study (runAndSave) and hands the Results here.
import type { AttackSpec, ModelSpec } from '../modelfile/types';
import type {
  MatrixCell,
  MatrixCost,
  MatrixDesign,
  MatrixDesignEffect,
  MatrixEfficiency,
  MatrixInterval,
  MatrixMechanism,
  MatrixMechanismRow,
  MatrixRate,
  MatrixTransfer,
  MatrixVerdict,
} from '../protocol/matrix';
import type { Results, SweepPoint } from '../protocol/results';
import { bonferroni, DEFAULT_CONFIDENCE, differenceInterval, rateOf, ratioInterval, verdictAboveThreshold, verdictAGreater, wilson, type DifferenceInterval, type RateInterval } from './stats';

/** The default matrix: three mechanisms x two data sets, the example files (workspace-relative). */
export const DEFAULT_MATRIX_FILES: readonly string[] = [
  'examples/mnist-sdn.dynn.yaml',
  'examples/branchy-entropy.dynn.yaml',
  'examples/skipnet-gated.dynn.yaml',
  'examples/fashion-sdn.dynn.yaml',
  'examples/fashion-branchy.dynn.yaml',
  'examples/fashion-skipnet.dynn.yaml',
];

/** Where the combined matrix and its reports go (workspace-relative). */
export const MATRIX_DIR = '.dynn/matrix';

/** PGD iterations of every matrix attack; the step is Madry's rule 2.5 * eps / steps. */
export const MATRIX_STEPS = 20;
/** The attack id the transfer, efficiency and design findings read. */
export const MATRIX_PGD_ID = 'matrix-pgd';

export interface MatrixProtocol {
  eps: number;
  steps: number;
  step: number;
}

/** The field's common L-inf radius for the data set (MNIST 0.3, Fashion-MNIST 0.1); for other data the largest
 *  FGSM/PGD radius of the file's checks, else 0.1. */
export function matrixProtocol(spec: ModelSpec, steps = MATRIX_STEPS): MatrixProtocol {
  let eps = 0.1;
  if (spec.data.source === 'mnist') eps = 0.3;
  else if (spec.data.source !== 'fashion-mnist') {
    const radii = spec.checks.attacks.filter((a) => (a.kind === 'pgd' || a.kind === 'fgsm') && a.norm === 'linf').flatMap((a) => a.eps);
    if (radii.length > 0) eps = Math.max(...radii);
  }
  return { eps, steps, step: Number(((2.5 * eps) / steps).toPrecision(6)) };
}

/** The protocol as attacks: PGD on the final exit (the "static view" attack the paper transfers), and each
 *  mechanism attack the model supports (exit hijack and slowdown for exits, the gate attack for gates). */
export function matrixAttacks(spec: ModelSpec, p: MatrixProtocol): AttackSpec[] {
  const base = { norm: 'linf' as const, eps: [p.eps], step: p.step, steps: p.steps, path: ['checks', 'attacks'] };
  const attacks: AttackSpec[] = [{ ...base, id: MATRIX_PGD_ID, kind: 'pgd', loss: 'final' }];
  if (spec.exits.length > 0) attacks.push({ ...base, id: 'matrix-hijack', kind: 'hijack' }, { ...base, id: 'matrix-slowdown', kind: 'slowdown' });
  if (spec.gates.length > 0) attacks.push({ ...base, id: 'matrix-gate', kind: 'gate' });
  return attacks;
}

/** The spec a cell runs: the file's model with the matrix's attacks in place of its own checks (the weights and
 *  their cache key do not depend on checks). */
export function matrixSpec(spec: ModelSpec, p: MatrixProtocol): ModelSpec {
  return { ...spec, checks: { ...spec.checks, attacks: matrixAttacks(spec, p) } };
}

export function protocolText(steps = MATRIX_STEPS): string {
  return (
    `L-inf, eps 0.3 on MNIST and 0.1 on Fashion-MNIST (the field's common radii), ${steps} PGD steps of 2.5 * eps / ${steps}, one random start; ` +
    'PGD on the final exit (transfer, efficiency, design sweep), exit hijack and slowdown (exits) or the gate attack (gates) at the same eps.'
  );
}

export function datasetLabel(spec: ModelSpec): string {
  if (spec.data.source === 'mnist') return 'MNIST';
  if (spec.data.source === 'fashion-mnist') return 'Fashion-MNIST';
  return `${spec.data.source}: ${spec.data.train}`;
}

export function mechanismLabel(spec: ModelSpec): string {
  if (spec.gates.length > 0 && spec.exits.length === 0) return 'SkipNet (gates)';
  const kind = { maxProb: 'SDN (max-prob exits)', entropy: 'BranchyNet (entropy exits)', patience: 'PABEE (patience exits)' }[spec.policy.kind];
  return spec.gates.length > 0 ? `${kind} + gates` : kind;
}

const toRate = (r: RateInterval): MatrixRate => ({ successes: r.successes, n: r.n, rate: r.rate, low: r.low, high: r.high });
const toInterval = (d: DifferenceInterval): MatrixInterval => ({ estimate: d.difference, low: d.low, high: d.high, confidence: d.confidence });
const count = (share: number, n: number): number => Math.min(n, Math.max(0, Math.round(share * n)));

function transferOf(r: Results, confidence: number): MatrixTransfer | null {
  const t = r.transfer.find((x) => x.attackId === MATRIX_PGD_ID);
  if (t === undefined) return null;
  const n = r.provenance.samples;
  // Success rates are shares of the samples the evaluated model classified correctly when clean.
  const dynToStatic = rateOf(t.matrix[0][1], count(t.staticCleanAccuracy, n), confidence);
  const staticToDyn = rateOf(t.matrix[1][0], count(r.clean.accuracy, n), confidence);
  const d = differenceInterval(dynToStatic, staticToDyn, confidence);
  return { attackId: t.attackId, eps: t.eps, dynToStatic: toRate(dynToStatic), staticToDyn: toRate(staticToDyn), difference: toInterval(d), verdict: verdictAGreater(d) };
}

function efficiencyOfCell(r: Results, confidence: number): MatrixEfficiency | null {
  const dyn = r.efficiency.find((e) => e.attackId === MATRIX_PGD_ID && e.model === 'dynamic');
  const stat = r.efficiency.find((e) => e.attackId === MATRIX_PGD_ID && e.model === 'static');
  const t = r.transfer.find((x) => x.attackId === MATRIX_PGD_ID);
  if (dyn === undefined || stat === undefined || t === undefined) return null;
  const n = r.provenance.samples;
  const cost = (e: typeof dyn, attackable: number): MatrixCost => ({ successes: e.successes, attackable, gradEvalsPerSuccess: e.gradEvalsPerSuccess, secondsPerSuccess: e.secondsPerSuccess, flopsPerSuccess: e.flopsPerSuccess });
  const dynamic = cost(dyn, count(r.clean.accuracy, n));
  const stat2 = cost(stat, count(t.staticCleanAccuracy, n));
  // Total compute spent = per success x max(1, successes) (efficiency.ts reports totals when nothing succeeded).
  const total = (c: MatrixCost): number => c.flopsPerSuccess * Math.max(1, c.successes);
  // Cost per success = total / (rate x attackable); the DyNN is cheaper exactly when rate_d / rate_s > breakEven.
  const breakEven = (total(dynamic) * stat2.attackable) / Math.max(1e-300, total(stat2) * dynamic.attackable);
  const ratio = ratioInterval(wilson(dynamic.successes, dynamic.attackable, confidence), wilson(stat2.successes, stat2.attackable, confidence), confidence);
  const verdict = dynamic.attackable === 0 || stat2.attackable === 0 ? 'not measured' : dynamic.successes === 0 && stat2.successes > 0 ? 'does not hold' : verdictAboveThreshold(ratio, breakEven);
  return {
    attackId: MATRIX_PGD_ID,
    eps: dyn.eps,
    dynamic,
    static: stat2,
    successRatio: ratio !== undefined ? { ...ratio, confidence } : { estimate: 0, low: 0, high: 0, confidence },
    breakEven,
    verdict,
  };
}

const sameList = (a: readonly unknown[], b: readonly unknown[]): boolean => a.length === b.length && a.every((v, i) => v === b[i]);

export function describeDesign(p: SweepPoint): string {
  const exits = p.thresholds.length > 0 ? `exit thresholds [${p.thresholds.map((t, i) => (p.enabledExits[i] === false ? 'off' : String(Number(t.toFixed(3))))).join(', ')}]` : '';
  const gates = p.gateThresholds.length > 0 ? `gate thresholds [${p.gateThresholds.map((t) => String(Number(t.toFixed(3)))).join(', ')}]` : '';
  return [exits, gates].filter((s) => s !== '').join(', ') + (p.patience !== undefined ? `, patience ${p.patience}` : '');
}

function designEffect(knob: MatrixDesignEffect['knob'], designs: readonly SweepPoint[], current: SweepPoint, n: number, confidence: number): MatrixDesignEffect | null {
  if (designs.length === 0) return null;
  const each = bonferroni(confidence, designs.length);
  const cur = rateOf(current.robustAccuracy, n, each);
  let best: { p: SweepPoint; d: DifferenceInterval } | undefined;
  let any = false;
  for (const p of designs) {
    const d = differenceInterval(rateOf(p.robustAccuracy, n, each), cur, each);
    if (d.low > 0 || d.high < 0) any = true;
    if (best === undefined || Math.abs(d.difference) > Math.abs(best.d.difference)) best = { p, d };
  }
  if (best === undefined) return null;
  return {
    knob,
    designs: designs.length,
    effect: toInterval(best.d),
    current: toRate(cur),
    extreme: describeDesign(best.p),
    extremeRate: toRate(best.d.a),
    verdict: any ? 'holds' : 'no difference within sampling noise',
  };
}

function designOf(r: Results, confidence: number): MatrixDesign | null {
  const s = r.sweeps.find((x) => x.attackId === `static:${MATRIX_PGD_ID}`);
  const current = s?.points.find((p) => p.current);
  if (s === undefined || current === undefined) return null;
  const n = r.provenance.samples;
  const others = s.points.filter((p) => p !== current);
  // Threshold: the file's exits (and gates) in place, other thresholds. Placement: other exits enabled.
  const thresholds = others.filter((p) => sameList(p.enabledExits, current.enabledExits) && (!sameList(p.thresholds, current.thresholds) || !sameList(p.gateThresholds, current.gateThresholds)));
  const moved = others.filter((p) => !sameList(p.enabledExits, current.enabledExits));
  const movedSameThresholds = moved.filter((p) => p.thresholds.every((t, i) => p.enabledExits[i] === false || t === current.thresholds[i]) && sameList(p.gateThresholds, current.gateThresholds));
  const effects = [
    designEffect('threshold', thresholds, current, n, confidence),
    designEffect('placement', movedSameThresholds.length > 0 ? movedSameThresholds : moved, current, n, confidence),
  ].filter((e): e is MatrixDesignEffect => e !== null);
  if (effects.length === 0) return null;
  const verdict: MatrixVerdict = effects.some((e) => e.verdict === 'holds') ? 'holds' : 'no difference within sampling noise';
  return { attackId: s.attackId, eps: s.eps, effects, verdict };
}

function mechanismOf(r: Results, confidence: number): MatrixMechanism | null {
  const n = r.provenance.samples;
  const final = r.model.exitNames.length - 1;
  const rows: MatrixMechanismRow[] = [];
  const gates = r.model.gateNames.length;
  for (const a of r.attacks) {
    if (a.kind !== 'hijack' && a.kind !== 'slowdown' && a.kind !== 'gate') continue;
    let metric: string;
    let clean: RateInterval;
    let attacked: RateInterval;
    if (a.kind === 'hijack') {
      metric = 'hijack rate (answered wrongly before the final exit)';
      const cleanHijacks = r.samples.filter((s) => s.cleanExit < final && !s.cleanCorrect).length;
      clean = wilson(cleanHijacks, r.samples.length === n ? n : r.samples.length, confidence);
      attacked = rateOf(a.hijackRate, n, confidence);
    } else if (a.kind === 'slowdown') {
      metric = 'share of samples that reach the final exit';
      clean = rateOf(r.clean.exitDistribution[final] ?? 0, n, confidence);
      attacked = rateOf(a.exitDistribution[final] ?? 0, n, confidence);
    } else {
      metric = 'share of gate decisions that run their block';
      const mean = (rates: readonly number[]): number => (rates.length > 0 ? rates.reduce((x, y) => x + y, 0) / rates.length : 0);
      clean = rateOf(mean(r.clean.gateFiringRate), n * gates, confidence);
      attacked = rateOf(mean(a.gateFiringRate), n * gates, confidence);
    }
    const d = differenceInterval(attacked, clean, confidence);
    rows.push({
      attackId: a.id,
      kind: a.kind,
      eps: a.eps,
      metric,
      clean: toRate(clean),
      attacked: toRate(attacked),
      difference: toInterval(d),
      meanFlopsClean: r.clean.meanFlopsRatio,
      meanFlopsAttacked: a.meanFlopsRatio,
      eecClean: r.clean.eec,
      eecAttacked: a.eec,
      verdict: verdictAGreater(d),
    });
  }
  if (rows.length === 0) return null;
  const verdict: MatrixVerdict = rows.some((x) => x.verdict === 'holds')
    ? 'holds'
    : rows.some((x) => x.verdict === 'no difference within sampling noise')
      ? 'no difference within sampling noise'
      : 'does not hold';
  return { rows, verdict };
}

/** One cell of the matrix from its Results. */
export function matrixCell(r: Results, spec: ModelSpec, resultsFile: string, p: MatrixProtocol, confidence = DEFAULT_CONFIDENCE): MatrixCell {
  const t = r.transfer.find((x) => x.attackId === MATRIX_PGD_ID);
  return {
    dataset: datasetLabel(spec),
    mechanism: mechanismLabel(spec),
    model: r.model.name,
    file: r.model.file,
    resultsFile,
    samples: r.provenance.samples,
    seconds: r.provenance.seconds,
    eps: p.eps,
    steps: p.steps,
    cleanAccuracy: r.clean.accuracy,
    finalExitAccuracy: r.clean.finalExitAccuracy,
    staticCleanAccuracy: t?.staticCleanAccuracy ?? null,
    weights: r.provenance.weights,
    rq1: transferOf(r, confidence),
    rq2: efficiencyOfCell(r, confidence),
    rq3: designOf(r, confidence),
    rq4: mechanismOf(r, confidence),
  };
}
