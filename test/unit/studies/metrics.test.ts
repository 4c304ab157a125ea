// Pure figures on hand-made arrays: rates, EEC, Pareto front, replayed designs, suggestions, efficiency, bars,
// findings. No tensors.
import * as assert from 'node:assert/strict';
import { deriveSeed } from '../../../src/studies/attackPass';
import { checkBars, parseBar, BarSyntaxError } from '../../../src/studies/bars';
import { efficiencyOf, BACKWARD_FACTOR } from '../../../src/studies/efficiency';
import { designChoices, generationEfficiency, mechanismAttack, transferAsymmetry } from '../../../src/studies/findings';
import { accuracy, dominates, gateFiringRate, hijackRates, paretoMask, successCount, successRate, summarizePass } from '../../../src/studies/metrics';
import { executedFlopsFlag } from '../../../src/studies/figures';
import type { ExitRecording } from '../../../src/studies/recording';
import type { AttackResult, Results, SweepPoint } from '../../../src/protocol/results';
import { suggestFromSweep, MAX_CLEAN_DROP } from '../../../src/studies/suggestions';
import { currentDesign, exitDesignGrid, gateDesignGrid, replayDesign, replayFlops, type DesignGeometry, type EvaluatedDesign } from '../../../src/studies/sweep';
import { tinyAnalysis } from './helpers';

const labels = Int32Array.from([0, 1, 2, 3]);

