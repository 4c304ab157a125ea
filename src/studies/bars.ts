// Quality bars for CI (`dynn-lens check --fail-under METRIC[:ATTACK]=VALUE`): a run fails when a metric is below
// its bar. Clean metrics are single numbers; attack metrics take the worst (lowest) value over the attack results
// the optional scope selects (an attack id like `pgd-final`, or one result like `pgd-final@0.3`).
import type { AttackResult, Results } from '../protocol/results';

export const CLEAN_METRICS = ['clean-accuracy', 'final-exit-accuracy', 'clean-eec'] as const;
export const ATTACK_METRICS = ['robust-accuracy', 'final-exit-robust-accuracy', 'eec'] as const;
export type BarMetric = (typeof CLEAN_METRICS)[number] | (typeof ATTACK_METRICS)[number];

export interface Bar {
  metric: BarMetric;
  /** Attack id or result id (`id@eps`); absent = every attack result. */
  scope?: string;
  value: number;
  text: string;
}

export class BarSyntaxError extends Error {
  override readonly name = 'BarSyntaxError';
}

const ALL: readonly string[] = [...CLEAN_METRICS, ...ATTACK_METRICS];

/** Parses `METRIC[:ATTACK]=VALUE`; VALUE is a share (0.5) or a percentage (50%). */
export function parseBar(text: string): Bar {
  const m = /^([a-z-]+)(?::([^=]+))?=(.+)$/.exec(text.trim());
  if (m === null) throw new BarSyntaxError(`--fail-under '${text}': expected METRIC[:ATTACK]=VALUE, e.g. robust-accuracy:pgd-final=0.4`);
  const [, metric = '', scope, raw = ''] = m;
  if (!ALL.includes(metric)) throw new BarSyntaxError(`--fail-under '${text}': unknown metric '${metric}' (known: ${ALL.join(', ')})`);
  if (scope !== undefined && (CLEAN_METRICS as readonly string[]).includes(metric)) {
    throw new BarSyntaxError(`--fail-under '${text}': ${metric} is a clean metric and takes no attack`);
  }
  const percent = raw.trim().endsWith('%');
  const num = Number(percent ? raw.trim().slice(0, -1) : raw.trim());
  const value = percent ? num / 100 : num;
  if (raw.trim() === '' || !Number.isFinite(value) || value < 0 || value > 1) {
    throw new BarSyntaxError(`--fail-under '${text}': value '${raw}' must be a share in [0, 1] or a percentage in [0%, 100%]`);
  }
  return { metric: metric as BarMetric, ...(scope !== undefined ? { scope: scope.trim() } : {}), value, text };
}

function attackValue(a: AttackResult, metric: BarMetric): number {
  if (metric === 'robust-accuracy') return a.robustAccuracy;
  if (metric === 'final-exit-robust-accuracy') return a.finalExitRobustAccuracy;
  return a.eec;
}

export interface BarOutcome {
  bar: Bar;
  passed: boolean;
  /** Sentence naming the measured value(s) that failed, or the value that passed. */
  message: string;
}

export function checkBars(results: Results, bars: readonly Bar[]): BarOutcome[] {
  return bars.map((bar) => {
    if (bar.metric === 'clean-accuracy' || bar.metric === 'final-exit-accuracy' || bar.metric === 'clean-eec') {
      const v = bar.metric === 'clean-accuracy' ? results.clean.accuracy : bar.metric === 'final-exit-accuracy' ? results.clean.finalExitAccuracy : results.clean.eec;
      return { bar, passed: v >= bar.value, message: `${bar.metric} ${fmt(v)} ${v >= bar.value ? '>=' : '<'} ${fmt(bar.value)}` };
    }
    const scoped = results.attacks.filter((a) => bar.scope === undefined || a.attackId === bar.scope || a.id === bar.scope);
    if (scoped.length === 0) {
      const known = results.attacks.map((a) => a.id).join(', ') || 'none';
      return { bar, passed: false, message: `${bar.text}: no attack result matches '${bar.scope ?? ''}' (results: ${known})` };
    }
    const failing = scoped.filter((a) => attackValue(a, bar.metric) < bar.value);
    if (failing.length === 0) {
      const worst = Math.min(...scoped.map((a) => attackValue(a, bar.metric)));
      return { bar, passed: true, message: `${bar.metric} ${fmt(worst)} >= ${fmt(bar.value)} (worst of ${scoped.length})` };
    }
    return { bar, passed: false, message: failing.map((a) => `${a.id} ${bar.metric} ${fmt(attackValue(a, bar.metric))} < ${fmt(bar.value)}`).join('; ') };
  });
}

function fmt(x: number): string {
  return `${(100 * x).toFixed(1)}%`;
}
