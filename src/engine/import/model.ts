// A pretrained model whose outputs are the exits (an ONNX graph or a TF.js Layers model), wrapped as a
// DynamicModel: forwardAll applies the whole graph (differentiable, for attacks); runDynamic runs the graph part by
// part and drops the samples that exit, so later layers run only on the samples that stay. The sidecar's
// normalisation is applied here, inside the model, so inputs, ranges and attacks stay in pixel space.
import * as tf from '@tensorflow/tfjs';
import { decideExit, initialPolicyState, policyFromSpec, type PolicyState } from '../policy';
import { gatherRows } from '../rows';
import { charge, emptyExecuted } from '../executed';
import type { DynamicModel, DynamicRun, InferenceOptions, MultiExitOutputs } from '../types';
import { readLayersArtifacts, relativeTo, resolveRef } from './artifacts';
import { ImportError } from './errors';
import { MAX_ONNX_FILE_BYTES } from './limits';
import { planGraph, runPart as runLayersPart, type GraphPart, type GraphStep } from './graph';
import type { ExitPart, Part } from './parts';
import { decodeOnnx } from './onnxDecode';
import { buildOnnxGraph, type OnnxExitGraph } from './onnxGraph';
import { OnnxGraphError } from './onnxAnalyze';
import { parseImportSidecar, type ImportSidecar } from './sidecar';
import { checkInputShape, recordAnswer } from '../runRecord';
import { errorCode, host } from '../../protocol/host';

const DEFAULT_INFERENCE_BATCH = 256;
/** Floor under probabilities before the log that turns a softmax output back into logits. */
const PROB_FLOOR = 1e-7;

/** What the wrapper needs of an imported graph split at its exits (Layers: graph.ts; ONNX: onnxGraph.ts). */
export interface ExitGraph<K = unknown, S = unknown> {
  readonly input: K;
  readonly exits: readonly ExitPart<K, S>[];
  /** Per-sample input shape (NHWC or [features]). */
  readonly inputShape: readonly number[];
  readonly classes: number;
  /** Every exit's output (differentiable). */
  forward(x: tf.Tensor): tf.Tensor[];
  runPart(part: Part<S>, values: Map<K, tf.Tensor>): void;
  dispose(): void;
}

/** A Layers model as an ExitGraph: applied whole by TF.js, or node by node (graph.ts). */
class LayersExitGraph implements ExitGraph<number, GraphStep> {
  readonly input: number;
  readonly exits: readonly ExitPart<number, GraphStep>[];
  readonly inputShape: readonly number[];
  readonly classes: number;
  constructor(readonly layers: tf.LayersModel) {
    const plan = planGraph(layers);
    this.input = plan.input;
    this.exits = plan.exits;
    this.inputShape = (layers.inputs[0]?.shape ?? []).slice(1).map((d) => d ?? 0);
    this.classes = layers.outputs[0]?.shape[1] ?? 0;
  }
  forward(x: tf.Tensor): tf.Tensor[] {
    // Concrete input in, concrete tensors out (SymbolicTensors only come from symbolic inputs).
    const out = this.layers.apply(x, { training: false }) as tf.Tensor | tf.Tensor[];
    return Array.isArray(out) ? out : [out];
  }
  runPart(part: GraphPart, values: Map<number, tf.Tensor>): void {
    runLayersPart(part, values);
  }
  dispose(): void {
    this.layers.dispose();
  }
}

export class ImportedModel implements DynamicModel {
  readonly name: string;
  readonly exitNames: readonly string[];
  readonly gateNames: readonly string[] = [];
  readonly inputShape: readonly number[];
  readonly inputRange: readonly [number, number];
  readonly classes: number;
  readonly fullFlops: number;
  readonly flopsAtExit: readonly number[];
  readonly isStaticTwin: boolean;
  /** The exits' parts (trunk, head, FLOPs), as dynamic inference runs them. */
  readonly plan: { readonly exits: readonly ExitPart<unknown, unknown>[] };
  private readonly normalization: { mean: tf.Tensor; invStd: tf.Tensor } | undefined;
  private disposed = false;

