// Design sweep: exit thresholds, which exits are enabled, patience, and (for gated models) gate thresholds,
// evaluated on clean and adversarial inputs. Exit designs are replayed on recorded softmax outputs with the same
// policy code dynamic inference uses (src/engine/policy.ts), so a grid point costs no network pass. Gate thresholds
// change which blocks run and so every later activation: those points are measured with real dynamic inference.
// The adversarial inputs are the ones crafted against the file's current design (a non-adaptive replay).
import { replayPolicy, type PolicyConfig } from '../engine/policy';
import type { CostReport, ModelSpec, NodePath } from '../modelfile/types';
import { hijackRates, paretoMask, summarizePass, type PassRecord } from './metrics';
import { exitRemovalPath, exitThresholdPath } from './importedSpec';
import type { ExitRecording } from './recording';
import type { SweepPoint, SweepResult } from '../protocol/results';

/** Where exits and gates sit and what they cost, to price a replayed exit decision. */
export interface DesignGeometry {
  /** Cumulative FLOPs when leaving at each exit with every head and gate run (final last, = fullFlops). */
  flopsAtExit: number[];
  fullFlops: number;
  /** Head FLOPs per internal exit. */
  headFlops: number[];
  /** Top-level backbone index each internal exit reads. */
  exitAt: number[];
  /** Top-level backbone index of each gated block, and the FLOPs a closed gate saves there. */
  gateAt: number[];
  gateSaves: number[];
}

/** What pricing a replayed design needs from a model, whichever way it was made (built from the spec or imported). */
export interface ModelCosts {
  /** Cumulative FLOPs when leaving at each exit, every earlier head run (final last). */
  flopsAtExit: readonly number[];
  fullFlops: number;
  /** Head FLOPs per internal exit: what disabling that exit saves. */
  headFlops: readonly number[];
  /** FLOPs of each top-level backbone layer or block by name: what a closed gate on it saves. Empty without gates. */
  blockFlops: ReadonlyMap<string, number>;
}

/** The costs of a model built from its spec, from the spec's cost report. */
export function costsFromReport(cost: CostReport): ModelCosts {
  return {
    flopsAtExit: cost.exits.map((e) => e.flopsToExit),
    fullFlops: cost.fullFlops,
    headFlops: cost.exits.slice(0, -1).map((e) => e.headFlops),
    blockFlops: new Map(cost.layers.map((l) => [l.name, l.flops])),
  };
}

export function geometryOf(spec: ModelSpec, costs: ModelCosts): DesignGeometry {
  const indexOf = (name: string): number => spec.backbone.findIndex((l) => l.name === name);
  return {
    flopsAtExit: [...costs.flopsAtExit],
    fullFlops: costs.fullFlops,
    headFlops: spec.exits.map((_, i) => costs.headFlops[i] ?? 0),
    // An imported model has no backbone in the spec: its exits are in output order, and it has no gates.
    exitAt: spec.exits.map((e, i) => (spec.import !== undefined ? i : indexOf(e.after))),
    gateAt: spec.gates.map((g) => indexOf(g.block)),
    gateSaves: spec.gates.map((g) => costs.blockFlops.get(g.block) ?? 0),
  };
}

/** FLOPs a sample pays leaving at `exit` when disabled exits' heads are not run and its closed gates skip blocks. */
export function replayFlops(geometry: DesignGeometry, exit: number, enabled: readonly boolean[], closedGates: (g: number) => boolean): number {
  const internal = geometry.headFlops.length;
  let flops = geometry.flopsAtExit[exit] ?? geometry.fullFlops;
  for (let j = 0; j < Math.min(exit + 1, internal); j++) if (enabled[j] === false) flops -= geometry.headFlops[j] ?? 0;
  const at = exit < internal ? (geometry.exitAt[exit] ?? Infinity) : Infinity;
  geometry.gateAt.forEach((g, k) => {
    if (g <= at && closedGates(k)) flops -= geometry.gateSaves[k] ?? 0;
  });
  return flops;
}

/** Replays a policy on a recording: the pass dynamic inference would make with that design. */
export function replayDesign(recording: ExitRecording, geometry: DesignGeometry, config: PolicyConfig): PassRecord {
  const replay = replayPolicy(config, recording.probs, recording.classes);
  const gates = geometry.gateAt.length;
  const enabled = config.enabled ?? [];
  const flops = new Float64Array(recording.samples);
  for (let s = 0; s < recording.samples; s++) {
    flops[s] = replayFlops(geometry, replay.exitIndex[s] ?? 0, enabled, (g) => recording.gatesFired[s * gates + g] === 0);
  }
  return { exitIndex: replay.exitIndex, prediction: replay.prediction, flops, gatesFired: recording.gatesFired };
}

