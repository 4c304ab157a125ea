// Convolution and pooling with hand-written gradients built from fast forward kernels.
// Why: on the WASM backend the stock input gradient of a conv (conv2dTranspose) is ~10x slower than the same
// computation as a forward conv with a flipped kernel, the max-pool gradient several times slower than an
// equality mask, and the filter gradients of conv2d / depthwiseConv2d are not implemented at all. Attacks and
// training spend nearly all their time in these gradients.
import * as tf from '@tensorflow/tfjs';
import type { Padding } from '../modelfile/types';

interface AxisPad {
  /** Output length along the axis. */
  out: number;
  /** Zero rows added before the input (TF 'same' convention: the smaller half). */
  before: number;
}

/** Output size and leading pad of a conv/pool along one axis, TF conventions. */
export function axisPadding(size: number, kernel: number, stride: number, padding: Padding): AxisPad {
  if (padding === 'valid') return { out: Math.max(0, Math.ceil((size - kernel + 1) / stride)), before: 0 };
  const out = Math.ceil(size / stride);
  const total = Math.max((out - 1) * stride + kernel - size, 0);
  return { out, before: Math.floor(total / 2) };
}

/** Pads (positive) or crops (negative) the two spatial axes of an NHWC tensor. */
function padCrop(t: tf.Tensor4D, top: number, bottom: number, left: number, right: number, value = 0): tf.Tensor4D {
  const [b, h, w, c] = t.shape;
  let out = t;
  if (top < 0 || bottom < 0 || left < 0 || right < 0) {
    const t0 = Math.max(0, -top);
    const l0 = Math.max(0, -left);
    out = tf.slice(out, [0, t0, l0, 0], [b, h - t0 - Math.max(0, -bottom), w - l0 - Math.max(0, -right), c]);
  }
  if (top > 0 || bottom > 0 || left > 0 || right > 0) {
    out = tf.pad(out, [
      [0, 0],
      [Math.max(0, top), Math.max(0, bottom)],
      [Math.max(0, left), Math.max(0, right)],
      [0, 0],
    ], value);
  }
  return out;
}

/** Inserts stride-1 zeros between rows and columns: [b,h,w,c] -> [b,h*s,w*s,c] with values at (i*s, j*s). */
function dilate(t: tf.Tensor4D, stride: number): tf.Tensor4D {
  if (stride === 1) return t;
  const [b, h, w, c] = t.shape;
  const zeros = tf.zeros([b, h, w, c * (stride * stride - 1)]);
  return tf.depthToSpace(tf.concat([t, zeros], 3) as tf.Tensor4D, stride);
}

/**
 * Gradient w.r.t. the input of a (depthwise) conv as a stride-1 valid forward conv over the dilated, padded
 * output gradient: the transposed convolution written with the fast forward kernel.
 */
function spreadForInputGrad(dy: tf.Tensor4D, inH: number, inW: number, k: number, stride: number, padding: Padding): tf.Tensor4D {
  const ph = axisPadding(inH, k, stride, padding);
  const pw = axisPadding(inW, k, stride, padding);
  const d = dilate(dy, stride);
  const top = k - 1 - ph.before;
  const left = k - 1 - pw.before;
  const bottom = inH + k - 1 - top - d.shape[1];
  const right = inW + k - 1 - left - d.shape[2];
  return padCrop(d, top, bottom, left, right);
}

/** The input padded (or cropped) to exactly the rows and columns the windows read. */
function windowInput(x: tf.Tensor4D, k: number, stride: number, padding: Padding): { xp: tf.Tensor4D; outH: number; outW: number } {
  const [, h, w] = x.shape;
  const ph = axisPadding(h, k, stride, padding);
  const pw = axisPadding(w, k, stride, padding);
  const needH = (ph.out - 1) * stride + k;
  const needW = (pw.out - 1) * stride + k;
  return { xp: padCrop(x, ph.before, needH - h - ph.before, pw.before, needW - w - pw.before), outH: ph.out, outW: pw.out };
}

/**
 * Filter gradient of a conv as a forward conv: batch and channels swap roles, so the output gradient becomes a
 * (dilated by the stride) kernel slid over the input. No im2col buffer, no strided slices.
 */
