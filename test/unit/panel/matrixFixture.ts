// A small paper matrix for the panel's tests (unit and extension host): cells without verdicts yet.
import { MATRIX_VERSION, type MatrixCell, type PaperMatrix } from '../../../src/protocol/matrix';

export function matrixCell(model: string, file: string, dataset = 'MNIST'): MatrixCell {
  return {
    dataset,
    mechanism: 'SDN (max-prob exits)',
    model,
    file,
    resultsFile: `.dynn/results/${model}.json`,
    samples: 500,
    seconds: 10,
    eps: 0.3,
    steps: 20,
    cleanAccuracy: 0.97,
    finalExitAccuracy: 0.98,
    staticCleanAccuracy: 0.98,
    weights: 'cache',
    rq1: null,
    rq2: null,
    rq3: null,
    rq4: null,
  };
}

export function paperMatrix(cells: MatrixCell[]): PaperMatrix {
  return { version: MATRIX_VERSION, date: 'd', toolVersion: '0', backend: 'wasm', seed: 0, samples: 500, seconds: 60, confidence: 0.95, protocol: 'p', cells };
}
