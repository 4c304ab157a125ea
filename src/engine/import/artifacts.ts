// Reads a TF.js Layers model (`model.json` + weight shards, as tensorflowjs_converter writes from Keras) from the
// workspace without fetch: every path is resolved inside the workspace (no `..`, no absolute path, no symlink that
// leads out), every shard group's byte size is checked against its manifest before TF.js sees the bytes.
import type * as tf from '@tensorflow/tfjs';
import { resolveInWorkspace } from '../data/paths';
import { ImportError } from './errors';
import { MAX_MODEL_JSON_BYTES, MAX_WEIGHT_BYTES } from './limits';
import { errorCode, host } from '../../protocol/host';


/** An absolute path in Windows spelling (`\x`, `/x`, `C:\x`, `C:/x`), refused on every host alike. */
const WINDOWS_ABSOLUTE = /^([\\/]|[A-Za-z]:[\\/])/;

const BYTES_PER_DTYPE: Record<string, number> = { float32: 4, int32: 4, bool: 1, uint8: 1, uint16: 2, float16: 2 };

/** Workspace-relative spelling of an absolute path (for messages). */
export function relativeTo(root: string, file: string): string {
  return host().path.relative(root, file).split(host().path.sep).join('/');
}

/** Resolves `ref` (relative to the folder `baseDir`) inside the workspace; refuses absolute paths and URLs. */
export async function resolveRef(workspaceRoot: string, baseDir: string, ref: unknown, citing: string, what: string): Promise<string> {
  if (typeof ref !== 'string' || ref.trim() === '') throw new ImportError(`${what} must be a non-empty relative path`, citing);
  if (/^[a-z][a-z0-9+.-]*:/i.test(ref) || host().path.isAbsolute(ref) || WINDOWS_ABSOLUTE.test(ref)) {
    throw new ImportError(`${what} '${ref}' must be a path relative to this file, not an absolute path or URL`, citing);
  }
  const rootReal = await host().fs.realpath(workspaceRoot);
  const baseReal = await host().fs.realpath(baseDir);
  const candidate = host().path.resolve(baseReal, ref);
  try {
    return await resolveInWorkspace(rootReal, host().path.relative(rootReal, candidate));
  } catch (e) {
    const reason = e instanceof Error ? e.message.replace(/^[^:]*: /, '') : String(e);
    throw new ImportError(`${what} '${ref}': ${reason}`, citing);
  }
}

function weightBytes(w: tf.io.WeightsManifestEntry): number {
  const elements = w.shape.reduce((a, b) => a * b, 1);
  const dtype = w.quantization?.dtype ?? w.dtype;
  const bytes = BYTES_PER_DTYPE[dtype];
  if (bytes === undefined) throw new Error(`weight '${w.name}' has unsupported dtype '${dtype}'`);
  return elements * bytes;
}

function isManifest(v: unknown): v is tf.io.WeightsManifestConfig {
  return (
    Array.isArray(v) &&
    v.every(
      (g) =>
        g !== null &&
        typeof g === 'object' &&
        Array.isArray((g as { paths?: unknown }).paths) &&
        Array.isArray((g as { weights?: unknown }).weights) &&
        (g as { weights: unknown[] }).weights.every(
          (w) => w !== null && typeof w === 'object' && typeof (w as { name?: unknown }).name === 'string' && Array.isArray((w as { shape?: unknown }).shape),
        ),
    )
  );
}

/**
 * Model artifacts of the Layers model at `modelFile` (an absolute path already inside the workspace).
 * Throws ImportError naming model.json or the shard at fault.
 */
export async function readLayersArtifacts(workspaceRoot: string, modelFile: string): Promise<tf.io.ModelArtifacts> {
  const modelRel = relativeTo(workspaceRoot, modelFile);
  let text: string;
  try {
    const stat = await host().fs.stat(modelFile);
    if (stat.size > MAX_MODEL_JSON_BYTES) throw new ImportError(`is ${stat.size} bytes; model.json is limited to ${MAX_MODEL_JSON_BYTES}`, modelRel);
    text = await host().fs.readTextFile(modelFile);
  } catch (e) {
    if (e instanceof ImportError) throw e;
    throw new ImportError(`cannot read the model file (${errorCode(e) ?? String(e)})`, modelRel);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new ImportError(`is not valid JSON (${e instanceof Error ? e.message : String(e)}); expected a TF.js Layers model.json`, modelRel);
  }
  const obj = json !== null && typeof json === 'object' && !Array.isArray(json) ? (json as Record<string, unknown>) : undefined;
  if (obj === undefined) throw new ImportError('expected a JSON object (a TF.js Layers model.json)', modelRel);
  if (obj.format !== undefined && obj.format !== 'layers-model') {
    throw new ImportError(`has format ${JSON.stringify(obj.format)}; only 'layers-model' (Keras via tensorflowjs_converter) can be imported, not graph models`, modelRel);
  }
  const topology = obj.modelTopology;
  if (topology === null || typeof topology !== 'object') throw new ImportError("has no 'modelTopology' object", modelRel);
  const manifest = obj.weightsManifest;
  if (!isManifest(manifest)) throw new ImportError("has no valid 'weightsManifest' (a list of {paths, weights})", modelRel);

  const modelDir = host().path.dirname(modelFile);
  const buffers: Uint8Array[] = [];
  const specs: tf.io.WeightsManifestEntry[] = [];
  let total = 0;
  for (const [g, group] of manifest.entries()) {
    let expected: number;
    try {
      expected = group.weights.reduce((a, w) => a + weightBytes(w), 0);
    } catch (e) {
      throw new ImportError(`weightsManifest group ${g}: ${e instanceof Error ? e.message : String(e)}`, modelRel);
    }
    const files: string[] = [];
    for (const ref of group.paths) files.push(await resolveRef(workspaceRoot, modelDir, ref, modelRel, 'weight shard'));
    const sizes = await Promise.all(files.map(async (f) => (await host().fs.stat(f)).size));
    const got = sizes.reduce((a, b) => a + b, 0);
    if (got !== expected) {
      const names = files.map((f, i) => `${relativeTo(workspaceRoot, f)} (${sizes[i]} bytes)`).join(', ');
      const hint = got < expected ? 'truncated or missing a shard' : 'larger than its manifest: a shard from another model?';
      throw new ImportError(`weight shards ${names} hold ${got} bytes, but the manifest's weights need ${expected} (${hint})`, relativeTo(workspaceRoot, files[files.length - 1] ?? modelFile));
    }
    total += got;
    if (total > MAX_WEIGHT_BYTES) throw new ImportError(`weights exceed ${MAX_WEIGHT_BYTES} bytes`, modelRel);
    for (const f of files) buffers.push(await host().fs.readFile(f));
    specs.push(...group.weights);
  }
  const all = new Uint8Array(buffers.reduce((sum, b) => sum + b.byteLength, 0));
  let at = 0;
  for (const b of buffers) {
    all.set(b, at);
    at += b.byteLength;
  }
  const weightData = all.buffer;
  const artifacts: tf.io.ModelArtifacts = { modelTopology: topology, weightSpecs: specs, weightData, format: 'layers-model' };
  if (typeof obj.generatedBy === 'string') artifacts.generatedBy = obj.generatedBy;
  if (typeof obj.convertedBy === 'string') artifacts.convertedBy = obj.convertedBy;
  return artifacts;
}