function convFilterGrad(x: tf.Tensor4D, dy: tf.Tensor4D, k: number, stride: number, padding: Padding): tf.Tensor4D {
  const { xp } = windowInput(x, k, stride, padding);
  const xt = tf.transpose<tf.Tensor4D>(xp, [3, 1, 2, 0]); // [cin, H, W, batch]
  const dyt = tf.transpose<tf.Tensor4D>(dy, [1, 2, 0, 3]); // [outH, outW, batch, cout]
  const g = tf.conv2d(xt, dyt, 1, 'valid', 'NHWC', stride); // [cin, k, k, cout]
  return tf.transpose(g, [1, 2, 0, 3]);
}

/** Filter gradient of a depthwise conv: one depthwise conv over (batch x channel) planes, summed over the batch. */
function depthwiseFilterGrad(x: tf.Tensor4D, dy: tf.Tensor4D, k: number, m: number, stride: number, padding: Padding): tf.Tensor4D {
  const { xp, outH, outW } = windowInput(x, k, stride, padding);
  const [b, hp, wp, c] = xp.shape;
  const planes = tf.reshape<tf.Rank.R4>(tf.transpose(xp, [1, 2, 0, 3]), [1, hp, wp, b * c]);
  const kernel = tf.reshape<tf.Rank.R4>(tf.transpose(tf.reshape(dy, [b, outH, outW, c, m]), [1, 2, 0, 3, 4]), [outH, outW, b * c, m]);
  const g = tf.depthwiseConv2d(planes, kernel, 1, 'valid', 'NHWC', stride); // [1, k, k, b*c*m]
  return tf.sum(tf.reshape(g, [k, k, b, c, m]), 2);
}

/** A conv filter [k, k, cin, cout] rotated 180 degrees with in/out swapped: the kernel of its input gradient. */
export function flipConvFilter(filter: tf.Tensor4D): tf.Tensor4D {
  return tf.transpose<tf.Tensor4D>(tf.reverse(filter, [0, 1]), [0, 1, 3, 2]);
}

/** A depthwise filter [k, k, c, m] rotated 180 degrees as a [k, k, c*m, 1] depthwise kernel. */
export function flipDepthwiseFilter(filter: tf.Tensor4D): tf.Tensor4D {
  const [k, , c, m] = filter.shape;
  return tf.reshape<tf.Rank.R4>(tf.reverse(filter, [0, 1]), [k, k, c * m, 1]);
}

/** True when the input gradient is the flipped-kernel conv of dy itself, with the same 'same' padding. */
function sameStrideOne(k: number, stride: number, padding: Padding): boolean {
  return stride === 1 && padding === 'same' && k % 2 === 1;
}

/** Input gradient of conv2d from the output gradient and the flipped filter (see flipConvFilter). */
export function convInputGrad(dy: tf.Tensor4D, flipped: tf.Tensor4D, inH: number, inW: number, stride: number, padding: Padding): tf.Tensor4D {
  const [k, , cout, cin] = flipped.shape;
  // Odd kernel, stride 1, 'same': pads are symmetric, so the backend's own padding replaces a PadV2 pass.
  const spread = sameStrideOne(k, stride, padding) ? dy : spreadForInputGrad(dy, inH, inW, k, stride, padding);
  const pad = spread === dy ? 'same' : 'valid';
  // One input channel (the first conv on grey images): a conv to a single channel runs several times slower on
  // WASM than a depthwise conv plus a channel sum.
  if (cin === 1) return tf.sum(tf.depthwiseConv2d(spread, tf.reshape<tf.Rank.R4>(flipped, [k, k, cout, 1]), 1, pad), 3, true);
  return tf.conv2d(spread, flipped, 1, pad);
}

/** Input gradient of a depthwise conv with multiplier m from the flipped filter (see flipDepthwiseFilter). */
export function depthwiseInputGrad(dy: tf.Tensor4D, flipped: tf.Tensor4D, inH: number, inW: number, m: number, stride: number, padding: Padding): tf.Tensor4D {
  const k = flipped.shape[0];
  const perOutput = sameStrideOne(k, stride, padding)
    ? tf.depthwiseConv2d(dy, flipped, 1, 'same')
    : tf.depthwiseConv2d(spreadForInputGrad(dy, inH, inW, k, stride, padding), flipped, 1, 'valid');
  if (m === 1) return perOutput;
  const [b, , , cm] = perOutput.shape;
  return tf.sum(tf.reshape(perOutput, [b, inH, inW, cm / m, m]), 4);
}

