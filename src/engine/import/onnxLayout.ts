// The one place that converts between ONNX's channels-first layout and the tool's channels-last one.
// Rule: at run time every rank-4 activation of an imported ONNX graph is stored NHWC ([n, h, w, c]), so the user's
// input (NHWC, like every input of the tool) enters the graph as it is, and convolutions, pooling and batch norm
// run in TF.js's native layout. ONNX describes the same tensor as NCHW; an op whose meaning depends on the memory
// order (Flatten, Reshape, Transpose, ReduceMean, ...) converts to ONNX order and back around its work.
import * as tf from '@tensorflow/tfjs';

/** Where ONNX axis i of a rank-4 tensor lives at run time (N, C, H, W -> 0, 3, 1, 2). */
const RUNTIME_AXIS_4 = [0, 3, 1, 2];

/** Run-time axis of the (non-negative) ONNX axis `axis` of a tensor of `rank`. */
export function runtimeAxis(axis: number, rank: number): number {
  return rank === 4 ? (RUNTIME_AXIS_4[axis] as number) : axis;
}

/** ONNX-ordered view of a run-time tensor. */
export function toOnnxOrder(t: tf.Tensor): tf.Tensor {
  return t.rank === 4 ? tf.transpose(t, [0, 3, 1, 2]) : t;
}

/** Run-time layout of a tensor in ONNX order. */
export function fromOnnxOrder(t: tf.Tensor): tf.Tensor {
  return t.rank === 4 ? tf.transpose(t, [0, 2, 3, 1]) : t;
}

/** Run-time shape of an ONNX shape (rank 4: [n, c, h, w] -> [n, h, w, c]). */
export function runtimeShape<T>(onnxShape: readonly T[]): T[] {
  if (onnxShape.length !== 4) return [...onnxShape];
  const [n, c, h, w] = onnxShape as [T, T, T, T];
  return [n, h, w, c];
}

/**
 * A constant (ONNX order, `dims`) ready to broadcast against run-time activations of `rank`: right-aligned to the
 * rank with leading ones, as numpy broadcasting does, then laid out like the activations.
 */
export function constantFor(dims: readonly number[], data: Float32Array, rank: number): tf.Tensor {
  const full = [...new Array<number>(Math.max(0, rank - dims.length)).fill(1), ...dims];
  return tf.tidy(() => fromOnnxOrder(tf.tensor(data, full, 'float32')));
}

/** An activation of lower rank than the op's output, brought to the output's rank and layout (numpy broadcasting). */
export function activationFor(t: tf.Tensor, onnxShape: readonly number[], rank: number): tf.Tensor {
  if (t.rank >= rank) return t;
  return fromOnnxOrder(tf.reshape(toOnnxOrder(t), [...new Array<number>(rank - onnxShape.length).fill(1), ...onnxShape]));
}

