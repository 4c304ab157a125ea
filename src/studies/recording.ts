// The few tensor reads a study needs: every exit's softmax for a set of inputs (small: samples x exits x classes),
// perturbation norms, and a handful of images for the gallery. Everything else stays on the backend.
import * as tf from '@tensorflow/tfjs';
import type { DifferentiableModel } from '../engine/types';
import type { Norm } from '../modelfile/types';

/** Softmax of every exit (final last) and the hard gate decisions, as forwardAll computes them. */
export interface ExitRecording {
  /** probs[e] holds samples x classes. */
  probs: Float32Array[];
  /** [sample * gates + gate] = 1 when the gate fired at the spec's threshold. */
  gatesFired: Uint8Array;
  samples: number;
  classes: number;
}

/** Runs forwardAll in batches and reads back every exit's probabilities. */
export async function recordExits(model: DifferentiableModel, x: tf.Tensor, batchSize: number): Promise<ExitRecording> {
  const n = x.shape[0] ?? 0;
  const exits = model.exitNames.length;
  const gates = model.gateNames.length;
  const classes = model.classes;
  const probs = Array.from({ length: exits }, () => new Float32Array(n * classes));
  const gatesFired = new Uint8Array(n * gates);
  for (let begin = 0; begin < n; begin += batchSize) {
    const size = Math.min(batchSize, n - begin);
    const out = tf.tidy(() => {
      const all = model.forwardAll(tf.slice(x, begin, size));
      const p = tf.stack(all.exits.map((z) => tf.softmax(z)));
      const g = gates > 0 ? tf.stack(all.gates, 1) : tf.zeros([size, 0]);
      return [p, g] as const;
    });
    const [p, g] = await Promise.all([out[0].data(), out[1].data()]);
    tf.dispose([...out]);
    for (let e = 0; e < exits; e++) {
      (probs[e] as Float32Array).set(p.subarray(e * size * classes, (e + 1) * size * classes), begin * classes);
    }
    for (let i = 0; i < size * gates; i++) gatesFired[begin * gates + i] = (g[i] ?? 0) >= 0.5 ? 1 : 0;
  }
  return { probs, gatesFired, samples: n, classes };
}

/** Appends `b` after `a` (recordings of consecutive batches). */
export function concatRecordings(a: ExitRecording | undefined, b: ExitRecording): ExitRecording {
  if (a === undefined) return b;
  const cat = <T extends Float32Array | Uint8Array>(x: T, y: T, make: (n: number) => T): T => {
    const out = make(x.length + y.length);
    out.set(x);
    out.set(y, x.length);
    return out;
  };
  return {
    probs: a.probs.map((p, e) => cat(p, b.probs[e] ?? new Float32Array(0), (n) => new Float32Array(n))),
    gatesFired: cat(a.gatesFired, b.gatesFired, (n) => new Uint8Array(n)),
    samples: a.samples + b.samples,
    classes: a.classes,
  };
}

/** Per-sample norm of xAdv - x in the attack's norm. */
export async function perturbationNorms(x: tf.Tensor, xAdv: tf.Tensor, norm: Norm): Promise<Float32Array> {
  const n = x.shape[0] ?? 0;
  const t = tf.tidy(() => {
    const d = tf.reshape(tf.sub(xAdv, x), [n, -1]);
    return norm === 'linf' ? tf.max(tf.abs(d), 1) : tf.sqrt(tf.sum(tf.square(d), 1));
  });
  const values = (await t.data()) as Float32Array;
  t.dispose();
  return Float32Array.from(values);
}

/** Pixel values of a few samples (row-major, per-sample shape), for the gallery. */
export async function readImages(x: tf.Tensor, indices: readonly number[]): Promise<number[][]> {
  if (indices.length === 0) return [];
  const t = tf.tidy(() => tf.reshape(tf.gather(x, Array.from(indices)), [indices.length, -1]));
  const values = await t.data();
  t.dispose();
  const per = values.length / indices.length;
  return indices.map((_, k) => Array.from(values.subarray(k * per, (k + 1) * per)));
}
