// Runtime layers: each spec layer becomes a small object holding seeded tf.Variables and an eager `apply`.
// Eager application (rather than a tf.LayersModel graph) lets dynamic inference run a segment on just the samples
// still in the batch, and lets convs and pooling use the fast hand-written gradients of fastgrad.ts.
import * as tf from '@tensorflow/tfjs';
import { inferLayer, mixedPoolWindow, residualDetail } from '../modelfile/shapes';
import type { Activation, Layer, Padding, Shape } from '../modelfile/types';
import { avgPoolFast, conv2dFast, depthwiseConv2dFast, maxPoolFast } from './fastgrad';
import { seedFor } from './random';

/** Which part of the network a weight belongs to: exits-only training updates 'head' weights in its 2nd phase. */
export type WeightGroup = 'backbone' | 'head' | 'gate';

export interface NamedWeight {
  name: string;
  variable: tf.Variable;
  trainable: boolean;
  group: WeightGroup;
}

/** Per-call settings: training turns on dropout and batch statistics (and their moving-average updates). */
export interface RunContext {
  training: boolean;
  /** Seed source for dropout masks (deterministic training). */
  nextSeed?: () => number;
}

export interface RuntimeLayer {
  readonly spec: Layer;
  readonly outShape: Shape;
  apply(x: tf.Tensor, ctx: RunContext): tf.Tensor;
  /** conv2d only: its weights, for folding a following batchNorm at inference. */
  readonly conv?: { kernel: tf.Variable; bias?: tf.Variable; stride: number; padding: Padding; activation: Activation };
  /** batchNorm only: the inference-time affine map y = x * scale + shift. */
  readonly affine?: () => { scale: tf.Tensor; shift: tf.Tensor };
}

export interface BuildContext {
  seed: number;
  group: WeightGroup;
  weights: NamedWeight[];
}

export const BN_EPSILON = 1e-3;
// PyTorch's default (0.1 weight on the new batch): the moving statistics settle within a few dozen batches, so
// short trainings (a few epochs on a few thousand images) still infer well.
const BN_MOMENTUM = 0.9;

export function activate(x: tf.Tensor, activation: Activation): tf.Tensor {
  switch (activation) {
    case 'linear':
      return x;
    case 'relu':
      return tf.relu(x);
    case 'relu6':
      return tf.relu6(x);
    case 'elu':
      return tf.elu(x);
    case 'selu':
      return tf.selu(x);
    case 'sigmoid':
      return tf.sigmoid(x);
    case 'tanh':
      return tf.tanh(x);
    case 'softmax':
      return tf.softmax(x);
    case 'swish':
      return tf.mul(x, tf.sigmoid(x));
    case 'gelu':
      return tf.mul(tf.mul(x, 0.5), tf.add(1, tf.erf(tf.div(x, Math.SQRT2))));
  }
}

let variableCounter = 0;

function addWeight(ctx: BuildContext, name: string, value: tf.Tensor, trainable = true): tf.Variable {
  // TF.js variable names are global: suffix a counter so several models (and the static twin) coexist.
  variableCounter += 1;
  const variable = tf.variable(value, trainable, `dynn/${name}/${variableCounter}`);
  value.dispose();
  ctx.weights.push({ name, variable, trainable, group: ctx.group });
  return variable;
}

/** Glorot-uniform (the Keras default) with a seed derived from the model seed and the weight's name. */
function glorot(ctx: BuildContext, name: string, shape: number[], fanIn: number, fanOut: number): tf.Variable {
  const limit = Math.sqrt(6 / (fanIn + fanOut));
  return addWeight(ctx, name, tf.randomUniform(shape, -limit, limit, 'float32', seedFor(ctx.seed, name)));
}

function bias(ctx: BuildContext, name: string, n: number, value = 0): tf.Variable {
  return addWeight(ctx, name, tf.fill([n], value));
}