  constructor(
    readonly graph: ExitGraph,
    readonly sidecar: ImportSidecar,
    /** Workspace-relative model file (for messages and provenance). */
    readonly modelFile: string,
    options: { staticTwin?: boolean } = {},
  ) {
    this.name = sidecar.name;
    this.isStaticTwin = options.staticTwin === true;
    this.exitNames = this.isStaticTwin ? ['final'] : [...sidecar.outputs];
    this.inputRange = sidecar.inputRange;
    this.inputShape = graph.inputShape;
    this.classes = graph.classes;
    this.plan = { exits: graph.exits };
    let cumulative = 0;
    this.flopsAtExit = graph.exits.map((e) => (cumulative += e.trunk.flops + e.head.flops));
    this.fullFlops = cumulative;
    const n = sidecar.normalize;
    if (n !== undefined) {
      const channels = this.inputShape[this.inputShape.length - 1] ?? 1;
      const per = (v: readonly number[]): Float32Array => Float32Array.from({ length: channels }, (_, i) => (v.length === 1 ? v[0] : v[i]) as number);
      this.normalization = { mean: tf.tensor1d(per(n.mean)), invStd: tf.tensor1d(per(n.std).map((s) => 1 / s)) };
    }
  }

  /** The Layers model, when the import is one (tests reach its layers). */
  get layers(): tf.LayersModel | undefined {
    return this.graph instanceof LayersExitGraph ? this.graph.layers : undefined;
  }

  /** The graph's input for the user's `x` (pixel space): (x - mean) / std per channel when the sidecar says so. */
  private enter(x: tf.Tensor): tf.Tensor {
    const n = this.normalization;
    return n === undefined ? x : tf.mul(tf.sub(x, n.mean), n.invStd);
  }

  forwardAll(x: tf.Tensor): MultiExitOutputs {
    this.assertAlive();
    checkInputShape(this.name, this.inputShape, x);
    const list = tf.tidy(() => {
      const out = this.graph.forward(this.enter(x));
      return out.map((t, k) => (this.plan.exits[k]?.probabilities ? tf.log(tf.maximum(t, PROB_FLOOR)) : t) as tf.Tensor2D);
    });
    const exits = list;
    return { exits, gates: [] };
  }

  async runDynamic(x: tf.Tensor, options: InferenceOptions = {}): Promise<DynamicRun> {
    this.assertAlive();
    checkInputShape(this.name, this.inputShape, x);
    const start = performance.now();
    const n = x.shape[0] ?? 0;
    const internal = this.exitNames.slice(0, -1).map((name, i) => ({ name, ...(this.sidecar.thresholds ? { threshold: this.sidecar.thresholds[i] } : {}) }));
    const policy = policyFromSpec({ ...this.sidecar.policy, path: [] }, internal, options.thresholds, options.enabledExits);
    const internalCount = this.plan.exits.length - 1;
    const run: DynamicRun = {
      exitIndex: new Int32Array(n),
      prediction: new Int32Array(n),
      confidence: new Float32Array(n),
      flops: new Float64Array(n),
      gatesFired: new Uint8Array(0),
      executed: emptyExecuted(internalCount + 1, internalCount, 0),
      millis: 0,
    };
    const batchSize = Math.max(1, Math.floor(options.batchSize ?? DEFAULT_INFERENCE_BATCH));
    const last = this.plan.exits.length - 1;
    for (let begin = 0; begin < n; begin += batchSize) {
      const size = Math.min(batchSize, n - begin);
      let alive = Array.from({ length: size }, (_, i) => begin + i);
      let states: PolicyState[] = alive.map(() => initialPolicyState());
      let values = new Map<unknown, tf.Tensor>([[this.graph.input, tf.tidy(() => this.enter(tf.slice(x, begin, size)))]]);
      try {
        for (let k = 0; k <= last && alive.length > 0; k++) {
          const exit = this.plan.exits[k];
          if (exit === undefined) break;
          const enabled = k === last || policy.enabled?.[k] !== false;
          const before = new Set(values.values());
          // Every tensor carried into this part has the rows still in the batch; count them from the tensors.
          const rows = Math.max(0, ...[...before].map((t) => t.shape[0] ?? 0));
          charge(run.executed, 'segmentRows', k, rows, exit.trunk.flops + (k === last ? exit.head.flops : 0));
          if (enabled && k < last) charge(run.executed, 'headRows', k, rows, exit.head.flops);
          tf.tidy(() => {
            this.graph.runPart(exit.trunk, values);
            if (enabled) this.graph.runPart(exit.head, values);
            const keep = [...values.values()].filter((t) => !before.has(t));
            return keep;
          });
          for (const s of alive) run.flops[s] = (run.flops[s] ?? 0) + exit.trunk.flops + (enabled ? exit.head.flops : 0);
          let keep: number[] = alive.map((_, j) => j);
          if (enabled) {
            const out = values.get(exit.output);
            if (out === undefined) throw new Error(`output ${k} was not computed`);
            const probsTensor = exit.probabilities ? out.clone() : tf.tidy(() => tf.softmax(out));
            const probs = (await probsTensor.data()) as Float32Array;
            probsTensor.dispose();
            keep = [];
            alive.forEach((s, j) => {
              if (k === last || decideExit(policy, k, probs, j * this.classes, this.classes, states[j] as PolicyState)) recordAnswer(run, s, k, probs, j, this.classes);
              else keep.push(j);
            });
          }
          // Keep only what later parts read, cut to the samples that stay.
          const next = new Map<unknown, tf.Tensor>();
          for (const [id, t] of values) {
            if (keep.length > 0 && exit.carry.has(id)) next.set(id, keep.length === alive.length ? t : gatherRows(t, keep));
          }
          const kept = new Set(next.values());
          for (const t of new Set(values.values())) if (!kept.has(t)) t.dispose();
          values = next;
          alive = keep.map((j) => alive[j] as number);
          states = keep.map((j) => states[j] as PolicyState);
        }
      } finally {
        for (const t of new Set(values.values())) t.dispose();
      }
    }
    run.millis = performance.now() - start;
    return run;
  }

