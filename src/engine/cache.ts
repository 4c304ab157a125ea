// Weight cache under `.dynn/weights/<key>/` in the workspace: TF.js model artifacts (`model.json` with a weights
// manifest + `weights.bin`), written atomically (temporary folder, then rename). The key hashes everything that
// affects the weights, so a changed spec never picks up stale weights. Loading validates the shard size and every
// weight's name and shape; a bad entry raises a CacheError naming the file and the weight and is not used.
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { weightsHash } from '../spec/hash';
import type { ModelSpec } from '../spec/types';
import type { Network } from './network';
import { trainModel, type TrainMetrics, type TrainOptions } from './train';
import { loadData } from './data';
import type { Dataset } from './types';

/** Bump when the weight layout or naming changes: old entries then simply stop matching. */
// Bump when training or layer code changes what a given spec trains to, so old entries are never reused.
export const CACHE_FORMAT_VERSION = 3;
const MODEL_FILE = 'model.json';
const WEIGHTS_FILE = 'weights.bin';

export class CacheError extends Error {
  constructor(
    message: string,
    readonly file: string,
  ) {
    super(message);
    this.name = 'CacheError';
  }
}

/** Cache key: the spec's architecture+recipe+data hash, the cache format and whether it is the static twin. */
export function cacheKey(spec: ModelSpec, staticTwin: boolean): string {
  return createHash('sha256')
    .update(JSON.stringify({ weights: weightsHash(spec), format: CACHE_FORMAT_VERSION, twin: staticTwin }))
    .digest('hex')
    .slice(0, 24);
}

export function cacheDir(workspaceRoot: string, key: string): string {
  return path.join(workspaceRoot, '.dynn', 'weights', key);
}

interface CacheSidecar {
  formatVersion: number;
  key: string;
  model: string;
  staticTwin: boolean;
  metrics?: TrainMetrics;
}

/** An IOHandler that writes model artifacts into a folder atomically. */
export class AtomicFolderHandler implements tf.io.IOHandler {
  constructor(
    private readonly dir: string,
    private readonly sidecar: CacheSidecar,
  ) {}

  save(artifacts: tf.io.ModelArtifacts): Promise<tf.io.SaveResult> {
    if (!(artifacts.weightData instanceof ArrayBuffer)) throw new Error('Expected one weight buffer.');
    const parent = path.dirname(this.dir);
    fs.mkdirSync(parent, { recursive: true });
    const tmp = fs.mkdtempSync(path.join(parent, `.tmp-${path.basename(this.dir)}-`));
    try {
      const json = {
        format: 'layers-model',
        generatedBy: `dynn-lens weight cache v${CACHE_FORMAT_VERSION}`,
        convertedBy: null,
        modelTopology: artifacts.modelTopology ?? null,
        weightsManifest: [{ paths: [WEIGHTS_FILE], weights: artifacts.weightSpecs ?? [] }],
        dynn: this.sidecar,
      };
      fs.writeFileSync(path.join(tmp, WEIGHTS_FILE), Buffer.from(artifacts.weightData));
      fs.writeFileSync(path.join(tmp, MODEL_FILE), JSON.stringify(json, null, 1));
      // Replace any previous entry: rename the new folder in, then remove the old one.
      if (fs.existsSync(this.dir)) {
        const old = `${tmp}-old`;
        fs.renameSync(this.dir, old);
        fs.renameSync(tmp, this.dir);
        fs.rmSync(old, { recursive: true, force: true });
      } else fs.renameSync(tmp, this.dir);
    } catch (err) {
      fs.rmSync(tmp, { recursive: true, force: true });
      throw err;
    }
    return Promise.resolve({
      modelArtifactsInfo: {
        dateSaved: new Date(),
        modelTopologyType: 'JSON',
        weightDataBytes: artifacts.weightData.byteLength,
      },
    });
  }
}

/** Writes the model's weights (all variables, trainable or not) to `dir`. */
export async function saveWeights(model: Network, dir: string, sidecar: CacheSidecar): Promise<void> {
  const named = model.weights.map((w) => ({ name: w.name, tensor: w.variable }));
  const { data, specs } = await tf.io.encodeWeights(named);
  const topology = { dynn: { name: model.spec.name, exits: model.exitNames, gates: model.gateNames, staticTwin: model.isStaticTwin } };
  await new AtomicFolderHandler(dir, sidecar).save({ modelTopology: topology, weightSpecs: specs, weightData: data });
}

