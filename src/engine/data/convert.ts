// Turns decoded arrays into what the engine trains on: float32 images in the spec's input shape (HWC, no batch
// dimension) and input range, and int32 labels in [0, classes). Every check names the file and what was expected.

import { DataError } from './errors';
import { type NdArray, type NumericArray, isIntegerDtype, product, shapeText } from './ndarray';

export type Range = readonly [number, number];

/** Values this close outside the declared range are clamped silently (float rounding after scaling). */
const RANGE_TOLERANCE = 1e-6;

export interface Images {
  n: number;
  /** n * product(inputShape) values, row-major NHWC. */
  x: Float32Array;
  /** Sentence for the description when the values were rescaled. */
  note?: string;
}

/** Accepted per-sample layouts: exactly the input shape, the same without a trailing channel of 1, or flat. A flat
 *  input accepts any layout of the same size (row-major flattening is unambiguous). */
function layoutMatches(rest: readonly number[], inputShape: readonly number[]): boolean {
  const same = (a: readonly number[], b: readonly number[]): boolean =>
    a.length === b.length && a.every((v, i) => v === b[i]);
  if (same(rest, inputShape)) return true;
  if (inputShape.length === 1 && rest.length > 0) return product(rest) === inputShape[0];
  if (inputShape.length === 3 && inputShape[2] === 1 && same(rest, inputShape.slice(0, 2))) return true;
  return rest.length === 1 && rest[0] === product(inputShape);
}

export function checkImageShape(shape: readonly number[], inputShape: readonly number[], file: string): number {
  const n = shape[0];
  const rest = shape.slice(1);
  if (n === undefined || !layoutMatches(rest, inputShape)) {
    const alt = [`[n, ${inputShape.join(', ')}]`];
    if (inputShape.length === 3 && inputShape[2] === 1) alt.push(`[n, ${inputShape.slice(0, 2).join(', ')}]`);
    if (inputShape.length > 1) alt.push(`[n, ${product(inputShape)}]`);
    let hint: string | undefined;
    if (
      inputShape.length === 3 &&
      rest.length === 3 &&
      rest[0] === inputShape[2] &&
      rest[1] === inputShape[0] &&
      rest[2] === inputShape[1]
    ) {
      hint = 'The data looks channels-first (NCHW); transpose it to NHWC, e.g. np.transpose(x, (0, 2, 3, 1)).';
    }
    throw new DataError(
      `images have shape ${shapeText(shape)}, expected ${alt.join(' or ')} for input.shape ${shapeText(inputShape)}`,
      file,
      hint,
    );
  }
  if (n === 0) throw new DataError('contains no samples (first dimension is 0)', file);
  return n;
}

/** Reports NaN / Infinity with their count and the first flat index. */
export function checkFinite(data: NumericArray, file: string, perSample: number): void {
  if (data instanceof Uint8Array || data instanceof Int32Array) return;
  let count = 0;
  let first = -1;
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i])) {
      if (first < 0) first = i;
      count++;
    }
  }
  if (count > 0) {
    throw new DataError(
      `${count} NaN or infinite value${count === 1 ? '' : 's'}; the first at sample ${Math.floor(first / perSample)} ` +
        `(flat index ${first}, value ${data[first]})`,
      file,
    );
  }
}

function minMax(data: NumericArray): { min: number; max: number; integral: boolean } {
  let min = Infinity;
  let max = -Infinity;
  let integral = true;
  for (let i = 0; i < data.length; i++) {
    const v = data[i] as number;
    if (v < min) min = v;
    if (v > max) max = v;
    if (integral && !Number.isInteger(v)) integral = false;
  }
  return { min, max, integral };
}

/**
 * Scaling rule (documented in README.md here): uint8 data is pixel bytes and is mapped linearly from 0..255 onto the
 * declared range. Other integer-valued data (int32/int64 arrays, CSV text) is treated as bytes when every value is
 * in 0..255 and some value exceeds the declared maximum. Float arrays must already lie in the declared range.
 */

/** What the values are, as far as the file format tells: decoded image bytes, text (CSV), or a typed array. */
export type PixelSource = 'bytes' | 'text' | 'array';