  private assertAlive(): void {
    if (this.disposed) throw new Error(`Model '${this.name}' was disposed.`);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.graph.dispose();
    this.normalization?.mean.dispose();
    this.normalization?.invStd.dispose();
  }
}

/**
 * Imports the model a sidecar names: an ONNX graph (`import.model` ending in `.onnx`) or a TF.js Layers model
 * (model.json). With `staticTwin`, imports `import.static` instead, as a model with the one exit 'final'.
 * `sidecarFile` and every path it leads to (model, weight shards, external data) must lie inside `workspaceRoot`.
 * Throws ImportError naming the file at fault, before any compute.
 */
export async function importModel(sidecarFile: string, workspaceRoot: string, options: { staticTwin?: boolean } = {}): Promise<ImportedModel> {
  const root = await host().fs.realpath(workspaceRoot);
  const sidecarPath = await resolveRef(root, root, host().path.isAbsolute(sidecarFile) ? host().path.relative(root, sidecarFile) : sidecarFile, '(workspace)', 'sidecar');
  const sidecarRel = relativeTo(root, sidecarPath);
  const sidecar = parseImportSidecar(await host().fs.readTextFile(sidecarPath), sidecarRel);
  const twin = options.staticTwin === true;
  const key = twin ? 'import.static' : 'import.model';
  const ref = twin ? sidecar.static : sidecar.model;
  if (ref === undefined) throw new ImportError("has no 'import.static': name the same backbone without exits, trained separately, to run the transfer and efficiency studies", sidecarRel);
  const modelFile = await resolveRef(root, host().path.dirname(sidecarPath), ref, sidecarRel, key);
  const modelRel = relativeTo(root, modelFile);
  const graph = /\.onnx$/i.test(modelFile) ? await loadOnnxGraph(root, modelFile, modelRel, sidecar, sidecarRel, twin) : await loadLayersGraph(root, modelFile, modelRel, sidecar, sidecarRel, twin);
  try {
    checkAgainstSidecar(graph, sidecar, sidecarRel, modelRel);
    return new ImportedModel(graph, sidecar, modelRel, { staticTwin: twin });
  } catch (e) {
    graph.dispose();
    throw e;
  }
}

/** The name this importer had when it read Layers models only. */
export const importLayersModel = importModel;

