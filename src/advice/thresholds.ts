// Exit thresholds on one scale. A max-probability threshold is already a confidence; a normalised-entropy
// threshold is turned into the lowest top-class probability it lets through, so one constant (e.g. 0.8) governs
// both policies. Also builds fixes that raise thresholds while keeping deeper exits at least as strict.
import type { Fix, ModelSpec, PolicyKind, TextEdit } from '../modelfile/types';
import { type EditTarget, insertMappingEntry, setMappingEntry } from './edits';

const EPS = 1e-9;

/** Lowest entropy (nats) of a distribution whose largest probability is p: put p on as many classes as fit, the
 *  remainder on one more. Entropy is Schur-concave, so this most concentrated arrangement is the minimum. */
export function minEntropyAtMaxProb(p: number): number {
  if (p >= 1 - EPS) return 0;
  const m = Math.floor(1 / p + EPS);
  const rest = Math.max(0, 1 - m * p);
  return -m * p * Math.log(p) - (rest > EPS ? rest * Math.log(rest) : 0);
}

/** Lowest top-class probability a policy threshold accepts at an exit. For entropy (exit when entropy/ln K <= t)
 *  this is the smallest p whose least entropic distribution is still at or under the threshold. */
export function confidenceFloor(kind: PolicyKind, threshold: number, classes: number): number {
  if (kind !== 'entropy') return threshold;
  if (classes < 2 || threshold <= 0) return 1;
  const budget = threshold * Math.log(classes);
  let lo = 1 / classes;
  let hi = 1;
  if (minEntropyAtMaxProb(lo) <= budget + EPS) return lo;
  for (let i = 0; i < 60; i++) {
    const mid = (lo + hi) / 2;
    if (minEntropyAtMaxProb(mid) <= budget + EPS) hi = mid;
    else lo = mid;
  }
  return hi;
}

/** The threshold (rounded to two decimals in the strict direction) whose confidence floor is at least `p`. */
export function thresholdForConfidence(kind: PolicyKind, p: number, classes: number): number {
  if (kind !== 'entropy') return Math.ceil(p * 100 - EPS) / 100;
  return Math.floor((minEntropyAtMaxProb(p) / Math.log(classes)) * 100 + EPS) / 100;
}

/** True when threshold `a` accepts fewer samples than `b` under the policy. */
export function isStricter(kind: PolicyKind, a: number, b: number): boolean {
  return kind === 'entropy' ? a < b - EPS : a > b + EPS;
}

export function stricterOf(kind: PolicyKind, a: number, b: number): number {
  return isStricter(kind, a, b) ? a : b;
}

/** True when the policy reads thresholds at all (patience counts agreeing exits instead). */
export function usesThresholds(kind: PolicyKind): boolean {
  return kind === 'maxProb' || kind === 'entropy';
}

export interface ExitThreshold {
  index: number;
  explicit?: number;
  effective: number;
}

export function exitThresholds(spec: ModelSpec): ExitThreshold[] {
  return spec.exits.map((exit, index) =>
    exit.threshold === undefined
      ? { index, effective: spec.policy.threshold }
      : { index, explicit: exit.threshold, effective: exit.threshold },
  );
}

export interface ThresholdChange {
  /** New policy threshold. */
  policy?: number;
  /** New per-exit thresholds by exit index. */
  exits?: ReadonlyMap<number, number>;
}

/** Edits that apply `change` and then lift every deeper exit that would be less strict than a shallower one. */
export function thresholdEdits(spec: ModelSpec, t: EditTarget, change: ThresholdChange): TextEdit[] | undefined {
  const kind = spec.policy.kind;
  const policy = change.policy ?? spec.policy.threshold;
  const edits: TextEdit[] = [];
  if (change.policy !== undefined && Math.abs(change.policy - spec.policy.threshold) > EPS) {
    const edit = t.locate(spec.policy.path)
      ? setMappingEntry(t, spec.policy.path, 'threshold', policy)
      : insertMappingEntry(t, [], 'policy', { kind, threshold: policy });
    if (!edit) return undefined;
    edits.push(edit);
  }
  let strictest: number | undefined;
  for (const [index, exit] of spec.exits.entries()) {
    const inherited = exit.threshold ?? policy;
    let wanted = change.exits?.get(index) ?? inherited;
    if (strictest !== undefined) wanted = stricterOf(kind, wanted, strictest);
    strictest = strictest === undefined ? wanted : stricterOf(kind, wanted, strictest);
    if (Math.abs(wanted - inherited) <= EPS) continue;
    const edit = setMappingEntry(t, exit.path, 'threshold', wanted);
    if (!edit) return undefined;
    edits.push(edit);
  }
  return edits.length > 0 ? edits : undefined;
}

export function thresholdFix(spec: ModelSpec, t: EditTarget, title: string, change: ThresholdChange): Fix[] {
  const edits = thresholdEdits(spec, t, change);
  return edits ? [{ title, edits }] : [];
}