export function toImages(
  arr: NdArray,
  inputShape: readonly number[],
  range: Range,
  file: string,
  source: PixelSource = 'array',
): Images {
  const n = checkImageShape(arr.shape, inputShape, file);
  const perSample = product(inputShape);
  checkFinite(arr.data, file, perSample);
  const [lo, hi] = range;
  const { min, max, integral } = minMax(arr.data);
  const bytesLike =
    source === 'bytes' ||
    arr.dtype === '|u1' ||
    ((isIntegerDtype(arr.dtype) || (source === 'text' && integral)) && min >= 0 && max <= 255 && max > hi);
  const x = new Float32Array(arr.data.length);
  if (bytesLike && !(lo === 0 && hi === 255)) {
    if (min < 0 || max > 255) {
      throw new DataError(`integer pixel values span ${min}..${max}, expected 0..255`, file);
    }
    const scale = (hi - lo) / 255;
    for (let i = 0; i < x.length; i++) x[i] = lo + (arr.data[i] as number) * scale;
    return { n, x, note: `0..255 pixel values scaled to [${lo}, ${hi}]` };
  }
  if (min < lo - RANGE_TOLERANCE || max > hi + RANGE_TOLERANCE) {
    let count = 0;
    let first = -1;
    for (let i = 0; i < arr.data.length; i++) {
      const v = arr.data[i] as number;
      if (v < lo - RANGE_TOLERANCE || v > hi + RANGE_TOLERANCE) {
        if (first < 0) first = i;
        count++;
      }
    }
    const hint =
      min >= 0 && max <= 255 && hi <= 1
        ? 'The values look like 0..255 pixels stored as floats: divide by 255, or declare input.range: [0, 255].'
        : undefined;
    throw new DataError(
      `${count} value${count === 1 ? '' : 's'} outside the declared input range [${lo}, ${hi}] ` +
        `(data spans ${min}..${max}); the first at sample ${Math.floor(first / perSample)}, flat index ${first}`,
      file,
      hint,
    );
  }
  for (let i = 0; i < x.length; i++) x[i] = Math.min(hi, Math.max(lo, arr.data[i] as number));
  return { n, x };
}

/** Labels: shape [n] or [n, 1], integer values (any numeric dtype) in [0, classes). */
export function toLabels(arr: NdArray, expectedCount: number, classes: number, file: string, xFile: string): Int32Array {
  const [m, second, ...more] = arr.shape;
  if (m === undefined || more.length > 0 || (second !== undefined && second !== 1)) {
    const oneHot = second === classes && more.length === 0 ? ' One-hot labels: convert with y.argmax(axis=1).' : '';
    throw new DataError(`labels have shape ${shapeText(arr.shape)}, expected [n] or [n, 1].${oneHot}`, file);
  }
  if (m !== expectedCount) {
    throw new DataError(`${m} labels for ${expectedCount} samples in ${xFile}; the counts must match`, file);
  }
  const y = new Int32Array(m);
  let bad = 0;
  let first = -1;
  for (let i = 0; i < m; i++) {
    const v = arr.data[i] as number;
    if (!Number.isInteger(v) || v < 0 || v >= classes) {
      if (first < 0) first = i;
      bad++;
    } else {
      y[i] = v;
    }
  }
  if (bad > 0) {
    throw new DataError(
      `${bad} label${bad === 1 ? '' : 's'} outside the integers 0..${classes - 1} (classes: ${classes}); ` +
        `the first at index ${first} is ${arr.data[first]}`,
      file,
    );
  }
  return y;
}

/** `max` indices spread evenly over 0..n-1, so a subset of class-ordered data still covers every class. */
export function pickEvenly(n: number, max: number | undefined): Int32Array | undefined {
  if (max === undefined || max >= n) return undefined;
  const k = Math.max(0, Math.floor(max));
  const idx = new Int32Array(k);
  for (let i = 0; i < k; i++) idx[i] = Math.floor((i * n) / k);
  return idx;
}

export function subsetRows(x: Float32Array, y: Int32Array, perSample: number, idx: Int32Array): { x: Float32Array; y: Int32Array } {
  const xs = new Float32Array(idx.length * perSample);
  const ys = new Int32Array(idx.length);
  for (let i = 0; i < idx.length; i++) {
    const j = idx[i] as number;
    xs.set(x.subarray(j * perSample, (j + 1) * perSample), i * perSample);
    ys[i] = y[j] as number;
  }
  return { x: xs, y: ys };
}