describe('studies: per-sample figures', () => {
  it('accuracy, success rate over clean-correct samples, and hijack rate per internal exit', () => {
    const clean = Int32Array.from([0, 1, 2, 0]); // 3 correct
    const adv = Int32Array.from([0, 2, 1, 0]); // two of the correct ones flipped
    assert.equal(accuracy(clean, labels), 0.75);
    assert.deepEqual(successCount(clean, adv, labels), { successes: 2, attackable: 3 });
    assert.equal(successRate(clean, adv, labels), 2 / 3);
    assert.equal(successRate(Int32Array.from([9, 9, 9, 9]), adv, labels), 0, 'nothing to attack');
    // Exits: 0 and 1 internal, 2 final. Sample 1 wrong at exit 0, sample 2 wrong at exit 1, sample 3 wrong at final.
    const h = hijackRates({ exitIndex: Int32Array.from([0, 0, 1, 2]), prediction: Int32Array.from([0, 2, 1, 0]) }, labels, 3);
    assert.equal(h.rate, 0.5);
    assert.deepEqual(h.byExit, [0.25, 0.25]);
    assert.throws(() => accuracy(clean, Int32Array.from([1])), /differ in length/);
  });

  it('gate firing rate per gate', () => {
    // 3 samples x 2 gates
    assert.deepEqual(gateFiringRate(Uint8Array.from([1, 0, 1, 1, 0, 1]), 3, 2), [2 / 3, 2 / 3]);
    assert.deepEqual(gateFiringRate(new Uint8Array(0), 3, 0), []);
    assert.throws(() => gateFiringRate(new Uint8Array(5), 3, 2), /expected 3 samples x 2 gates/);
  });

  it('EEC: 1 when everything leaves at no cost, the step area otherwise, 0 when all pay full compute', () => {
    const flopsAtExit = [25, 50, 100];
    const pass = (exits: number[]) => ({
      exitIndex: Int32Array.from(exits),
      prediction: Int32Array.from(exits.map(() => 0)),
      flops: Float64Array.from(exits.map((e) => flopsAtExit[e] ?? 0)),
      gatesFired: new Uint8Array(0),
    });
    const lab = Int32Array.from([0, 0, 0, 0]);
    // Half leave at 25% and half at 50%: area = 0.5*(0.5-0.25) + 1*(1-0.5) = 0.625.
    const half = summarizePass(pass([0, 0, 1, 1]), lab, flopsAtExit, 100, 0);
    assert.ok(Math.abs(half.eec - 0.625) < 1e-12, `eec ${half.eec}`);
    assert.ok(Math.abs(half.meanFlopsRatio - 0.375) < 1e-12);
    assert.deepEqual(half.exitDistribution, [0.5, 0.5, 0]);
    assert.equal(summarizePass(pass([2, 2, 2, 2]), lab, flopsAtExit, 100, 0).eec, 0);
    const allFirst = summarizePass(pass([0, 0, 0, 0]), lab, flopsAtExit, 100, 0);
    assert.ok(Math.abs(allFirst.eec - 0.75) < 1e-12, 'everyone at the first exit: area from 25% on');
  });

  it('mean FLOPs are the executed ones when the pass ran; a disagreement with the cost model is an error flag', () => {
    const ran = (executedFlops: number) => ({
      exitIndex: Int32Array.from([0, 1]),
      prediction: Int32Array.from([0, 1]),
      flops: Float64Array.from([25, 50]),
      gatesFired: new Uint8Array(0),
      executed: { segmentRows: [2, 1], headRows: [2], gateHeadRows: [], gateBlockRows: [], flops: executedFlops },
    });
    const lab = Int32Array.from([0, 1]);
    // Every sample ran everything (2 x 100) while the exits taken cost 25 + 50: the shown figure is what ran.
    assert.equal(summarizePass(ran(200), lab, [25, 100], 100, 0).meanFlopsRatio, 1);
    assert.equal(summarizePass(ran(75), lab, [25, 100], 100, 0).meanFlopsRatio, 0.375);
    assert.equal(executedFlopsFlag(ran(75), 'clean inputs'), undefined);
    assert.equal(executedFlopsFlag(ran(75 * (1 + 1e-12)), 'clean inputs'), undefined, 'float rounding is not a disagreement');
    const flag = executedFlopsFlag(ran(200), 'pgd@0.1');
    assert.equal(flag?.code, 'executed-flops-mismatch');
    assert.equal(flag?.severity, 'error');
    assert.match(flag?.message ?? '', /^pgd@0\.1: the network executed 100 FLOPs per sample .* but the cost model charges 38 for the exits and gates the samples took/);
    // A replayed design ran nothing: priced by the cost model, never flagged.
    const { executed: _ran, ...replayed } = ran(200);
    assert.equal(summarizePass(replayed, lab, [25, 100], 100, 0).meanFlopsRatio, 0.375);
    assert.equal(executedFlopsFlag(replayed, 'sweep'), undefined);
  });

  it('Pareto mask: dominated points are off the front, ties stay on', () => {
    const mask = paretoMask([
      { cost: 0.5, robust: 0.5, hijack: 0.1 },
      { cost: 0.6, robust: 0.4, hijack: 0.2 }, // dominated by the first
      { cost: 0.4, robust: 0.3, hijack: 0.1 }, // cheaper: on the front
      { cost: 0.5, robust: 0.5, hijack: 0.1 }, // tie with the first
      { cost: 0.9, robust: 0.9, hijack: 0.0 },
    ]);
    assert.deepEqual(mask, [true, false, true, true, true]);
  });

  it('dominance: no worse in every objective and strictly better in one, each objective deciding alone', () => {
    const base = { cost: 0.5, robust: 0.5, hijack: 0.2 };
    // Better in exactly one objective, equal in the others: dominates, and is not dominated back.
    for (const better of [{ ...base, cost: 0.4 }, { ...base, robust: 0.6 }, { ...base, hijack: 0.1 }]) {
      assert.equal(dominates(better, base), true, JSON.stringify(better));
      assert.equal(dominates(base, better), false, JSON.stringify(better));
    }
    // Better in one, worse in another: neither dominates (both stay on the front).
    for (const [a, b] of [
      [{ ...base, cost: 0.4, robust: 0.4 }, base],
      [{ ...base, robust: 0.6, hijack: 0.3 }, base],
      [{ ...base, hijack: 0.1, cost: 0.6 }, base],
    ] as const) {
      assert.equal(dominates(a, b), false, JSON.stringify(a));
      assert.equal(dominates(b, a), false, JSON.stringify(a));
      assert.deepEqual(paretoMask([a, b]), [true, true]);
    }
    // Equal points do not dominate each other.
    assert.equal(dominates(base, { ...base }), false);
    assert.deepEqual(paretoMask([{ ...base, robust: 0.6 }, base]), [true, false]);
  });

  it('derived seeds are deterministic and differ by position', () => {
    assert.equal(deriveSeed(5, 1), deriveSeed(5, 1));
    assert.notEqual(deriveSeed(5, 1), deriveSeed(5, 2));
    assert.notEqual(deriveSeed(5, 1), deriveSeed(6, 1));
    assert.ok(deriveSeed(123, 4) >= 0 && deriveSeed(123, 4) < 2 ** 31);
  });
});