/**
 * True while a gradient tape records (inside tf.grad, training steps, attacks). Without one, the ops below run the
 * stock forward kernel alone: inference then skips customGrad's bookkeeping and the -Infinity padding copy that
 * maxPoolFast needs for its gradient (measured as 4% of a dynamic pass on WASM, in the exit heads).
 */
function gradientRecorded(): boolean {
  return tf.engine().isTapeOn();
}

/** A convolution whose input and filter gradients `grads(dy, x, filter)` are written with forward kernels. */
function withForwardKernelGrads(
  x: tf.Tensor4D,
  filter: tf.Tensor4D,
  forward: (x: tf.Tensor4D, filter: tf.Tensor4D) => tf.Tensor4D,
  grads: (dy: tf.Tensor4D, x: tf.Tensor4D, filter: tf.Tensor4D) => [tf.Tensor4D, tf.Tensor4D],
): tf.Tensor4D {
  if (!gradientRecorded()) return forward(x, filter);
  const f = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [x4, w4, save] = args as [tf.Tensor4D, tf.Tensor4D, tf.GradSaveFunc];
    save([x4, w4]);
    return {
      value: forward(x4, w4),
      gradFunc: (dy: tf.Tensor4D, saved: tf.Tensor[]) => {
        const [xs, ws] = saved as [tf.Tensor4D, tf.Tensor4D];
        return grads(dy, xs, ws);
      },
    };
  });
  return f(x, filter);
}

/** conv2d (NHWC, square kernel) whose input and filter gradients use forward kernels and a matMul. */
export function conv2dFast(x: tf.Tensor4D, filter: tf.Tensor4D, stride: number, padding: Padding): tf.Tensor4D {
  return withForwardKernelGrads(
    x,
    filter,
    (x4, w4) => tf.conv2d(x4, w4, stride, padding),
    (dy, xs, ws) => [
      convInputGrad(dy, flipConvFilter(ws), xs.shape[1], xs.shape[2], stride, padding),
      convFilterGrad(xs, dy, ws.shape[0], stride, padding),
    ],
  );
}

/** depthwiseConv2d (channel multiplier m) with forward-kernel gradients (the WASM backend has none). */
export function depthwiseConv2dFast(x: tf.Tensor4D, filter: tf.Tensor4D, stride: number, padding: Padding): tf.Tensor4D {
  return withForwardKernelGrads(
    x,
    filter,
    (x4, w4) => tf.depthwiseConv2d(x4, w4, stride, padding),
    (dy, xs, ws) => {
      const [k, , , m] = ws.shape;
      return [
        depthwiseInputGrad(dy, flipDepthwiseFilter(ws), xs.shape[1], xs.shape[2], m, stride, padding),
        depthwiseFilterGrad(xs, dy, k, m, stride, padding),
      ];
    },
  );
}

/**
 * How non-overlapping windows (size = stride) tile an h x w map: each axis's padding, and the rows and columns
 * added after it (negative = rows and columns 'valid' windows never read).
 */
function poolTiling(h: number, w: number, size: number, padding: Padding): { ph: AxisPad; pw: AxisPad; bottom: number; right: number } {
  const ph = axisPadding(h, size, size, padding);
  const pw = axisPadding(w, size, size, padding);
  return { ph, pw, bottom: ph.out * size - h - ph.before, right: pw.out * size - w - pw.before };
}

/** True when max pooling tiles the input without overlap (window = stride), the case the fast gradient handles. */
export function canFastPool(h: number, w: number, size: number, stride: number, padding: Padding): boolean {
  return size === stride && h >= 1 && w >= 1 && (padding === 'same' || (h >= size && w >= size));
}

/**
 * maxPool whose gradient routes dy to the maximum of each window with an equality mask against the upsampled
 * output. 'same' windows that overhang the map pool a copy padded with -Infinity (what the stock op ignores), so
 * SDN exit heads (e.g. 14x14 -> 4x4) take the fast path too. Overlapping windows use the stock op.
 */
