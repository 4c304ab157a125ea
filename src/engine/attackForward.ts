// A frozen forward pass for attacks. During an attack the weights do not change and only the gradient with respect
// to the input is wanted, so this pass (1) folds inference batch norm (and a following ReLU) into the preceding
// conv as one fused conv+bias+activation, (2) gives every conv a custom gradient that computes the input gradient
// only (the layers' own convs also compute the filter gradient, which tf.grad(f)(x) would throw away), (3) runs
// only the exit heads the objective reads and stops the backbone after the last layer anything needs.
// Numerically it equals Network.forwardAll up to float rounding (test/unit/attacks/attackForward.test.ts).
import * as tf from '@tensorflow/tfjs';
import { mixedPoolWindow, residualDetail } from '../modelfile/shapes';
import type { Activation, Layer, ModelSpec, Padding, Shape } from '../modelfile/types';
import { avgPoolFast, convInputGrad, depthwiseInputGrad, flipConvFilter, flipDepthwiseFilter, maxPoolFast } from './fastgrad';
import { activate, batchNormAffine, hardGate, outShapeOf } from './layers';
import { Network } from './network';
import type { DifferentiableModel, MultiExitOutputs } from './types';

/** What an objective reads from a forward pass: which exits (final last) and whether the gate values. */
export interface ForwardNeeds {
  exits: readonly boolean[];
  gates: boolean;
}

export interface FrozenForward {
  /**
   * Same outputs as forwardAll for the exits in `needs`; every other exit is a [batch, classes] zero tensor with
   * no path to the input. Call inside tf.tidy / tf.grad.
   */
  forward(x: tf.Tensor): MultiExitOutputs;
  /** Frees the folded weights (the model's own variables are untouched). */
  dispose(): void;
}

/** What the frozen pass reads from a built engine network (Network satisfies it). */
export interface FrozenSource {
  readonly spec: ModelSpec;
  readonly isStaticTwin: boolean;
  readonly weights: readonly { name: string; variable: tf.Variable }[];
  readonly inputShape: readonly number[];
  readonly classes: number;
}

type Op = (x: tf.Tensor) => tf.Tensor;

/** Activations the fused conv kernels apply and whose derivative is a mask of the output. */
type FusedActivation = 'linear' | 'relu';

class Compiler {
  /** Tensors this pass created (folded filters and biases, flipped kernels, pooling mixes). */
  readonly owned: tf.Tensor[] = [];
  private readonly byName = new Map<string, tf.Variable>();

  constructor(weights: readonly { name: string; variable: tf.Variable }[]) {
    for (const w of weights) {
      if (this.byName.has(w.name)) throw new Error(`weight name '${w.name}' appears twice; the frozen forward needs unique names`);
      this.byName.set(w.name, w.variable);
    }
  }

  weight(name: string): tf.Variable {
    const v = this.byName.get(name);
    if (v === undefined) throw new Error(`the model has no weight '${name}'`);
    return v;
  }

  keep<T extends tf.Tensor>(t: T): T {
    this.owned.push(t);
    return t;
  }

  /** Ops for a chain of layers; the last one gives logits when `logits` (its activation is linear). */
  chain(layers: readonly Layer[], inShape: Shape, logits: boolean): { ops: Op[]; outShape: Shape } {
    const ops: Op[] = [];
    let shape = inShape;
    for (let i = 0; i < layers.length; i++) {
      const layer = layers[i] as Layer;
      const isLast = (j: number): boolean => logits && j === layers.length - 1;
      const out = outShapeOf(layer, shape);
      if (layer.type === 'conv2d' || layer.type === 'depthwiseConv2d') {
        const own: Activation = isLast(i) ? 'linear' : layer.activation;
        let consumed = 0;
        const next = layers[i + 1];
        const bn = own === 'linear' && next?.type === 'batchNorm' ? next : undefined;
        if (bn !== undefined) consumed++;
        let activation: Activation = own;
        const after = layers[i + 1 + consumed];
        // A ReLU layer right after conv(+BN) joins the fused kernel (its gradient is a mask of the output).
        if (own === 'linear' && after?.type === 'activation' && after.activation === 'relu') {
          activation = 'relu';
          consumed++;
        }
        ops.push(this.conv(layer, shape, bn?.name, activation));
        i += consumed;
        shape = out;
        continue;
      }
      ops.push(this.layer(layer, shape, isLast(i)));
      shape = out;
    }
    return { ops, outShape: shape };
  }

