// The long fuzzing run of the model-file front end (`npm run fuzz`, or `node out/test/fuzz/run.js [INPUTS] [SEED]`):
// INPUTS generated files (default 100,000) through parse -> schema -> semantics -> cost -> advice. Prints a JSON
// summary: inputs tried, crashes (exceptions), hangs (over 2 s), unlocated diagnostics (span outside the text),
// diagnostics at 1:1 with nothing under them, the slowest input, and the peak memory (RSS). Exit 1 on any crash,
// hang or unlocated diagnostic. The first few failing inputs are kept in the summary to reproduce.
import fc from 'fast-check';
import { parse } from 'yaml';
import { analyse, fuzzInputs, seeds, type FuzzInput } from './modelFiles';
import { useNodeHost } from '../../src/platform/node';

useNodeHost();

const HANG_MS = 2000;
const KEEP = 5;

function main(): number {
  const inputs = Number(process.argv[2] ?? 100_000);
  const seed = Number(process.argv[3] ?? Date.now() % 2 ** 31);
  const stats = { inputs: 0, crashes: 0, hangs: 0, unlocated: 0, atLine1Col1: 0, diagnostics: 0, slowestMs: 0, seconds: 0, peakRssMB: 0, seed };
  const examples: { kind: string; detail: string; input: FuzzInput }[] = [];
  const keep = (kind: string, detail: string, input: FuzzInput): void => {
    if (examples.filter((e) => e.kind === kind).length < KEEP) examples.push({ kind, detail, input });
  };
  const t0 = performance.now();
  fc.assert(
    fc.property(fuzzInputs(seeds((t) => parse(t) as unknown)), (input) => {
      stats.inputs++;
      try {
        const o = analyse(input);
        stats.diagnostics += o.diagnostics.length;
        stats.slowestMs = Math.max(stats.slowestMs, Math.round(o.ms));
        if (o.ms > HANG_MS) {
          stats.hangs++;
          keep('hang', `${Math.round(o.ms)} ms`, input);
        }
        stats.unlocated += o.outside.length;
        for (const d of o.outside) keep('unlocated', `${d.code} ${JSON.stringify(d.span)}: ${d.message}`, input);
        stats.atLine1Col1 += o.atStart.length;
        for (const d of o.atStart) keep('at 1:1', `${d.code}: ${d.message}`, input);
      } catch (e) {
        stats.crashes++;
        keep('crash', e instanceof Error ? (e.stack ?? e.message) : String(e), input);
      }
      if (stats.inputs % 10_000 === 0) process.stderr.write(`${stats.inputs} inputs, ${Math.round((performance.now() - t0) / 1000)} s\n`);
      return true;
    }),
    { numRuns: inputs, seed },
  );
  stats.seconds = Math.round((performance.now() - t0) / 1000);
  stats.peakRssMB = Math.round(process.resourceUsage().maxRSS / 1024);
  process.stdout.write(`${JSON.stringify({ ...stats, examples }, null, 1)}\n`);
  return stats.crashes + stats.hangs + stats.unlocated > 0 ? 1 : 0;
}

process.exitCode = main();
