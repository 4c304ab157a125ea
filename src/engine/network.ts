// A built dynamic network: the backbone as top-level runtime layers, exit heads attached after some of them,
// gate heads in front of gated residual blocks. `forwardAll` computes everything for every sample (training,
// attacks); `runDynamic` really skips work: samples that exit leave the batch and closed gates skip their block.
import * as tf from '@tensorflow/tfjs';
import { computeCost } from '../modelfile/cost';
import type { CostReport, ExitSpec, GateSpec, ModelSpec, Shape } from '../modelfile/types';
import { applyChain, buildChain, buildLayer, hardGate, ResidualRuntime, type NamedWeight, type RunContext, type RuntimeLayer, type WeightGroup } from './layers';
import { gatherRows } from './rows';
import { charge, emptyExecuted, rowsOf } from './executed';
import { decideExit, initialPolicyState, policyFromSpec, type PolicyState } from './policy';
import type { DynamicModel, DynamicRun, InferenceOptions, MultiExitOutputs } from './types';
import { checkInputShape, recordAnswer } from './runRecord';

/** Engine-only inference extras (not part of the cross-module contract). */
export interface DynamicOptions extends InferenceOptions {
  /** Called for each top-level layer that runs with how many rows (samples, or gated samples) its input had. */
  onLayer?: (layerName: string, samples: number) => void;
}

/** Where inference time goes: one backbone segment (the layers up to an exit, or after the last one) and the
 *  exit head read there, with wall milliseconds for all `samples` and FLOPs per sample from the cost model. */
export interface SegmentProfile {
  /** The exit that closes the segment ('final' for the last one). */
  name: string;
  /** Top-level backbone layers in the segment. */
  layers: string[];
  samples: number;
  backboneMs: number;
  backboneFlopsPerSample: number;
  headMs: number;
  headFlopsPerSample: number;
}

/** Inference-time conv(+batchNorm)(+ReLU) groups folded into one fused conv, keyed by the conv's index. */
type Folds = Map<number, { filter: tf.Tensor4D; bias: tf.Tensor1D; activation: 'relu' | 'linear'; span: number }>;

function disposeFolds(folds: Folds): void {
  for (const f of folds.values()) {
    f.filter.dispose();
    f.bias.dispose();
  }
}

export interface BuildOptions {
  seed?: number;
}

interface ExitRuntime {
  spec: ExitSpec;
  /** Index of the top-level backbone layer the head reads. */
  at: number;
  head: RuntimeLayer[];
  headFlops: number;
}

interface GateRuntime {
  spec: GateSpec;
  /** Index of the gated top-level residual block. */
  at: number;
  head: RuntimeLayer[];
  headFlops: number;
}

/** Everything a training step needs besides the logits: soft gate probabilities (for a compute penalty). */
export interface TrainOutputs extends MultiExitOutputs {
  gateProbs: tf.Tensor1D[];
}

const DEFAULT_INFERENCE_BATCH = 256;
/** Gate heads start open (sigmoid(2) ~ 0.88) so training begins from the full network. */
const GATE_INITIAL_BIAS = 2;

/** Reads a small tensor back to the CPU and frees it. */
async function readBack(t: tf.Tensor): Promise<Float32Array> {
  try {
    return (await t.data()) as Float32Array;
  } finally {
    t.dispose();
  }
}

export class Network implements DynamicModel {
  readonly name: string;
  readonly exitNames: readonly string[];
  readonly gateNames: readonly string[];
  readonly inputShape: readonly number[];
  readonly inputRange: readonly [number, number];
  readonly classes: number;
  readonly fullFlops: number;
  readonly flopsAtExit: readonly number[];
  readonly weights: NamedWeight[] = [];
  readonly cost: CostReport;

