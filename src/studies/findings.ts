// The paper's findings (Haque & Yang, arXiv 2308.08709) evaluated on this model from this run's numbers. A finding
// that does not hold here is a result, reported with its numbers; `holds: null` means the run had no data for it.
import type { AttackResult, EfficiencyResult, FindingResult, SweepResult, TransferResult } from '../protocol/results';
import { differenceInterval, formatDifference, formatRate, rateOf, verdictAGreater } from './stats';

/** Differences smaller than this (absolute share) count as "no difference". */
export const FINDING_MARGIN = 0.01;
/** Robust accuracy must move at least this much across designs for "design choices change robustness". */
export const DESIGN_SPREAD = 0.05;
/** A mechanism attack "works" when it moves its metric at least this much beyond clean. */
export const MECHANISM_EFFECT = 0.1;

const pct = (x: number): string => `${(100 * x).toFixed(1)}%`;
const sci = (x: number): string => x.toExponential(2);

/** The sample counts behind the transfer rates: with them, a setting counts only when its difference is beyond
 *  sampling noise (95% Newcombe interval of the two Wilson intervals, src/studies/stats.ts). */
export interface TransferCounts {
  samples: number;
  dynamicCleanAccuracy: number;
}

export function transferAsymmetry(transfer: readonly TransferResult[], counts?: TransferCounts): FindingResult {
  const claim = 'Adversarial examples crafted on the DyNN transfer to the static network better than the reverse.';
  if (transfer.length === 0) return { id: 'transfer-asymmetry', claim, holds: null, evidence: 'No transfer study in this run.' };
  if (counts !== undefined) return transferWithIntervals(transfer, counts, claim);
  const rows = transfer.map((t) => ({ t, dynToStatic: t.matrix[0][1], staticToDyn: t.matrix[1][0] }));
  const wins = rows.filter((r) => r.dynToStatic > r.staticToDyn + FINDING_MARGIN).length;
  const losses = rows.filter((r) => r.staticToDyn > r.dynToStatic + FINDING_MARGIN).length;
  const evidence = rows.map((r) => `${r.t.attackId}@${r.t.eps}: DyNN->static ${pct(r.dynToStatic)}, static->DyNN ${pct(r.staticToDyn)}`).join('; ');
  return { id: 'transfer-asymmetry', claim, holds: wins > losses, evidence: `${wins} of ${rows.length} settings favour DyNN->static, ${losses} the reverse. ${evidence}.` };
}

function transferWithIntervals(transfer: readonly TransferResult[], counts: TransferCounts, claim: string): FindingResult {
  const attackable = (accuracy: number): number => Math.round(accuracy * counts.samples);
  const rows = transfer.map((t) => {
    const d = differenceInterval(rateOf(t.matrix[0][1], attackable(t.staticCleanAccuracy)), rateOf(t.matrix[1][0], attackable(counts.dynamicCleanAccuracy)));
    return { t, d, verdict: verdictAGreater(d) };
  });
  const wins = rows.filter((r) => r.verdict === 'holds').length;
  const losses = rows.filter((r) => r.verdict === 'does not hold').length;
  const evidence = rows
    .map((r) => `${r.t.attackId}@${r.t.eps}: DyNN->static ${formatRate(r.d.a)}, static->DyNN ${formatRate(r.d.b)}, difference ${formatDifference(r.d)}`)
    .join('; ');
  return {
    id: 'transfer-asymmetry',
    claim,
    holds: wins > losses,
    evidence: `${wins} of ${rows.length} settings favour DyNN->static beyond sampling noise, ${losses} the reverse, ${rows.length - wins - losses} show no difference within sampling noise (95% intervals). ${evidence}.`,
  };
}