describe('studies: design replay', () => {
  // Two internal exits (heads 5 FLOPs each) at backbone indices 1 and 3; one gate at index 2 saving 20 FLOPs.
  const geometry: DesignGeometry = { flopsAtExit: [30, 65, 100], fullFlops: 100, headFlops: [5, 5], exitAt: [1, 3], gateAt: [2], gateSaves: [20] };

  it('prices a replayed exit: disabled heads are not paid, closed gates before the exit save their block', () => {
    assert.equal(replayFlops(geometry, 0, [true, true], () => false), 30);
    assert.equal(replayFlops(geometry, 1, [false, true], () => false), 60);
    assert.equal(replayFlops(geometry, 1, [true, true], () => true), 45);
    assert.equal(replayFlops(geometry, 0, [true, true], () => true), 30, 'the gate sits after exit 0');
    assert.equal(replayFlops(geometry, 2, [false, false], () => true), 70);
  });

  it('replays the max-probability policy on recorded softmax outputs', () => {
    // 2 samples, 2 classes, 3 exits. Sample 0 is confident at exit 0; sample 1 only at the final exit.
    const rec: ExitRecording = {
      probs: [Float32Array.from([0.95, 0.05, 0.5, 0.5]), Float32Array.from([0.92, 0.08, 0.4, 0.6]), Float32Array.from([0.8, 0.2, 0.1, 0.9])],
      gatesFired: Uint8Array.from([1, 0]),
      samples: 2,
      classes: 2,
    };
    const strict = replayDesign(rec, geometry, { kind: 'maxProb', thresholds: [0.9, 0.9], patience: 1 });
    assert.deepEqual(Array.from(strict.exitIndex), [0, 2]);
    assert.deepEqual(Array.from(strict.prediction), [0, 1]);
    assert.deepEqual(Array.from(strict.flops), [30, 80], 'sample 1 skipped the gated block');
    const firstOff = replayDesign(rec, geometry, { kind: 'maxProb', thresholds: [0.9, 0.9], patience: 1, enabled: [false, true] });
    assert.deepEqual(Array.from(firstOff.exitIndex), [1, 2]);
    assert.deepEqual(Array.from(firstOff.flops), [60, 75]);
  });

  it('builds a grid: the current design first, no duplicates, single edits carry their file change', () => {
    const { spec } = tinyAnalysis();
    const grid = exitDesignGrid(spec);
    assert.deepEqual(grid[0], currentDesign(spec));
    const keys = grid.map((d) => JSON.stringify([d.thresholds, d.enabled, d.patience, d.gateThresholds]));
    assert.equal(new Set(keys).size, keys.length);
    const raise = grid.find((d) => d.thresholds[0] === 0.97);
    assert.deepEqual(raise?.change?.path, ['policy', 'threshold']);
    const removal = grid.find((d) => d.enabled[0] === false);
    assert.deepEqual(removal?.change?.path, ['exits', 0]);
    assert.equal(removal?.change?.value, null);
    assert.deepEqual(gateDesignGrid(spec), [], 'no gates, no gate designs');
  });
});

function point(p: Partial<SweepPoint>): SweepPoint {
  return {
    thresholds: [0.5],
    enabledExits: [true],
    gateThresholds: [],
    cleanAccuracy: 0.9,
    robustAccuracy: 0.3,
    hijackRate: 0.3,
    cleanFlopsRatio: 0.5,
    adversarialFlopsRatio: 0.4,
    cleanEec: 0.5,
    adversarialEec: 0.6,
    onParetoFront: false,
    current: false,
    ...p,
  };
}