  private readonly top: RuntimeLayer[] = [];
  private readonly topFlops: number[] = [];
  private readonly exits: ExitRuntime[] = [];
  private readonly gates: GateRuntime[] = [];
  /** Segment (see ExecutedWork.segmentRows) of each top-level layer, and each segment's FLOPs per sample without
   *  its gated blocks (those are charged by the rows their gate let through). */
  private readonly segmentOf: number[] = [];
  private readonly segmentFlops: number[] = [];
  private disposed = false;

  constructor(
    readonly spec: ModelSpec,
    readonly isStaticTwin: boolean,
    readonly seed: number,
  ) {
    if (spec.import !== undefined) {
      throw new Error(`Model '${spec.name}' imports a pretrained model (${spec.import.model}); load it with importModel, it has no layers to build.`);
    }
    this.name = isStaticTwin ? `${spec.name} (static twin)` : spec.name;
    this.inputShape = [...spec.input.shape];
    this.inputRange = spec.input.range ?? [0, 1];
    this.classes = spec.classes;
    this.cost = computeCost(spec);
    const flopsByName = new Map(this.cost.layers.map((l) => [l.name, l.flops]));

    const build = (group: WeightGroup) => ({ seed, group, weights: this.weights });
    let shape: Shape = spec.input.shape;
    const topShapes: Shape[] = [];
    spec.backbone.forEach((layer, i) => {
      const isLast = i === spec.backbone.length - 1;
      const built = buildLayer(layer, shape, build('backbone'), isLast ? { logits: true } : {});
      this.top.push(built);
      const flops = flopsByName.get(layer.name);
      if (flops === undefined) throw new Error(`The cost model has no entry for backbone layer '${layer.name}'.`);
      this.topFlops.push(flops);
      shape = built.outShape;
      topShapes.push(shape);
    });
    if (shape.length !== 1 || shape[0] !== spec.classes) {
      throw new Error(`The backbone must end in a dense layer with ${spec.classes} units (the final exit); it ends in shape [${shape.join(', ')}].`);
    }
    const indexOf = (name: string, what: string): number => {
      const i = spec.backbone.findIndex((l) => l.name === name);
      if (i < 0) throw new Error(`${what} names '${name}', which is not a top-level backbone layer.`);
      return i;
    };

    if (isStaticTwin) {
      this.exitNames = ['final'];
      this.gateNames = [];
      this.fullFlops = this.cost.staticFlops;
      this.flopsAtExit = [this.cost.staticFlops];
      this.planSegments();
      return;
    }

    let previousAt = -1;
    spec.exits.forEach((e, i) => {
      const at = indexOf(e.after, `Exit '${e.name}'`);
      if (at < previousAt) throw new Error(`Exit '${e.name}' reads from an earlier layer than the exit listed before it; list exits in backbone order.`);
      if (at === spec.backbone.length - 1) throw new Error(`Exit '${e.name}' reads from the final classifier; attach it to an earlier layer.`);
      previousAt = at;
      const head = buildChain(e.head, topShapes[at] as Shape, build('head'));
      if (head.outShape.length !== 1 || head.outShape[0] !== spec.classes) {
        throw new Error(`Exit '${e.name}': its head must end in ${spec.classes} logits, it gives [${head.outShape.join(', ')}].`);
      }
      this.exits.push({ spec: e, at, head: head.layers, headFlops: this.cost.exits[i]?.headFlops ?? 0 });
    });
    spec.gates.forEach((g, i) => {
      const at = indexOf(g.block, `Gate '${g.name}'`);
      const block = this.top[at];
      if (!(block instanceof ResidualRuntime)) throw new Error(`Gate '${g.name}' names '${g.block}', which is not a residual block.`);
      if (block.hasProjection) {
        throw new Error(`Gate '${g.name}' gates '${g.block}', whose output shape differs from its input; only shape-preserving blocks can be skipped.`);
      }
      const inShape = at === 0 ? spec.input.shape : (topShapes[at - 1] as Shape);
      const head = buildChain(g.head, inShape, build('gate'), { initialBias: GATE_INITIAL_BIAS });
      if (head.outShape.length !== 1 || head.outShape[0] !== 1) {
        throw new Error(`Gate '${g.name}': its head must end in one unit, it gives [${head.outShape.join(', ')}].`);
      }
      this.gates.push({ spec: g, at, head: head.layers, headFlops: this.cost.gates[i]?.headFlops ?? 0 });
    });
    this.exitNames = [...spec.exits.map((e) => e.name), 'final'];
    this.gateNames = spec.gates.map((g) => g.name);
    this.fullFlops = this.cost.fullFlops;
    this.flopsAtExit = this.cost.exits.map((e) => e.flopsToExit);
    this.planSegments();
  }