export interface LayerOptions {
  /** Treat the layer's activation as linear (the last layer of a classifier produces logits). */
  logits?: boolean;
  /** Initial bias of a dense layer (gate heads start open). */
  initialBias?: number;
}

/** The output shape of `layer` on `inShape` by the spec's own inference; throws when the layer cannot take it. */
export function outShapeOf(layer: Layer, inShape: Shape): Shape {
  const outcome = inferLayer(layer, inShape);
  if (!outcome.ok) throw new Error(`Layer '${layer.name}' cannot take a ${inShape.join('x')} input: ${outcome.reason}`);
  return outcome.out;
}

/** Inference batch norm as the affine map y = x * scale + shift. */
export function batchNormAffine(gamma: tf.Tensor, beta: tf.Tensor, movingMean: tf.Tensor, movingVariance: tf.Tensor): { scale: tf.Tensor; shift: tf.Tensor } {
  const scale = tf.mul(gamma, tf.rsqrt(tf.add(movingVariance, BN_EPSILON)));
  return { scale, shift: tf.sub(beta, tf.mul(movingMean, scale)) };
}

/** Straight-through estimator: hard 0/1 forward, identity gradient to the soft probability. */
export function hardGate(p: tf.Tensor, threshold: number): tf.Tensor {
  const f = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const soft = args[0] as tf.Tensor;
    return { value: tf.cast(tf.greaterEqual(soft, threshold), 'float32'), gradFunc: (dy: tf.Tensor) => dy };
  });
  return f(p);
}

