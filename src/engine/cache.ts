// Weight cache under `.dynn/weights/<key>/` in the workspace. An entry holds TF.js model artifacts (`model.json`
// with a weights manifest, `weights.bin`) and `integrity.json`: the sha256 of both files and the key inputs that
// produced them (the spec's weightsHash, the training data's content digest, static twin or not, cache format).
// The entry is written in a temporary folder renamed in whole. Every load checks the inputs and both digests
// before it trusts a byte, then validates the manifest against the model; any damage is a CacheError naming the
// file, and loadOrTrain retrains (saying why) and replaces the entry. A digest finds damage, not forgery: whoever
// can write `.dynn/` can also rewrite the digests.
import * as tf from '@tensorflow/tfjs';
import { canonicalJson, weightsHash } from '../modelfile/hash';
import type { ModelSpec } from '../modelfile/types';
import type { Network } from './network';
import { trainModel, type TrainMetrics, type TrainOptions } from './train';
import { loadData } from './data';
import { trainingDataDigest } from './dataDigest';
import { errorCode, host } from '../protocol/host';
import type { Dataset } from './types';
import { WEIGHTS_DIR, workspaceDir } from './workspace';

/** Bump when the entry layout, the key or what a given spec trains to changes: old entries then stop matching. */
export const CACHE_FORMAT_VERSION = 4;
const MODEL_FILE = 'model.json';
const WEIGHTS_FILE = 'weights.bin';
const INTEGRITY_FILE = 'integrity.json';
/** The files an entry's integrity manifest vouches for, in the order they are checked. */
const DIGESTED_FILES = [MODEL_FILE, WEIGHTS_FILE] as const;

/** A cache entry that must not be used. `file` is the file at fault (absolute); `reason` says what is wrong. */
export class CacheError extends Error {
  override readonly name = 'CacheError';

  constructor(
    readonly reason: string,
    readonly file: string,
  ) {
    super(`${file}: ${reason}`);
  }
}

/** Everything that decides the weights an entry holds; the key is a digest of it, the entry stores it whole. */
export interface CacheKeyInputs {
  format: number;
  /** weightsHash of the spec. */
  weights: string;
  /** trainingDataDigest of the spec's training data. */
  data: string;
  twin: boolean;
}

export function cacheKeyInputs(spec: ModelSpec, staticTwin: boolean, dataDigest: string): CacheKeyInputs {
  return { format: CACHE_FORMAT_VERSION, weights: weightsHash(spec), data: dataDigest, twin: staticTwin };
}

function keyOf(inputs: CacheKeyInputs): string {
  return host().sha256(canonicalJson(inputs)).slice(0, 24);
}

/** Cache key: the spec's architecture+recipe hash, the training data's content digest, the format, the twin flag. */
export function cacheKey(spec: ModelSpec, staticTwin: boolean, dataDigest: string): string {
  return keyOf(cacheKeyInputs(spec, staticTwin, dataDigest));
}

export function cacheDir(workspaceRoot: string, key: string): string {
  return host().path.join(workspaceRoot, WEIGHTS_DIR, key);
}

interface CacheSidecar {
  formatVersion: number;
  key: string;
  model: string;
  staticTwin: boolean;
  inputs: CacheKeyInputs;
  metrics?: TrainMetrics;
}

/** `integrity.json`: what produced the entry and the sha256 of each of its files. */
interface IntegrityManifest {
  formatVersion: number;
  key: string;
  inputs: CacheKeyInputs;
  files: Record<string, string>;
}

/** An IOHandler that writes model artifacts and their integrity manifest into a folder atomically. */
export class AtomicFolderHandler implements tf.io.IOHandler {
  constructor(
    private readonly dir: string,
    private readonly sidecar: CacheSidecar,
  ) {}

