// The measured figures the code lenses show, derived from the latest Results of a model file. Pure (no vscode) so
// it is unit-tested in plain Node; the lens provider only places them.
import { worstHijack, worstSlowdown } from '../../advice/resultFindings';
import type { AttackResult, Results } from '../../protocol/results';

export interface LensFigures {
  model: string[];
  exits: Map<string, string[]>;
  gates: Map<string, string[]>;
  /** True when the file changed since the results were measured. */
  stale: boolean;
}

function pct(x: number): string {
  return `${Math.round(100 * x)}%`;
}

function seconds(s: number): string {
  return s >= 90 ? `${(s / 60).toFixed(1)} min` : `${s.toFixed(s < 10 ? 1 : 0)} s`;
}

/**
 * The headline attack: the worst case of an ensemble when the file has one, else the attack that left the lowest
 * robust accuracy (cost attacks are not about accuracy, so they come last).
 */
export function strongestAttack(results: Results): AttackResult | undefined {
  const ensembles = results.attacks.filter((a) => a.kind === 'ensemble');
  const accuracyAttacks = results.attacks.filter((a) => a.kind !== 'slowdown' && a.kind !== 'gate');
  const pool = ensembles.length > 0 ? ensembles : accuracyAttacks.length > 0 ? accuracyAttacks : results.attacks;
  let best: AttackResult | undefined;
  for (const a of pool) if (best === undefined || a.robustAccuracy < best.robustAccuracy) best = a;
  return best;
}

/**
 * Short backend name for a lens: "GPU" for CUDA and WebGPU, "CPU" for the CPU backends, with the engine's name. A
 * WebGPU run on a software adapter (its reason says so) is "software GPU": its figures are not a GPU's.
 */
export function backendLabel(backend: string, reason = ''): string {
  if (backend === 'webgpu' && /software adapter/.test(reason)) return `software GPU (${backend})`;
  if (backend === 'tensorflow-gpu' || backend === 'webgpu' || backend === 'webgl') return `GPU (${backend})`;
  return `CPU (${backend})`;
}

export function lensFigures(results: Results, currentSpecHash: string | undefined): LensFigures {
  const stale = currentSpecHash !== undefined && currentSpecHash !== results.model.specHash;
  const mark = (figures: string[]): string[] => (stale && figures.length > 0 ? [...figures, '(stale)'] : figures);
  const model: string[] = [];
  const strongest = strongestAttack(results);
  if (strongest) model.push(`robust acc ${pct(strongest.robustAccuracy)} at ${strongest.attackId} eps ${strongest.eps}`);
  model.push(`clean acc ${pct(results.clean.accuracy)}`);
  const slow = worstSlowdown(results);
  if (slow) model.push(`FLOPs ${pct(results.clean.meanFlopsRatio)} clean vs ${pct(slow.attack.meanFlopsRatio)} under ${slow.attack.attackId}`);
  else model.push(`FLOPs ${pct(results.clean.meanFlopsRatio)} clean`);
  const p = results.provenance;
  model.push(`${backendLabel(p.backend, p.backendReason)} · seed ${p.seed} · ${p.samples} samples · ${seconds(p.seconds)}`);

  const exits = new Map<string, string[]>();
  const internal = results.model.exitNames.slice(0, -1);
  internal.forEach((name, i) => {
    const figures = [`${pct(results.clean.exitDistribution[i] ?? 0)} exit here`];
    const worst = worstHijack(results, i);
    if (worst) figures.push(`hijack ${pct(worst.rate)} at eps ${worst.attack.eps}`);
    exits.set(name, mark(figures));
  });
  const gates = new Map<string, string[]>();
  results.model.gateNames.forEach((name, i) => {
    const clean = results.clean.gateFiringRate[i];
    if (clean === undefined) return;
    let adv: AttackResult | undefined;
    for (const a of results.attacks) if ((a.gateFiringRate[i] ?? -1) > (adv?.gateFiringRate[i] ?? -1)) adv = a;
    const figures = [`runs ${pct(clean)} clean`];
    if (adv) figures.push(`${pct(adv.gateFiringRate[i] ?? 0)} under ${adv.attackId}`);
    gates.set(name, mark(figures));
  });
  return { model: mark(model), exits, gates, stale };
}

/** Figures of a running check from the attack results measured so far: the latest one, per exit and overall. */
export function liveFigures(attacks: readonly AttackResult[], internalExitNames: readonly string[]): { model?: string; exits: Map<string, string> } {
  const exits = new Map<string, string>();
  const last = attacks[attacks.length - 1];
  if (!last) return { exits };
  internalExitNames.forEach((name, i) => {
    const rate = last.hijackByExit[i];
    if (rate !== undefined) exits.set(name, `live: hijack ${pct(rate)} at ${last.id}`);
  });
  return { model: `live (${attacks.length} measured): ${last.id} robust acc ${pct(last.robustAccuracy)}, FLOPs ${pct(last.meanFlopsRatio)}`, exits };
}