export function maxPoolFast(x: tf.Tensor4D, size: number, stride: number, padding: Padding): tf.Tensor4D {
  const [, h, w] = x.shape;
  if (!gradientRecorded() || !canFastPool(h, w, size, stride, padding)) return tf.maxPool(x, size, stride, padding);
  const { ph, pw, bottom, right } = poolTiling(h, w, size, padding);
  const f = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [x4, save] = args as [tf.Tensor4D, tf.GradSaveFunc];
    const covered = padCrop(x4, ph.before, bottom, pw.before, right, -Infinity);
    const y = tf.maxPool(covered, size, stride, 'valid');
    save([covered, y]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor4D, saved: tf.Tensor[]) => {
        const [cs, ys] = saved as [tf.Tensor4D, tf.Tensor4D];
        const [b, oh, ow, c] = ys.shape;
        // Windows as axes 2 and 4 of a 6-D view, so each output broadcasts over its window with no upsampling
        // copy (resize kernels are slow on WASM; views are free).
        const windows = [b, oh, size, ow, size, c];
        const pooled = [b, oh, 1, ow, 1, c];
        // 1 where the input equals its window's maximum: 1 - step(max - x) (comparisons are slow kernels on WASM).
        const hits = tf.sub(1, tf.step(tf.sub(tf.reshape(ys, pooled), tf.reshape(cs, windows))));
        // Tied maxima share the window's gradient equally (a valid subgradient; the stock kernel gives it all
        // to the first one). Without ties both agree exactly.
        const ties = tf.mul(tf.avgPool(tf.reshape<tf.Rank.R4>(hits, cs.shape), size, size, 'valid'), size * size);
        const share = tf.reshape(tf.div(dy, ties), pooled);
        const back = tf.reshape<tf.Rank.R4>(tf.mul(hits, share), cs.shape);
        return padCrop(back, -ph.before, -bottom, -pw.before, -right);
      },
    };
  });
  return f(x);
}

/** 1 / (number of real inputs) of each window along one axis, for non-overlapping windows (size = stride). */
function inverseCounts(size: number, window: number, padding: Padding): number[] {
  const { out, before } = axisPadding(size, window, window, padding);
  return Array.from({ length: out }, (_, i) => {
    const first = Math.max(0, i * window - before);
    const end = Math.min(size, (i + 1) * window - before);
    return 1 / Math.max(1, end - first);
  });
}

/**
 * avgPool with non-overlapping windows (size = stride) whose gradient spreads dy / count over each window with one
 * upsample: the stock AvgPoolGrad is slow on WASM, and SDN exit heads take it at every attack step. TF's 'same'
 * average divides by the real (unpadded) inputs of the window; the gradient uses the same counts.
 */
export function avgPoolFast(x: tf.Tensor4D, size: number, padding: Padding): tf.Tensor4D {
  const [, h, w] = x.shape;
  if (!gradientRecorded() || !canFastPool(h, w, size, size, padding)) return tf.avgPool(x, size, size, padding);
  const { ph, pw, bottom, right } = poolTiling(h, w, size, padding);
  const rows = inverseCounts(h, size, padding);
  const cols = inverseCounts(w, size, padding);
  const f = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const x4 = args[0] as tf.Tensor4D;
    return {
      value: tf.avgPool(x4, size, size, padding),
      gradFunc: (dy: tf.Tensor4D) => {
        const [b, oh, ow, c] = dy.shape;
        const scale = tf.reshape(tf.outerProduct(tf.tensor1d(rows), tf.tensor1d(cols)), [1, oh, 1, ow, 1, 1]);
        // dy / count broadcast over each window through a 6-D view (no upsampling copy).
        const spread = tf.mul(tf.reshape(dy, [b, oh, 1, ow, 1, c]), tf.mul(scale, tf.ones([1, 1, size, 1, size, 1])));
        return padCrop(tf.reshape<tf.Rank.R4>(spread, [b, oh * size, ow * size, c]), -ph.before, -bottom, -pw.before, -right);
      },
    };
  });
  return f(x);
}
