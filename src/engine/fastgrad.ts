// Convolution and pooling with hand-written gradients built from fast forward kernels.
// Why: on the WASM backend the stock input gradient of a conv (conv2dTranspose) is ~10x slower than the same
// computation as a forward conv with a flipped kernel, the max-pool gradient several times slower than an
// equality mask, and the filter gradients of conv2d / depthwiseConv2d are not implemented at all. Attacks and
// training spend nearly all their time in these gradients.
import * as tf from '@tensorflow/tfjs';
import type { Padding } from '../spec/types';

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
function padCrop(t: tf.Tensor4D, top: number, bottom: number, left: number, right: number): tf.Tensor4D {
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
    ]);
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

/** conv2d (NHWC, square kernel) whose input and filter gradients use forward kernels and a matMul. */
export function conv2dFast(x: tf.Tensor4D, filter: tf.Tensor4D, stride: number, padding: Padding): tf.Tensor4D {
  const f = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [x4, w4, save] = args as [tf.Tensor4D, tf.Tensor4D, tf.GradSaveFunc];
    save([x4, w4]);
    return {
      value: tf.conv2d(x4, w4, stride, padding),
      gradFunc: (dy: tf.Tensor4D, saved: tf.Tensor[]) => {
        const [xs, ws] = saved as [tf.Tensor4D, tf.Tensor4D];
        const dy4 = dy;
        const k = ws.shape[0];
        const spread = spreadForInputGrad(dy4, xs.shape[1], xs.shape[2], k, stride, padding);
        const flipped = tf.transpose<tf.Tensor4D>(tf.reverse(ws, [0, 1]), [0, 1, 3, 2]);
        const dx = tf.conv2d(spread, flipped, 1, 'valid');
        return [dx, convFilterGrad(xs, dy4, k, stride, padding)];
      },
    };
  });
  return f(x, filter);
}

/** depthwiseConv2d (channel multiplier m) with forward-kernel gradients (the WASM backend has none). */
export function depthwiseConv2dFast(x: tf.Tensor4D, filter: tf.Tensor4D, stride: number, padding: Padding): tf.Tensor4D {
  const f = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [x4, w4, save] = args as [tf.Tensor4D, tf.Tensor4D, tf.GradSaveFunc];
    save([x4, w4]);
    return {
      value: tf.depthwiseConv2d(x4, w4, stride, padding),
      gradFunc: (dy: tf.Tensor4D, saved: tf.Tensor[]) => {
        const [xs, ws] = saved as [tf.Tensor4D, tf.Tensor4D];
        const dy4 = dy;
        const [k, , c, m] = ws.shape;
        const [b, h, w] = xs.shape;
        const spread = spreadForInputGrad(dy4, h, w, k, stride, padding);
        const flipped = tf.reshape<tf.Rank.R4>(tf.reverse(ws, [0, 1]), [k, k, c * m, 1]);
        const perOutput = tf.depthwiseConv2d(spread, flipped, 1, 'valid');
        const dx = m === 1 ? perOutput : tf.sum(tf.reshape(perOutput, [b, h, w, c, m]), 4);
        return [dx, depthwiseFilterGrad(xs, dy4, k, m, stride, padding)];
      },
    };
  });
  return f(x, filter);
}

/** Nearest-neighbour upsampling by an integer factor (Tile and DepthToSpace are slow on WASM). */
function upsample(t: tf.Tensor4D, factor: number): tf.Tensor4D {
  return tf.image.resizeNearestNeighbor(t, [t.shape[1] * factor, t.shape[2] * factor]);
}

/** True when max pooling tiles the input without overlap, the case the fast gradient handles. */
export function canFastPool(h: number, w: number, size: number, stride: number, padding: Padding): boolean {
  if (size !== stride) return false;
  return padding === 'valid' || (h % size === 0 && w % size === 0);
}

/**
 * maxPool whose gradient routes dy to the maximum of each window with an equality mask against the upsampled
 * output. Overlapping or padded windows use the stock op.
 */
export function maxPoolFast(x: tf.Tensor4D, size: number, stride: number, padding: Padding): tf.Tensor4D {
  const [, h, w] = x.shape;
  if (!canFastPool(h, w, size, stride, padding)) return tf.maxPool(x, size, stride, padding);
  const f = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [x4, save] = args as [tf.Tensor4D, tf.GradSaveFunc];
    const y = tf.maxPool(x4, size, stride, 'valid');
    save([x4, y]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor4D, saved: tf.Tensor[]) => {
        const [xs, ys] = saved as [tf.Tensor4D, tf.Tensor4D];
        const [b, oh, ow, c] = ys.shape;
        const covered: tf.Tensor4D = tf.slice(xs, [0, 0, 0, 0], [b, oh * size, ow * size, c]);
        const hits = tf.cast(tf.equal<tf.Tensor4D>(covered, upsample(ys, size)), 'float32');
        // Tied maxima share the window's gradient equally (a valid subgradient; the stock kernel gives it all
        // to the first one). Without ties both agree exactly.
        const ties = upsample(tf.mul(tf.avgPool(hits, size, size, 'valid'), size * size), size);
        const back = tf.div<tf.Tensor4D>(tf.mul(hits, upsample(dy, size)), ties);
        return padCrop(back, 0, h - oh * size, 0, w - ow * size);
      },
    };
  });
  return f(x);
}
