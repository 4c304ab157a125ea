// The quick check a user runs from the editor: the main example (examples/mnist-sdn.dynn.yaml) with cached weights
// (trained once when absent, not timed), 500 test images, PGD-10 + exit hijack + slowdown at one eps.
// Goal: under 15 s of wall time on 2 cores.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { initBackend } from '../../src/engine/backend';
import { loadOrTrain } from '../../src/engine/cache';
import { loadData } from '../../src/engine/data';
import { analyzeText } from '../../src/modelfile';
import { runCheck } from '../../src/studies/check';

const ROOT = path.join(__dirname, '..', '..', '..');
const FILE = 'examples/mnist-sdn.dynn.yaml';
const ATTACKS = ['pgd-final', 'hijack', 'slowdown'];
const EPS = 0.1;
const STEPS = 10;
const SAMPLES = 500;
const GOAL_SECONDS = 15;

export async function bench(): Promise<Record<string, unknown>> {
  const analysis = analyzeText(fs.readFileSync(path.join(ROOT, FILE), 'utf8'), { fileName: FILE });
  if (analysis.spec === undefined || analysis.specHash === undefined) throw new Error(`${FILE} does not parse`);
  const backend = await initBackend();
  // Make sure the weights are cached so the timed run measures the check, not training.
  const spec = analysis.spec;
  const warm = await loadOrTrain(spec, ROOT, () => loadData(spec, ROOT));
  warm.model.dispose();

  const started = performance.now();
  const cpuBefore = process.cpuUsage();
  const results = await runCheck({ spec: analysis.spec, specHash: analysis.specHash, file: FILE, workspaceRoot: ROOT }, { attacks: ATTACKS, eps: [EPS], steps: STEPS, samples: SAMPLES });
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);

  // The worst-case ensemble the editor's lens runs (quick preset) at the same eps on the same samples: its wall
  // time and what each member cost. The file's PGDs are members; this run times them too.
  const ensembleStarted = performance.now();
  const worst = await runCheck({ spec: analysis.spec, specHash: analysis.specHash, file: FILE, workspaceRoot: ROOT }, { attacks: ['worst-case'], eps: [EPS], samples: SAMPLES, ensemblePreset: 'quick' });
  const ensembleSeconds = (performance.now() - ensembleStarted) / 1000;
  const w = worst.attacks.find((a) => a.kind === 'ensemble');
  return {
    ensemble: {
      preset: 'quick',
      seconds: ensembleSeconds,
      robustAccuracy: w?.robustAccuracy,
      finalExitRobustAccuracy: w?.finalExitRobustAccuracy,
      members: w?.ensemble?.members.map((m) => ({ name: m.name, attacked: m.attacked, brokeFirst: m.brokeFirst.length, gradEvals: m.gradEvals, seconds: m.seconds })),
    },
    backend: backend.name,
    backendReason: backend.reason,
    samples: SAMPLES,
    eps: EPS,
    steps: STEPS,
    seconds,
    // CPU seconds of this process (wall time stretches when other work shares the 2 cores).
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    loadAverageAtEnd: os.loadavg()[0],
    goalSeconds: GOAL_SECONDS,
    withinGoal: seconds < GOAL_SECONDS,
    cleanAccuracy: results.clean.accuracy,
    attacks: results.attacks.map((a) => ({ id: a.id, robustAccuracy: a.robustAccuracy, hijackRate: a.hijackRate, meanFlopsRatio: a.meanFlopsRatio, eec: a.eec, seconds: a.seconds })),
  };
}
