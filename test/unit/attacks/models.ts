// Tiny hand-built DifferentiableModels for the attack tests, independent of the engine.
import * as tf from '@tensorflow/tfjs';
import { crossEntropy } from '../../../src/attacks/losses';
import type { DifferentiableModel, MultiExitOutputs } from '../../../src/engine/types';

export async function useCpu(): Promise<void> {
  await tf.setBackend('cpu');
  await tf.ready();
}

interface Base {
  name: string;
  inputShape: number[];
  classes: number;
  exitNames: string[];
  gateNames?: string[];
  inputRange?: [number, number];
}

function model(base: Base, forward: (x: tf.Tensor) => MultiExitOutputs): DifferentiableModel & { dispose(): void; weights: tf.Tensor[] } {
  const weights: tf.Tensor[] = [];
  return {
    name: base.name,
    exitNames: base.exitNames,
    gateNames: base.gateNames ?? [],
    inputShape: base.inputShape,
    inputRange: base.inputRange ?? [0, 1],
    classes: base.classes,
    forwardAll: forward,
    weights,
    dispose: () => tf.dispose(weights),
  };
}

/** logits = x W + b: one exit, the case where FGSM has a closed form. */
export function linearModel(w: number[][], b: number[]) {
  const d = w.length;
  const classes = w[0]?.length ?? 0;
  const W = tf.tensor2d(w);
  const B = tf.tensor1d(b);
  const m = model({ name: 'linear', inputShape: [d], classes, exitNames: ['final'] }, (x) => ({
    exits: [tf.add(tf.matMul(x as tf.Tensor2D, W), B)],
    gates: [],
  }));
  m.weights.push(W, B);
  return m;
}

/** Seeded Gaussian weights (tf's seeded generator is deterministic on the cpu backend). */
function randn(shape: number[], seed: number, scale = 1): tf.Tensor {
  return tf.tidy(() => tf.mul(tf.randomNormal(shape, 0, 1, 'float32', seed), scale));
}

/** Two exits: exit0 = relu(x W1) A0; final = relu(relu(x W1) W2) A1. */
export function twoExitModel(d = 8, hidden = 16, classes = 4, seed = 3) {
  const W1 = randn([d, hidden], seed, 1.2);
  const A0 = randn([hidden, classes], seed + 1, 1.0);
  const W2 = randn([hidden, hidden], seed + 2, 0.6);
  const A1 = randn([hidden, classes], seed + 3, 1.0);
  const m = model({ name: 'two-exit', inputShape: [d], classes, exitNames: ['exit0', 'final'] }, (x) => {
    const h = tf.relu(tf.matMul(x as tf.Tensor2D, W1 as tf.Tensor2D));
    const h2 = tf.relu(tf.matMul(h, W2 as tf.Tensor2D));
    return { exits: [tf.matMul(h, A0), tf.matMul(h2, A1)], gates: [] };
  });
  m.weights.push(W1, A0, W2, A1);
  return m;
}

/** Hard 0/1 gate in the forward pass, sigmoid's gradient in the backward pass (straight-through). */
const straightThrough = tf.customGrad((...inputs: (tf.Tensor | tf.GradSaveFunc)[]) => {
  const p = inputs[0] as tf.Tensor;
  return { value: tf.cast(tf.greaterEqual(p, 0.5), 'float32'), gradFunc: (dy: tf.Tensor) => dy };
});

/** A residual block behind a gate: h + g * relu(h V); exit0 before the block, final after. Gate bias closes it. */
export function gatedModel(d = 6, classes = 3, gateBias = -2, seed = 11) {
  const W = randn([d, d], seed, 0.8);
  const V = randn([d, d], seed + 1, 0.8);
  const gv = randn([d, 1], seed + 2, 1.0);
  const A0 = randn([d, classes], seed + 3, 1.0);
  const A1 = randn([d, classes], seed + 4, 1.0);
  const m = model(
    { name: 'gated', inputShape: [d], classes, exitNames: ['exit0', 'final'], gateNames: ['g0'] },
    (x) => {
      const h = tf.tanh(tf.matMul(x as tf.Tensor2D, W as tf.Tensor2D));
      const p = tf.sigmoid(tf.add(tf.reshape(tf.matMul(h, gv as tf.Tensor2D), [-1]), gateBias));
      const gate = straightThrough(p) as tf.Tensor1D;
      const block = tf.relu(tf.matMul(h, V as tf.Tensor2D));
      const out = tf.add(h, tf.mul(tf.reshape(gate, [-1, 1]), block));
      return { exits: [tf.matMul(h, A0), tf.matMul(out, A1)], gates: [gate] };
    },
  );
  m.weights.push(W, V, gv, A0, A1);
  return m;
}