describe('studies: suggestions', () => {
  const change = (value: number) => ({ path: ['policy', 'threshold'], value, target: { kind: 'policy' as const, name: 'policy' }, verb: `set the policy threshold to ${value}` });
  const design = (value: number, extra: object = {}) => ({ thresholds: [value], enabled: [true], patience: 1, gateThresholds: [], change: change(value), ...extra });
  const evaluated: EvaluatedDesign[] = [
    { design: { thresholds: [0.5], enabled: [true], patience: 1, gateThresholds: [] }, point: point({ current: true }) },
    { design: design(0.9), point: point({ thresholds: [0.9], hijackRate: 0.05, cleanFlopsRatio: 0.55 }) },
    { design: design(0.99), point: point({ thresholds: [0.99], hijackRate: 0.0, cleanAccuracy: 0.9 - MAX_CLEAN_DROP - 0.01, cleanFlopsRatio: 0.9 }) },
    { design: design(0.6), point: point({ thresholds: [0.6], hijackRate: 0.29 }) },
  ];

  it('suggests the edit that cuts the hijack rate most for its clean cost, with before and after', () => {
    const s = suggestFromSweep(evaluated, 'hijack', 0.3, 'hijack');
    assert.equal(s.length, 1, 'one target (the policy): its best design only');
    const first = s[0];
    assert.ok(first);
    assert.deepEqual(first.change, { path: ['policy', 'threshold'], value: 0.9 });
    assert.equal(first.before.hijackRate, 0.3);
    assert.equal(first.after.hijackRate, 0.05);
    assert.match(first.title, /hijack rate 30% -> 5%, clean cost \+10%/);
  });

  it('suggests nothing when no single edit beats the current design without losing clean accuracy', () => {
    assert.deepEqual(suggestFromSweep(evaluated.slice(0, 1).concat(evaluated.slice(2)), 'hijack', 0.3, 'hijack'), []);
    assert.deepEqual(suggestFromSweep(evaluated.slice(1), 'hijack', 0.3, 'hijack'), [], 'no current design');
  });
});

describe('studies: generation efficiency', () => {
  it('prices every gradient evaluation as forward + backward over the differentiated network', () => {
    const e = efficiencyOf({ model: 'dynamic', attackId: 'pgd', eps: 0.3, successes: 4, gradEvals: 40, forwardFlops: 1000, seconds: 2 });
    assert.deepEqual(e, { attackId: 'pgd', eps: 0.3, model: 'dynamic', successes: 4, gradEvalsPerSuccess: 10, flopsPerSuccess: (40 * 1000 * BACKWARD_FACTOR) / 4, secondsPerSuccess: 0.5 });
    const none = efficiencyOf({ model: 'static', attackId: 'pgd', eps: 0.3, successes: 0, gradEvals: 40, forwardFlops: 800, seconds: 2 });
    assert.equal(none.gradEvalsPerSuccess, 40, 'no success: the total already spent');
    assert.ok(Number.isFinite(none.flopsPerSuccess));
  });
});

function attackResult(p: Partial<AttackResult>): AttackResult {
  return {
    id: 'pgd@0.3',
    attackId: 'pgd',
    kind: 'pgd',
    norm: 'linf',
    eps: 0.3,
    loss: 'final',
    step: 0.01,
    steps: 10,
    restarts: 1,
    accuracy: 0.2,
    exitDistribution: [0.5, 0.5],
    meanFlopsRatio: 0.6,
    eec: 0.4,
    perExitAccuracy: [0.2, 0.2],
    gateFiringRate: [],
    robustAccuracy: 0.2,
    finalExitRobustAccuracy: 0.2,
    successRate: 0.8,
    hijackRate: 0.1,
    hijackByExit: [0.1],
    gradEvals: 100,
    seconds: 1,
    maxPerturbation: 0.3,
    meanPerturbation: 0.3,
    flags: [],
    ...p,
  };
}

