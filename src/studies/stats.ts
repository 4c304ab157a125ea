// The statistics behind the paper-matrix verdicts, in one place: Wilson score intervals for a rate, Newcombe's
// hybrid score interval for the difference of two rates, and the three-way verdict they give. A finding "holds"
// only when the whole interval of the difference lies on the paper's side of zero; an interval that holds zero
// is "no difference within sampling noise", however the point estimates compare. Pure: no TF.js, no I/O.

/** A rate with its binomial confidence interval. */
export interface RateInterval {
  successes: number;
  n: number;
  rate: number;
  low: number;
  high: number;
}

/** The difference a - b of two rates, with its interval. */
export interface DifferenceInterval {
  a: RateInterval;
  b: RateInterval;
  difference: number;
  low: number;
  high: number;
  /** Two-sided confidence level used, e.g. 0.95. */
  confidence: number;
}

export type Verdict = 'holds' | 'does not hold' | 'no difference within sampling noise' | 'not measured';

export const DEFAULT_CONFIDENCE = 0.95;

/** Inverse of the standard normal CDF (Acklam's rational approximation, relative error < 1.2e-9). */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`normalQuantile: p must be in (0, 1), got ${p}`);
  const a = [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239];
  const b = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1];
  const c = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
  const lowTail = 0.02425;
  const poly = (k: number[], x: number): number => k.reduce((acc, v) => acc * x + v, 0);
  if (p < lowTail) {
    const q = Math.sqrt(-2 * Math.log(p));
    return poly(c, q) / (poly(d, q) * q + 1);
  }
  if (p > 1 - lowTail) return -normalQuantile(1 - p);
  const q = p - 0.5;
  const r = q * q;
  return (poly(a, r) * q) / (poly(b, r) * r + 1);
}

/** z for a two-sided interval of this confidence (1.96 for 0.95). */
export function zFor(confidence: number): number {
  if (!(confidence > 0 && confidence < 1)) throw new RangeError(`confidence must be in (0, 1), got ${confidence}`);
  return normalQuantile(1 - (1 - confidence) / 2);
}

/** Wilson score interval of successes / n. n = 0 gives the uninformative [0, 1]. */
export function wilson(successes: number, n: number, confidence = DEFAULT_CONFIDENCE): RateInterval {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`wilson: n must be an integer >= 0, got ${n}`);
  if (!(successes >= 0 && successes <= n)) throw new RangeError(`wilson: successes must be in 0..${n}, got ${successes}`);
  if (n === 0) return { successes: 0, n: 0, rate: 0, low: 0, high: 1 };
  const z = zFor(confidence);
  const p = successes / n;
  const z2n = (z * z) / n;
  const centre = (p + z2n / 2) / (1 + z2n);
  const half = (z / (1 + z2n)) * Math.sqrt((p * (1 - p)) / n + z2n / (4 * n));
  // Clamp: at p = 0 or 1 rounding can step a hair outside [0, 1].
  return { successes, n, rate: p, low: Math.max(0, centre - half), high: Math.min(1, centre + half) };
}

/** A rate measured as a share of n samples: the count is recovered (rates in Results are counts / n). */
export function rateOf(rate: number, n: number, confidence = DEFAULT_CONFIDENCE): RateInterval {
  return wilson(Math.min(n, Math.max(0, Math.round(rate * n))), n, confidence);
}

/**
 * Newcombe's hybrid score interval (his method 10) for p_a - p_b from independent samples, built from the two
 * Wilson intervals. On paired data (the same test samples) it is conservative, never anti-conservative, for
 * positively correlated outcomes, which attack outcomes on the same inputs are.
 */
export function differenceInterval(a: RateInterval, b: RateInterval, confidence = DEFAULT_CONFIDENCE): DifferenceInterval {
  const wa = wilson(a.successes, a.n, confidence);
  const wb = wilson(b.successes, b.n, confidence);
  const d = wa.rate - wb.rate;
  const low = d - Math.sqrt((wa.rate - wa.low) ** 2 + (wb.high - wb.rate) ** 2);
  const high = d + Math.sqrt((wa.high - wa.rate) ** 2 + (wb.rate - wb.low) ** 2);
  return { a: wa, b: wb, difference: d, low: Math.max(-1, low), high: Math.min(1, high), confidence };
}

/** The paper says a > b: holds when the interval of a - b lies above 0, does not hold when below 0. */
export function verdictAGreater(diff: DifferenceInterval): Verdict {
  if (diff.a.n === 0 || diff.b.n === 0) return 'not measured';
  if (diff.low > 0) return 'holds';
  if (diff.high < 0) return 'does not hold';
  return 'no difference within sampling noise';
}

/** Ratio a.rate / b.rate with Katz's log interval; undefined when either has no success (the log is unbounded). */
export function ratioInterval(a: RateInterval, b: RateInterval, confidence = DEFAULT_CONFIDENCE): { estimate: number; low: number; high: number } | undefined {
  if (a.successes === 0 || b.successes === 0 || a.n === 0 || b.n === 0) return undefined;
  const estimate = a.rate / b.rate;
  const se = Math.sqrt((1 - a.rate) / a.successes + (1 - b.rate) / b.successes);
  const z = zFor(confidence);
  return { estimate, low: estimate * Math.exp(-z * se), high: estimate * Math.exp(z * se) };
}

/** The paper says ratio > breakEven: holds when the whole interval is above it, does not hold when below. */
export function verdictAboveThreshold(interval: { low: number; high: number } | undefined, threshold: number): Verdict {
  if (interval === undefined) return 'not measured';
  if (interval.low > threshold) return 'holds';
  if (interval.high < threshold) return 'does not hold';
  return 'no difference within sampling noise';
}

/** Bonferroni: the confidence each of `comparisons` intervals needs for the family to keep `confidence`. */
export function bonferroni(confidence: number, comparisons: number): number {
  return 1 - (1 - confidence) / Math.max(1, comparisons);
}

const pct = (x: number): string => `${(100 * x).toFixed(1)}%`;

/** "41.2% [36.9, 45.6] (206/500)" */
export function formatRate(r: RateInterval): string {
  return `${pct(r.rate)} [${(100 * r.low).toFixed(1)}, ${(100 * r.high).toFixed(1)}] (${r.successes}/${r.n})`;
}

/** "+3.4 pts [-2.1, +8.9]" */
export function formatDifference(d: DifferenceInterval): string {
  const s = (x: number): string => `${x >= 0 ? '+' : ''}${(100 * x).toFixed(1)}`;
  return `${s(d.difference)} pts [${s(d.low)}, ${s(d.high)}]`;
}
