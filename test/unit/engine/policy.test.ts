import * as assert from 'assert';
import { decideExit, initialPolicyState, normalisedEntropy, replayPolicy, type PolicyConfig } from '../../../src/engine/policy';

const p = (...v: number[]): Float32Array => Float32Array.from(v);

describe('engine/policy', () => {
  it('maxProb fires at and above the threshold only', () => {
    const c: PolicyConfig = { kind: 'maxProb', thresholds: [0.9], patience: 2 };
    // Plain numbers: 0.9 is not representable in float32, a recorded probability never equals it exactly.
    assert.strictEqual(decideExit(c, 0, [0.9, 0.05, 0.05], 0, 3, initialPolicyState()), true);
    assert.strictEqual(decideExit(c, 0, p(0.89, 0.1, 0.01), 0, 3, initialPolicyState()), false);
  });
  it('entropy fires when normalised entropy is at most the threshold', () => {
    assert.ok(Math.abs(normalisedEntropy(p(1 / 3, 1 / 3, 1 / 3)) - 1) < 1e-6);
    assert.strictEqual(normalisedEntropy(p(1, 0, 0)), 0);
    const c: PolicyConfig = { kind: 'entropy', thresholds: [0.2], patience: 2 };
    assert.strictEqual(decideExit(c, 0, p(0.98, 0.01, 0.01), 0, 3, initialPolicyState()), true);
    assert.strictEqual(decideExit(c, 0, p(0.6, 0.3, 0.1), 0, 3, initialPolicyState()), false);
  });
  it('patience fires after k consecutive agreeing exits, resets on disagreement', () => {
    const c: PolicyConfig = { kind: 'patience', thresholds: [0, 0, 0, 0], patience: 2 };
    const s = initialPolicyState();
    assert.strictEqual(decideExit(c, 0, p(0.6, 0.4), 0, 2, s), false);
    assert.strictEqual(decideExit(c, 1, p(0.3, 0.7), 0, 2, s), false);
    assert.strictEqual(decideExit(c, 2, p(0.2, 0.8), 0, 2, s), true);
  });
  it('a disabled exit neither fires nor counts toward patience', () => {
    const c: PolicyConfig = { kind: 'patience', thresholds: [0, 0], patience: 2, enabled: [true, false] };
    const s = initialPolicyState();
    decideExit(c, 0, p(0.9, 0.1), 0, 2, s);
    assert.strictEqual(decideExit(c, 1, p(0.9, 0.1), 0, 2, s), false);
    assert.strictEqual(s.streak, 1);
  });
  it('replays decisions on recorded probabilities, per-exit thresholds, final catches the rest', () => {
    const c: PolicyConfig = { kind: 'maxProb', thresholds: [0.95, 0.8], patience: 1 };
    // 3 samples, 2 classes; exits e0, e1, final.
    const e0 = p(0.96, 0.04, 0.9, 0.1, 0.5, 0.5);
    const e1 = p(0.5, 0.5, 0.15, 0.85, 0.6, 0.4);
    const fin = p(0.5, 0.5, 0.5, 0.5, 0.3, 0.7);
    const r = replayPolicy(c, [e0, e1, fin], 2);
    assert.deepStrictEqual(Array.from(r.exitIndex), [0, 1, 2]);
    assert.deepStrictEqual(Array.from(r.prediction), [0, 1, 1]);
    assert.ok(Math.abs((r.confidence[1] ?? 0) - 0.85) < 1e-6);
  });
  it('rejects a missing threshold with a clear message', () => {
    assert.throws(() => decideExit({ kind: 'maxProb', thresholds: [], patience: 1 }, 0, p(1, 0), 0, 2, initialPolicyState()), /No threshold for exit 0/);
  });
});
