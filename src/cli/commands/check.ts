// `dynn-lens check FILE`: the attack check of a model file headless (src/studies runCheck): a summary table on
// stdout, progress on stderr, results under .dynn/results/, optional JSON and Markdown reports, and exit code 1
// when a --fail-under bar is not met. `study` (study.ts) shares the options and the reporting.
import * as path from 'node:path';
import { buildMarkdownReport } from '../../panel/host/report';
import { trainingTable } from '../../panel/model/training';
import type { Progress } from '../../engine/types';
import { BarSyntaxError, checkBars, parseBar, type Bar } from '../../studies/bars';
import type { CheckOptions } from '../../studies/check';
import type { StudyName } from '../../protocol/study-names';
import { ModelFileError, readModelFile } from '../../studies/modelFile';
import type { Results } from '../../protocol/results';
import { writeWorkspaceFile } from '../../studies/resultsFiles';
import { UsageError, type Command, type CommandInput, type OptionSpec } from '../command';
import type { Output } from '../io';
import { forTerminal } from '../../modelfile/display';
import { locatableFailure, refusedWorkspace, writeRunFailure } from '../runFailure';

export const RUN_OPTIONS: Record<string, OptionSpec> = {
  attack: { type: 'string', multiple: true, valueName: 'ID', description: "Run this attack of the file's checks (repeatable; default all)" },
  eps: { type: 'string', multiple: true, valueName: 'E', description: "Radius to use instead of each attack's own list (repeatable)" },
  steps: { type: 'string', valueName: 'K', description: "Iterations for every attack instead of each attack's own" },
  'ensemble-preset': { type: 'string', valueName: 'P', description: "thorough or quick: the budget of every ensemble check instead of its own preset" },
  samples: { type: 'string', valueName: 'N', description: 'Test samples to evaluate (default checks.samples)' },
  seed: { type: 'string', valueName: 'S', description: 'Attack seed (default checks.seed); the same seed gives the same numbers' },
  backend: { type: 'string', valueName: 'B', description: 'auto (default), tensorflow-gpu, webgpu, tensorflow, wasm or cpu' },
  json: { type: 'string', valueName: 'OUT', description: 'Also write the Results JSON to OUT (- for stdout)' },
  md: { type: 'string', valueName: 'OUT', description: 'Write a Markdown report to OUT' },
  'fail-under': { type: 'string', multiple: true, valueName: 'METRIC=VALUE', description: 'Exit 1 when METRIC[:ATTACK] is below VALUE (repeatable)' },
  workspace: { type: 'string', valueName: 'DIR', description: 'Workspace folder holding .dynn/ (default the current directory)' },
};

function strings(v: unknown): string[] {
  if (v === undefined) return [];
  return (Array.isArray(v) ? v : [v]).filter((x): x is string => typeof x === 'string');
}

function integerOption(values: CommandInput['values'], name: string, min: number): number | undefined {
  const v = values[name];
  if (v === undefined) return undefined;
  const n = Number(v);
  if (typeof v !== 'string' || v.trim() === '' || !Number.isInteger(n) || n < min) throw new UsageError(`--${name} must be an integer >= ${min}, got '${String(v)}'`);
  return n;
}