/** Logits that depend on x only through an argmax: a loss with zero gradient everywhere. */
export function argmaxModel(d = 5, classes = 3) {
  const W = randn([d, classes], 21, 1);
  const m = model({ name: 'argmax', inputShape: [d], classes, exitNames: ['final'] }, (x) => ({
    exits: [tf.mul<tf.Tensor2D>(tf.oneHot(tf.argMax(tf.matMul(x as tf.Tensor2D, W as tf.Tensor2D), 1), classes), 5)],
    gates: [],
  }));
  m.weights.push(W);
  return m;
}

/** sqrt(x0 - 0.5) in the logits: NaN (value and gradient) exactly for samples whose first feature is < 0.5. */
export function nanModel(d = 4, classes = 3) {
  const W = randn([d, classes], 31, 1);
  const m = model({ name: 'nan', inputShape: [d], classes, exitNames: ['final'] }, (x) => {
    const first = tf.slice(x as tf.Tensor2D, [0, 0], [-1, 1]);
    return { exits: [tf.add(tf.matMul(x as tf.Tensor2D, W as tf.Tensor2D), tf.sqrt(tf.sub(first, 0.5)))], gates: [] };
  });
  m.weights.push(W);
  return m;
}

/** Uniform random batch in [low, high] with a fixed seed. */
export function randomBatch(batch: number, d: number, seed: number, low = 0, high = 1): tf.Tensor2D {
  return tf.randomUniform([batch, d], low, high, 'float32', seed);
}

/** Labels 0..classes-1 cycling over the batch. */
export function cyclingLabels(batch: number, classes: number): tf.Tensor1D {
  return tf.tensor1d(Array.from({ length: batch }, (_, i) => i % classes), 'int32');
}

/** Accuracy of one exit's argmax against labels. */
export function accuracy(logits: tf.Tensor2D, y: tf.Tensor1D): number {
  return tf.tidy(() => tf.mean(tf.cast(tf.equal(tf.argMax(logits, 1), tf.cast(y, 'int32')), 'float32')).dataSync()[0] ?? 0);
}

/** A 2-layer MLP trained by hand (full-batch Adam) on three Gaussian blobs inside [0, 1]^4. */
export function trainedBlobModel(): { model: DifferentiableModel; x: tf.Tensor2D; y: tf.Tensor1D; dispose(): void } {
  const n = 90;
  const centres = [[0.25, 0.25, 0.5, 0.5], [0.75, 0.3, 0.5, 0.5], [0.5, 0.75, 0.5, 0.5]];
  const y = cyclingLabels(n, 3);
  const x = tf.tidy(() => {
    const c = tf.gather(tf.tensor2d(centres), y);
    return tf.clipByValue(tf.add(c, tf.randomNormal([n, 4], 0, 0.08, 'float32', 7)), 0, 1) as tf.Tensor2D;
  });
  const W1 = tf.variable(tf.randomNormal([4, 16], 0, 0.5, 'float32', 8));
  const b1 = tf.variable(tf.zeros([16]));
  const W2 = tf.variable(tf.randomNormal([16, 3], 0, 0.5, 'float32', 9));
  const forward = (input: tf.Tensor): tf.Tensor2D => tf.matMul(tf.relu(tf.add(tf.matMul(input as tf.Tensor2D, W1), b1)), W2);
  const optimizer = tf.train.adam(0.05);
  for (let i = 0; i < 150; i++) {
    optimizer.minimize(() => tf.mean<tf.Scalar>(crossEntropy(forward(x), y)));
  }
  optimizer.dispose();
  const model: DifferentiableModel = {
    name: 'blobs', exitNames: ['final'], gateNames: [], inputShape: [4], inputRange: [0, 1], classes: 3,
    forwardAll: (input) => ({ exits: [forward(input)], gates: [] }),
  };
  return { model, x, y, dispose: () => tf.dispose([W1, b1, W2, x, y]) };
}

/** A tiny SDN-style network with one early exit and one gated residual block, for attacks on an engine network. */
export const TINY_GATED_SDN = `
dynn: 1
name: tiny-gated-sdn
input: { shape: [8, 8, 1], range: [0, 1] }
classes: 3
backbone:
  - { name: stem, type: conv2d, filters: 4, kernel: 3, activation: relu }
  - name: block
    type: residual
    layers:
      - { type: conv2d, filters: 4, kernel: 3 }
      - { type: activation, activation: relu }
  - { name: pool, type: maxPool, size: 2 }
  - { name: flat, type: flatten }
  - { name: classifier, type: dense, units: 3 }
exits:
  - { name: early, after: stem }
gates:
  - { name: g, block: block }
policy: { kind: maxProb, threshold: 0.5 }
train: { epochs: 1, batchSize: 8, optimizer: adam, learningRate: 0.001, seed: 3 }
`;