  /** conv or depthwise conv, optionally with a folded batch norm, as one fused kernel with an input-only gradient. */
  private conv(layer: Extract<Layer, { type: 'conv2d' | 'depthwiseConv2d' }>, inShape: Shape, bnName: string | undefined, activation: Activation): Op {
    const n = layer.name;
    const depthwise = layer.type === 'depthwiseConv2d';
    const raw = this.weight(depthwise ? `${n}/depthwise_kernel` : `${n}/kernel`) as tf.Tensor as tf.Tensor4D;
    const rawBias = layer.useBias ? this.weight(`${n}/bias`) : undefined;
    const outChannels = depthwise ? (raw.shape[2] * raw.shape[3]) : raw.shape[3];
    const { filter, bias } = tf.tidy(() => {
      let f: tf.Tensor4D = raw;
      let b: tf.Tensor1D = rawBias === undefined ? tf.zeros([outChannels]) : (rawBias as tf.Tensor as tf.Tensor1D);
      if (bnName !== undefined) {
        const { scale, shift } = this.batchNorm(bnName);
        const perFilter = depthwise ? tf.reshape(scale, [raw.shape[2], raw.shape[3]]) : scale;
        f = tf.mul(raw, perFilter);
        b = tf.add(tf.mul(b, scale), shift);
      }
      // Copies, so the pass owns (and later frees) every tensor it holds, folded or not.
      return { filter: tf.clone(f), bias: tf.clone(b) };
    });
    this.keep(filter);
    this.keep(bias);
    const fused: FusedActivation = activation === 'relu' ? 'relu' : 'linear';
    const flipped = this.keep(tf.tidy(() => (depthwise ? flipDepthwiseFilter(filter) : flipConvFilter(filter))));
    const [inH, inW] = [inShape[0] ?? 0, inShape[1] ?? 0];
    const { stride, padding } = layer;
    const m = depthwise ? raw.shape[3] : 1;
    const op = fusedConv(filter, bias, flipped, fused, depthwise, m, stride, padding, inH, inW);
    if (fused === activation) return op;
    return (x) => activate(op(x), activation);
  }

  private layer(layer: Layer, inShape: Shape, logits: boolean): Op {
    const n = layer.name;
    switch (layer.type) {
      case 'conv2d':
      case 'depthwiseConv2d':
        return this.conv(layer, inShape, undefined, logits ? 'linear' : layer.activation);
      case 'dense': {
        const kernel = this.weight(`${n}/kernel`) as tf.Tensor as tf.Tensor2D;
        const b = layer.useBias ? this.weight(`${n}/bias`) : undefined;
        const act: Activation = logits ? 'linear' : layer.activation;
        // The input gradient dy W^T with W^T made once: a transposed operand costs ~10x a plain matMul on WASM,
        // and a custom gradient that needs no saved tensor skips the tape's copies of the input and the kernel.
        const transposed = this.keep(tf.transpose(kernel));
        const dense = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
          const x2 = args[0] as tf.Tensor2D;
          const z = tf.matMul(x2, kernel);
          return { value: b === undefined ? z : tf.add(z, b), gradFunc: (dy: tf.Tensor) => tf.matMul(dy, transposed) };
        });
        return (x) => activate(dense(x), act);
      }
      case 'maxPool':
        return (x) => maxPoolFast(x as tf.Tensor4D, layer.size, layer.stride, layer.padding);
      case 'avgPool':
        if (layer.size === layer.stride) return (x) => avgPoolFast(x as tf.Tensor4D, layer.size, layer.padding);
        return (x) => tf.avgPool(x as tf.Tensor4D, layer.size, layer.stride, layer.padding);
      case 'globalPool': {
        if (layer.mode === 'avg') return (x) => tf.mean(x, [1, 2]);
        if (layer.mode === 'max') return (x) => tf.max(x, [1, 2]);
        const [a, rest] = this.mixWeights(`${n}/alpha`);
        return (x) => tf.add(tf.mul(a, tf.max(x, [1, 2])), tf.mul(rest, tf.mean(x, [1, 2])));
      }
      case 'mixedPool': {
        const [ph, pw] = mixedPoolWindow(inShape, layer.size);
        const [a, rest] = this.mixWeights(`${n}/alpha`);
        return (x) => {
          const x4 = x as tf.Tensor4D;
          const maxed = ph === pw ? maxPoolFast(x4, ph, ph, 'same') : tf.maxPool(x4, [ph, pw], [ph, pw], 'same');
          const averaged = ph === pw ? avgPoolFast(x4, ph, 'same') : tf.avgPool(x4, [ph, pw], [ph, pw], 'same');
          return tf.add(tf.mul(a, maxed), tf.mul(rest, averaged));
        };
      }
      case 'batchNorm': {
        // A batch norm no conv absorbed: one broadcast multiply-add with constants.
        const { scale, shift } = tf.tidy(() => this.batchNorm(n));
        this.keep(scale);
        this.keep(shift);
        return (x) => tf.add(tf.mul(x, scale), shift);
      }
      case 'dropout':
        return (x) => x;
      case 'flatten':
        return (x) => tf.reshape(x, [x.shape[0] ?? -1, -1]);
      case 'activation':
        return (x) => activate(x, layer.activation);
      case 'residual':
        return this.residual(layer, inShape, undefined);
    }
  }

  /** The inference affine map of batch norm layer `name`, from its weights. */
  private batchNorm(name: string): { scale: tf.Tensor; shift: tf.Tensor } {
    const w = (k: string): tf.Variable => this.weight(`${name}/${k}`);
    return batchNormAffine(w('gamma'), w('beta'), w('moving_mean'), w('moving_variance'));
  }

  /** sigmoid(alpha) and 1 - sigmoid(alpha) of a mixed pooling, as constants. */
  private mixWeights(name: string): [tf.Scalar, tf.Scalar] {
    const a = this.keep(tf.tidy(() => tf.sigmoid(this.weight(name)) as tf.Scalar));
    const rest = this.keep(tf.tidy(() => tf.sub<tf.Scalar>(1, a)));
    return [a, rest];
  }

  /** y = act(skip(x) + g * body(x)); g is the gate's hard value when the block is gated. */
  residual(layer: Extract<Layer, { type: 'residual' }>, inShape: Shape, gate: ((x: tf.Tensor) => tf.Tensor) | undefined): Op {
    const body = this.chain(layer.layers, inShape, false);
    const detail = residualDetail(inShape, body.outShape);
    if ('reason' in detail) throw new Error(`Residual block '${layer.name}': ${detail.reason}`);
    let project: Op | undefined;
    if (detail.projectionFlops > 0) {
      const stride = Math.max(1, Math.round((inShape[0] ?? 1) / (body.outShape[0] ?? 1)));
      const kernel = this.weight(`${layer.name}/projection/kernel`) as tf.Tensor as tf.Tensor4D;
      const bias = this.keep(tf.clone(this.weight(`${layer.name}/projection/bias`)) as tf.Tensor1D);
      const filter = this.keep(tf.clone(kernel));
      const flipped = this.keep(tf.tidy(() => flipConvFilter(filter)));
      project = fusedConv(filter, bias, flipped, 'linear', false, 1, stride, 'same', inShape[0] ?? 0, inShape[1] ?? 0);
    }
    const ones = body.outShape.map(() => 1);
    return (x) => {
      let h = x;
      for (const op of body.ops) h = op(h);
      if (gate !== undefined) h = tf.mul(h, tf.reshape(gate(x), [-1, ...ones]));
      return activate(tf.add(project ? project(x) : x, h), layer.activation);
    };
  }
}