  private planSegments(): void {
    this.segmentFlops.length = 0;
    this.segmentFlops.push(...new Array<number>(this.exits.length + 1).fill(0));
    this.top.forEach((_, i) => {
      const segment = this.exits.filter((e) => e.at < i).length;
      this.segmentOf[i] = segment;
      if (!this.gates.some((g) => g.at === i)) this.segmentFlops[segment] = (this.segmentFlops[segment] ?? 0) + (this.topFlops[i] ?? 0);
    });
  }

  /** Trainable variables of the given groups (all when omitted). */
  trainableVariables(groups?: readonly WeightGroup[]): tf.Variable[] {
    return this.weights.filter((w) => w.trainable && (groups === undefined || groups.includes(w.group))).map((w) => w.variable);
  }

  forwardAll(x: tf.Tensor): MultiExitOutputs {
    const out = this.forwardTrain(x, { training: false }, { training: false });
    return { exits: out.exits, gates: out.gates };
  }

  /** Every exit for every sample with separate settings for the backbone and the heads (exits-only training). */
  forwardTrain(x: tf.Tensor, backboneCtx: RunContext, headCtx: RunContext): TrainOutputs {
    this.assertAlive();
    checkInputShape(this.name, this.inputShape, x);
    const exits: tf.Tensor2D[] = [];
    const gates: tf.Tensor1D[] = [];
    const gateProbs: tf.Tensor1D[] = [];
    let h = x;
    this.top.forEach((layer, i) => {
      const gate = this.gates.find((g) => g.at === i);
      if (gate !== undefined && layer instanceof ResidualRuntime) {
        const p = tf.reshape<tf.Rank.R1>(tf.sigmoid(applyChain(gate.head, h, backboneCtx)), [-1]);
        const g = hardGate(p, gate.spec.threshold) as tf.Tensor1D;
        gateProbs.push(p);
        gates.push(g);
        h = layer.apply(h, backboneCtx, g);
      } else {
        h = layer.apply(h, backboneCtx);
      }
      for (const e of this.exits) if (e.at === i) exits.push(applyChain(e.head, h, headCtx) as tf.Tensor2D);
    });
    exits.push(h as tf.Tensor2D);
    return { exits, gates, gateProbs };
  }

