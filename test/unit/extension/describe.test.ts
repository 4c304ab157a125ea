import * as assert from 'assert';
import {
  describeExitRule,
  flopUnit,
  formatCount,
  formatFlops,
  formatShare,
  layerSettings,
  modelLensTitle,
} from '../../../src/extension/language/describe';
import type { CostReport, ExitPolicy } from '../../../src/modelfile/types';

const policy = (kind: ExitPolicy['kind'], threshold: number, patience = 2): ExitPolicy => ({ kind, threshold, patience, path: ['policy'] });

const report = (over: Partial<CostReport>): CostReport => ({
  layers: [],
  exits: [],
  gates: [],
  totalParams: 0,
  fullFlops: 0,
  staticFlops: 0,
  bestCaseFlops: 0,
  worstCaseFlops: 0,
  ...over,
});

describe('editor/describe: numbers', () => {
  it('picks the FLOP unit by magnitude', () => {
    assert.deepStrictEqual(flopUnit(999), [1, 'FLOPs']);
    assert.deepStrictEqual(flopUnit(1_000), [1e3, 'kFLOPs']);
    assert.deepStrictEqual(flopUnit(1_234_567), [1e6, 'MFLOPs']);
    assert.deepStrictEqual(flopUnit(3e9), [1e9, 'GFLOPs']);
  });

  it('keeps one decimal below 10 and none above', () => {
    assert.strictEqual(formatFlops(1_234_567), '1.2 MFLOPs');
    assert.strictEqual(formatFlops(12_345_678), '12 MFLOPs');
    assert.strictEqual(formatFlops(640), '640 FLOPs');
    assert.strictEqual(formatCount(120_400), '120k');
    assert.strictEqual(formatCount(4_520), '4.5k');
    assert.strictEqual(formatCount(830), '830');
    assert.strictEqual(formatCount(2_500_000), '2.5M');
  });

  it('rounds shares to whole percent and never shows a non-zero share as 0%', () => {
    assert.strictEqual(formatShare(0.234), '23%');
    assert.strictEqual(formatShare(0.004), '<1%');
    assert.strictEqual(formatShare(0), '0%');
    assert.strictEqual(formatShare(1), '100%');
  });
});

describe('editor/describe: titles', () => {
  it('states the exit rule per policy, preferring the exit threshold', () => {
    assert.strictEqual(describeExitRule(policy('maxProb', 0.9), {}), 'max-prob ≥ 0.90');
    assert.strictEqual(describeExitRule(policy('maxProb', 0.9), { threshold: 0.75 }), 'max-prob ≥ 0.75');
    assert.strictEqual(describeExitRule(policy('entropy', 0.2), {}), 'entropy ≤ 0.20');
    assert.strictEqual(describeExitRule(policy('patience', 0.9, 3), {}), 'patience 3');
  });

  it('writes the model lens with best and worst in the unit of the full count', () => {
    const title = modelLensTitle(report({ fullFlops: 1_230_000, bestCaseFlops: 310_000, worstCaseFlops: 1_290_000, totalParams: 120_300 }));
    assert.strictEqual(title, '1.2 MFLOPs full · best 0.3 · worst 1.3 · 120k params');
  });

  it('lists the settings that decide shape and cost', () => {
    assert.strictEqual(
      layerSettings({ type: 'conv2d', name: 'c', path: [], filters: 16, kernel: 3, stride: 1, padding: 'same', activation: 'relu', useBias: true }),
      '16 filters, 3×3, stride 1, same, relu',
    );
    assert.strictEqual(layerSettings({ type: 'dense', name: 'd', path: [], units: 10, activation: 'linear', useBias: true }), '10 units, linear');
    assert.strictEqual(layerSettings({ type: 'flatten', name: 'f', path: [] }), '');
  });
});
