// The paper matrix (`dynn-lens study --paper --matrix`): the paper's four findings evaluated on every model of a
// list (by default three dynamic mechanisms x two data sets), one cell per model, each with its verdicts and the
// statistics behind them. Plain JSON: the CLI writes it beside the cells' Results, the reports and the panel read it.

export const MATRIX_VERSION = 1;

export type MatrixVerdict = 'holds' | 'does not hold' | 'no difference within sampling noise' | 'not measured';

/** A rate with its Wilson interval: successes of n. */
export interface MatrixRate {
  successes: number;
  n: number;
  rate: number;
  low: number;
  high: number;
}

/** A difference (or, for RQ2, a ratio) with its interval at `confidence`. */
export interface MatrixInterval {
  estimate: number;
  low: number;
  high: number;
  confidence: number;
}

/** RQ1: success rates of examples crafted on one model and evaluated on the other, at the same eps. */
export interface MatrixTransfer {
  attackId: string;
  eps: number;
  dynToStatic: MatrixRate;
  staticToDyn: MatrixRate;
  /** dynToStatic - staticToDyn. */
  difference: MatrixInterval;
  verdict: MatrixVerdict;
}

export interface MatrixCost {
  successes: number;
  /** Clean-correct samples the attack could break (the denominator of the success rate). */
  attackable: number;
  gradEvalsPerSuccess: number;
  secondsPerSuccess: number;
  flopsPerSuccess: number;
}

/** RQ2: the cost of one successful adversarial example, DyNN vs static twin. */
export interface MatrixEfficiency {
  attackId: string;
  eps: number;
  dynamic: MatrixCost;
  static: MatrixCost;
  /** Success-rate ratio DyNN / static with its (Katz log) interval; the DyNN is cheaper per success exactly when
   *  the ratio exceeds `breakEven` (its compute per attacked sample over the static twin's). */
  successRatio: MatrixInterval;
  breakEven: number;
  verdict: MatrixVerdict;
}

/** RQ3: how far robust accuracy on static-crafted examples moves when one design knob moves away from the file's. */
export interface MatrixDesignEffect {
  knob: 'threshold' | 'placement';
  /** Designs compared with the file's own (Bonferroni over this many comparisons). */
  designs: number;
  /** The largest |robust accuracy(design) - robust accuracy(file's design)|, with its interval. */
  effect: MatrixInterval;
  current: MatrixRate;
  /** The design at the largest effect, described. */
  extreme: string;
  extremeRate: MatrixRate;
  verdict: MatrixVerdict;
}

export interface MatrixDesign {
  attackId: string;
  eps: number;
  effects: MatrixDesignEffect[];
  verdict: MatrixVerdict;
}

/** RQ4: one mechanism attack: a share that should rise under attack, clean vs attacked, and the cost figures. */
export interface MatrixMechanismRow {
  attackId: string;
  kind: 'hijack' | 'slowdown' | 'gate';
  eps: number;
  /** hijack rate; share of samples reaching the final exit; share of gate decisions that run the block. */
  metric: string;
  clean: MatrixRate;
  attacked: MatrixRate;
  difference: MatrixInterval;
  meanFlopsClean: number;
  meanFlopsAttacked: number;
  eecClean: number;
  eecAttacked: number;
  verdict: MatrixVerdict;
}

export interface MatrixMechanism {
  rows: MatrixMechanismRow[];
  verdict: MatrixVerdict;
}

export interface MatrixCell {
  /** Data set label, e.g. "MNIST", "Fashion-MNIST". */
  dataset: string;
  /** Mechanism label, e.g. "SDN (max-prob exits)". */
  mechanism: string;
  model: string;
  /** Workspace-relative model file. */
  file: string;
  /** Workspace-relative Results document of this cell. */
  resultsFile: string;
  samples: number;
  seconds: number;
  eps: number;
  steps: number;
  cleanAccuracy: number;
  finalExitAccuracy: number;
  staticCleanAccuracy: number | null;
  weights: string;
  rq1: MatrixTransfer | null;
  rq2: MatrixEfficiency | null;
  rq3: MatrixDesign | null;
  rq4: MatrixMechanism | null;
}

export interface PaperMatrix {
  version: typeof MATRIX_VERSION;
  date: string;
  toolVersion: string;
  backend: string;
  seed: number;
  /** Test samples per cell (the cells' own counts are in each cell). */
  samples: number;
  /** Wall time of the whole matrix run, training included. */
  seconds: number;
  confidence: number;
  /** The attack protocol, in words. */
  protocol: string;
  cells: MatrixCell[];
}

export const MATRIX_FINDINGS = [
  { key: 'rq1', title: 'RQ1 transfer', claim: 'Adversarial examples crafted on the DyNN transfer to the static network better than the reverse.' },
  { key: 'rq2', title: 'RQ2 generation efficiency', claim: 'A DyNN produces a successful adversarial example with less compute than its static twin.' },
  { key: 'rq3', title: 'RQ3 design choices', claim: 'Exit thresholds and exit placement (gate thresholds) change robustness to attacks crafted on the static model.' },
  { key: 'rq4', title: 'RQ4 mechanism', claim: 'The dynamic mechanism is an attack surface of its own: attacks on it hijack exits or take back the saved compute.' },
] as const;

export type MatrixFindingKey = (typeof MATRIX_FINDINGS)[number]['key'];

/** Structural check of a PaperMatrix read from disk or received by the webview; lists the problems found. */
export function checkPaperMatrix(value: unknown): string[] {
  const p: string[] = [];
  const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  if (!isObj(value)) return ['matrix: expected an object'];
  if (value.version !== MATRIX_VERSION) p.push(`matrix.version: expected ${MATRIX_VERSION}`);
  for (const k of ['date', 'toolVersion', 'backend', 'protocol']) if (typeof value[k] !== 'string') p.push(`matrix.${k}: expected a string`);
  for (const k of ['seed', 'samples', 'seconds', 'confidence']) if (typeof value[k] !== 'number' || !Number.isFinite(value[k])) p.push(`matrix.${k}: expected a number`);
  if (!Array.isArray(value.cells)) return [...p, 'matrix.cells: expected an array'];
  const verdicts = new Set<unknown>(['holds', 'does not hold', 'no difference within sampling noise', 'not measured']);
  value.cells.forEach((c: unknown, i) => {
    const at = `matrix.cells[${i}]`;
    if (!isObj(c)) {
      p.push(`${at}: expected an object`);
      return;
    }
    for (const k of ['dataset', 'mechanism', 'model', 'file', 'resultsFile', 'weights']) if (typeof c[k] !== 'string') p.push(`${at}.${k}: expected a string`);
    for (const k of ['samples', 'seconds', 'eps', 'steps', 'cleanAccuracy', 'finalExitAccuracy']) if (typeof c[k] !== 'number' || !Number.isFinite(c[k])) p.push(`${at}.${k}: expected a number`);
    for (const f of MATRIX_FINDINGS) {
      const r = c[f.key];
      if (r === null) continue;
      if (!isObj(r) || !verdicts.has(r.verdict)) p.push(`${at}.${f.key}: expected null or an object with a verdict`);
    }
  });
  return p;
}