  async runDynamic(x: tf.Tensor, options: DynamicOptions = {}): Promise<DynamicRun> {
    this.assertAlive();
    checkInputShape(this.name, this.inputShape, x);
    const start = performance.now();
    const n = x.shape[0] ?? 0;
    const exitCount = this.exits.length;
    const gateCount = this.gates.length;
    const policy = policyFromSpec(this.spec.policy, this.spec.exits, options.thresholds, options.enabledExits);
    const gateThresholds = options.gateThresholds ?? this.gates.map((g) => g.spec.threshold);
    if (gateThresholds.length !== gateCount) throw new Error(`Expected ${gateCount} gate thresholds, got ${gateThresholds.length}.`);
    const run: DynamicRun = {
      exitIndex: new Int32Array(n),
      prediction: new Int32Array(n),
      confidence: new Float32Array(n),
      flops: new Float64Array(n),
      gatesFired: new Uint8Array(n * gateCount),
      executed: emptyExecuted(exitCount + 1, exitCount, gateCount),
      millis: 0,
    };
    const work = run.executed;
    const batchSize = Math.max(1, Math.floor(options.batchSize ?? DEFAULT_INFERENCE_BATCH));
    const ctx: RunContext = { training: false };
    const folds = this.foldConvBatchNorm();
    try {
      for (let begin = 0; begin < n; begin += batchSize) {
        const size = Math.min(batchSize, n - begin);
        let alive = Array.from({ length: size }, (_, i) => begin + i);
        let states: PolicyState[] = alive.map(() => initialPolicyState());
        let h: tf.Tensor = tf.slice(x, begin, size);
        const replace = (next: tf.Tensor): void => {
          // Identity layers (dropout at inference) hand back their input.
          if (next === h) return;
          h.dispose();
          h = next;
        };
        for (let i = 0; i < this.top.length && alive.length > 0; i++) {
          const layer = this.top[i] as RuntimeLayer;
          const gateIndex = this.gates.findIndex((g) => g.at === i);
          const gate = this.gates[gateIndex];
          const segment = this.segmentOf[i] ?? 0;
          if (i === 0 || this.segmentOf[i - 1] !== segment) charge(work, 'segmentRows', segment, rowsOf(h), this.segmentFlops[segment] ?? 0);
          if (gate !== undefined && layer instanceof ResidualRuntime && !options.gatesAlwaysOn) {
            charge(work, 'gateHeadRows', gateIndex, rowsOf(h), gate.headFlops);
            const probs = await readBack(tf.tidy(() => tf.reshape(tf.sigmoid(applyChain(gate.head, h, ctx)), [-1])));
            const threshold = gateThresholds[gateIndex] ?? gate.spec.threshold;
            const fired: number[] = [];
            const closed: number[] = [];
            alive.forEach((s, j) => {
              run.flops[s] = (run.flops[s] ?? 0) + gate.headFlops;
              if ((probs[j] ?? 0) >= threshold) {
                fired.push(j);
                run.gatesFired[s * gateCount + gateIndex] = 1;
                run.flops[s] = (run.flops[s] ?? 0) + (this.topFlops[i] ?? 0);
              } else closed.push(j);
            });
            let blockRows = 0;
            replace(tf.tidy(() => this.applyGated(layer, h, fired, closed, ctx, (input) => (blockRows = rowsOf(input)))));
            charge(work, 'gateBlockRows', gateIndex, blockRows, this.topFlops[i] ?? 0);
            options.onLayer?.(layer.spec.name, blockRows);
          } else {
            const last = this.lastOfStep(i, folds);
            const input = h;
            for (let j = i; j <= last; j++) {
              if (j === i && gateIndex >= 0) for (const s of alive) run.gatesFired[s * gateCount + gateIndex] = 1;
              for (const s of alive) run.flops[s] = (run.flops[s] ?? 0) + (this.topFlops[j] ?? 0);
              options.onLayer?.(this.top[j]?.spec.name ?? '', rowsOf(input));
            }
            // A gated block forced open runs on every row; gates in front of a block are charged by its rows.
            if (gateIndex >= 0) charge(work, 'gateBlockRows', gateIndex, rowsOf(input), this.topFlops[i] ?? 0);
            replace(tf.tidy(() => this.applyStep(i, input, folds, ctx)));
            i = last;
          }
          for (let e = 0; e < exitCount; e++) {
            const exit = this.exits[e] as ExitRuntime;
            if (exit.at !== i || policy.enabled?.[e] === false || alive.length === 0) continue;
            // One softmax and one readback per exit; the policy reads the same probabilities the record keeps.
            const input = h;
            charge(work, 'headRows', e, rowsOf(input), exit.headFlops);
            const probs = await readBack(tf.tidy(() => tf.softmax(applyChain(exit.head, input, ctx))));
            const keep: number[] = [];
            alive.forEach((s, j) => {
              run.flops[s] = (run.flops[s] ?? 0) + exit.headFlops;
              const state = states[j] as PolicyState;
              if (decideExit(policy, e, probs, j * this.classes, this.classes, state)) recordAnswer(run, s, e, probs, j, this.classes);
              else keep.push(j);
            });
            if (keep.length < alive.length) {
              alive = keep.map((j) => alive[j] as number);
              states = keep.map((j) => states[j] as PolicyState);
              if (keep.length > 0) replace(gatherRows(h, keep));
            }
          }
        }
        if (alive.length > 0) {
          const last = h;
          const probs = await readBack(tf.tidy(() => tf.softmax(last)));
          alive.forEach((s, j) => recordAnswer(run, s, exitCount, probs, j, this.classes));
        }
        h.dispose();
      }
    } finally {
      disposeFolds(folds);
    }
    run.millis = performance.now() - start;
    return run;
  }

