// A pretrained TF.js Layers model whose outputs are the exits, wrapped as a DynamicModel: forwardAll applies the
// whole graph (differentiable, for attacks); runDynamic runs the graph part by part and drops the samples that
// exit, so later layers run only on the samples that stay.
import * as tf from '@tensorflow/tfjs';
import { decideExit, initialPolicyState, policyFromSpec, type PolicyState } from '../policy';
import { gatherRows } from '../rows';
import { charge, emptyExecuted } from '../executed';
import type { DynamicModel, DynamicRun, InferenceOptions, MultiExitOutputs } from '../types';
import { readLayersArtifacts, relativeTo, resolveRef } from './artifacts';
import { ImportError } from './errors';
import { planGraph, runPart, type GraphPlan } from './graph';
import { parseImportSidecar, type ImportSidecar } from './sidecar';
import { checkInputShape, recordAnswer } from '../runRecord';
import { host } from '../../protocol/host';

const DEFAULT_INFERENCE_BATCH = 256;
/** Floor under probabilities before the log that turns a softmax output back into logits. */
const PROB_FLOOR = 1e-7;

export class ImportedModel implements DynamicModel {
  readonly name: string;
  readonly exitNames: readonly string[];
  readonly gateNames: readonly string[] = [];
  readonly inputShape: readonly number[];
  readonly inputRange: readonly [number, number];
  readonly classes: number;
  readonly fullFlops: number;
  readonly flopsAtExit: readonly number[];
  readonly isStaticTwin = false;
  private disposed = false;

  constructor(
    readonly layers: tf.LayersModel,
    readonly sidecar: ImportSidecar,
    readonly plan: GraphPlan,
    /** Workspace-relative model.json (for messages and provenance). */
    readonly modelFile: string,
  ) {
    this.name = sidecar.name;
    this.exitNames = [...sidecar.outputs];
    this.inputRange = sidecar.inputRange;
    const shape = layers.inputs[0]?.shape ?? [];
    this.inputShape = shape.slice(1).map((d) => d ?? 0);
    this.classes = layers.outputs[0]?.shape[1] ?? 0;
    let cumulative = 0;
    this.flopsAtExit = plan.exits.map((e) => (cumulative += e.trunk.flops + e.head.flops));
    this.fullFlops = cumulative;
  }

  forwardAll(x: tf.Tensor): MultiExitOutputs {
    this.assertAlive();
    checkInputShape(this.name, this.inputShape, x);
    // Concrete input in, concrete tensors out (SymbolicTensors only come from symbolic inputs).
    const out = this.layers.apply(x, { training: false }) as tf.Tensor | tf.Tensor[];
    const list = Array.isArray(out) ? out : [out];
    const exits = list.map((t, k) => (this.plan.exits[k]?.probabilities ? tf.log(tf.maximum(t, PROB_FLOOR)) : t) as tf.Tensor2D);
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
      let values = new Map<number, tf.Tensor>([[this.plan.input, tf.slice(x, begin, size)]]);
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
            runPart(exit.trunk, values);
            if (enabled) runPart(exit.head, values);
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
          const next = new Map<number, tf.Tensor>();
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
    this.layers.dispose();
  }
}

/**
 * Imports the TF.js Layers model a sidecar names. `sidecarFile` and every path it leads to (model.json, weight
 * shards) must lie inside `workspaceRoot`. Throws ImportError naming the file at fault.
 */
export async function importLayersModel(sidecarFile: string, workspaceRoot: string): Promise<ImportedModel> {
  const root = await host().fs.realpath(workspaceRoot);
  const sidecarPath = await resolveRef(root, root, host().path.isAbsolute(sidecarFile) ? host().path.relative(root, sidecarFile) : sidecarFile, '(workspace)', 'sidecar');
  const sidecarRel = relativeTo(root, sidecarPath);
  const sidecar = parseImportSidecar(await host().fs.readTextFile(sidecarPath), sidecarRel);
  const modelFile = await resolveRef(root, host().path.dirname(sidecarPath), sidecar.model, sidecarRel, 'import.model');
  const modelRel = relativeTo(root, modelFile);
  const artifacts = await readLayersArtifacts(root, modelFile);
  let layers: tf.LayersModel;
  try {
    layers = await tf.loadLayersModel({ load: () => Promise.resolve(artifacts) });
  } catch (e) {
    throw new ImportError(`TF.js cannot load this Layers model: ${e instanceof Error ? e.message : String(e)}`, modelRel);
  }
  try {
    return wrap(layers, sidecar, sidecarRel, modelRel);
  } catch (e) {
    layers.dispose();
    throw e;
  }
}

function wrap(layers: tf.LayersModel, sidecar: ImportSidecar, sidecarRel: string, modelRel: string): ImportedModel {
  if (layers.outputs.length !== sidecar.outputs.length) {
    throw new ImportError(`'import.outputs' names ${sidecar.outputs.length} exits (${sidecar.outputs.join(', ')}) but ${modelRel} has ${layers.outputs.length} outputs`, sidecarRel);
  }
  const input = layers.inputs[0];
  if (layers.inputs.length !== 1 || input === undefined) throw new ImportError(`has ${layers.inputs.length} inputs; exactly one is supported`, modelRel);
  if (input.shape.slice(1).some((d) => d === null)) throw new ImportError(`input shape [${input.shape.join(', ')}] must be fully known apart from the batch`, modelRel);
  const classes = new Set(layers.outputs.map((o) => (o.shape.length === 2 ? o.shape[1] : -1)));
  const only = [...classes][0];
  if (classes.size !== 1 || typeof only !== 'number' || only < 2) {
    throw new ImportError(`every output must be [batch, classes] with the same classes; got ${layers.outputs.map((o) => `[${o.shape.join(', ')}]`).join(', ')}`, modelRel);
  }
  const shape = input.shape.slice(1);
  if (shape.length !== sidecar.inputShape.length || shape.some((d, i) => d !== sidecar.inputShape[i])) {
    throw new ImportError(`'input.shape' is [${sidecar.inputShape.join(', ')}] but ${modelRel} takes [${shape.join(', ')}]`, sidecarRel);
  }
  if (sidecar.classes !== only) throw new ImportError(`'classes' is ${sidecar.classes} but the model's outputs have ${only}`, sidecarRel);
  let plan: GraphPlan;
  try {
    plan = planGraph(layers);
  } catch (e) {
    throw new ImportError(`cannot split the graph at its exits: ${e instanceof Error ? e.message : String(e)}`, modelRel);
  }
  return new ImportedModel(layers, sidecar, plan, modelRel);
}