describe('studies: --fail-under bars', () => {
  const results = {
    clean: { accuracy: 0.9, finalExitAccuracy: 0.95, eec: 0.5 },
    attacks: [attackResult({ id: 'pgd@0.1', eps: 0.1, robustAccuracy: 0.6 }), attackResult({ id: 'pgd@0.3', robustAccuracy: 0.2 }), attackResult({ id: 'hijack@0.3', attackId: 'hijack', kind: 'hijack', robustAccuracy: 0.5 })],
  } as unknown as Results;

  it('parses shares and percentages, scoped to an attack or a result', () => {
    assert.deepEqual(parseBar('robust-accuracy:pgd=40%'), { metric: 'robust-accuracy', scope: 'pgd', value: 0.4, text: 'robust-accuracy:pgd=40%' });
    assert.equal(parseBar('clean-accuracy=0.9').value, 0.9);
    assert.throws(() => parseBar('robustness=0.5'), /unknown metric 'robustness'/);
    assert.throws(() => parseBar('robust-accuracy=1.5'), /share in \[0, 1\]/);
    assert.throws(() => parseBar('clean-accuracy:pgd=0.5'), /clean metric and takes no attack/);
    assert.throws(() => parseBar('robust-accuracy'), BarSyntaxError);
  });

  it('fails a bar below its value and names the result that missed it', () => {
    const [all, hijack, clean, missing] = checkBars(results, [parseBar('robust-accuracy=0.3'), parseBar('robust-accuracy:hijack=0.5'), parseBar('clean-accuracy=0.95'), parseBar('eec:nope=0.1')]);
    assert.equal(all?.passed, false);
    assert.match(all?.message ?? '', /pgd@0\.3 robust-accuracy 20\.0% < 30\.0%/);
    assert.doesNotMatch(all?.message ?? '', /pgd@0\.1/);
    assert.equal(hijack?.passed, true);
    assert.equal(clean?.passed, false);
    assert.equal(missing?.passed, false);
    assert.match(missing?.message ?? '', /no attack result matches 'nope'/);
  });
});

describe('studies: paper findings', () => {
  it('transfer asymmetry holds when DyNN-crafted examples transfer better, and says so with numbers', () => {
    const t = (a: number, b: number) => ({ attackId: 'pgd', eps: 0.3, matrix: [[0.9, a], [b, 0.9]] as [[number, number], [number, number]], staticCleanAccuracy: 0.9 });
    assert.equal(transferAsymmetry([t(0.6, 0.3)]).holds, true);
    const fails = transferAsymmetry([t(0.3, 0.6)]);
    assert.equal(fails.holds, false);
    assert.match(fails.evidence, /DyNN->static 30\.0%, static->DyNN 60\.0%/);
    assert.equal(transferAsymmetry([]).holds, null);
  });

  it('with sample counts, transfer asymmetry counts only differences beyond sampling noise', () => {
    const t = (a: number, b: number, eps = 0.1) => ({ attackId: 'pgd', eps, matrix: [[0.9, a], [b, 0.9]] as [[number, number], [number, number]], staticCleanAccuracy: 1 });
    const counts = { samples: 500, dynamicCleanAccuracy: 1 };
    // The example: 10.3% vs 9.9% of ~500 samples decided "holds" by vote; it is noise.
    const noise = transferAsymmetry([t(0.104, 0.1), t(0.5, 0.3, 0.3)], counts);
    assert.match(noise.evidence, /^1 of 2 settings favour DyNN->static beyond sampling noise, 0 the reverse, 1 show no difference within sampling noise/);
    assert.match(noise.evidence, /pgd@0\.1: DyNN->static 10\.4% \[[\d.]+, [\d.]+\] \(52\/500\), static->DyNN 10\.0% \[[\d.]+, [\d.]+\] \(50\/500\), difference \+0\.4 pts \[-[\d.]+, \+[\d.]+\]/);
    assert.equal(noise.holds, true);
    assert.equal(transferAsymmetry([t(0.104, 0.1)], counts).holds, false, 'noise alone is no finding');
    assert.equal(transferAsymmetry([t(0.3, 0.5)], counts).holds, false);
    assert.match(transferAsymmetry([t(0.3, 0.5)], counts).evidence, /^0 of 1 settings favour DyNN->static beyond sampling noise, 1 the reverse/);
  });

  it('generation efficiency compares FLOPs per success, design choices the spread over designs', () => {
    const dyn = efficiencyOf({ model: 'dynamic', attackId: 'pgd', eps: 0.3, successes: 10, gradEvals: 100, forwardFlops: 100, seconds: 1 });
    const stat = efficiencyOf({ model: 'static', attackId: 'pgd', eps: 0.3, successes: 5, gradEvals: 100, forwardFlops: 90, seconds: 1 });
    assert.equal(generationEfficiency([dyn, stat]).holds, true);
    assert.equal(generationEfficiency([dyn]).holds, null);
    const sweep = (values: number[], id: string) => ({ attackId: id, eps: 0.3, points: values.map((v, i) => point({ robustAccuracy: v, current: i === 0 })) });
    assert.equal(designChoices([sweep([0.2, 0.21], 'static:pgd'), sweep([0.1, 0.9], 'pgd')]).holds, false, 'static-crafted sweeps decide');
    assert.equal(designChoices([sweep([0.2, 0.4], 'static:pgd')]).holds, true);
  });

  it('the mechanism attack works when it hijacks early exits or takes the saved compute back', () => {
    const clean = { eec: 0.5, meanFlopsRatio: 0.5 };
    assert.equal(mechanismAttack([attackResult({ id: 'hijack@0.3', kind: 'hijack', hijackRate: 0.4 })], clean, 0.05).holds, true);
    assert.equal(mechanismAttack([attackResult({ id: 'slowdown@0.3', kind: 'slowdown', eec: 0.45, meanFlopsRatio: 0.52 })], clean, 0.05).holds, false);
    assert.equal(mechanismAttack([attackResult({})], clean, 0).holds, null);
  });
});

