// Number formatting shared by the panel, the HTML report and the Markdown report, so all three print a figure
// the same way.

/** A share in [0, 1] as a percentage: 0.3125 -> "31.3%". */
export function pct(x: number, digits = 1): string {
  return Number.isFinite(x) ? `${(x * 100).toFixed(digits)}%` : String(x);
}

/** A plain number with up to `digits` decimals, without trailing zeros: 0.30 -> "0.3". */
/**
 * Percent labels for an axis whose ticks are `ticks` (shares 0..1), with the fewest decimals (at most 2) that show
 * every tick exactly: ticks half a point apart read "93.0% 93.5% 94.0%", never "93% 93% 94% 94%".
 */
export function percentTicks(ticks: readonly number[]): string[] {
  const exact = (digits: number): boolean =>
    ticks.every((t) => {
      const scaled = t * 100 * 10 ** digits;
      return Math.abs(scaled - Math.round(scaled)) < 1e-6;
    });
  let digits = 0;
  while (digits < 2 && !exact(digits)) digits++;
  return ticks.map((t) => `${(t * 100).toFixed(digits)}%`);
}

export function num(x: number, digits = 3): string {
  if (!Number.isFinite(x)) return String(x);
  return String(Number(x.toFixed(digits)));
}

/** Large counts in engineering style: 1234567 -> "1.23M". */
export function big(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  const a = Math.abs(x);
  if (a >= 1e9) return `${num(x / 1e9, 2)}G`;
  if (a >= 1e6) return `${num(x / 1e6, 2)}M`;
  if (a >= 1e3) return `${num(x / 1e3, 2)}k`;
  return num(x, 2);
}

export function seconds(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  return x >= 100 ? `${Math.round(x)} s` : `${num(x, 2)} s`;
}

/** A JSON path into the model file as it reads in the file: ["exits", 1, "threshold"] -> "exits[1].threshold". */
export function jsonPath(path: readonly (string | number)[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += /^[A-Za-z_$][\w$-]*$/.test(key) ? (out === '' ? key : `.${key}`) : `[${JSON.stringify(key)}]`;
  }
  return out === '' ? '(model root)' : out;
}

/** A metric value in a suggestion's before/after map: rates and ratios as percentages, other numbers plain. */
export function metric(name: string, x: number): string {
  return /rate|accuracy|ratio|share|fraction|eec/i.test(name) && Math.abs(x) <= 1.5 ? pct(x) : num(x);
}