/** Builds the runtime layer for `layer` on `inShape`; shapes come from the spec's own inference. */
export function buildLayer(layer: Layer, inShape: Shape, ctx: BuildContext, options: LayerOptions = {}): RuntimeLayer {
  const outShape = outShapeOf(layer, inShape);
  const n = layer.name;
  switch (layer.type) {
    case 'conv2d': {
      const cin = inShape[2] ?? 0;
      const k = layer.kernel;
      const kernel = glorot(ctx, `${n}/kernel`, [k, k, cin, layer.filters], k * k * cin, k * k * layer.filters);
      const b = layer.useBias ? bias(ctx, `${n}/bias`, layer.filters) : undefined;
      const act = options.logits ? 'linear' : layer.activation;
      return {
        spec: layer,
        outShape,
        conv: { kernel, ...(b ? { bias: b } : {}), stride: layer.stride, padding: layer.padding, activation: act },
        apply: (x) => {
          let y: tf.Tensor = conv2dFast(x as tf.Tensor4D, kernel as tf.Tensor4D, layer.stride, layer.padding);
          if (b) y = tf.add(y, b);
          return activate(y, act);
        },
      };
    }
    case 'depthwiseConv2d': {
      const c = inShape[2] ?? 0;
      const k = layer.kernel;
      const m = layer.depthMultiplier;
      const kernel = glorot(ctx, `${n}/depthwise_kernel`, [k, k, c, m], k * k * c, k * k * m);
      const b = layer.useBias ? bias(ctx, `${n}/bias`, c * m) : undefined;
      const act = options.logits ? 'linear' : layer.activation;
      return {
        spec: layer,
        outShape,
        apply: (x) => {
          let y: tf.Tensor = depthwiseConv2dFast(x as tf.Tensor4D, kernel as tf.Tensor4D, layer.stride, layer.padding);
          if (b) y = tf.add(y, b);
          return activate(y, act);
        },
      };
    }
    case 'dense': {
      const nin = inShape[0] ?? 0;
      const kernel = glorot(ctx, `${n}/kernel`, [nin, layer.units], nin, layer.units);
      const b = layer.useBias ? bias(ctx, `${n}/bias`, layer.units, options.initialBias ?? 0) : undefined;
      const act = options.logits ? 'linear' : layer.activation;
      return {
        spec: layer,
        outShape,
        apply: (x) => {
          let y: tf.Tensor = tf.matMul(x, kernel);
          if (b) y = tf.add(y, b);
          return activate(y, act);
        },
      };
    }
    case 'maxPool':
      return { spec: layer, outShape, apply: (x) => maxPoolFast(x as tf.Tensor4D, layer.size, layer.stride, layer.padding) };
    case 'avgPool':
      return {
        spec: layer,
        outShape,
        apply: (x) => (layer.size === layer.stride ? avgPoolFast(x as tf.Tensor4D, layer.size, layer.padding) : tf.avgPool(x as tf.Tensor4D, layer.size, layer.stride, layer.padding)),
      };
    case 'globalPool': {
      if (layer.mode !== 'mixed') {
        const reduce = layer.mode === 'avg' ? tf.mean : tf.max;
        return { spec: layer, outShape, apply: (x) => reduce(x, [1, 2]) };
      }
      const alpha = addWeight(ctx, `${n}/alpha`, tf.scalar(0));
      return { spec: layer, outShape, apply: (x) => mix(alpha, tf.max(x, [1, 2]), tf.mean(x, [1, 2])) };
    }
    case 'mixedPool': {
      const [ph, pw] = mixedPoolWindow(inShape, layer.size);
      const alpha = addWeight(ctx, `${n}/alpha`, tf.scalar(0));
      return {
        spec: layer,
        outShape,
        apply: (x) => {
          const x4 = x as tf.Tensor4D;
          const maxed = ph === pw ? maxPoolFast(x4, ph, ph, 'same') : tf.maxPool(x4, [ph, pw], [ph, pw], 'same');
          // avgPoolFast's gradient is the true one where a 'same' window overhangs the map (the stock one divides by
          // the whole window there) and 3x faster on WASM.
          const averaged = ph === pw ? avgPoolFast(x4, ph, 'same') : tf.avgPool(x4, [ph, pw], [ph, pw], 'same');
          return mix(alpha, maxed, averaged);
        },
      };
    }
    case 'batchNorm': {
      const c = inShape[inShape.length - 1] ?? 0;
      const gamma = addWeight(ctx, `${n}/gamma`, tf.ones([c]));
      const beta = addWeight(ctx, `${n}/beta`, tf.zeros([c]));
      const movingMean = addWeight(ctx, `${n}/moving_mean`, tf.zeros([c]), false);
      const movingVar = addWeight(ctx, `${n}/moving_variance`, tf.ones([c]), false);
      const axes = inShape.map((_, i) => i);
      let seeded = false;
      const affine = (): { scale: tf.Tensor; shift: tf.Tensor } => batchNormAffine(gamma, beta, movingMean, movingVar);
      return {
        spec: layer,
        outShape,
        affine,
        apply: (x, run) => {
          if (!run.training) {
            // One scale and one shift: the input gradient is a broadcast multiply (the stock batchNorm gradient
            // tiles tensors, slow on WASM, and attacks take this gradient at every step).
            const { scale, shift } = affine();
            return tf.add(tf.mul(x, scale), shift);
          }
          // Written with broadcasting ops: their gradients are plain reductions, whereas the stock batchNorm
          // gradient tiles tensors (slow on WASM).
          const mean = tf.mean(x, axes);
          const centered = tf.sub(x, mean);
          const variance = tf.mean(tf.square(centered), axes);
          // Moving statistics follow the batch statistics (they are not trainable and not on the loss path).
          // The first training batch sets them outright: feature variances are often ~0.01, and an average that
          // still remembers the initial 1 would mis-scale inference for hundreds of batches.
          const momentum = seeded ? BN_MOMENTUM : 0;
          seeded = true;
          movingMean.assign(tf.add(tf.mul(movingMean, momentum), tf.mul(mean, 1 - momentum)));
          movingVar.assign(tf.add(tf.mul(movingVar, momentum), tf.mul(variance, 1 - momentum)));
          return tf.add(tf.mul(centered, tf.mul(tf.rsqrt(tf.add(variance, BN_EPSILON)), gamma)), beta);
        },
      };
    }
    case 'dropout':
      return {
        spec: layer,
        outShape,
        apply: (x, run) => (run.training && layer.rate > 0 ? tf.dropout(x, layer.rate, undefined, run.nextSeed?.()) : x),
      };
    case 'flatten':
      return { spec: layer, outShape, apply: (x) => tf.reshape(x, [x.shape[0] ?? -1, -1]) };
    case 'activation':
      return { spec: layer, outShape, apply: (x) => activate(x, layer.activation) };
    case 'residual': {
      const body: RuntimeLayer[] = [];
      let shape = inShape;
      for (const inner of layer.layers) {
        const built = buildLayer(inner, shape, ctx);
        body.push(built);
        shape = built.outShape;
      }
      const detail = residualDetail(inShape, shape);
      if ('reason' in detail) throw new Error(`Residual block '${n}': ${detail.reason}`);
      let project: ((x: tf.Tensor) => tf.Tensor) | undefined;
      if (detail.projectionFlops > 0) {
        const cin = inShape[2] ?? 0;
        const cout = shape[2] ?? 0;
        const stride = Math.max(1, Math.round((inShape[0] ?? 1) / (shape[0] ?? 1)));
        const kernel = glorot(ctx, `${n}/projection/kernel`, [1, 1, cin, cout], cin, cout);
        const b = bias(ctx, `${n}/projection/bias`, cout);
        project = (x) => tf.add(conv2dFast(x as tf.Tensor4D, kernel as tf.Tensor4D, stride, 'same'), b);
      }
      return new ResidualRuntime(layer, outShape, body, project);
    }
  }
}

