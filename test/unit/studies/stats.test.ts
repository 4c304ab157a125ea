import * as assert from 'assert';
import { bonferroni, differenceInterval, ratioInterval, verdictAboveThreshold, formatDifference, formatRate, normalQuantile, rateOf, verdictAGreater, wilson, zFor } from '../../../src/studies/stats';

const close = (actual: number, expected: number, tol = 5e-4): void => assert.ok(Math.abs(actual - expected) <= tol, `${actual} vs ${expected}`);

describe('paper-matrix statistics', () => {
  it('normal quantiles', () => {
    close(zFor(0.95), 1.959964, 1e-6);
    close(zFor(0.99), 2.575829, 1e-6);
    close(normalQuantile(0.5), 0, 1e-12);
    close(normalQuantile(0.001), -3.090232, 1e-6);
    assert.throws(() => normalQuantile(1), RangeError);
  });

  it('Wilson intervals match published values (Newcombe 1998, table I)', () => {
    const a = wilson(81, 263);
    close(a.low, 0.2553);
    close(a.high, 0.3662);
    const b = wilson(15, 148);
    close(b.low, 0.0624);
    close(b.high, 0.1605);
    const zero = wilson(0, 10);
    assert.strictEqual(zero.low, 0);
    close(zero.high, 0.2775);
    const all = wilson(10, 10);
    assert.strictEqual(all.high, 1);
    close(all.low, 0.7225);
    assert.deepStrictEqual(wilson(0, 0), { successes: 0, n: 0, rate: 0, low: 0, high: 1 });
    assert.throws(() => wilson(11, 10), RangeError);
  });

  it('the interval narrows with more samples and widens with more confidence', () => {
    const small = wilson(50, 100);
    const large = wilson(500, 1000);
    assert.ok(large.high - large.low < small.high - small.low);
    const strict = wilson(50, 100, 0.999);
    assert.ok(strict.low < small.low && strict.high > small.high);
  });

  it("Newcombe's difference interval (method 10) matches his worked example: 56/70 - 48/80", () => {
    const d = differenceInterval(wilson(56, 70), wilson(48, 80));
    close(d.difference, 0.2, 1e-12);
    close(d.low, 0.0524);
    close(d.high, 0.3339);
  });

  it('verdicts: holds, does not hold, or no difference within sampling noise', () => {
    assert.strictEqual(verdictAGreater(differenceInterval(wilson(56, 70), wilson(48, 80))), 'holds');
    assert.strictEqual(verdictAGreater(differenceInterval(wilson(48, 80), wilson(56, 70))), 'does not hold');
    // The example: 10.3% vs 9.9% of ~500 samples is noise, not a finding.
    const noise = differenceInterval(rateOf(0.103, 500), rateOf(0.099, 500));
    assert.strictEqual(verdictAGreater(noise), 'no difference within sampling noise');
    assert.ok(noise.low < 0 && noise.high > 0);
    assert.strictEqual(verdictAGreater(differenceInterval(wilson(0, 0), wilson(3, 10))), 'not measured');
  });

  it("Katz's log interval of a ratio of rates, and the verdict against a break-even ratio", () => {
    // 30/100 vs 15/100: ratio 2, se = sqrt(0.7/30 + 0.85/15) = sqrt(0.08).
    const r = ratioInterval(wilson(30, 100), wilson(15, 100));
    assert.ok(r !== undefined);
    close(r.estimate, 2, 1e-12);
    close(r.low, 2 * Math.exp(-1.959964 * Math.sqrt(0.08)), 1e-5);
    close(r.high, 2 * Math.exp(1.959964 * Math.sqrt(0.08)), 1e-5);
    assert.strictEqual(verdictAboveThreshold(r, 1), 'holds');
    assert.strictEqual(verdictAboveThreshold(r, 4), 'does not hold');
    assert.strictEqual(verdictAboveThreshold(r, 2.5), 'no difference within sampling noise');
    assert.strictEqual(ratioInterval(wilson(0, 100), wilson(15, 100)), undefined);
    assert.strictEqual(verdictAboveThreshold(undefined, 1), 'not measured');
  });

  it('Bonferroni, rates from shares, and the printed forms', () => {
    close(bonferroni(0.95, 5), 0.99, 1e-12);
    assert.strictEqual(bonferroni(0.95, 0), 0.95);
    assert.strictEqual(rateOf(0.412, 500).successes, 206);
    assert.strictEqual(formatRate(wilson(206, 500)), '41.2% [37.0, 45.6] (206/500)');
    assert.strictEqual(formatDifference(differenceInterval(wilson(56, 70), wilson(48, 80))), '+20.0 pts [+5.2, +33.4]');
  });
});