/** Reads and validates a cache entry, then assigns the weights to `model`. Throws CacheError; never half-loads. */
export function loadWeights(model: Network, dir: string): CacheSidecar {
  const jsonPath = path.join(dir, MODEL_FILE);
  let json: { weightsManifest?: { paths?: string[]; weights?: tf.io.WeightsManifestEntry[] }[]; dynn?: CacheSidecar };
  try {
    json = JSON.parse(fs.readFileSync(jsonPath, 'utf8')) as typeof json;
  } catch (err) {
    throw new CacheError(`${jsonPath}: cannot read the cache entry (${err instanceof Error ? err.message : String(err)})`, jsonPath);
  }
  const group = json.weightsManifest?.[0];
  const specs = group?.weights;
  const shard = group?.paths?.[0];
  if (json.weightsManifest?.length !== 1 || specs === undefined || shard === undefined || group?.paths?.length !== 1) {
    throw new CacheError(`${jsonPath}: expected one weights manifest group with one shard`, jsonPath);
  }
  const shardPath = path.join(dir, path.basename(shard));
  const expectedBytes = specs.reduce((sum, s) => sum + s.shape.reduce((a, b) => a * b, 1) * bytesPer(s.dtype, jsonPath, s.name), 0);
  let buffer: Buffer;
  try {
    buffer = fs.readFileSync(shardPath);
  } catch (err) {
    throw new CacheError(`${shardPath}: cannot read the weights (${err instanceof Error ? err.message : String(err)})`, shardPath);
  }
  if (buffer.byteLength !== expectedBytes) {
    throw new CacheError(`${shardPath}: ${buffer.byteLength} bytes, but the manifest in ${MODEL_FILE} describes ${expectedBytes}`, shardPath);
  }
  const byName = new Map(specs.map((s) => [s.name, s]));
  for (const w of model.weights) {
    const s = byName.get(w.name);
    if (s === undefined) throw new CacheError(`${jsonPath}: weight '${w.name}' is missing`, jsonPath);
    if (s.shape.length !== w.variable.shape.length || s.shape.some((d, i) => d !== w.variable.shape[i])) {
      throw new CacheError(`${jsonPath}: weight '${w.name}' has shape [${s.shape.join(', ')}], the model needs [${w.variable.shape.join(', ')}]`, jsonPath);
    }
  }
  if (specs.length !== model.weights.length) {
    const extra = specs.find((s) => !model.weights.some((w) => w.name === s.name));
    throw new CacheError(`${jsonPath}: unexpected weight '${extra?.name ?? '?'}'`, jsonPath);
  }
  const data = buffer.buffer.slice(buffer.byteOffset, buffer.byteOffset + buffer.byteLength) as ArrayBuffer;
  const tensors = tf.io.decodeWeights(data, specs);
  for (const [name, t] of Object.entries(tensors)) {
    if (!t.dataSync().every((v) => Number.isFinite(v))) {
      Object.values(tensors).forEach((x) => x.dispose());
      throw new CacheError(`${shardPath}: weight '${name}' holds non-finite values`, shardPath);
    }
  }
  for (const w of model.weights) {
    const t = tensors[w.name] as tf.Tensor;
    w.variable.assign(t);
  }
  Object.values(tensors).forEach((t) => t.dispose());
  return json.dynn ?? { formatVersion: CACHE_FORMAT_VERSION, key: '', model: model.spec.name, staticTwin: model.isStaticTwin };
}

function bytesPer(dtype: string, file: string, name: string): number {
  if (dtype === 'float32' || dtype === 'int32') return 4;
  if (dtype === 'bool') return 1;
  throw new CacheError(`${file}: weight '${name}' has unsupported dtype ${dtype}`, file);
}

/** The spec's training split; the test split is freed at once (checks load their own). */
async function trainSplitOf(spec: ModelSpec, workspaceRoot: string): Promise<{ train: Dataset }> {
  const full = await loadData(spec, workspaceRoot, {});
  full.test.x.dispose();
  full.test.y.dispose();
  return { train: full.train };
}

export interface LoadOrTrainResult {
  model: Network;
  /** True when the weights came from the cache. */
  cached: boolean;
  key: string;
  dir: string;
  metrics?: TrainMetrics;
  /** Why a present cache entry was not used (corrupt, mismatched), when that happened. */
  cacheProblem?: string;
}

/**
 * Returns the trained network for `spec` (or its static twin): from the cache when a valid entry exists, else
 * trains it and writes the entry. A bad entry is reported in `cacheProblem` and replaced. `data` defaults to the
 * spec's own data (loadData); the test split is not kept.
 */
export async function loadOrTrain(
  spec: ModelSpec,
  workspaceRoot: string,
  data?: () => Promise<{ train: Dataset }>,
  options: TrainOptions = {},
): Promise<LoadOrTrainResult> {
  const staticTwin = options.staticTwin ?? false;
  const key = cacheKey(spec, staticTwin);
  const dir = cacheDir(workspaceRoot, key);
  let cacheProblem: string | undefined;
  if (fs.existsSync(path.join(dir, MODEL_FILE))) {
    const { buildModel, buildStaticTwin } = await import('./network');
    const model = staticTwin ? buildStaticTwin(spec, { seed: options.seed ?? spec.train.seed }) : buildModel(spec, { seed: options.seed ?? spec.train.seed });
    try {
      const sidecar = loadWeights(model, dir);
      return { model, cached: true, key, dir, ...(sidecar.metrics ? { metrics: sidecar.metrics } : {}) };
    } catch (err) {
      model.dispose();
      if (!(err instanceof CacheError)) throw err;
      cacheProblem = err.message;
    }
  }
  // Data is loaded only when training is needed (a cache hit never touches it).
  const split = data !== undefined ? await data() : await trainSplitOf(spec, workspaceRoot);
  let trained: Awaited<ReturnType<typeof trainModel>>;
  try {
    trained = await trainModel(spec, split, options);
  } finally {
    if (data === undefined) [split.train.x, split.train.y].forEach((t) => t.dispose());
  }
  const { model, metrics } = trained;
  await saveWeights(model, dir, { formatVersion: CACHE_FORMAT_VERSION, key, model: spec.name, staticTwin, metrics });
  return { model, cached: false, key, dir, metrics, ...(cacheProblem !== undefined ? { cacheProblem } : {}) };
}
