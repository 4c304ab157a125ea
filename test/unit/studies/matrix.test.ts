import * as assert from 'assert';
import { checkPaperMatrix, MATRIX_VERSION, type PaperMatrix } from '../../../src/protocol/matrix';
import type { Results } from '../../../src/protocol/results';
import { MATRIX_PGD_ID, matrixAttacks, matrixCell, matrixProtocol, matrixSpec, mechanismLabel, datasetLabel } from '../../../src/studies/matrix';
import { buildMatrixHtml, buildMatrixMarkdown } from '../../../src/panel/host/matrixReport';
import { matrixGrid } from '../../../src/panel/model/matrix';
import { cloneResults } from '../panel/fixtures';
import { specFrom } from '../engine/helpers';

const SPEC = specFrom(`
dynn: 1
name: m
input: {shape: [28, 28, 1], range: [0, 1]}
classes: 10
backbone:
  - {name: c1, type: conv2d, filters: 4, kernel: 3, stride: 2, activation: relu}
  - {name: flat, type: flatten}
  - {name: out, type: dense, units: 10}
exits:
  - {name: e1, after: c1}
  - {name: e2, after: flat}
data: {source: fashion-mnist}
`);

/** Results of a cell whose PGD transfer and efficiency read as given. */
function cellResults(dynToStatic: number, staticToDyn: number): Results {
  const r = cloneResults();
  r.provenance.samples = 500;
  r.clean.accuracy = 0.9; // 450 attackable on the DyNN
  r.transfer = [{ attackId: MATRIX_PGD_ID, eps: 0.1, matrix: [[0.9, dynToStatic], [staticToDyn, 0.9]], staticCleanAccuracy: 0.9 }];
  r.efficiency = [
    { attackId: MATRIX_PGD_ID, eps: 0.1, model: 'dynamic', successes: 400, gradEvalsPerSuccess: 20 * 500 / 400, flopsPerSuccess: (20 * 500 * 3 * 1.1e6) / 400, secondsPerSuccess: 0.01 },
    { attackId: MATRIX_PGD_ID, eps: 0.1, model: 'static', successes: 200, gradEvalsPerSuccess: 20 * 500 / 200, flopsPerSuccess: (20 * 500 * 3 * 1e6) / 200, secondsPerSuccess: 0.02 },
  ];
  r.sweeps = [{ ...r.sweeps[0]!, attackId: `static:${MATRIX_PGD_ID}` }];
  r.attacks = [
    { ...r.attacks[0]!, id: 'matrix-hijack@0.1', attackId: 'matrix-hijack', kind: 'hijack', hijackRate: 0.4, exitDistribution: [0.7, 0.2, 0.1] },
    { ...r.attacks[0]!, id: 'matrix-slowdown@0.1', attackId: 'matrix-slowdown', kind: 'slowdown', hijackRate: 0, exitDistribution: [0.1, 0.1, 0.11] },
  ];
  r.clean.exitDistribution = [0.7, 0.2, 0.1];
  r.samples = Array.from({ length: 500 }, (_, i) => ({ index: i, label: 0, cleanExit: i < 20 ? 0 : 2, cleanPrediction: i < 20 ? 1 : 0, cleanCorrect: i >= 20, adversarial: {} }));
  return r;
}

