import * as assert from 'node:assert/strict';
import { confidenceFloor, isStricter, minEntropyAtMaxProb, thresholdForConfidence } from '../../../src/advice/thresholds';

describe('advice thresholds: one confidence scale for maxProb and entropy', () => {
  it('minimum entropy at a given max probability', () => {
    assert.equal(minEntropyAtMaxProb(1), 0);
    assert.ok(Math.abs(minEntropyAtMaxProb(0.5) - Math.log(2)) < 1e-12);
    assert.ok(Math.abs(minEntropyAtMaxProb(0.25) - Math.log(4)) < 1e-12);
    // 0.9 / 0.1: the binary entropy.
    assert.ok(Math.abs(minEntropyAtMaxProb(0.9) - (-0.9 * Math.log(0.9) - 0.1 * Math.log(0.1))) < 1e-12);
    // 0.4, 0.4, 0.2
    assert.ok(Math.abs(minEntropyAtMaxProb(0.4) - (-0.8 * Math.log(0.4) - 0.2 * Math.log(0.2))) < 1e-12);
  });

  it('a maxProb threshold is its own floor', () => {
    assert.equal(confidenceFloor('maxProb', 0.73, 10), 0.73);
  });

  it('an entropy threshold admits a two-way tie from ln 2 / ln K up', () => {
    const tie = Math.log(2) / Math.log(10);
    assert.ok(confidenceFloor('entropy', tie + 1e-6, 10) <= 0.5 + 1e-9);
    assert.ok(confidenceFloor('entropy', tie - 1e-3, 10) > 0.5);
    assert.ok(Math.abs(confidenceFloor('entropy', 0.2, 10) - 0.827) < 1e-3);
    assert.equal(confidenceFloor('entropy', 1, 10), 0.1);
    assert.equal(confidenceFloor('entropy', 0, 10), 1);
  });

  it('the floor of the threshold chosen for a confidence is at least that confidence', () => {
    for (const k of [2, 3, 10, 100, 1000]) {
      for (const p of [0.8, 0.9, 0.95]) {
        const t = thresholdForConfidence('entropy', p, k);
        assert.ok(confidenceFloor('entropy', t, k) >= p - 1e-9, `K=${k} p=${p} t=${t}`);
        assert.ok(confidenceFloor('entropy', t + 0.01, k) < p, `t=${t} is the largest two-decimal threshold`);
      }
    }
    assert.equal(thresholdForConfidence('entropy', 0.9, 10), 0.14);
    assert.equal(thresholdForConfidence('maxProb', 0.9, 10), 0.9);
  });

  it('strictness runs up for maxProb and down for entropy', () => {
    assert.ok(isStricter('maxProb', 0.95, 0.9));
    assert.ok(!isStricter('maxProb', 0.9, 0.9));
    assert.ok(isStricter('entropy', 0.1, 0.2));
  });
});
