// TF.js kernels for the ONNX ops the analysis accepted (onnxAnalyze.ts). Each node is compiled once at load:
// weights are laid out for TF.js (convolution kernels HWIO, batch norm folded to scale and shift, average-pool
// divisors), so a batch runs only tf ops on activations, and gradients flow through every one of them.
import * as tf from '@tensorflow/tfjs';
import { Attrs, BATCH, normAxis, padsOf, windowOf, type AnalyzedNode, type ConstValue, type Dim, type Value } from './onnxAnalyze';
import { conv2dFast, depthwiseConv2dFast } from '../fastgrad';
import { activationFor, constantFor, fromOnnxOrder, runtimeAxis, toOnnxOrder } from './onnxLayout';

export interface Kernel {
  /** The node's activation inputs, in the order `run` takes them. */
  inputs: string[];
  run: (xs: tf.Tensor[]) => tf.Tensor;
  /** Tensors prepared at load, owned by the model. */
  weights: tf.Tensor[];
}

/** The largest float32: padding for max pooling and the open ends of Clip. */
const FLOAT_MAX = 3.4028234663852886e38;

const floats = (v: ConstValue): Float32Array => (v.float ? (v.data as Float32Array) : Float32Array.from(v.data as number[]));
const concrete = (shape: readonly Dim[], batch: number): number[] => shape.map((d) => (d === BATCH ? batch : d));

/** Grouped convolutions with at most this many input channels run as one dense convolution. */
const GROUPED_AS_DENSE_MAX_CHANNELS = 64;

/** A grouped HWIO kernel [kh, kw, cin / g, cout] as a dense [kh, kw, cin, cout] one, zero outside each group. */
function blockDiagonal(hwio: tf.Tensor4D, group: number): tf.Tensor4D {
  const ig = hwio.shape[2];
  const parts = tf.split(hwio, group, 3).map((w, g) => tf.pad(w, [[0, 0], [0, 0], [g * ig, (group - 1 - g) * ig], [0, 0]]));
  return tf.concat(parts, 3) as tf.Tensor4D;
}