describe('paper matrix: protocol and verdicts per cell', () => {
  it('the protocol: eps 0.3 on MNIST, 0.1 on Fashion-MNIST, Madry step, PGD plus the mechanism attacks the model has', () => {
    const p = matrixProtocol(SPEC);
    assert.deepStrictEqual(p, { eps: 0.1, steps: 20, step: 0.0125 });
    assert.strictEqual(matrixProtocol({ ...SPEC, data: { source: 'mnist', trainFraction: 0.8, path: ['data'] } }).eps, 0.3);
    assert.deepStrictEqual(matrixAttacks(SPEC, p).map((a) => `${a.id}:${a.kind}:${a.loss ?? ''}`), ['matrix-pgd:pgd:final', 'matrix-hijack:hijack:', 'matrix-slowdown:slowdown:']);
    assert.deepStrictEqual(matrixSpec(SPEC, p).checks.attacks.map((a) => a.eps), [[0.1], [0.1], [0.1]]);
    assert.strictEqual(SPEC.checks.attacks.length, 0, 'the file spec is not changed');
    assert.strictEqual(datasetLabel(SPEC), 'Fashion-MNIST');
    assert.strictEqual(mechanismLabel(SPEC), 'SDN (max-prob exits)');
    assert.strictEqual(mechanismLabel({ ...SPEC, policy: { ...SPEC.policy, kind: 'entropy' } }), 'BranchyNet (entropy exits)');
  });

  it('RQ1: holds, does not hold, or no difference within sampling noise, with Wilson intervals on the attackable samples', () => {
    const p = matrixProtocol(SPEC);
    const holds = matrixCell(cellResults(0.6, 0.4), SPEC, 'r.json', p).rq1!;
    assert.strictEqual(holds.verdict, 'holds');
    assert.deepStrictEqual([holds.dynToStatic.successes, holds.dynToStatic.n], [270, 450]);
    assert.ok(holds.dynToStatic.low < 0.6 && holds.dynToStatic.high > 0.6);
    assert.strictEqual(matrixCell(cellResults(0.4, 0.6), SPEC, 'r.json', p).rq1!.verdict, 'does not hold');
    // The example: 10.3% vs 9.9% is noise.
    const noise = matrixCell(cellResults(0.103, 0.099), SPEC, 'r.json', p).rq1!;
    assert.strictEqual(noise.verdict, 'no difference within sampling noise');
    assert.ok(noise.difference.low < 0 && noise.difference.high > 0);
  });

  it('RQ2: the DyNN is cheaper per success when its success-rate ratio clears the break-even of its larger passes', () => {
    const e = matrixCell(cellResults(0.5, 0.5), SPEC, 'r.json', matrixProtocol(SPEC)).rq2!;
    assert.ok(Math.abs(e.breakEven - 1.1) < 1e-9, `break-even ${e.breakEven}`);
    assert.ok(Math.abs(e.successRatio.estimate - 2) < 1e-9);
    assert.strictEqual(e.verdict, 'holds');
    const r = cellResults(0.5, 0.5);
    r.efficiency[0] = { ...r.efficiency[0]!, successes: 205, gradEvalsPerSuccess: 20 * 500 / 205, flopsPerSuccess: (20 * 500 * 3 * 1.1e6) / 205 };
    assert.strictEqual(matrixCell(r, SPEC, 'r.json', matrixProtocol(SPEC)).rq2!.verdict, 'no difference within sampling noise');
  });

  it('RQ3: threshold effect against the file design, Bonferroni-corrected; RQ4: rates clean vs attacked', () => {
    const cell = matrixCell(cellResults(0.5, 0.5), SPEC, 'r.json', matrixProtocol(SPEC));
    const t = cell.rq3!.effects.find((e) => e.knob === 'threshold')!;
    assert.strictEqual(t.designs, 3);
    assert.ok(Math.abs(t.effect.estimate - (0.55 - 0.71)) < 1e-9, `largest change ${t.effect.estimate}`);
    assert.strictEqual(t.verdict, 'holds');
    assert.strictEqual(cell.rq3!.verdict, 'holds');
    const [hijack, slowdown] = cell.rq4!.rows;
    assert.deepStrictEqual([hijack!.clean.successes, hijack!.attacked.successes, hijack!.verdict], [20, 200, 'holds']);
    assert.strictEqual(slowdown!.verdict, 'no difference within sampling noise');
    assert.strictEqual(cell.rq4!.verdict, 'holds');
    const none = cellResults(0.5, 0.5);
    none.transfer = [];
    none.sweeps = [];
    none.attacks = [];
    const empty = matrixCell(none, SPEC, 'r.json', matrixProtocol(SPEC));
    assert.deepStrictEqual([empty.rq1, empty.rq2, empty.rq3, empty.rq4], [null, null, null, null]);
  });

  it('reports: one table per finding, the grid, escaped text, a CSP with a nonce and no script', () => {
    const cell = matrixCell(cellResults(0.6, 0.4), SPEC, 'r.json', matrixProtocol(SPEC));
    const evil = { ...cell, mechanism: '<img src=x onerror=alert(1)>|*', dataset: 'MNIST' };
    const m: PaperMatrix = { version: MATRIX_VERSION, date: 'd', toolVersion: '0', backend: 'cpu', seed: 0, samples: 500, seconds: 1, confidence: 0.95, protocol: 'p', cells: [cell, evil] };
    assert.deepStrictEqual(checkPaperMatrix(m), []);
    assert.deepStrictEqual(matrixGrid(m).cellIndex, [[0, -1], [-1, 1]]);
    const md = buildMatrixMarkdown(m);
    for (const t of ['RQ1 transfer', 'RQ2 generation efficiency', 'RQ3 design choices', 'RQ4 mechanism']) assert.match(md, new RegExp(`\\*\\*${t}`));
    assert.doesNotMatch(md, /<img/);
    const html = buildMatrixHtml(m, 'abcdefghijklmnopqrstuv');
    assert.match(html, /content="default-src &#39;none&#39;; style-src &#39;nonce-abcdefghijklmnopqrstuv&#39;"/);
    assert.doesNotMatch(html, /<script|<img/);
    assert.match(html, /&lt;img src=x/);
    assert.throws(() => buildMatrixHtml({ ...m, cells: [{ ...cell, rq1: { verdict: 'maybe' } as never }] }), /malformed matrix/);
  });
});