/**
 * conv + bias (+ ReLU) in one fused kernel whose custom gradient is the input gradient only: the filter and bias
 * are constants of the closure, not inputs, so no filter gradient is ever computed.
 */
function fusedConv(
  filter: tf.Tensor4D,
  bias: tf.Tensor1D,
  flipped: tf.Tensor4D,
  activation: FusedActivation,
  depthwise: boolean,
  m: number,
  stride: number,
  padding: Padding,
  inH: number,
  inW: number,
): Op {
  const f = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [x4, save] = args as [tf.Tensor4D, tf.GradSaveFunc];
    // The kernel itself, not tf.fused.*: under a gradient tape those split a ReLU-fused conv into conv, add, relu.
    const attrs = { strides: stride, pad: padding, dataFormat: 'NHWC', dilations: 1, activation, leakyreluAlpha: 0 };
    const y: tf.Tensor4D = tf.engine().runKernel(depthwise ? tf.FusedDepthwiseConv2D : tf.FusedConv2D, { x: x4, filter, bias }, attrs);
    save(activation === 'relu' ? [y] : []);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor4D, saved: tf.Tensor[]) => {
        const [ys] = saved;
        const d: tf.Tensor4D = ys === undefined ? dy : tf.mul(dy, tf.step(ys));
        return depthwise ? depthwiseInputGrad(d, flipped, inH, inW, m, stride, padding) : convInputGrad(d, flipped, inH, inW, stride, padding);
      },
    };
  });
  return (x) => f(x);
}

interface Stage {
  /** Top-level backbone layer index of the stage's last layer. */
  last: number;
  run: Op;
}

/** Builds the frozen pass of an engine network for an objective that reads `needs`. */
export function buildFrozenForward(source: FrozenSource, needs: ForwardNeeds): FrozenForward {
  const spec = source.spec;
  const c = new Compiler(source.weights);
  try {
    return compile(source, spec, needs, c);
  } catch (error) {
    tf.dispose(c.owned);
    throw error;
  }
}