/** SDN's learned mix of max and average pooling: sigmoid(alpha) * max + (1 - sigmoid(alpha)) * avg. */
function mix(alpha: tf.Variable, maxed: tf.Tensor, averaged: tf.Tensor): tf.Tensor {
  const a = tf.sigmoid(alpha);
  return tf.add(tf.mul(a, maxed), tf.mul(tf.sub(1, a), averaged));
}

/** y = act(skip(x) + g * body(x)); `gate` is a [batch] 0/1 tensor or absent (always on). */
export class ResidualRuntime implements RuntimeLayer {
  constructor(
    readonly spec: Extract<Layer, { type: 'residual' }>,
    readonly outShape: Shape,
    private readonly body: RuntimeLayer[],
    private readonly project: ((x: tf.Tensor) => tf.Tensor) | undefined,
  ) {}

  get hasProjection(): boolean {
    return this.project !== undefined;
  }

  apply(x: tf.Tensor, ctx: RunContext, gate?: tf.Tensor): tf.Tensor {
    let h = x;
    for (const l of this.body) h = l.apply(h, ctx);
    if (gate !== undefined) h = tf.mul(h, tf.reshape(gate, [-1, ...this.outShape.map(() => 1)]));
    const skip = this.project ? this.project(x) : x;
    return activate(tf.add(skip, h), this.spec.activation);
  }

  /** What a closed gate leaves: act(x) (only shape-preserving blocks can be gated). */
  skipped(x: tf.Tensor): tf.Tensor {
    return activate(x, this.spec.activation);
  }
}

/** Builds a chain of layers (exit or gate heads); the last layer produces logits. */
export function buildChain(layers: readonly Layer[], inShape: Shape, ctx: BuildContext, last: LayerOptions = {}): { layers: RuntimeLayer[]; outShape: Shape } {
  const out: RuntimeLayer[] = [];
  let shape = inShape;
  layers.forEach((l, i) => {
    const built = buildLayer(l, shape, ctx, i === layers.length - 1 ? { logits: true, ...last } : {});
    out.push(built);
    shape = built.outShape;
  });
  return { layers: out, outShape: shape };
}

export function applyChain(layers: readonly RuntimeLayer[], x: tf.Tensor, ctx: RunContext): tf.Tensor {
  let h = x;
  for (const l of layers) h = l.apply(h, ctx);
  return h;
}
