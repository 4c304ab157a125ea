// A decoded n-dimensional array as the loaders hand it around before it becomes a tensor: the values in a typed
// array (row-major), the shape, and the dtype it came from (the dtype decides whether 0..255 scaling applies).

export type NumericArray = Float32Array | Float64Array | Uint8Array | Int32Array;

/** NumPy-style dtype codes the loaders accept. '<i8' is decoded to Float64Array (exact up to 2^53). */
export type Dtype = '<f4' | '<f8' | '|u1' | '<i4' | '<i8';

export const SUPPORTED_DTYPES: readonly Dtype[] = ['<f4', '<f8', '|u1', '<i4', '<i8'];

export interface NdArray {
  dtype: Dtype;
  shape: number[];
  data: NumericArray;
}

export function product(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

export function isIntegerDtype(d: Dtype): boolean {
  return d === '|u1' || d === '<i4' || d === '<i8';
}

export function shapeText(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}
