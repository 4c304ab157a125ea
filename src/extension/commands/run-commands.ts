// The design loop's run commands: checks, sweeps, transfer and the paper's study in the worker, training, cancel.
// Everything that loads weights or runs checks goes through `whenTrusted` and starts the worker lazily (through
// the CheckRunner); results are recorded in the store once, from the worker's answer.
import * as vscode from 'vscode';
import type { Results } from '../../protocol/results';
import type { Ctx } from '../ctx';
import { checkAnswer, checkParams, partialAttack, trainParams, type CheckRequest } from '../runs/job-params';
import { resolveModelTarget, type ModelTarget } from '../runs/model-target';
import { ResultsPanel } from '../results/results-panel';
import { whenTrusted } from '../trust';
import { ensureDataset } from '../runs/dataset-install';
import type { CommandFactory } from './command';

/** Runs a check-like job on the target and stores its results; returns them (undefined when it failed). */
export async function runAndStore(ctx: Ctx, target: ModelTarget, job: 'check' | 'study', request: CheckRequest, title: string): Promise<Results | undefined> {
  if (!(await ensureDataset(ctx, target.spec))) return undefined;
  const params = checkParams(target, request, ctx.config.settings.backend);
  const outcome = await ctx.runner.run<unknown>({
    uri: target.uri,
    job,
    params,
    title,
    describePartial: (data) => {
      const a = partialAttack(data);
      return a ? `${a.id}: robust accuracy ${(100 * a.robustAccuracy).toFixed(0)}%, hijack ${(100 * a.hijackRate).toFixed(0)}%, FLOPs ${(100 * a.meanFlopsRatio).toFixed(0)}% (${a.seconds.toFixed(1)} s)` : undefined;
    },
  });
  if (!outcome.ok) return undefined;
  const { results, savedTo } = checkAnswer(outcome.result);
  // The worker saved them (atomically) under .dynn/results/ and says where; the store only needs to know.
  const written = ctx.results.record(target.uri, results, savedTo);
  ctx.log.info(
    `Results of ${results.model.name}: clean ${(100 * results.clean.accuracy).toFixed(1)}%, ${results.attacks.length} attack runs, ${results.suggestions.length} suggestions, ` +
      `backend ${results.provenance.backend}, ${results.provenance.samples} samples, ${results.provenance.seconds.toFixed(1)} s${written ? `; saved to ${written}` : ''}`,
  );
  return results;
}

function checkCommand(action: string, job: 'check' | 'study', request: (target: ModelTarget) => Promise<CheckRequest | undefined> | CheckRequest | undefined, title: (t: ModelTarget) => string): CommandFactory {
  return (ctx) =>
    whenTrusted(action, async (arg?: unknown) => {
      const target = await resolveModelTarget(arg, ctx.analyses);
      if (!target) return undefined;
      const req = await request(target);
      if (!req) return undefined;
      const results = await runAndStore(ctx, target, job, req, title(target));
      if (results && req.showPanel !== false) ResultsPanel.show(target.uri);
      return results;
    });
}

// The editor's Check lens runs an ensemble with the quick preset (minutes, not the thorough preset's many): the
// results record the preset, and the CLI runs the file's own.
export const runCheck = checkCommand('Running the checks', 'check', () => ({ ensemblePreset: 'quick' }), (t) => `DyNN: checking ${t.spec.name}`);

export const sweepThresholds = checkCommand('Sweeping exit thresholds', 'check', () => ({ studies: ['sweep'] }), (t) => `DyNN: sweeping the exit thresholds of ${t.spec.name}`);

export const compareStatic = checkCommand(
  'Comparing with the static twin',
  'check',
  () => ({ studies: ['transfer', 'efficiency'] }),
  (t) => `DyNN: comparing ${t.spec.name} with its static twin`,
);

// The file trained with and without train.adversarial (the recipe proposed for it when it has none), the same checks
// on both, and the sweep on both so the panel draws the two trainings on one plane. The editor runs the ensemble's
// quick preset, as the Check lens does.
export const compareAdversarialTraining = checkCommand(
  'Comparing with adversarial training',
  'check',
  () => ({ studies: ['adversarial-training', 'sweep'], ensemblePreset: 'quick' }),
  (t) => `DyNN: comparing ${t.spec.name} with and without adversarial training`,
);

export const reproduceStudy = checkCommand(
  "Reproducing the paper's study",
  'study',
  () => ({ studies: ['transfer', 'efficiency', 'sweep'], findings: true }),
  (t) => `DyNN: reproducing the paper's study on ${t.spec.name}`,
);

export const trainModel: CommandFactory = (ctx) =>
  whenTrusted('Training the model', async (arg?: unknown) => {
    const target = await resolveModelTarget(arg, ctx.analyses);
    if (!target) return undefined;
    if (!(await ensureDataset(ctx, target.spec))) return undefined;
    const outcome = await ctx.runner.run<unknown>({
      uri: target.uri,
      job: 'train',
      params: trainParams(target, ctx.config.settings.backend),
      title: `DyNN: training ${target.spec.name}`,
    });
    if (!outcome.ok) return undefined;
    ctx.log.info(`Trained ${target.spec.name}: ${JSON.stringify(outcome.result)}`);
    void vscode.window.showInformationMessage(`DyNN Lens: ${target.spec.name} is trained (${outcome.seconds.toFixed(0)} s); its weights are cached under .dynn/.`);
    return outcome.result;
  });

export const cancelRun: CommandFactory = (ctx) => () => {
  if (!ctx.runner.cancel()) void vscode.window.showInformationMessage('DyNN Lens: no check is running.');
};