  /**
   * Wall time of each segment of the inference path (the backbone between exits, then the rest) and of each exit
   * head, every sample through every part, in batches of `batchSize`; each part is synchronised before the clock
   * stops, so the numbers add up. Gates run always-on. Best (minimum) of `repeats` runs per part.
   */
  profileSegments(x: tf.Tensor, batchSize = DEFAULT_INFERENCE_BATCH, repeats = 3): SegmentProfile[] {
    this.assertAlive();
    checkInputShape(this.name, this.inputShape, x);
    const n = x.shape[0] ?? 0;
    const ctx: RunContext = { training: false };
    const folds = this.foldConvBatchNorm();
    const segments: SegmentProfile[] = [];
    const open = (): SegmentProfile => ({ name: '', layers: [], samples: n, backboneMs: 0, backboneFlopsPerSample: 0, headMs: 0, headFlopsPerSample: 0 });
    const best = (fn: () => tf.Tensor): number => {
      let min = Infinity;
      for (let r = 0; r < Math.max(1, repeats); r++) {
        const t = performance.now();
        const out = fn();
        // Waits for the backend by reading one element: reading the whole output back would time the copy too
        // (12.8 MB for the main example's first conv at batch 256), and most for the earliest, widest layers.
        const first = tf.tidy(() => tf.slice(tf.reshape(out, [-1]), [0], [Math.min(1, out.size)]));
        first.dataSync();
        min = Math.min(min, performance.now() - t);
        tf.dispose([out, first]);
      }
      return min;
    };
    try {
      for (let begin = 0; begin < n; begin += batchSize) {
        const size = Math.min(batchSize, n - begin);
        let h: tf.Tensor = tf.slice(x, begin, size);
        let current = open();
        let index = 0;
        for (let i = 0; i < this.top.length; i++) {
          const last = this.lastOfStep(i, folds);
          const input = h;
          // A fresh tensor per run (identity layers hand back their input, which must outlive the step).
          const step = (): tf.Tensor =>
            tf.tidy(() => {
              const out = this.applyStep(i, input, folds, ctx);
              return out === input ? tf.clone(out) : out;
            });
          const ms = best(step);
          const next = step();
          h.dispose();
          h = next;
          for (let j = i; j <= last; j++) {
            current.layers.push(this.top[j]?.spec.name ?? '');
            current.backboneFlopsPerSample += this.topFlops[j] ?? 0;
          }
          current.backboneMs += ms;
          i = last;
          const exit = this.exits.find((e) => e.at === i);
          if (exit !== undefined || i === this.top.length - 1) {
            if (exit !== undefined) {
              const at = h;
              current.headMs += best(() => tf.tidy(() => tf.softmax(applyChain(exit.head, at, ctx))));
              current.headFlopsPerSample = exit.headFlops;
            }
            current.name = exit?.spec.name ?? 'final';
            const prior = segments[index];
            if (prior === undefined) segments.push(current);
            else {
              prior.backboneMs += current.backboneMs;
              prior.headMs += current.headMs;
            }
            index += 1;
            current = open();
          }
        }
        h.dispose();
      }
    } finally {
      disposeFolds(folds);
    }
    return segments;
  }

