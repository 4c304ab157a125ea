// Findings from measured results (source 'results'): an exit whose measured hijack rate, or a model whose FLOPs
// per sample under attack rise by more than a limit, gets a warning at its line with the number that was
// measured; the sweep's suggestions for that part become its quick fixes (the same edits the results panel
// applies). Pure: results + the current analysis + limits in, diagnostics out.
import type { AttackResult, Results, Suggestion } from '../protocol/results';
import type { Diagnostic, Fix, ModelSpec, Span } from '../modelfile/types';
import type { EditTarget } from './edits';
import { suggestionEdits } from './suggestionEdit';

export const HIJACK_CODE = 'results/hijack-rate';
export const SLOWDOWN_CODE = 'results/slowdown-cost';
export const TRAINING_CODE = 'results/adversarial-training';

export interface ResultLimits {
  /** Largest acceptable share of samples answered wrongly at one internal exit under attack (0..1). */
  hijackRate: number;
  /** Largest acceptable relative increase of mean FLOPs per sample under attack over clean (0.25 = +25%). */
  slowdownCostIncrease: number;
}

export const DEFAULT_RESULT_LIMITS: Readonly<ResultLimits> = { hijackRate: 0.1, slowdownCostIncrease: 0.25 };

/** The current file, as the findings need it: its spec, its hash and an edit target for the fixes. */
export interface ResultSubject extends EditTarget {
  spec: ModelSpec;
  specHash: string | undefined;
}

function pct(x: number): string {
  return `${(100 * x).toFixed(x < 0.1 ? 1 : 0)}%`;
}

/** Relative FLOPs increase of an attack over clean inference (0 when clean costs nothing). */
export function costIncrease(results: Results, attack: AttackResult): number {
  const clean = results.clean.meanFlopsRatio;
  return clean > 0 ? (attack.meanFlopsRatio - clean) / clean : 0;
}

/** The attack with the highest hijack rate at internal exit `i`, with that rate. */
export function worstHijack(results: Results, exitIndex: number): { attack: AttackResult; rate: number } | undefined {
  let worst: { attack: AttackResult; rate: number } | undefined;
  for (const a of results.attacks) {
    const rate = a.hijackByExit[exitIndex];
    if (rate !== undefined && (worst === undefined || rate > worst.rate)) worst = { attack: a, rate };
  }
  return worst;
}

/** The attack that raised the mean cost per sample the most, with the relative increase. */
export function worstSlowdown(results: Results): { attack: AttackResult; increase: number } | undefined {
  let worst: { attack: AttackResult; increase: number } | undefined;
  for (const a of results.attacks) {
    const increase = costIncrease(results, a);
    if (worst === undefined || increase > worst.increase) worst = { attack: a, increase };
  }
  return worst;
}

function nameSpan(subject: ResultSubject, path: readonly (string | number)[]): Span | undefined {
  const name = subject.locate([...path, 'name']);
  if (name) return name.value;
  const node = subject.locate(path);
  return node ? (node.key ?? node.value) : undefined;
}

function fixesFor(subject: ResultSubject, suggestions: readonly Suggestion[]): Fix[] {
  const fixes: Fix[] = [];
  for (const s of suggestions) {
    const made = suggestionEdits(subject, s.change);
    if (made.ok) fixes.push({ title: `Apply measured suggestion: ${s.title}`, edits: made.edits });
  }
  return fixes;
}

/** Suggestions measured against `attackId` first, then the others, keeping only those concerning `accept`. */
function suggestionsFor(results: Results, attackId: string, accept: (s: Suggestion) => boolean): Suggestion[] {
  const relevant = results.suggestions.filter(accept);
  const own = relevant.filter((s) => s.id.startsWith(`${attackId}@`));
  return [...own, ...relevant.filter((s) => !own.includes(s))];
}

/** Warnings (with fixes) for the measured results of the file described by `subject`. */
export function resultFindings(results: Results, subject: ResultSubject, limits: ResultLimits = DEFAULT_RESULT_LIMITS): Diagnostic[] {
  const { spec } = subject;
  if (results.model.name !== spec.name) return [];
  const stale = subject.specHash !== undefined && subject.specHash !== results.model.specHash ? ' (stale: measured before the file last changed)' : '';
  const out: Diagnostic[] = [];
  results.model.exitNames.slice(0, -1).forEach((exitName, i) => {
    const worst = worstHijack(results, i);
    if (worst === undefined || !(worst.rate > limits.hijackRate)) return;
    const exit = spec.exits.find((e) => e.name === exitName);
    if (!exit) return;
    const span = nameSpan(subject, exit.path);
    if (!span) return;
    const a = worst.attack;
    const fixes = fixesFor(
      subject,
      suggestionsFor(results, a.attackId, (s) => (s.target.kind === 'exit' && s.target.name === exitName) || s.target.kind === 'policy'),
    );
    out.push({
      severity: 'warning',
      code: HIJACK_CODE,
      message: `${exitName}: ${pct(worst.rate)} of samples exit here with a wrong answer under ${a.attackId} (${a.kind}, eps ${a.eps}); limit ${pct(limits.hijackRate)} (setting dynn.limits.hijackRate)${stale}`,
      span,
      source: 'results',
      ...(fixes.length > 0 ? { fixes } : {}),
    });
  });
  const slow = worstSlowdown(results);
  if (slow !== undefined && slow.increase > limits.slowdownCostIncrease) {
    const name = subject.locate(['name']);
    const span = name ? name.value : { start: 0, end: 0 };
    const a = slow.attack;
    const fixes = fixesFor(subject, suggestionsFor(results, a.attackId, (s) => s.target.kind !== 'model'));
    out.push({
      severity: 'warning',
      code: SLOWDOWN_CODE,
      message: `${spec.name}: ${a.attackId} (${a.kind}, eps ${a.eps}) raises the mean FLOPs per sample by ${pct(slow.increase)} (${pct(results.clean.meanFlopsRatio)} -> ${pct(a.meanFlopsRatio)} of the full network); limit +${pct(limits.slowdownCostIncrease)} (setting dynn.limits.slowdownCostIncrease)${stale}`,
      span,
      source: 'results',
      ...(fixes.length > 0 ? { fixes } : {}),
    });
  }
  const training = trainingFinding(results, subject, stale);
  if (training !== undefined) out.push(training);
  return out;
}

/**
 * The adversarial-training study's suggestion, at the file's `train` key (or its name when `train` is not written):
 * what the recipe was measured to buy and cost, with the edit as its fix when the file can take it.
 */
function trainingFinding(results: Results, subject: ResultSubject, stale: string): Diagnostic | undefined {
  const s = results.suggestions.find((k) => k.target.kind === 'model' && k.change.path.join('.') === 'train.adversarial');
  if (s === undefined || subject.spec.train.adversarial !== undefined) return undefined;
  const at = subject.locate(['train']) ?? subject.locate(['name']);
  const span = at ? (at.key ?? at.value) : { start: 0, end: 0 };
  const fixes = fixesFor(subject, [s]);
  return {
    severity: 'info',
    code: TRAINING_CODE,
    message: `Measured: ${s.title}${stale}`,
    span,
    source: 'results',
    ...(fixes.length > 0 ? { fixes } : {}),
  };
}
