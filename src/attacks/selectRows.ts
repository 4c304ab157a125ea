// Per-sample choice between two batches of the same shape: row i of `a` where mask[i] is set, else row i of `b`.
// Why not tf.where(reshape(mask, [batch, 1, 1, 1]), a, b): TF.js broadcasts the condition with a Tile kernel, and
// on the WASM backend that Tile took 6 ms for a 128 x 28 x 28 batch, as long as a convolution of the main example;
// APGD selects five such batches per step (measured: 23.8 of its 77 ms of kernel time per step). Adding the mask to
// zeros of the full shape broadcasts inside an ordinary binary kernel instead. The choice is exact either way.
import * as tf from '@tensorflow/tfjs';

/** mask: [batch], bool or 0/1 numbers; a, b: [batch, ...] of one dtype. Tensors it makes are its own (tidy). */
export function selectRows<T extends tf.Tensor>(mask: tf.Tensor, a: T, b: T): T {
  return tf.tidy((): T => {
    const bool = mask.dtype === 'bool' ? mask : tf.notEqual(mask, 0);
    if (a.rank <= 1) return tf.where(bool, a, b);
    const column = tf.reshape(tf.cast(bool, 'float32'), [a.shape[0] ?? 0, ...a.shape.slice(1).map(() => 1)]);
    const full = tf.greater(tf.add(tf.zeros(a.shape, 'float32'), column), 0.5);
    return tf.where(full, a, b);
  });
}
