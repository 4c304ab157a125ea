// Sanity flags of the whole run and of each attack, errors first, so the panel can show them before any chart.
import type { Results, SanityFlag } from '../../protocol/results';

export interface FlagView extends SanityFlag {
  /** "run" or the attack result id the flag belongs to. */
  source: string;
}

export function allFlags(r: Results): FlagView[] {
  const flags: FlagView[] = [...r.flags.map((f) => ({ ...f, source: 'run' })), ...r.attacks.flatMap((a) => a.flags.map((f) => ({ ...f, source: a.id })))];
  // Stable sort keeps document order within a severity.
  return flags.sort((a, b) => (a.severity === b.severity ? 0 : a.severity === 'error' ? -1 : 1));
}