describe('studies: sweeps of a gated model', () => {
  it('measures gate-threshold designs with the callback, one gate at a time, each a single file edit', async () => {
    const fs = await import('node:fs');
    const path = await import('node:path');
    const { analyzeText } = await import('../../../src/modelfile');
    const { runSweep, geometryOf, costsFromReport } = await import('../../../src/studies/sweep');
    const file = path.join(__dirname, '..', '..', '..', '..', 'examples', 'skipnet-gated.dynn.yaml');
    const analysis = analyzeText(fs.readFileSync(file, 'utf8'), { fileName: file });
    const spec = analysis.spec;
    const cost = analysis.cost;
    assert.ok(spec && cost);
    assert.equal(spec.exits.length, 0);
    const n = 4;
    const classes = spec.classes;
    // Every sample confident on its label at the final exit; gates: both fired.
    const probs = new Float32Array(n * classes);
    for (let s = 0; s < n; s++) probs[s * classes + s] = 1;
    const rec: ExitRecording = { probs: [probs], gatesFired: new Uint8Array(n * 2).fill(1), samples: n, classes };
    const asked: number[][] = [];
    const fake = (fired: number) => ({
      exitIndex: new Int32Array(n),
      prediction: Int32Array.from([0, 1, 2, 3]),
      flops: new Float64Array(n).fill(cost.fullFlops * (fired ? 1 : 0.5)),
      gatesFired: new Uint8Array(n * 2).fill(fired),
    });
    const { result, evaluated } = await runSweep({
      spec,
      geometry: geometryOf(spec, costsFromReport(cost)),
      labels: Int32Array.from([0, 1, 2, 3]),
      clean: rec,
      adversarial: rec,
      attackId: 'gate',
      eps: 0.1,
      evaluateGates: (t) => {
        asked.push(t);
        const high = t.some((v) => v > 0.5);
        return Promise.resolve({ clean: fake(high ? 0 : 1), adversarial: fake(high ? 0 : 1) });
      },
    });
    assert.equal(asked.length, 6, 'two gates x three other thresholds');
    assert.ok(asked.every((t) => t.length === 2 && t.filter((v, k) => v !== spec.gates[k]?.threshold).length === 1));
    const gatePoints = evaluated.filter((e) => e.design.change?.target.kind === 'gate');
    assert.equal(gatePoints.length, 6);
    assert.deepEqual(gatePoints[0]?.design.change?.path, [...(spec.gates[0]?.path ?? []), 'threshold']);
    const cheap = result.points.filter((p) => p.cleanFlopsRatio < 0.75);
    assert.ok(cheap.length > 0 && cheap.every((p) => p.onParetoFront), 'cheaper designs with equal accuracy are on the front');
    assert.equal(result.points.filter((p) => p.current).length, 1);
  });
});