/** Progress on a terminal: one redrawn bar line. Elsewhere (CI logs): a plain line per phase and per 10%. */
export function progressPrinter(out: Output, tty: boolean): { update(p: Progress): void; done(): void } {
  let lastKey = '';
  let drawn = false;
  const control = (sequence: string): unknown => (out.control ? out.control(sequence) : out.write(sequence));
  return {
    update(p) {
      const fraction = p.fraction ?? 0;
      const eta = p.etaSeconds !== undefined && Number.isFinite(p.etaSeconds) ? `, ~${Math.ceil(p.etaSeconds)} s left` : '';
      if (tty) {
        const width = 24;
        const filled = Math.round(Math.min(1, Math.max(0, fraction)) * width);
        const line = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${String(Math.round(100 * fraction)).padStart(3)}% ${p.phase}: ${p.message}${eta}`;
        control('\r\x1b[2K');
        out.write(line.slice(0, 160));
        drawn = true;
        return;
      }
      const key = `${p.phase}:${Math.floor(fraction * 10)}`;
      if (key === lastKey) return;
      lastKey = key;
      out.write(`${p.phase}: ${p.message}${p.fraction !== undefined ? ` (${Math.round(100 * fraction)}%)` : ''}${eta}\n`);
    },
    done() {
      if (tty && drawn) control('\r\x1b[2K');
    },
  };
}

const pct = (x: number): string => `${(100 * x).toFixed(1)}%`;

function table(rows: string[][]): string {
  const widths = rows[0]?.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length))) ?? [];
  return rows.map((r) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c] ?? 0) : cell.padStart(widths[c] ?? 0))).join('  ')).join('\n');
}

/** The readable summary: clean figures, one row per attack and radius, flags, studies, suggestions. */
export function summaryText(r: Results): string {
  const out: string[] = [];
  const c = r.clean;
  // The name is the user's: one line, whatever it holds.
  out.push(`${forTerminal(r.model.name)} (${forTerminal(r.model.file)}): ${r.provenance.samples} test samples, backend ${r.provenance.backend}, seed ${r.provenance.seed}, ${r.provenance.seconds.toFixed(1)} s`);
  out.push(
    `clean: accuracy ${pct(c.accuracy)} (final exit ${pct(c.finalExitAccuracy)}), exits ${c.exitDistribution.map((d, i) => `${r.model.exitNames[i] ?? i} ${pct(d)}`).join(' / ')}, FLOPs ${pct(c.meanFlopsRatio)} of full, EEC ${c.eec.toFixed(3)}`,
  );
  for (const a of r.attacks) {
    if (a.ensemble === undefined) continue;
    // The headline: the worst case, then what each member gave.
    out.push('', `worst case ${forTerminal(a.attackId)} eps ${a.eps}: dynamic ${pct(a.robustAccuracy)}, final exit ${pct(a.finalExitRobustAccuracy)} (${a.ensemble.members.length} members, ${a.seconds.toFixed(1)} s)`);
    for (const m of a.ensemble.members) {
      const note = m.skipped !== undefined ? ` skipped: ${m.skipped}` : m.reusedFrom !== undefined ? ` (examples of ${forTerminal(m.reusedFrom)})` : '';
      out.push(`  ${forTerminal(m.name).padEnd(40)} attacked ${String(m.attacked).padStart(4)}  broke first ${String(m.brokeFirst.length).padStart(4)}  -> dynamic ${pct(m.robustAccuracyAfter)}, final exit ${pct(m.finalExitRobustAccuracyAfter)}, ${m.seconds.toFixed(1)} s${note}`);
    }
  }
  if (r.attacks.length > 0) {
    const rows = [['attack', 'eps', 'robust', 'final exit', 'success', 'hijack', 'FLOPs', 'EEC', 'max |d|', 'seconds', 'flags']];
    for (const a of r.attacks) {
      rows.push([a.attackId, String(a.eps), pct(a.robustAccuracy), pct(a.finalExitRobustAccuracy), pct(a.successRate), pct(a.hijackRate), pct(a.meanFlopsRatio), a.eec.toFixed(3), a.maxPerturbation.toFixed(3), a.seconds.toFixed(1), a.flags.map((f) => f.code).join(',') || '-']);
    }
    out.push('', table(rows));
  }
  const flags = [...r.flags, ...r.attacks.flatMap((a) => a.flags)];
  if (flags.length > 0) out.push('', 'Sanity flags:', ...flags.map((f) => `  ${f.severity}: ${f.message}`));
  if (r.transfer.length > 0) {
    out.push('', 'Transfer (success rate; rows crafted on, columns evaluated on):');
    for (const t of r.transfer) out.push(`  ${t.attackId}@${t.eps}: DyNN->DyNN ${pct(t.matrix[0][0])}, DyNN->static ${pct(t.matrix[0][1])}, static->DyNN ${pct(t.matrix[1][0])}, static->static ${pct(t.matrix[1][1])}`);
  }
  if (r.efficiency.length > 0) {
    out.push('', 'Generation efficiency (per successful example):');
    for (const e of r.efficiency) out.push(`  ${e.attackId}@${e.eps} ${e.model.padEnd(7)}: ${e.successes} successes, ${e.gradEvalsPerSuccess.toFixed(1)} grad evals, ${e.flopsPerSuccess.toExponential(2)} FLOPs, ${e.secondsPerSuccess.toFixed(3)} s`);
  }
  if (r.sweeps.length > 0) out.push('', `Design sweeps: ${r.sweeps.map((s) => `${s.attackId}@${s.eps} (${s.points.length} designs, ${s.points.filter((p) => p.onParetoFront).length} on the front)`).join(', ')}`);
  const training = trainingTable(r);
  if (training !== undefined) {
    // The terminal gets the headline rows; per-exit figures and FLOPs under attack are in the JSON and Markdown.
    const rows = training.rows.filter((row) => row[0] !== 'weights' && !/: (accuracy at |mean executed FLOPs)/.test(row[0] ?? ''));
    out.push('', `${training.caption}:`, table([training.columns, ...rows].map((row) => row.map(forTerminal))), '(per exit, FLOPs under attack and where the weights came from: in the JSON and Markdown reports)');
  }
  if (r.suggestions.length > 0) out.push('', 'Suggestions:', ...r.suggestions.map((s) => `  - ${s.title}`));
  if (r.findings.length > 0) {
    out.push('', 'Paper findings:');
    for (const f of r.findings) out.push(`  ${f.holds === null ? 'n/a  ' : f.holds ? 'holds' : 'fails'}  ${f.id}: ${f.evidence}`);
  }
  return `${out.join('\n')}\n`;
}

export interface RunSettings {
  studies: readonly StudyName[];
  findings: boolean;
}

/** Shared by check and study: parse, run, report, apply the bars. */
export async function runCheckCommand({ values, positionals, io }: CommandInput, settings: RunSettings, verb: string): Promise<number> {
  if (positionals.length !== 1) throw new UsageError(positionals.length === 0 ? 'no model file given' : `one model file at a time (got ${positionals.length})`);
  const file = positionals[0] as string;
  let bars: Bar[];
  try {
    bars = strings(values['fail-under']).map(parseBar);
  } catch (e) {
    if (e instanceof BarSyntaxError) throw new UsageError(e.message);
    throw e;
  }
  const eps = strings(values.eps).map((e) => {
    const n = Number(e);
    if (e.trim() === '' || !Number.isFinite(n) || n < 0) throw new UsageError(`--eps must be a number >= 0, got '${e}'`);
    return n;
  });
  const samples = integerOption(values, 'samples', 1);
  const steps = integerOption(values, 'steps', 1);
  const seed = integerOption(values, 'seed', 0);
  const preset = values['ensemble-preset'];
  if (preset !== undefined && preset !== 'thorough' && preset !== 'quick') throw new UsageError(`--ensemble-preset must be thorough or quick, got '${String(preset)}'`);
  const backend = typeof values.backend === 'string' ? values.backend : undefined;
  const root = path.resolve(io.cwd, typeof values.workspace === 'string' ? values.workspace : '.');
  const jsonOut = typeof values.json === 'string' ? values.json : undefined;
  const mdOut = typeof values.md === 'string' ? values.md : undefined;

  let loaded;
  try {
    loaded = await readModelFile(path.resolve(io.cwd, file), root);
  } catch (e) {
    if (e instanceof ModelFileError) {
      io.stderr.write(`dynn-lens ${verb}: ${e.message}\n`);
      return 1;
    }
    throw e;
  }
  const jsonFile = jsonOut !== undefined && jsonOut !== '-' ? path.resolve(io.cwd, jsonOut) : undefined;
  const mdFile = mdOut !== undefined ? path.resolve(io.cwd, mdOut) : undefined;
  const tty = io.stderr.isTTY === true;
  const progress = progressPrinter(io.stderr, tty);
  const options: CheckOptions = {
    ...(strings(values.attack).length > 0 ? { attacks: strings(values.attack) } : {}),
    ...(eps.length > 0 ? { eps } : {}),
    ...(samples !== undefined ? { samples } : {}),
    ...(steps !== undefined ? { steps } : {}),
    ...(seed !== undefined ? { seed } : {}),
    ...(preset !== undefined ? { ensemblePreset: preset } : {}),
    ...(backend !== undefined ? { backend } : {}),
    studies: settings.studies,
    findings: settings.findings,
    onProgress: (p) => progress.update(p),
  };
  // Loaded here so that other verbs never pay for TF.js.
  const { runAndSave } = await import('../../studies/runAndSave');
  const { CheckInputError } = await import('../../studies/check');
  let results: Results;
  let saved: string | undefined;
  try {
    ({ results, savedTo: saved } = await runAndSave(loaded, root, options, {
      alsoWrites: [...(jsonFile !== undefined ? [jsonFile] : []), ...(mdFile !== undefined ? [mdFile] : [])],
      // The figures reach stdout first: should a folder have changed during the run, they are not lost with the files.
      beforeSave: (r) => {
        progress.done();
        io.stdout.write(jsonOut === '-' ? `${JSON.stringify(r, null, 1)}\n` : summaryText(r));
      },
    }));
  } catch (e) {
    progress.done();
    const failure = locatableFailure(e);
    // An attack the command line names that the file lacks (or a bad --eps) is a usage mistake; an attack the file
    // has but the model cannot run is the file's problem, reported at its entry.
    const attackInFile = failure?.attackId !== undefined && loaded.spec.checks.attacks.some((a) => a.id === failure.attackId);
    if (e instanceof CheckInputError && !attackInFile) throw new UsageError(e.message);
    if (e instanceof Error && failure !== undefined) {
      await writeRunFailure(e, failure, { shown: file, absolute: loaded.absolute }, io.stderr, verb);
      return 1;
    }
    if (e instanceof Error && (e.name === 'AttackInputError' || e.name === 'WorkspaceError')) {
      io.stderr.write(`dynn-lens ${verb}: ${e.message}\n`);
      return 1;
    }
    throw e;
  }
  const written = !refusedWorkspace(
    () => {
      if (jsonFile !== undefined) writeWorkspaceFile(root, jsonFile, `${JSON.stringify(results, null, 1)}\n`);
      if (mdFile !== undefined) writeWorkspaceFile(root, mdFile, buildMarkdownReport(results));
    },
    io.stderr,
    verb,
  );
  if (!written) return 1;
  if (saved !== undefined) io.stderr.write(`results: ${path.relative(io.cwd, saved) || saved}\n`);
  const outcomes = checkBars(results, bars);
  const failed = outcomes.filter((o) => !o.passed);
  for (const o of failed) io.stderr.write(`dynn-lens ${verb}: --fail-under ${o.bar.text} not met: ${o.message}\n`);
  return failed.length > 0 ? 1 : 0;
}

export const checkCommand: Command = {
  name: 'check',
  summary: 'Attack a model (trains it first if needed) and report robustness, exits and cost',
  usage: 'check FILE [--attack ID]... [--eps E]... [--steps K] [--ensemble-preset P] [--samples N] [--seed S] [--backend B] [--json OUT] [--md OUT] [--fail-under METRIC=VALUE]...',
  description: [
    "Runs the attacks of the file's `checks` section (or those named with --attack) on the trained model (weights",
    'from .dynn/weights/, trained on first use) and evaluates every adversarial batch with dynamic inference: robust',
    'accuracy, success rate, exit distribution, FLOPs, EEC, hijack rate, perturbation norms and sanity flags.',
    'Results are written to .dynn/results/<model>.json. The same seed gives the same numbers on the same backend.',
    'Bars: METRIC[:ATTACK]=VALUE with METRIC one of clean-accuracy, final-exit-accuracy, clean-eec, robust-accuracy,',
    'final-exit-robust-accuracy, eec; ATTACK an attack id or a result id (id@eps); VALUE a share or a percentage.',
    'Exit code: 0 done, 1 when a bar is not met or the model/data cannot be used, 2 for wrong arguments.',
  ].join('\n'),
  options: RUN_OPTIONS,
  run: (input) => runCheckCommand(input, { studies: [], findings: false }, 'check'),
};