  save(artifacts: tf.io.ModelArtifacts): Promise<tf.io.SaveResult> {
    if (!(artifacts.weightData instanceof ArrayBuffer)) throw new Error('Expected one weight buffer.');
    const json = {
      format: 'layers-model',
      generatedBy: `dynn-lens weight cache v${CACHE_FORMAT_VERSION}`,
      convertedBy: null,
      modelTopology: artifacts.modelTopology ?? null,
      weightsManifest: [{ paths: [WEIGHTS_FILE], weights: artifacts.weightSpecs ?? [] }],
      dynn: this.sidecar,
    };
    const bytes: Record<(typeof DIGESTED_FILES)[number], Uint8Array> = {
      [MODEL_FILE]: new TextEncoder().encode(JSON.stringify(json, null, 1)),
      [WEIGHTS_FILE]: new Uint8Array(artifacts.weightData),
    };
    const integrity: IntegrityManifest = {
      formatVersion: CACHE_FORMAT_VERSION,
      key: this.sidecar.key,
      inputs: this.sidecar.inputs,
      files: Object.fromEntries(DIGESTED_FILES.map((f) => [f, host().sha256(bytes[f])])),
    };
    const parent = host().path.dirname(this.dir);
    host().fs.mkdirSync(parent, { recursive: true });
    const tmp = host().fs.mkdtempSync(host().path.join(parent, `.tmp-${host().path.basename(this.dir)}-`));
    try {
      for (const f of DIGESTED_FILES) host().fs.writeFileSync(host().path.join(tmp, f), bytes[f]);
      host().fs.writeFileSync(host().path.join(tmp, INTEGRITY_FILE), JSON.stringify(integrity, null, 1));
      // Replace any previous entry (a damaged one included): rename the new folder in, then remove the old one.
      if (host().fs.existsSync(this.dir)) {
        const old = `${tmp}-old`;
        host().fs.renameSync(this.dir, old);
        host().fs.renameSync(tmp, this.dir);
        host().fs.rmSync(old, { recursive: true, force: true });
      } else host().fs.renameSync(tmp, this.dir);
    } catch (err) {
      host().fs.rmSync(tmp, { recursive: true, force: true });
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

/**
 * Reads and validates a cache entry, then assigns the weights to `model`. With `expected`, the entry must have been
 * produced from exactly these inputs. Throws CacheError naming the file at fault, whatever went wrong; never
 * half-loads and leaves no tensor behind.
 */
export function loadWeights(model: Network, dir: string, expected?: CacheKeyInputs): CacheSidecar {
  try {
    return readEntry(model, dir, expected);
  } catch (err) {
    if (err instanceof CacheError) throw err;
    // A case the checks below did not foresee still means "do not use this entry", never a crash.
    throw new CacheError(`the entry cannot be validated (${err instanceof Error ? err.message : String(err)})`, dir);
  }
}

function readEntry(model: Network, dir: string, expected: CacheKeyInputs | undefined): CacheSidecar {
  const integrityPath = host().path.join(dir, INTEGRITY_FILE);
  const integrity = integrityOf(readEntryFile(integrityPath), integrityPath);
  if (expected !== undefined && canonicalJson(integrity.inputs) !== canonicalJson(expected)) {
    throw new CacheError(`the entry was produced from other inputs (${differingInputs(integrity.inputs, expected)}) than this run's`, integrityPath);
  }
  // The bytes that were digested are the bytes used: nothing is read twice.
  const bytes = new Map<string, Uint8Array>();
  for (const f of DIGESTED_FILES) {
    const file = host().path.join(dir, f);
    const content = readEntryFile(file);
    if (host().sha256(content) !== integrity.files[f]) {
      throw new CacheError(`its sha256 differs from the one ${INTEGRITY_FILE} recorded when the entry was written (the file was damaged or changed)`, file);
    }
    bytes.set(f, content);
  }
  const jsonPath = host().path.join(dir, MODEL_FILE);
  const shardPath = host().path.join(dir, WEIGHTS_FILE);
  const json = parseJson(bytes.get(MODEL_FILE) as Uint8Array, jsonPath);
  const specs = manifestOf(json, jsonPath);
  const buffer = bytes.get(WEIGHTS_FILE) as Uint8Array;
  const expectedBytes = specs.reduce((sum, s) => sum + s.shape.reduce((a, b) => a * b, 1) * (BYTES_PER_DTYPE[s.dtype] as number), 0);
  if (buffer.byteLength !== expectedBytes) {
    throw new CacheError(`${buffer.byteLength} bytes, but the manifest in ${MODEL_FILE} describes ${expectedBytes}`, shardPath);
  }
  const byName = new Map(specs.map((s) => [s.name, s]));
  for (const w of model.weights) {
    const s = byName.get(w.name);
    if (s === undefined) throw new CacheError(`weight '${w.name}' is missing`, jsonPath);
    if (s.shape.length !== w.variable.shape.length || s.shape.some((d, i) => d !== w.variable.shape[i])) {
      throw new CacheError(`weight '${w.name}' has shape [${s.shape.join(', ')}], the model needs [${w.variable.shape.join(', ')}]`, jsonPath);
    }
  }
  if (specs.length !== model.weights.length) {
    const extra = specs.find((s) => !model.weights.some((w) => w.name === s.name));
    throw new CacheError(`unexpected weight '${extra?.name ?? '?'}'`, jsonPath);
  }
  const data = buffer.buffer.slice(buffer.byteOffset, buffer.byteOffset + buffer.byteLength) as ArrayBuffer;
  const tensors = tf.io.decodeWeights(data, specs);
  try {
    for (const [name, t] of Object.entries(tensors)) {
      if (!t.dataSync().every((v) => Number.isFinite(v))) throw new CacheError(`weight '${name}' holds non-finite values`, shardPath);
    }
    for (const w of model.weights) w.variable.assign(tensors[w.name] as tf.Tensor);
  } finally {
    Object.values(tensors).forEach((t) => t.dispose());
  }
  return sidecarOf(json, jsonPath) ?? { formatVersion: CACHE_FORMAT_VERSION, key: integrity.key, model: model.spec.name, staticTwin: model.isStaticTwin, inputs: integrity.inputs };
}

function readEntryFile(file: string): Uint8Array {
  try {
    return host().fs.readFileSync(file);
  } catch (err) {
    const code = errorCode(err);
    throw new CacheError(code === 'ENOENT' ? 'the file is missing from the entry' : `cannot be read (${code ?? String(err)})`, file);
  }
}

function parseJson(bytes: Uint8Array, file: string): Record<string, unknown> {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { ignoreBOM: true }).decode(bytes));
  } catch (err) {
    throw new CacheError(`not valid JSON (${err instanceof Error ? err.message : String(err)})`, file);
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) throw new CacheError(`expected a JSON object, got ${json === null ? 'null' : Array.isArray(json) ? 'an array' : typeof json}`, file);
  return json as Record<string, unknown>;
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
const isHex64 = (v: unknown): boolean => typeof v === 'string' && /^[0-9a-f]{64}$/.test(v);

function integrityOf(bytes: Uint8Array, file: string): IntegrityManifest {
  const json = parseJson(bytes, file);
  const inputs = json.inputs;
  const files = json.files;
  if (json.formatVersion !== CACHE_FORMAT_VERSION) throw new CacheError(`written by cache format ${JSON.stringify(json.formatVersion)}, this version reads ${CACHE_FORMAT_VERSION}`, file);
  if (!isObject(inputs) || inputs.format !== CACHE_FORMAT_VERSION || typeof inputs.weights !== 'string' || typeof inputs.data !== 'string' || typeof inputs.twin !== 'boolean') {
    throw new CacheError("'inputs' must name the format, weights hash, data digest and twin flag that produced the entry", file);
  }
  if (!isObject(files) || !DIGESTED_FILES.every((f) => isHex64(files[f]))) {
    throw new CacheError(`'files' must hold a sha256 for each of ${DIGESTED_FILES.join(', ')}`, file);
  }
  const typed = { format: inputs.format, weights: inputs.weights, data: inputs.data, twin: inputs.twin };
  if (json.key !== keyOf(typed)) throw new CacheError(`'key' ${JSON.stringify(json.key)} is not the digest of its 'inputs'`, file);
  return { formatVersion: CACHE_FORMAT_VERSION, key: json.key, inputs: typed, files: files as Record<string, string> };
}

function differingInputs(found: CacheKeyInputs, expected: CacheKeyInputs): string {
  const names: Record<keyof CacheKeyInputs, string> = { format: 'cache format', weights: 'architecture or recipe', data: 'training data', twin: 'static twin flag' };
  return (Object.keys(names) as (keyof CacheKeyInputs)[]).filter((k) => found[k] !== expected[k]).map((k) => names[k]).join(', ');
}

const BYTES_PER_DTYPE: Record<string, number> = { float32: 4, int32: 4, bool: 1 };

/** The one weights manifest group with its one shard; every entry checked before any arithmetic touches it. */
function manifestOf(json: Record<string, unknown>, file: string): tf.io.WeightsManifestEntry[] {
  const groups = json.weightsManifest;
  const group: unknown = Array.isArray(groups) && groups.length === 1 ? groups[0] : undefined;
  if (!isObject(group) || !Array.isArray(group.paths) || group.paths.length !== 1 || group.paths[0] !== WEIGHTS_FILE || !Array.isArray(group.weights)) {
    throw new CacheError(`expected one weights manifest group with the one shard ${WEIGHTS_FILE}`, file);
  }
  const seen = new Set<string>();
  return group.weights.map((w: unknown, i: number): tf.io.WeightsManifestEntry => {
    if (!isObject(w) || typeof w.name !== 'string' || w.name === '') throw new CacheError(`weights manifest entry ${i + 1} has no name`, file);
    const name = w.name;
    if (seen.has(name)) throw new CacheError(`weight '${name}' appears twice in the manifest`, file);
    seen.add(name);
    if (!Array.isArray(w.shape) || !w.shape.every((d) => Number.isSafeInteger(d) && (d as number) >= 0)) {
      throw new CacheError(`weight '${name}' has no valid shape (expected a list of sizes, got ${JSON.stringify(w.shape) ?? 'nothing'})`, file);
    }
    if (typeof w.dtype !== 'string' || BYTES_PER_DTYPE[w.dtype] === undefined) throw new CacheError(`weight '${name}' has unsupported dtype ${JSON.stringify(w.dtype) ?? 'nothing'}`, file);
    if (w.quantization !== undefined) throw new CacheError(`weight '${name}' is quantized; the cache never writes that`, file);
    return { name, shape: w.shape as number[], dtype: w.dtype as 'float32' | 'int32' | 'bool' };
  });
}

/** The `dynn` sidecar in model.json, when it is well formed (metrics are shown to the user, so they are checked). */
function sidecarOf(json: Record<string, unknown>, file: string): CacheSidecar | undefined {
  const s = json.dynn;
  if (s === undefined) return undefined;
  const m = isObject(s) ? s.metrics : undefined;
  const numbers = (v: unknown): boolean => Array.isArray(v) && v.every((x) => typeof x === 'number');
  const metricsOk = m === undefined || (isObject(m) && ['epochs', 'seconds', 'samples', 'batchSize'].every((k) => typeof m[k] === 'number') && numbers(m.epochLoss) && numbers(m.perExitTrainAccuracy));
  if (!isObject(s) || !metricsOk) throw new CacheError("the 'dynn' section (training metrics) is malformed", file);
  return s as unknown as CacheSidecar;
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
  /** Why a present cache entry was not used (damaged, mismatched): `<workspace-relative file>: <reason>`. */
  cacheProblem?: string;
}

/**
 * Returns the trained network for `spec` (or its static twin): from the cache when a valid entry exists, else
 * trains it and writes the entry. A bad entry is reported in `cacheProblem` and replaced. `data` defaults to the
 * spec's own data (loadData); the test split is not kept. The key always comes from the spec's own training files
 * (trainingDataDigest), whatever `data` returns. `.dynn/weights` is confined to the workspace (WorkspaceError)
 * before anything is read or trained.
 */
export async function loadOrTrain(
  spec: ModelSpec,
  workspaceRoot: string,
  data?: () => Promise<{ train: Dataset }>,
  options: TrainOptions = {},
): Promise<LoadOrTrainResult> {
  workspaceDir(workspaceRoot, WEIGHTS_DIR, { create: false });
  const staticTwin = options.staticTwin ?? false;
  const inputs = cacheKeyInputs(spec, staticTwin, await trainingDataDigest(spec, workspaceRoot));
  const key = keyOf(inputs);
  const dir = cacheDir(workspaceRoot, key);
  let cacheProblem: string | undefined;
  if (host().fs.existsSync(dir)) {
    const { buildModel, buildStaticTwin } = await import('./network');
    const model = staticTwin ? buildStaticTwin(spec, { seed: options.seed ?? spec.train.seed }) : buildModel(spec, { seed: options.seed ?? spec.train.seed });
    try {
      const sidecar = loadWeights(model, dir, inputs);
      return { model, cached: true, key, dir, ...(sidecar.metrics ? { metrics: sidecar.metrics } : {}) };
    } catch (err) {
      model.dispose();
      if (!(err instanceof CacheError)) throw err;
      cacheProblem = `${host().path.relative(workspaceRoot, err.file).split(host().path.sep).join('/')}: ${err.reason}`;
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
  try {
    // Checked again right before the write: the folder may have changed during a long training.
    workspaceDir(workspaceRoot, WEIGHTS_DIR, { create: true });
    await saveWeights(model, dir, { formatVersion: CACHE_FORMAT_VERSION, key, model: spec.name, staticTwin, inputs, metrics });
  } catch (err) {
    model.dispose();
    throw err;
  }
  return { model, cached: false, key, dir, metrics, ...(cacheProblem !== undefined ? { cacheProblem } : {}) };
}
