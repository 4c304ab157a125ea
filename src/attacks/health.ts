// Per-sample gradient health, accumulated on the backend over an attack's steps and read back once at the end:
// whether a sample's gradient was ever non-zero and whether it was ever NaN or infinite (sanity.ts turns these
// into flags).
import * as tf from '@tensorflow/tfjs';

export class GradientHealth {
  private everNonZero: tf.Tensor;
  private everNonFinite: tf.Tensor;

  constructor(private readonly batch: number) {
    this.everNonZero = tf.zeros([batch]);
    this.everNonFinite = tf.zeros([batch]);
  }

  /** Folds one gradient in. A shared (universal) perturbation's single row is broadcast to every sample. */
  record(g: tf.Tensor): void {
    const batch = this.batch;
    const next = tf.tidy(() => {
      const flat = tf.broadcastTo(tf.reshape(g, [g.shape[0] ?? 1, -1]), [batch, g.size / (g.shape[0] ?? 1)]);
      const bad = tf.cast(tf.any(tf.logicalNot(tf.isFinite(flat)), 1), 'float32');
      const finite = tf.where(tf.isFinite(flat), flat, tf.zerosLike(flat));
      const moved = tf.cast(tf.greater(tf.sum(tf.abs(finite), 1), 0), 'float32');
      return [tf.maximum(this.everNonZero, moved), tf.maximum(this.everNonFinite, bad)] as const;
    });
    this.everNonZero.dispose();
    this.everNonFinite.dispose();
    [this.everNonZero, this.everNonFinite] = next;
  }

  /** Per sample: alwaysZero = 1 when the gradient was exactly zero at every step; nonFinite = 1 when ever NaN/inf. */
  async read(): Promise<{ alwaysZero: Uint8Array; nonFinite: Uint8Array }> {
    const nonZero = await this.everNonZero.data();
    const nonFinite = await this.everNonFinite.data();
    return { alwaysZero: Uint8Array.from(nonZero, (v) => (v > 0 ? 0 : 1)), nonFinite: Uint8Array.from(nonFinite, (v) => (v > 0 ? 1 : 0)) };
  }

  dispose(): void {
    this.everNonZero.dispose();
    this.everNonFinite.dispose();
  }
}