/** A candidate design and, when it is one edit away from the file, that edit. */
export interface Design {
  thresholds: number[];
  enabled: boolean[];
  patience: number;
  gateThresholds: number[];
  /** Set when the design differs from the file in exactly one value. */
  change?: { path: NodePath; value: unknown; target: { kind: 'exit' | 'gate' | 'policy'; name: string }; verb: string };
}

export const MAX_PROB_GRID = [0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.97, 0.99];
export const ENTROPY_GRID = [0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5];
export const GATE_GRID = [0.3, 0.5, 0.7, 0.9];
/** Every enable/disable combination is tried up to this many internal exits; beyond it, one exit off at a time. */
const MAX_SUBSET_EXITS = 5;
/** Gate thresholds are swept one gate at a time up to this many gates (each point costs two network passes). */
const MAX_SWEPT_GATES = 4;

export function currentDesign(spec: ModelSpec): Design {
  return {
    thresholds: spec.exits.map((e) => e.threshold ?? spec.policy.threshold),
    enabled: spec.exits.map(() => true),
    patience: spec.policy.patience,
    gateThresholds: spec.gates.map((g) => g.threshold),
  };
}

/** The grid of exit designs (replayed) for the spec's policy kind, current design first, without duplicates. */
export function exitDesignGrid(spec: ModelSpec): Design[] {
  const base = currentDesign(spec);
  const n = spec.exits.length;
  const designs: Design[] = [base];
  const kind = spec.policy.kind;
  const fmt = (v: number): string => String(Number(v.toFixed(4)));
  if (kind === 'maxProb' || kind === 'entropy') {
    const grid = kind === 'maxProb' ? MAX_PROB_GRID : ENTROPY_GRID;
    const overrides = spec.exits.some((e) => e.threshold !== undefined);
    for (const v of grid) {
      designs.push({
        ...base,
        thresholds: base.thresholds.map(() => v),
        // One edit of the policy's threshold moves every exit only when no exit overrides it.
        ...(overrides || n === 0
          ? {}
          : { change: { path: [...spec.policy.path, 'threshold'], value: v, target: { kind: 'policy', name: 'policy' }, verb: `set the policy threshold to ${fmt(v)}` } }),
      });
      // Per exit when there are several, or when thresholds are set per exit (then the policy edit moves none).
      for (let i = 0; i < n && (n > 1 || overrides); i++) {
        const exit = spec.exits[i];
        if (exit === undefined) continue;
        const thresholds = [...base.thresholds];
        const before = thresholds[i] ?? v;
        thresholds[i] = v;
        const stricter = kind === 'maxProb' ? v > before : v < before;
        const path = exitThresholdPath(spec, i);
        designs.push({
          ...base,
          thresholds,
          ...(path === undefined
            ? {}
            : { change: { path, value: v, target: { kind: 'exit', name: exit.name }, verb: `${stricter ? 'tighten' : 'loosen'} ${exit.name}'s threshold to ${fmt(v)}` } }),
        });
      }
    }
  } else {
    for (let p = 1; p <= n + 1; p++) {
      designs.push({ ...base, patience: p, change: { path: [...spec.policy.path, 'patience'], value: p, target: { kind: 'policy', name: 'policy' }, verb: `set patience to ${p}` } });
    }
  }
  const masks: boolean[][] = [];
  if (n <= MAX_SUBSET_EXITS) {
    for (let m = 0; m < 2 ** n - 1; m++) masks.push(Array.from({ length: n }, (_, i) => ((m >> i) & 1) === 1));
  } else {
    for (let i = 0; i < n; i++) masks.push(Array.from({ length: n }, (_, j) => j !== i));
  }
  for (const enabled of masks) {
    const off = enabled.map((e, i) => (e ? -1 : i)).filter((i) => i >= 0);
    const only = off.length === 1 ? spec.exits[off[0] ?? 0] : undefined;
    const removal = off.length === 1 ? exitRemovalPath(spec, off[0] ?? 0) : undefined;
    designs.push({
      ...base,
      enabled,
      // Removing the exit's entry is the one edit; value null means "remove". It changes the trained weights too,
      // so the measured effect (with the current weights) is an estimate.
      ...(only === undefined || removal === undefined ? {} : { change: { path: removal, value: null, target: { kind: 'exit', name: only.name }, verb: `remove ${only.name}` } }),
    });
  }
  return dedupe(designs);
}