export function generationEfficiency(efficiency: readonly EfficiencyResult[]): FindingResult {
  const claim = 'A DyNN produces adversarial examples more efficiently (less compute and time per successful example) than its static twin.';
  const pairs: { dyn: EfficiencyResult; stat: EfficiencyResult }[] = [];
  for (const dyn of efficiency.filter((e) => e.model === 'dynamic')) {
    const stat = efficiency.find((e) => e.model === 'static' && e.attackId === dyn.attackId && e.eps === dyn.eps);
    if (stat !== undefined) pairs.push({ dyn, stat });
  }
  if (pairs.length === 0) return { id: 'generation-efficiency', claim, holds: null, evidence: 'No efficiency study in this run.' };
  const cheaper = pairs.filter((p) => p.dyn.successes > 0 && p.dyn.flopsPerSuccess < p.stat.flopsPerSuccess).length;
  const evidence = pairs
    .map(
      (p) =>
        `${p.dyn.attackId}@${p.dyn.eps}: FLOPs/success ${sci(p.dyn.flopsPerSuccess)} (DyNN, ${p.dyn.successes} successes) vs ${sci(p.stat.flopsPerSuccess)} (static, ${p.stat.successes}); seconds/success ${p.dyn.secondsPerSuccess.toFixed(3)} vs ${p.stat.secondsPerSuccess.toFixed(3)}`,
    )
    .join('; ');
  return {
    id: 'generation-efficiency',
    claim,
    holds: cheaper * 2 > pairs.length,
    evidence: `The DyNN needs fewer FLOPs per success in ${cheaper} of ${pairs.length} settings (forward+backward counted as 3 forward passes; DyNN passes include every exit head). ${evidence}.`,
  };
}

/** Sweeps whose adversarial inputs were crafted on the static twin are named `static:<attack id>`. */
export function designChoices(sweeps: readonly SweepResult[]): FindingResult {
  const claim = 'Design choices (which exits are used, their thresholds) change how robust the DyNN is to attacks crafted on the static model.';
  const fromStatic = sweeps.filter((s) => s.attackId.startsWith('static:'));
  const used = fromStatic.length > 0 ? fromStatic : sweeps;
  if (used.length === 0) return { id: 'design-choices', claim, holds: null, evidence: 'No design sweep in this run.' };
  const spreads = used.map((s) => {
    const values = s.points.map((p) => p.robustAccuracy);
    const current = s.points.find((p) => p.current);
    return { s, min: Math.min(...values), max: Math.max(...values), current: current?.robustAccuracy ?? NaN };
  });
  const holds = spreads.some((x) => x.max - x.min >= DESIGN_SPREAD);
  const source = fromStatic.length > 0 ? 'examples crafted on the static twin' : 'examples crafted on the DyNN (no transfer study, so no static-crafted examples)';
  const evidence = spreads
    .map((x) => `${x.s.attackId}@${x.s.eps}: robust accuracy ${pct(x.min)}..${pct(x.max)} over ${x.s.points.length} designs (current ${Number.isNaN(x.current) ? 'n/a' : pct(x.current)})`)
    .join('; ');
  return { id: 'design-choices', claim, holds, evidence: `Replayed on ${source}; a spread of ${pct(DESIGN_SPREAD)} or more counts. ${evidence}.` };
}

export function mechanismAttack(attacks: readonly AttackResult[], clean: { eec: number; meanFlopsRatio: number }, cleanHijackRate: number): FindingResult {
  const claim = 'The dynamic mechanism is an attack surface of its own: an attack on the exits (exit hijack, slowdown) changes where and how samples exit.';
  const mechanism = attacks.filter((a) => a.kind === 'hijack' || a.kind === 'slowdown' || a.kind === 'gate');
  if (mechanism.length === 0) return { id: 'mechanism-attack', claim, holds: null, evidence: 'No hijack, slowdown or gate attack in this run.' };
  const rows = mechanism.map((a) => {
    if (a.kind === 'hijack') {
      return { a, works: a.hijackRate - cleanHijackRate >= MECHANISM_EFFECT, text: `${a.id}: early wrong exits ${pct(cleanHijackRate)} clean -> ${pct(a.hijackRate)}` };
    }
    return {
      a,
      works: clean.eec - a.eec >= MECHANISM_EFFECT || a.meanFlopsRatio - clean.meanFlopsRatio >= MECHANISM_EFFECT,
      text: `${a.id}: EEC ${clean.eec.toFixed(2)} -> ${a.eec.toFixed(2)}, mean FLOPs ${pct(clean.meanFlopsRatio)} -> ${pct(a.meanFlopsRatio)}`,
    };
  });
  const working = rows.filter((r) => r.works).length;
  return {
    id: 'mechanism-attack',
    claim,
    holds: working > 0,
    evidence: `${working} of ${rows.length} mechanism attacks moved their metric by ${pct(MECHANISM_EFFECT)} or more. ${rows.map((r) => r.text).join('; ')}.`,
  };
}