function compile(source: FrozenSource, spec: ModelSpec, needs: ForwardNeeds, c: Compiler): FrozenForward {
  const backbone = spec.backbone;
  const exits = source.isStaticTwin ? [] : spec.exits;
  const gates = source.isStaticTwin ? [] : spec.gates;
  const exitCount = exits.length + 1;
  if (needs.exits.length !== exitCount) throw new Error(`needs name ${needs.exits.length} exits; model '${spec.name}' has ${exitCount}`);
  const indexOf = (name: string): number => {
    const i = backbone.findIndex((l) => l.name === name);
    if (i < 0) throw new Error(`'${name}' is not a top-level backbone layer of '${spec.name}'`);
    return i;
  };
  const exitAt = exits.map((e) => indexOf(e.after));
  const gateAt = gates.map((g) => indexOf(g.block));
  // The backbone runs up to the last layer an exit the objective reads (or a gate, when it reads gates) sits on.
  let stop = -1;
  needs.exits.forEach((used, k) => {
    if (used) stop = Math.max(stop, k === exitCount - 1 ? backbone.length - 1 : (exitAt[k] ?? -1));
  });
  if (needs.gates) for (const at of gateAt) stop = Math.max(stop, at);

  // Shapes after every top-level layer.
  const shapes: Shape[] = [];
  let shape: Shape = [...source.inputShape];
  for (const layer of backbone) {
    shape = outShapeOf(layer, shape);
    shapes.push(shape);
  }
  const shapeBefore = (i: number): Shape => (i === 0 ? [...source.inputShape] : (shapes[i - 1] as Shape));

  // Top-level layers grouped into stages that never end inside a conv+BN+ReLU fold, nor across an exit or gate.
  const breaks = new Set<number>([...exitAt, ...gateAt.map((at) => at - 1), ...gateAt]);
  const stages: Stage[] = [];
  const gateOutputs: { at: number; value: (x: tf.Tensor) => tf.Tensor }[] = [];
  let begin = 0;
  const lastLogits = backbone.length - 1;
  for (let i = 0; i <= stop; i++) {
    if (!(breaks.has(i) || i === stop)) continue;
    const group = backbone.slice(begin, i + 1);
    const gi = gateAt.indexOf(i);
    const gateSpec = gi >= 0 ? gates[gi] : undefined;
    const layer = backbone[i];
    if (gateSpec !== undefined && layer?.type === 'residual' && group.length === 1) {
      const head = c.chain(gateSpec.head, shapeBefore(i), true);
      const threshold = gateSpec.threshold;
      let current: tf.Tensor | undefined;
      const value = (x: tf.Tensor): tf.Tensor => {
        let h = x;
        for (const op of head.ops) h = op(h);
        current = hardGate(tf.reshape(tf.sigmoid(h), [-1]), threshold);
        return current;
      };
      const block = c.residual(layer, shapeBefore(i), value);
      gateOutputs.push({ at: i, value: () => current as tf.Tensor });
      stages.push({ last: i, run: block });
    } else {
      const { ops } = c.chain(group, shapeBefore(begin), i === lastLogits);
      stages.push({ last: i, run: (x) => ops.reduce((h, op) => op(h), x) });
    }
    begin = i + 1;
  }
  const heads = exits.map((e, k) => (needs.exits[k] === true ? c.chain(e.head, shapes[exitAt[k] as number] as Shape, true).ops : undefined));
  const owned = c.owned;
  const classes = source.classes;

  return {
    forward: (x: tf.Tensor): MultiExitOutputs => {
      const batch = x.shape[0] ?? 0;
      const outExits: (tf.Tensor2D | undefined)[] = new Array<tf.Tensor2D | undefined>(exitCount).fill(undefined);
      const outGates: tf.Tensor1D[] = [];
      let h = x;
      for (const stage of stages) {
        h = stage.run(h);
        const g = gateOutputs.find((o) => o.at === stage.last);
        if (g !== undefined) outGates.push(g.value(h) as tf.Tensor1D);
        exitAt.forEach((at, k) => {
          const head = heads[k];
          if (at === stage.last && head !== undefined) outExits[k] = head.reduce((t, op) => op(t), h) as tf.Tensor2D;
        });
      }
      if (needs.exits[exitCount - 1] === true) outExits[exitCount - 1] = h as tf.Tensor2D;
      return { exits: outExits.map((z) => z ?? tf.zeros([batch, classes])), gates: outGates };
    },
    dispose: () => tf.dispose(owned),
  };
}

/** The frozen pass of an engine network; undefined for any other model (the caller uses its forwardAll). */
export function frozenForwardFor(model: DifferentiableModel, needs: ForwardNeeds): FrozenForward | undefined {
  return model instanceof Network ? buildFrozenForward(model, needs) : undefined;
}