/** Compiles one analysed node; `values` holds every value's constant or shape. */
export function compileNode(an: AnalyzedNode, opset: number, values: Map<string, Value>): Kernel {
  const { node, label } = an;
  const at = new Attrs(node.attrs, label);
  const weights: tf.Tensor[] = [];
  const keep = <T extends tf.Tensor>(t: T): T => {
    weights.push(t);
    return t;
  };
  const value = (i: number): Value | undefined => {
    const name = node.inputs[i];
    return name === undefined || name === '' ? undefined : values.get(name);
  };
  const constant = (i: number): ConstValue => {
    const v = value(i);
    if (v?.kind !== 'const') return at.fail(`input ${i} must be a constant`);
    return v;
  };
  const scalar = (i: number, fallback: number): number => {
    const v = value(i);
    if (v === undefined) return fallback;
    if (v.kind !== 'const') return at.fail(`input ${i} must be a constant`);
    return floats(v)[0] ?? fallback;
  };
  const act = (i: number): string => {
    if (value(i)?.kind !== 'act') at.fail(`input ${i} must be computed from the model's input`);
    return node.inputs[i] as string;
  };
  const inShape = (i: number): Dim[] => {
    const v = value(i);
    return v?.kind === 'act' ? v.shape : [];
  };
  const out = an.outShapes[0] as Dim[];
  const unary = (f: (x: tf.Tensor) => tf.Tensor): Kernel => ({ inputs: [act(0)], run: ([x]) => f(x as tf.Tensor), weights });

  switch (node.opType) {
    case 'Relu':
      return unary((x) => tf.relu(x));
    case 'Sigmoid':
      return unary((x) => tf.sigmoid(x));
    case 'Tanh':
      return unary((x) => tf.tanh(x));
    case 'LeakyRelu': {
      const alpha = at.float('alpha', 0.01);
      return unary((x) => tf.leakyRelu(x, alpha));
    }
    case 'Elu': {
      const alpha = at.float('alpha', 1);
      return unary((x) => tf.where(tf.greater(x, 0), x, tf.mul(alpha, tf.expm1(x))));
    }
    case 'HardSwish':
      return unary((x) => tf.mul(x, tf.div(tf.relu6(tf.add(x, 3)), 6)));
    case 'HardSigmoid': {
      const alpha = at.float('alpha', 0.2);
      const beta = at.float('beta', 0.5);
      return unary((x) => tf.clipByValue(tf.add(tf.mul(x, alpha), beta), 0, 1));
    }
    case 'Clip': {
      const lo = opset < 11 ? at.float('min', -FLOAT_MAX) : scalar(1, -FLOAT_MAX);
      const hi = opset < 11 ? at.float('max', FLOAT_MAX) : scalar(2, FLOAT_MAX);
      if (lo === 0 && hi === 6) return unary((x) => tf.relu6(x));
      return unary((x) => tf.clipByValue(x, lo, hi));
    }
    case 'Identity':
    case 'Dropout':
    case 'Cast':
      return unary((x) => tf.clone(x));
    case 'Softmax':
    case 'LogSoftmax': {
      const axis = normAxis(at.int('axis', opset >= 13 ? -1 : 1), 2, label);
      if (axis !== 1) at.fail('only the class axis (1) is supported');
      return unary((x) => (node.opType === 'Softmax' ? tf.softmax(x) : tf.logSoftmax(x)));
    }
    case 'Add':
    case 'Sub':
    case 'Mul':
    case 'Div': {
      const rank = out.length;
      const operands = [0, 1].map((i) => {
        const v = value(i);
        if (v?.kind === 'const') return keep(constantFor(v.dims, floats(v), rank));
        return undefined;
      });
      const inputs = [0, 1].filter((i) => operands[i] === undefined).map(act);
      const shapes = [0, 1].map(inShape);
      const f = { Add: tf.add, Sub: tf.sub, Mul: tf.mul, Div: tf.div }[node.opType as 'Add'];
      return {
        inputs,
        run: (xs) => {
          let k = 0;
          const [a, b] = [0, 1].map((i) => {
            const c = operands[i];
            if (c !== undefined) return c;
            const x = xs[k++] as tf.Tensor;
            return x.rank < rank ? activationFor(x, concrete(shapes[i] as Dim[], x.shape[0] ?? 1), rank) : x;
          });
          return f(a as tf.Tensor, b as tf.Tensor);
        },
        weights,
      };
    }
    case 'Conv': {
      const w = constant(1);
      const [o, ig, kh, kw] = w.dims as [number, number, number, number];
      const group = at.int('group', 1);
      const win = windowOf(at, inShape(0), [kh, kw], false);
      const [t, l, b, r] = win.pads as [number, number, number, number];
      const padding: [number, number][] = [[0, 0], [t, b], [l, r], [0, 0]];
      const padded = t + l + b + r > 0;
      const hwio = tf.tidy(() => tf.transpose(tf.tensor4d(floats(w), [o, ig, kh, kw]), [2, 3, 1, 0]));
      const bias = value(2) !== undefined ? keep(tf.tensor1d(floats(constant(2)))) : undefined;
      // Square kernels with one stride and no dilation use the engine's convolutions whose gradients are written
      // with forward kernels (fastgrad.ts): the WASM backend has no depthwise input gradient, and they are faster.
      const fast = kh === kw && win.strides[0] === win.strides[1] && win.dilations.every((d) => d === 1);
      const s0 = win.strides[0];
      // Stride 1, odd kernel, pads (k - 1) / 2 on every side is TF's 'same': the kernel pads, no separate pad pass.
      const same = fast && s0 === 1 && kh % 2 === 1 && win.pads.every((p) => p === (kh - 1) / 2);
      const mode = same ? 'same' : 'valid';
      const conv2d = (x: tf.Tensor4D, f: tf.Tensor4D): tf.Tensor4D => (fast ? conv2dFast(x, f, s0, mode) : tf.conv2d(x, f, win.strides, 'valid', 'NHWC', win.dilations));
      let conv: (x: tf.Tensor4D) => tf.Tensor4D;
      if (group === 1) {
        const f = keep(hwio);
        conv = (x) => conv2d(x, f);
      } else if (ig === 1 && fast) {
        // Depthwise: output channel c * m + j reads input channel c, which is TF.js's depthwise order.
        const f = keep(tf.reshape<tf.Rank.R4>(hwio, [kh, kw, group, o / group]));
        hwio.dispose();
        conv = (x) => depthwiseConv2dFast(x, f, s0, mode);
      } else if (fast && ig * group <= GROUPED_AS_DENSE_MAX_CHANNELS) {
        // Few channels: one dense convolution with a block-diagonal kernel beats a split, a convolution per group
        // and a concat (each a kernel launch and a copy). FLOPs are still counted as grouped (onnxAnalyze.ts).
        const f = keep(tf.tidy(() => blockDiagonal(hwio, group)));
        hwio.dispose();
        conv = (x) => conv2d(x, f);
      } else {
        const filters = tf.split(hwio, group, 3).map((f) => keep(f));
        hwio.dispose();
        conv = (x) => {
          const parts = tf.split(x, group, 3);
          return tf.concat(parts.map((p, g) => conv2d(p as tf.Tensor4D, filters[g] as tf.Tensor4D)), 3);
        };
      }
      return {
        inputs: [act(0)],
        run: ([x]) => {
          const y = conv((padded && !same ? tf.pad(x as tf.Tensor4D, padding) : x) as tf.Tensor4D);
          return bias !== undefined ? tf.add(y, bias) : y;
        },
        weights,
      };
    }
    case 'MaxPool':
    case 'AveragePool': {
      const x = inShape(0);
      const win = windowOf(at, x, at.ints('kernel_shape') ?? [], at.int('ceil_mode', 0) === 1);
      const [t, l, b, r] = win.pads as [number, number, number, number];
      const [eh, ew] = win.ceilExtra;
      const padding: [number, number][] = [[0, 0], [t, b + eh], [l, r + ew], [0, 0]];
      const padded = t + l + b + r + eh + ew > 0;
      if (node.opType === 'MaxPool') {
        return {
          inputs: [act(0)],
          run: ([v]) => tf.maxPool((padded ? tf.pad(v as tf.Tensor4D, padding, -FLOAT_MAX) : v) as tf.Tensor4D, win.kernel, win.strides, 'valid'),
          weights,
        };
      }
      // Each window divides by the inputs it counts: explicit pads count when count_include_pad=1, the extra
      // end that ceil_mode adds never does. The divisors are fixed by the geometry: computed once, here.
      const [h, wd] = [x[2] as number, x[3] as number];
      const includePad = at.int('count_include_pad', 0) === 1;
      let scale: tf.Tensor | undefined;
      if (padded) {
        scale = keep(
          tf.tidy(() => {
            const ones = tf.ones([1, h, wd, 1]);
            const counted = includePad ? tf.pad(ones, [[0, 0], [t, b], [l, r], [0, 0]], 1) : tf.pad(ones, [[0, 0], [t, b], [l, r], [0, 0]]);
            const mask = tf.pad(counted, [[0, 0], [0, eh], [0, ew], [0, 0]]) as tf.Tensor4D;
            return tf.div(1, tf.avgPool(mask, win.kernel, win.strides, 'valid'));
          }),
        );
      }
      return {
        inputs: [act(0)],
        run: ([v]) => {
          const y = tf.avgPool((padded ? tf.pad(v as tf.Tensor4D, padding) : v) as tf.Tensor4D, win.kernel, win.strides, 'valid');
          return scale !== undefined ? tf.mul(y, scale) : y;
        },
        weights,
      };
    }
    case 'GlobalAveragePool':
      return unary((x) => tf.mean(x, [1, 2], true));
    case 'GlobalMaxPool':
      return unary((x) => tf.max(x, [1, 2], true));
    case 'BatchNormalization': {
      const eps = at.float('epsilon', 1e-5);
      const [gamma, beta, mean, variance] = [1, 2, 3, 4].map((i) => floats(constant(i)));
      const c = (gamma as Float32Array).length;
      const a = new Float32Array(c);
      const s = new Float32Array(c);
      for (let i = 0; i < c; i++) {
        a[i] = (gamma as Float32Array)[i]! / Math.sqrt((variance as Float32Array)[i]! + eps);
        s[i] = (beta as Float32Array)[i]! - (mean as Float32Array)[i]! * a[i]!;
      }
      const scaleT = keep(tf.tensor1d(a));
      const shiftT = keep(tf.tensor1d(s));
      // Channels are the last run-time axis for [n, h, w, c] and [n, c] alike.
      return unary((x) => tf.add(tf.mul(x, scaleT), shiftT));
    }
    case 'Gemm':
    case 'MatMul': {
      const gemm = node.opType === 'Gemm';
      const alpha = gemm ? at.float('alpha', 1) : 1;
      const beta = gemm ? at.float('beta', 1) : 1;
      const transB = gemm && at.int('transB', 0) === 1;
      if (gemm && at.int('transA', 0) === 1) at.fail('transA=1 would move the batch dimension');
      const bv = value(1);
      const bMat =
        bv?.kind === 'const'
          ? keep(tf.tidy(() => {
              const m = tf.tensor2d(floats(bv), bv.dims as [number, number]);
              return tf.mul(transB ? tf.transpose(m) : m, alpha);
            }))
          : undefined;
      const cv = gemm ? value(2) : undefined;
      const cT = cv?.kind === 'const' ? keep(tf.tidy(() => tf.mul(constantFor(cv.dims, floats(cv), 2), beta))) : undefined;
      if (cv !== undefined && cv.kind !== 'const') at.fail('C must be a constant');
      const inputs = bMat === undefined ? [act(0), act(1)] : [act(0)];
      return {
        inputs,
        run: (xs) => {
          const a = xs[0] as tf.Tensor2D;
          const y = bMat !== undefined ? tf.matMul(a, bMat) : tf.mul(tf.matMul(a, xs[1] as tf.Tensor2D, false, transB), alpha);
          return cT !== undefined ? tf.add(y, cT) : y;
        },
        weights,
      };
    }
    case 'Flatten':
    case 'Reshape':
    case 'Unsqueeze':
    case 'Squeeze':
      // Memory order matters: reshape in ONNX order, then back to the run-time layout.
      return unary((x) => fromOnnxOrder(tf.reshape(toOnnxOrder(x), concrete(out, x.shape[0] ?? 1))));
    case 'Transpose': {
      const perm = at.ints('perm') ?? inShape(0).map((_, i, all) => all.length - 1 - i);
      return unary((x) => fromOnnxOrder(tf.transpose(toOnnxOrder(x), perm)));
    }
    case 'ReduceMean': {
      const x = inShape(0);
      const rank = x.length;
      const axes = (opset >= 18 ? (value(1) !== undefined ? [...floats(constant(1))] : undefined) : at.ints('axes')) ?? x.map((_, i) => i);
      const set = [...new Set(axes.map((v) => normAxis(v, rank, label)))].sort();
      const keepDims = at.int('keepdims', 1) === 1;
      if (rank === 4 && set.join() === '2,3') return unary((v) => tf.mean(v, [1, 2], keepDims)); // spatial mean: no transpose
      return unary((v) => fromOnnxOrder(tf.mean(toOnnxOrder(v), set, keepDims)));
    }
    case 'Concat': {
      const rank = out.length;
      const axis = runtimeAxis(normAxis(at.int('axis', 0), rank, label), rank);
      const inputs = node.inputs.map((_, i) => act(i));
      return { inputs, run: (xs) => tf.concat(xs, axis), weights };
    }
    case 'Pad': {
      const rank = out.length;
      const pads = padsOf(node, at, opset, rank, value, label);
      if (pads.some((p) => p < 0)) at.fail('negative pads (cropping) are not supported');
      const paddings: [number, number][] = new Array(rank).fill(0).map(() => [0, 0] as [number, number]);
      for (let a = 0; a < rank; a++) paddings[runtimeAxis(a, rank)] = [pads[a] as number, pads[a + rank] as number];
      const fill = opset < 11 ? at.float('value', 0) : scalar(2, 0);
      if (at.string('mode', 'constant') === 'reflect') return unary((x) => tf.mirrorPad(x, paddings, 'reflect'));
      return unary((x) => tf.pad(x, paddings, fill));
    }
    default:
      return at.fail('is not supported');
  }
}