/** Designs that change one gate's threshold (measured with dynamic inference). */
export function gateDesignGrid(spec: ModelSpec): Design[] {
  const base = currentDesign(spec);
  const designs: Design[] = [];
  spec.gates.slice(0, MAX_SWEPT_GATES).forEach((gate, k) => {
    for (const v of GATE_GRID) {
      if (Math.abs(v - gate.threshold) < 1e-9) continue;
      const gateThresholds = [...base.gateThresholds];
      gateThresholds[k] = v;
      designs.push({
        ...base,
        gateThresholds,
        change: { path: [...gate.path, 'threshold'], value: v, target: { kind: 'gate', name: gate.name }, verb: `set ${gate.name}'s threshold to ${v}` },
      });
    }
  });
  return designs;
}

function keyOf(d: Design): string {
  return JSON.stringify([d.thresholds, d.enabled, d.patience, d.gateThresholds]);
}

function dedupe(designs: Design[]): Design[] {
  const seen = new Map<string, Design>();
  for (const d of designs) {
    const key = keyOf(d);
    const known = seen.get(key);
    // Keep the first (the current design stays first); adopt a single-edit change if the first had none.
    if (known === undefined) seen.set(key, d);
    else if (known.change === undefined && d.change !== undefined && key !== keyOf(designs[0] as Design)) seen.set(key, { ...known, change: d.change });
  }
  return [...seen.values()];
}

/** A sweep point with the design that produced it (the edit is kept for suggestions). */
export interface EvaluatedDesign {
  design: Design;
  point: SweepPoint;
}

/** Clean and adversarial passes of one design (recorded or re-run). */
export interface DesignPasses {
  clean: PassRecord;
  adversarial: PassRecord;
}

export interface SweepInputs {
  spec: ModelSpec;
  geometry: DesignGeometry;
  labels: ArrayLike<number>;
  clean: ExitRecording;
  adversarial: ExitRecording;
  attackId: string;
  eps: number;
  /** Runs dynamic inference with other gate thresholds (gated models); absent = gate thresholds are not swept. */
  evaluateGates?: (gateThresholds: number[]) => Promise<DesignPasses>;
}

export function policyConfigOf(spec: ModelSpec, design: Design): PolicyConfig {
  return { kind: spec.policy.kind, thresholds: design.thresholds, patience: design.patience, enabled: design.enabled };
}

function pointOf(inputs: SweepInputs, design: Design, passes: DesignPasses, current: boolean): SweepPoint {
  const { geometry, labels } = inputs;
  const exits = geometry.flopsAtExit.length;
  const gates = geometry.gateAt.length;
  const clean = summarizePass(passes.clean, labels, geometry.flopsAtExit, geometry.fullFlops, gates);
  const adv = summarizePass(passes.adversarial, labels, geometry.flopsAtExit, geometry.fullFlops, gates);
  return {
    thresholds: design.thresholds,
    enabledExits: design.enabled,
    gateThresholds: design.gateThresholds,
    ...(inputs.spec.policy.kind === 'patience' ? { patience: design.patience } : {}),
    cleanAccuracy: clean.accuracy,
    robustAccuracy: adv.accuracy,
    hijackRate: hijackRates(passes.adversarial, labels, exits).rate,
    cleanFlopsRatio: clean.meanFlopsRatio,
    adversarialFlopsRatio: adv.meanFlopsRatio,
    cleanEec: clean.eec,
    adversarialEec: adv.eec,
    onParetoFront: false,
    current,
  };
}

/** Evaluates every design of the grid and marks the Pareto front (clean cost, robust accuracy, hijack rate). */
export async function runSweep(inputs: SweepInputs): Promise<{ result: SweepResult; evaluated: EvaluatedDesign[] }> {
  const evaluated: EvaluatedDesign[] = [];
  exitDesignGrid(inputs.spec).forEach((design, i) => {
    const config = policyConfigOf(inputs.spec, design);
    const passes = { clean: replayDesign(inputs.clean, inputs.geometry, config), adversarial: replayDesign(inputs.adversarial, inputs.geometry, config) };
    evaluated.push({ design, point: pointOf(inputs, design, passes, i === 0) });
  });
  if (inputs.evaluateGates !== undefined) {
    for (const design of gateDesignGrid(inputs.spec)) {
      evaluated.push({ design, point: pointOf(inputs, design, await inputs.evaluateGates(design.gateThresholds), false) });
    }
  }
  const mask = paretoMask(evaluated.map((e) => ({ cost: e.point.cleanFlopsRatio, robust: e.point.robustAccuracy, hijack: e.point.hijackRate })));
  evaluated.forEach((e, i) => (e.point.onParetoFront = mask[i] ?? false));
  return { result: { attackId: inputs.attackId, eps: inputs.eps, points: evaluated.map((e) => e.point) }, evaluated };
}
