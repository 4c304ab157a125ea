// runTrain: the weights of a model file (from the engine's cache, or trained now) and their clean test figures,
// for `dynn-lens train` and the worker's `train` job.
import * as tf from '@tensorflow/tfjs';
import { loadOrTrain } from '../engine/cache';
import { loadData } from '../engine/data';
import { evaluate } from '../engine/evaluate';
import type { CancelToken, Progress } from '../engine/types';
import type { ModelSpec } from '../modelfile/types';
import { ensureBackend } from './backendChoice';
import { describeWeights } from './provenance';
import { perturbOption } from './adversarialTraining';

export interface TrainRunInput {
  spec: ModelSpec;
  workspaceRoot: string;
}

export interface TrainRunOptions {
  backend?: string;
  /** Also train (or load) the static twin. */
  staticTwin?: boolean;
  onProgress?: (p: Progress) => void;
  cancel?: CancelToken;
}

export interface TrainSummary {
  model: string;
  backend: string;
  backendReason: string;
  /** True when the weights came from the cache. */
  cached: boolean;
  weights: string;
  /** Mean training loss per epoch (this run's or the cached entry's). */
  epochLoss: number[];
  trainSeconds: number;
  exitNames: string[];
  /** Test accuracy of each exit (final last) over the whole test split. */
  perExitAccuracy: number[];
  dynamicAccuracy: number;
  exitDistribution: number[];
  /** Mean executed FLOPs / full FLOPs (every exit head) and / the static backbone's FLOPs. */
  meanFlopsRatio: number;
  meanFlopsVsStatic: number;
  eec: number;
  testSamples: number;
  data: string;
  /** Static twin's test accuracy, when it was asked for. */
  staticTwinAccuracy?: number;
  seconds: number;
}

/** The model file cannot be trained here (an imported model is used as it is). */
export class NotTrainableError extends Error {
  override readonly name = 'NotTrainableError';
}

export async function runTrain(input: TrainRunInput, options: TrainRunOptions = {}): Promise<TrainSummary> {
  if (input.spec.import !== undefined) {
    throw new NotTrainableError(
      `'${input.spec.name}' imports a pretrained model (${input.spec.import.model}); imported models are used as they are, not trained or fine-tuned here. Run \`check\` or \`study --study sweep\` on it directly.`,
    );
  }
  const started = performance.now();
  const backend = await ensureBackend(options.backend);
  const spec = input.spec;
  options.onProgress?.({ phase: 'data', fraction: 0, message: 'Loading data' });
  const data = await loadData(spec, input.workspaceRoot);
  const common = { ...(options.cancel ? { cancel: options.cancel } : {}), ...perturbOption(spec) };
  try {
    const trained = await loadOrTrain(spec, input.workspaceRoot, () => Promise.resolve(data), { ...common, ...(options.onProgress ? { onProgress: options.onProgress } : {}) });
    try {
      options.onProgress?.({ phase: 'evaluate', fraction: 1, message: `Evaluating on ${data.test.x.shape[0] ?? 0} test samples` });
      const ev = await evaluate(trained.model, data.test);
      let staticTwinAccuracy: number | undefined;
      if (options.staticTwin === true) {
        const twin = await loadOrTrain(spec, input.workspaceRoot, () => Promise.resolve(data), { ...common, staticTwin: true, ...(options.onProgress ? { onProgress: options.onProgress } : {}) });
        try {
          staticTwinAccuracy = (await evaluate(twin.model, data.test)).dynamicAccuracy;
        } finally {
          twin.model.dispose();
        }
      }
      return {
        model: input.spec.name,
        ...backend,
        cached: trained.cached,
        weights: describeWeights(trained),
        epochLoss: trained.metrics?.epochLoss ?? [],
        trainSeconds: trained.metrics?.seconds ?? 0,
        exitNames: [...trained.model.exitNames],
        perExitAccuracy: ev.perExitAccuracy,
        dynamicAccuracy: ev.dynamicAccuracy,
        exitDistribution: ev.exitDistribution,
        meanFlopsRatio: ev.meanFlopsRatio,
        meanFlopsVsStatic: ev.meanFlopsVsStatic,
        eec: ev.eec,
        testSamples: ev.samples,
        data: data.test.description,
        ...(staticTwinAccuracy !== undefined ? { staticTwinAccuracy } : {}),
        seconds: (performance.now() - started) / 1000,
      };
    } finally {
      trained.model.dispose();
    }
  } finally {
    tf.dispose([data.train.x, data.train.y, data.test.x, data.test.y]);
  }
}
