// `dynn-lens train FILE`: the weights of a model (from .dynn/weights/, or trained now with the file's recipe) and
// their clean test figures: per-exit accuracy, dynamic accuracy, exit distribution, mean executed FLOPs share.
import * as path from 'node:path';
import { ModelFileError, readModelFile } from '../../studies/modelFile';
import { checkRunOutputs } from '../../engine/workspace';
import { writeWorkspaceFile } from '../../studies/resultsFiles';
import type { TrainSummary } from '../../studies/train';
import { forTerminal } from '../../modelfile/display';
import { UsageError, type Command } from '../command';
import { locatableFailure, refusedWorkspace, writeRunFailure } from '../runFailure';
import { progressPrinter } from './check';

const pct = (x: number): string => `${(100 * x).toFixed(1)}%`;

export function trainSummaryText(s: TrainSummary): string {
  const lines = [
    `${forTerminal(s.model)}: ${s.weights}`,
    `backend ${s.backend} (${s.backendReason})`,
    `test (${s.testSamples} samples): dynamic accuracy ${pct(s.dynamicAccuracy)}, mean executed FLOPs ${pct(s.meanFlopsRatio)} of full (${pct(s.meanFlopsVsStatic)} of the static backbone), EEC ${s.eec.toFixed(3)}`,
    ...s.exitNames.map((name, i) => `  ${name.padEnd(Math.max(...s.exitNames.map((n) => n.length)))}  accuracy ${pct(s.perExitAccuracy[i] ?? 0).padStart(6)}  answers ${pct(s.exitDistribution[i] ?? 0).padStart(6)}`),
  ];
  if (s.epochLoss.length > 0) lines.push(`training loss per epoch: ${s.epochLoss.map((l) => l.toFixed(4)).join(', ')}`);
  if (s.staticTwinAccuracy !== undefined) lines.push(`static twin test accuracy: ${pct(s.staticTwinAccuracy)}`);
  return `${lines.join('\n')}\n`;
}

export const trainCommand: Command = {
  name: 'train',
  summary: 'Train a model (or load its cached weights) and report per-exit accuracy and cost',
  usage: 'train FILE [--backend B] [--json OUT] [--static-twin]',
  description: [
    "Trains the model with the file's recipe and seed and caches the weights under .dynn/weights/ (a file whose",
    'architecture, recipe and data are unchanged reuses them), then evaluates the test split with dynamic inference.',
    'Exit code: 0 done, 1 when the model or its data cannot be used, 2 for wrong arguments.',
  ].join('\n'),
  options: {
    backend: { type: 'string', valueName: 'B', description: 'auto (default), tensorflow-gpu, webgpu, tensorflow, wasm or cpu' },
    json: { type: 'string', valueName: 'OUT', description: 'Also write the summary as JSON to OUT (- for stdout)' },
    'static-twin': { type: 'boolean', description: 'Also train (or load) the static twin and report its accuracy' },
    workspace: { type: 'string', valueName: 'DIR', description: 'Workspace folder holding .dynn/ (default the current directory)' },
  },
  async run({ values, positionals, io }) {
    if (positionals.length !== 1) throw new UsageError(positionals.length === 0 ? 'no model file given' : `one model file at a time (got ${positionals.length})`);
    const root = path.resolve(io.cwd, typeof values.workspace === 'string' ? values.workspace : '.');
    let loaded;
    try {
      loaded = await readModelFile(path.resolve(io.cwd, positionals[0] as string), root);
    } catch (e) {
      if (e instanceof ModelFileError) {
        io.stderr.write(`dynn-lens train: ${e.message}\n`);
        return 1;
      }
      throw e;
    }
    const json = typeof values.json === 'string' ? values.json : undefined;
    const jsonFile = json !== undefined && json !== '-' ? path.resolve(io.cwd, json) : undefined;
    // Checked before training: a refusal after a long run would lose it.
    if (refusedWorkspace(() => checkRunOutputs(root, jsonFile !== undefined ? [jsonFile] : []), io.stderr, 'train')) return 1;
    const progress = progressPrinter(io.stderr, io.stderr.isTTY === true);
    const { runTrain } = await import('../../studies/train');
    const { CheckInputError } = await import('../../studies/backendChoice');
    let summary: TrainSummary;
    try {
      summary = await runTrain(
        { spec: loaded.spec, workspaceRoot: root },
        {
          ...(typeof values.backend === 'string' ? { backend: values.backend } : {}),
          staticTwin: values['static-twin'] === true,
          onProgress: (p) => progress.update(p),
        },
      );
    } catch (e) {
      progress.done();
      if (e instanceof CheckInputError) throw new UsageError(e.message);
      // An imported model is used as it is: a fact about the file, not a usage mistake.
      if (e instanceof Error && (e.name === 'NotTrainableError' || e.name === 'WorkspaceError')) {
        io.stderr.write(`dynn-lens train: ${e.message}\n`);
        return 1;
      }
      // Data, memory and weight-cache problems: reported at the model node they belong to.
      const failure = locatableFailure(e);
      if (e instanceof Error && failure !== undefined) {
        await writeRunFailure(e, failure, { shown: positionals[0] as string, absolute: loaded.absolute }, io.stderr, 'train');
        return 1;
      }
      throw e;
    }
    progress.done();
    if (json === '-') io.stdout.write(`${JSON.stringify(summary, null, 1)}\n`);
    else io.stdout.write(trainSummaryText(summary));
    if (jsonFile !== undefined && refusedWorkspace(() => writeWorkspaceFile(root, jsonFile, `${JSON.stringify(summary, null, 1)}\n`), io.stderr, 'train')) return 1;
    return 0;
  },
};