  /** Index of the last top-level layer a step starting at `i` covers (a folded conv group spans several). */
  private lastOfStep(i: number, folds: Folds): number {
    return i + (folds.get(i)?.span ?? 1) - 1;
  }

  /** Inference step at top-level layer `i`: a folded conv(+BN+ReLU) as one fused conv, else the layer itself. */
  private applyStep(i: number, h: tf.Tensor, folds: Folds, ctx: RunContext): tf.Tensor {
    const fold = folds.get(i);
    const layer = this.top[i] as RuntimeLayer;
    if (fold === undefined || layer.conv === undefined) return layer.apply(h, ctx);
    return tf.fused.conv2d({ x: h as tf.Tensor4D, filter: fold.filter, strides: layer.conv.stride, pad: layer.conv.padding, bias: fold.bias, activation: fold.activation });
  }

  /**
   * Inference-only fusion of conv2d -> batchNorm (-> relu) into one fused conv with folded weights: the early,
   * wide layers are dominated by passes over activations, not by FLOPs, so this is what makes the wall time of
   * a pass follow its FLOPs. Groups never span an exit or gate attachment point.
   */
  private foldConvBatchNorm(): Folds {
    const folds: Folds = new Map();
    const attached = (i: number): boolean => this.exits.some((e) => e.at === i) || this.gates.some((g) => g.at === i);
    for (let i = 0; i + 1 < this.top.length; i++) {
      const conv = this.top[i]?.conv;
      const bn = this.top[i + 1];
      if (conv === undefined || conv.activation !== 'linear' || bn?.affine === undefined || attached(i)) continue;
      const next = this.top[i + 2]?.spec;
      const relu = next !== undefined && next.type === 'activation' && next.activation === 'relu' && !attached(i + 1);
      const affine = bn.affine;
      const folded = tf.tidy(() => {
        const { scale, shift } = affine();
        const filter = tf.mul<tf.Tensor4D>(conv.kernel, scale);
        const bias = (conv.bias ? tf.add(tf.mul(conv.bias, scale), shift) : shift) as tf.Tensor1D;
        return { filter, bias };
      });
      folds.set(i, { ...folded, activation: relu ? 'relu' : 'linear', span: relu ? 3 : 2 });
      i += relu ? 2 : 1;
    }
    return folds;
  }

  /** Runs the block only on the samples whose gate fired; the others get act(x). Batch order is kept. `onRun` sees
   *  the tensor the block runs on, just before it runs. */
  private applyGated(layer: ResidualRuntime, h: tf.Tensor, fired: number[], closed: number[], ctx: RunContext, onRun: (input: tf.Tensor) => void): tf.Tensor {
    if (closed.length === 0) {
      onRun(h);
      return layer.apply(h, ctx);
    }
    if (fired.length === 0) return layer.skipped(h);
    const input = gatherRows(h, fired);
    onRun(input);
    const ran = layer.apply(input, ctx);
    const skipped = layer.skipped(gatherRows(h, closed));
    const order = new Int32Array(fired.length + closed.length);
    fired.forEach((j, k) => (order[j] = k));
    closed.forEach((j, k) => (order[j] = fired.length + k));
    return gatherRows(tf.concat([ran, skipped], 0), Array.from(order));
  }

  private assertAlive(): void {
    if (this.disposed) throw new Error(`Model '${this.name}' was disposed.`);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const w of this.weights) w.variable.dispose();
  }
}

/** Builds the dynamic network of a spec (exits and gates) with seeded initial weights. */
export function buildModel(spec: ModelSpec, options: BuildOptions = {}): Network {
  return new Network(spec, false, options.seed ?? spec.train.seed);
}

/** The same backbone without exits and with every gate forced on, initialised from the same seed. */
export function buildStaticTwin(spec: ModelSpec, options: BuildOptions = {}): Network {
  return new Network(spec, true, options.seed ?? spec.train.seed);
}
