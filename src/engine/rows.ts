// Picking batch rows (the samples still alive after an exit). On the WASM and pure-JS backends, tf.gather is a
// generic per-element kernel: measured 29 ms to keep 300 of 500 rows of a 14x14x16 map on WASM SIMD, more than
// the conv that follows. Their tensors live in CPU memory, so whole rows are copied instead: on WASM inside the
// module's heap by the GatherRows kernel of wasmKernels.ts, on the CPU backend from its arrays. GPU and native
// backends keep tf.gather (a readback there would cost a device round trip).
import * as tf from '@tensorflow/tfjs';
import { GATHER_ROWS_KERNEL, rowBlocks } from './wasmKernels';

const CPU_MEMORY_BACKENDS = new Set(['wasm', 'cpu']);

/** Rows `rows` of `x` along axis 0, in that order, as a new tensor (x is not disposed). */
export function gatherRows(x: tf.Tensor, rows: readonly number[]): tf.Tensor {
  const n = x.shape[0] ?? 0;
  for (const r of rows) {
    if (!Number.isInteger(r) || r < 0 || r >= n) throw new Error(`gatherRows: row ${r} is outside a batch of ${n}.`);
  }
  if (!CPU_MEMORY_BACKENDS.has(tf.getBackend()) || x.dtype === 'string' || x.dtype === 'complex64') {
    return tf.gather(x, Array.from(rows));
  }
  if (tf.getBackend() === 'wasm' && tf.getKernel(GATHER_ROWS_KERNEL, 'wasm') !== undefined) {
    return tf.engine().runKernel<tf.Tensor>(GATHER_ROWS_KERNEL, { x }, { rows: Array.from(rows) });
  }
  const shape = [rows.length, ...x.shape.slice(1)];
  const width = n > 0 ? x.size / n : 0;
  const source = x.dataSync<'float32' | 'int32' | 'bool'>();
  const out = new (source.constructor as Float32ArrayConstructor | Int32ArrayConstructor | Uint8ArrayConstructor)(rows.length * width);
  for (const b of rowBlocks(rows, width)) out.set(source.subarray(b.from, b.from + b.length), b.to);
  return tf.tensor(out, shape, x.dtype);
}