/** Reads, decodes, analyses and compiles an .onnx file; external data is read from inside the workspace only. */
async function loadOnnxGraph(root: string, modelFile: string, modelRel: string, sidecar: ImportSidecar, sidecarRel: string, twin: boolean): Promise<OnnxExitGraph> {
  let bytes: Uint8Array;
  try {
    const stat = await host().fs.stat(modelFile);
    if (stat.size > MAX_ONNX_FILE_BYTES) throw new ImportError(`is ${stat.size} bytes; an .onnx file is limited to ${MAX_ONNX_FILE_BYTES} (store large weights as external data)`, modelRel);
    bytes = await host().fs.readFile(modelFile);
  } catch (e) {
    if (e instanceof ImportError) throw e;
    throw new ImportError(`cannot read the model file (${errorCode(e) ?? String(e)})`, modelRel);
  }
  const modelDir = host().path.dirname(modelFile);
  const decoded = await decodeOnnx(bytes, modelRel, async (location, offset, length, tensor) => {
    const what = `external data of tensor '${tensor}'`;
    const file = await resolveRef(root, modelDir, location, modelRel, what);
    const data = await host().fs.readFile(file);
    const end = length === undefined ? data.byteLength : offset + length;
    if (end > data.byteLength) throw new ImportError(`${what}: ${relativeTo(root, file)} has ${data.byteLength} bytes, but offset ${offset} + length ${length ?? 0} reaches ${end} (truncated?)`, modelRel);
    return data.subarray(offset, end);
  });
  let outputs = sidecar.outputs;
  if (twin) {
    if (decoded.outputs.length !== 1) throw new ImportError(`is named as the static twin ('import.static') but has ${decoded.outputs.length} outputs; the twin has one, the final classifier`, modelRel);
    outputs = [decoded.outputs[0]?.name ?? ''];
  }
  try {
    return buildOnnxGraph(decoded, outputs);
  } catch (e) {
    if (e instanceof OnnxGraphError) throw new ImportError(e.message, modelRel);
    throw new ImportError(`cannot convert the graph: ${e instanceof Error ? e.message : String(e)}`, modelRel);
  }
}

async function loadLayersGraph(root: string, modelFile: string, modelRel: string, sidecar: ImportSidecar, sidecarRel: string, twin: boolean): Promise<LayersExitGraph> {
  const artifacts = await readLayersArtifacts(root, modelFile);
  let layers: tf.LayersModel;
  try {
    layers = await tf.loadLayersModel({ load: () => Promise.resolve(artifacts) });
  } catch (e) {
    throw new ImportError(`TF.js cannot load this Layers model: ${e instanceof Error ? e.message : String(e)}`, modelRel);
  }
  try {
    const expected = twin ? 1 : sidecar.outputs.length;
    if (layers.outputs.length !== expected) {
      throw new ImportError(
        twin
          ? `${modelRel} is named as the static twin but has ${layers.outputs.length} outputs; the twin has one`
          : `'import.outputs' names ${sidecar.outputs.length} exits (${sidecar.outputs.join(', ')}) but ${modelRel} has ${layers.outputs.length} outputs`,
        sidecarRel,
      );
    }
    const input = layers.inputs[0];
    if (layers.inputs.length !== 1 || input === undefined) throw new ImportError(`has ${layers.inputs.length} inputs; exactly one is supported`, modelRel);
    if (input.shape.slice(1).some((d) => d === null)) throw new ImportError(`input shape [${input.shape.join(', ')}] must be fully known apart from the batch`, modelRel);
    const classes = new Set(layers.outputs.map((o) => (o.shape.length === 2 ? o.shape[1] : -1)));
    const only = [...classes][0];
    if (classes.size !== 1 || typeof only !== 'number' || only < 2) {
      throw new ImportError(`every output must be [batch, classes] with the same classes; got ${layers.outputs.map((o) => `[${o.shape.join(', ')}]`).join(', ')}`, modelRel);
    }
    try {
      return new LayersExitGraph(layers);
    } catch (e) {
      throw new ImportError(`cannot split the graph at its exits: ${e instanceof Error ? e.message : String(e)}`, modelRel);
    }
  } catch (e) {
    layers.dispose();
    throw e;
  }
}

/** The sidecar's input shape and classes must be the model's. */
function checkAgainstSidecar(graph: ExitGraph, sidecar: ImportSidecar, sidecarRel: string, modelRel: string): void {
  const shape = graph.inputShape;
  if (shape.length !== sidecar.inputShape.length || shape.some((d, i) => d !== sidecar.inputShape[i])) {
    throw new ImportError(`'input.shape' is [${sidecar.inputShape.join(', ')}] but ${modelRel} takes [${shape.join(', ')}] (channels last: an ONNX input [n, c, h, w] is [h, w, c] here)`, sidecarRel);
  }
  if (sidecar.classes !== graph.classes) throw new ImportError(`'classes' is ${sidecar.classes} but the model's outputs have ${graph.classes}`, sidecarRel);
  const channels = shape[shape.length - 1] ?? 1;
  for (const key of ['mean', 'std'] as const) {
    const n = sidecar.normalize?.[key].length;
    if (n !== undefined && n !== 1 && n !== channels) throw new ImportError(`'import.normalize.${key}' has ${n} values; the model's input has ${channels} channels`, sidecarRel);
  }
}
