import * as assert from 'assert';
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { CACHE_FORMAT_VERSION, cacheKey, cacheKeyInputs, loadOrTrain, loadWeights, saveWeights, CacheError } from '../../../src/engine/cache';
import { encodeNpy } from '../../../src/engine/data/npy';
import type { Network } from '../../../src/engine/network';
import { buildModel } from '../../../src/engine/network';
import { describeWeights } from '../../../src/studies/provenance';
import { specFrom, TINY_YAML, tinyData, useCpuBackend } from './helpers';

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

/** Rewrites integrity.json to match the entry's files as they are now: what a damaged entry looks like to the
 *  structural checks alone (the digests no longer catch it). */
function reseal(dir: string): void {
  const file = path.join(dir, 'integrity.json');
  const integrity = JSON.parse(fs.readFileSync(file, 'utf8'));
  for (const f of ['model.json', 'weights.bin']) integrity.files[f] = sha(fs.readFileSync(path.join(dir, f)));
  fs.writeFileSync(file, JSON.stringify(integrity));
}

/** One damage to an entry, and the file a loader must then name. */
interface Damage {
  name: string;
  file: 'model.json' | 'weights.bin';
  apply(dir: string): void;
}

const editBytes = (dir: string, f: string, edit: (b: Buffer) => Buffer | void): void => {
  const p = path.join(dir, f);
  const b = fs.readFileSync(p);
  fs.writeFileSync(p, edit(b) ?? b);
};
const editManifest = (dir: string, edit: (weights: { name: string; shape?: number[] }[]) => void): void => {
  const p = path.join(dir, 'model.json');
  const json = JSON.parse(fs.readFileSync(p, 'utf8')) as { weightsManifest: { weights: { name: string; shape?: number[] }[] }[] };
  edit((json.weightsManifest[0] as { weights: { name: string; shape?: number[] }[] }).weights);
  fs.writeFileSync(p, JSON.stringify(json, null, 1));
};

// The rows of issue 13 (each was loaded silently or crashed the run), plus a missing and a truncated file.
const DAMAGES: Damage[] = [
  // Little-endian float32: byte 3 holds the sign and the top exponent bits.
  { name: "one byte's exponent flipped in weights.bin", file: 'weights.bin', apply: (d) => editBytes(d, 'weights.bin', (b) => void (b[3] = (b[3] as number) ^ 0x40)) },
  { name: 'weights.bin overwritten with zeros (same size)', file: 'weights.bin', apply: (d) => editBytes(d, 'weights.bin', (b) => Buffer.alloc(b.length)) },
  {
    name: 'two entries of the manifest swapped',
    file: 'model.json',
    apply: (d) =>
      editManifest(d, (w) => {
        const [a, b] = [w[0], w[1]];
        w[0] = b as (typeof w)[0];
        w[1] = a as (typeof w)[0];
      }),
  },
  { name: 'a low mantissa bit flipped', file: 'weights.bin', apply: (d) => editBytes(d, 'weights.bin', (b) => void (b[0] = (b[0] as number) ^ 0x01)) },
  { name: 'model.json replaced by null', file: 'model.json', apply: (d) => fs.writeFileSync(path.join(d, 'model.json'), 'null') },
  { name: 'one weight entry with no shape', file: 'model.json', apply: (d) => editManifest(d, (w) => delete (w[1] as { shape?: number[] }).shape) },
  { name: 'weights.bin missing', file: 'weights.bin', apply: (d) => fs.rmSync(path.join(d, 'weights.bin')) },
  { name: 'weights.bin truncated', file: 'weights.bin', apply: (d) => editBytes(d, 'weights.bin', (b) => b.subarray(0, 100)) },
];

describe('engine/cache', () => {
  before(useCpuBackend);
  const spec = { ...specFrom(TINY_YAML), train: { ...specFrom(TINY_YAML).train, epochs: 1 } };
  const DATA_DIGEST = 'd'.repeat(64);
  const inputs = cacheKeyInputs(spec, false, DATA_DIGEST);
  const sidecar = { formatVersion: CACHE_FORMAT_VERSION, key: cacheKey(spec, false, DATA_DIGEST), model: 'tiny', staticTwin: false, inputs };
  let root: string;
  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'dynn-cache-'));
    // The spec trains on train.csv: the cache key digests its bytes (the tests feed synthetic tensors).
    fs.writeFileSync(path.join(root, 'train.csv'), 'label,pixels\n0,0.5\n');
  });
  const made: tf.Tensor[] = [];
  afterEach(() => {
    fs.rmSync(root, { recursive: true, force: true });
    made.splice(0).forEach((t) => t.dispose());
  });
  const data = () => {
    const train = tinyData(16, 9);
    made.push(train.x, train.y);
    return Promise.resolve({ train });
  };
  const mustNotTrain = () => Promise.reject(new Error('must not train'));
  const saved = async (): Promise<{ model: Network; dir: string }> => {
    const model = buildModel(spec);
    const dir = path.join(root, 'entry');
    await saveWeights(model, dir, sidecar);
    return { model, dir };
  };
  const cacheErrorOn = (file: string, message: RegExp = /./) => (e: unknown) =>
    e instanceof CacheError && path.basename(e.file) === file && e.message.startsWith(e.file) && message.test(e.message);

  it('round trip: trains once, then loads identical weights from .dynn/weights/<key>/ with its integrity manifest', async () => {
    const first = await loadOrTrain(spec, root, data);
    assert.strictEqual(first.cached, false);
    assert.deepStrictEqual(fs.readdirSync(first.dir).sort(), ['integrity.json', 'model.json', 'weights.bin']);
    const integrity = JSON.parse(fs.readFileSync(path.join(first.dir, 'integrity.json'), 'utf8'));
    assert.strictEqual(integrity.files['weights.bin'], sha(fs.readFileSync(path.join(first.dir, 'weights.bin'))));
    assert.strictEqual(integrity.files['model.json'], sha(fs.readFileSync(path.join(first.dir, 'model.json'))));
    assert.strictEqual(integrity.key, first.key);
    assert.deepStrictEqual(fs.readdirSync(path.join(root, '.dynn', 'weights')), [first.key], 'no temporary folders left');
    const second = await loadOrTrain(spec, root, mustNotTrain);
    assert.strictEqual(second.cached, true);
    for (const w of first.model.weights) {
      const other = second.model.weights.find((x) => x.name === w.name)!;
      assert.deepStrictEqual(other.variable.dataSync(), w.variable.dataSync(), w.name);
    }
    first.model.dispose();
    second.model.dispose();
  });

  it('the static twin is cached beside the dynamic model under its own key', async () => {
    const twin = await loadOrTrain(spec, root, data, { staticTwin: true });
    assert.strictEqual(twin.model.isStaticTwin, true);
    const dynamic = await loadOrTrain(spec, root, data);
    assert.notStrictEqual(twin.key, dynamic.key);
    dynamic.model.dispose();
    const again = await loadOrTrain(spec, root, mustNotTrain, { staticTwin: true });
    assert.strictEqual(again.cached, true);
    assert.deepStrictEqual(again.model.exitNames, ['final']);
    twin.model.dispose();
    again.model.dispose();
  });

  it('a changed spec, the twin flag or other training data gives another key (stale weights are never reused)', () => {
    const changed = { ...spec, train: { ...spec.train, learningRate: 0.02 } };
    assert.notStrictEqual(cacheKey(changed, false, DATA_DIGEST), cacheKey(spec, false, DATA_DIGEST));
    assert.notStrictEqual(cacheKey(spec, true, DATA_DIGEST), cacheKey(spec, false, DATA_DIGEST));
    assert.notStrictEqual(cacheKey(spec, false, 'e'.repeat(64)), cacheKey(spec, false, DATA_DIGEST));
    assert.strictEqual(cacheKey(spec, false, DATA_DIGEST), cacheKey({ ...spec }, false, DATA_DIGEST));
  });

  describe('every damage to an entry is a CacheError naming the file (loadWeights)', () => {
    for (const damage of DAMAGES) {
      it(damage.name, async () => {
        const { model, dir } = await saved();
        const before = model.weights.map((w) => w.variable.dataSync().slice());
        damage.apply(dir);
        const tensors = tf.memory().numTensors;
        assert.throws(() => loadWeights(model, dir, inputs), cacheErrorOn(damage.file));
        assert.strictEqual(tf.memory().numTensors, tensors, 'no tensor left behind');
        model.weights.forEach((w, i) => assert.deepStrictEqual(w.variable.dataSync(), before[i], `${w.name} untouched`));
        model.dispose();
      });
    }

    it('the digest finds the damage even when the file still decodes to finite weights of the right size', async () => {
      const { model, dir } = await saved();
      editBytes(dir, 'weights.bin', (b) => void (b[0] = (b[0] as number) ^ 0x01));
      assert.throws(() => loadWeights(model, dir, inputs), cacheErrorOn('weights.bin', /sha256 differs from the one integrity\.json recorded/));
      model.dispose();
    });

    it('a missing, unreadable or inconsistent integrity manifest, or one for other inputs, is named', async () => {
      const { model, dir } = await saved();
      const manifest = path.join(dir, 'integrity.json');
      const good = fs.readFileSync(manifest, 'utf8');
      assert.throws(() => loadWeights(model, dir, { ...inputs, data: 'e'.repeat(64) }), cacheErrorOn('integrity.json', /other inputs \(training data\)/));
      fs.writeFileSync(manifest, JSON.stringify({ ...JSON.parse(good), key: 'abc' }));
      assert.throws(() => loadWeights(model, dir, inputs), cacheErrorOn('integrity.json', /not the digest of its 'inputs'/));
      fs.writeFileSync(manifest, JSON.stringify({ ...JSON.parse(good), files: { 'model.json': 'x' } }));
      assert.throws(() => loadWeights(model, dir, inputs), cacheErrorOn('integrity.json', /'files' must hold a sha256/));
      fs.writeFileSync(manifest, 'null');
      assert.throws(() => loadWeights(model, dir, inputs), cacheErrorOn('integrity.json', /expected a JSON object, got null/));
      fs.rmSync(manifest);
      assert.throws(() => loadWeights(model, dir, inputs), cacheErrorOn('integrity.json', /missing/));
      model.dispose();
    });
  });

  describe('the structural checks hold on their own (entry damaged, then its digests rewritten)', () => {
    it('model.json null, a weight with no shape, non-finite values, a wrong shape: each named, never a TypeError', async () => {
      const { model, dir } = await saved();
      const good = fs.readFileSync(path.join(dir, 'model.json'));
      const goodWeights = fs.readFileSync(path.join(dir, 'weights.bin'));
      const restore = () => {
        fs.writeFileSync(path.join(dir, 'model.json'), good);
        fs.writeFileSync(path.join(dir, 'weights.bin'), goodWeights);
      };
      fs.writeFileSync(path.join(dir, 'model.json'), 'null');
      reseal(dir);
      assert.throws(() => loadWeights(model, dir), cacheErrorOn('model.json', /expected a JSON object, got null/));
      restore();
      editManifest(dir, (w) => delete (w[1] as { shape?: number[] }).shape);
      reseal(dir);
      assert.throws(() => loadWeights(model, dir), cacheErrorOn('model.json', /weight '.+' has no valid shape/));
      restore();
      editManifest(dir, (w) => ((w[0] as { shape?: unknown }).shape = [3, -1]));
      reseal(dir);
      assert.throws(() => loadWeights(model, dir), cacheErrorOn('model.json', /no valid shape/));
      restore();
      editBytes(dir, 'weights.bin', (b) => void b.fill(0xff, 0, 16));
      reseal(dir);
      assert.throws(() => loadWeights(model, dir), cacheErrorOn('weights.bin', /weight 'c1\/kernel' holds non-finite values/));
      restore();
      // Two same-size shapes swapped keep the byte count: the model's own shapes catch it.
      editManifest(dir, (w) => ((w.find((s) => s.name === 'c1/bias') as { shape: number[] }).shape = [2, 2]));
      reseal(dir);
      assert.throws(() => loadWeights(model, dir), cacheErrorOn('model.json', /weight 'c1\/bias' has shape \[2, 2\], the model needs \[4\]/));
      restore();
      editManifest(dir, (w) => w.push({ ...(w[0] as { name: string }) }));
      reseal(dir);
      assert.throws(() => loadWeights(model, dir), cacheErrorOn('model.json', /appears twice/));
      model.dispose();
    });

    it('any other exception while validating becomes a CacheError naming the entry', async () => {
      const { model, dir } = await saved();
      const broken = { weights: null, spec: model.spec } as unknown as Network;
      assert.throws(
        () => loadWeights(broken, dir),
        (e: unknown) => e instanceof CacheError && e.file === dir && /the entry cannot be validated \(.+\)/.test(e.message),
      );
      model.dispose();
    });
  });

  describe('loadOrTrain retrains instead of using a damaged entry, and says why', () => {
    for (const damage of DAMAGES) {
      it(damage.name, async () => {
        const first = await loadOrTrain(spec, root, data);
        first.model.dispose();
        damage.apply(first.dir);
        const again = await loadOrTrain(spec, root, data);
        assert.strictEqual(again.cached, false);
        assert.strictEqual(again.key, first.key);
        assert.match(again.cacheProblem ?? '', new RegExp(`^\\.dynn/weights/${first.key}/${damage.file.replace('.', '\\.')}: `));
        assert.match(
          describeWeights(again),
          new RegExp(`^weights: the cache entry \\.dynn/weights/${first.key} was damaged and not used \\(\\.dynn/weights/${first.key}/${damage.file.replace('.', '\\.')}: .+\\); retrained this run \\(1 epoch on 16 samples`),
        );
        again.model.dispose();
        // The damaged entry was replaced by a sound one.
        const third = await loadOrTrain(spec, root, mustNotTrain);
        assert.strictEqual(third.cached, true);
        assert.match(describeWeights(third), /^weights: cache \.dynn\/weights\//);
        third.model.dispose();
      });
    }
  });

  describe('the key follows the bytes of the training data, not their paths', () => {
    const npySpec = specFrom(TINY_YAML.replace('data: {source: csv, train: train.csv, test: test.csv}', 'data: {source: npy, train: x_train.npy, trainLabels: y_train.npy, test: x_test.npy, testLabels: y_test.npy}'));
    const images = (seed: number): Uint8Array =>
      encodeNpy({ dtype: '<f4', shape: [16, 8, 8, 1], data: Float32Array.from({ length: 16 * 64 }, (_, i) => ((i * 7919 + seed * 104729) % 1000) / 1000) });
    const labels = encodeNpy({ dtype: '|u1', shape: [16], data: Uint8Array.from({ length: 16 }, (_, i) => i % 3) });

    it('other data of the same shape, size and modification time: retrained, never answered from the stale entry', async () => {
      const x = path.join(root, 'x_train.npy');
      const stamp = new Date('2024-05-01T12:00:00Z');
      fs.writeFileSync(x, images(1));
      fs.utimesSync(x, stamp, stamp);
      fs.writeFileSync(path.join(root, 'y_train.npy'), labels);
      const first = await loadOrTrain(npySpec, root, data);
      first.model.dispose();
      const hit = await loadOrTrain(npySpec, root, mustNotTrain);
      assert.strictEqual(hit.cached, true, 'unchanged data is a cache hit');
      hit.model.dispose();

      const { size, mtimeMs } = fs.statSync(x);
      fs.writeFileSync(x, images(2));
      fs.utimesSync(x, stamp, stamp);
      assert.strictEqual(fs.statSync(x).size, size);
      assert.strictEqual(fs.statSync(x).mtimeMs, mtimeMs);
      assert.notDeepStrictEqual(fs.readFileSync(x), images(1));
      const changed = await loadOrTrain(npySpec, root, data);
      assert.strictEqual(changed.cached, false);
      assert.notStrictEqual(changed.key, first.key);
      changed.model.dispose();
    });

    it('the same bytes under another path keep the weights; changed labels do not', async () => {
      fs.writeFileSync(path.join(root, 'x_train.npy'), images(1));
      fs.writeFileSync(path.join(root, 'y_train.npy'), labels);
      const first = await loadOrTrain(npySpec, root, data);
      first.model.dispose();
      fs.mkdirSync(path.join(root, 'moved'));
      fs.renameSync(path.join(root, 'x_train.npy'), path.join(root, 'moved', 'x.npy'));
      const moved = { ...npySpec, data: { ...npySpec.data, train: 'moved/x.npy' } } as typeof npySpec;
      const hit = await loadOrTrain(moved, root, mustNotTrain);
      assert.strictEqual(hit.key, first.key);
      hit.model.dispose();
      fs.writeFileSync(path.join(root, 'y_train.npy'), encodeNpy({ dtype: '|u1', shape: [16], data: Uint8Array.from({ length: 16 }, (_, i) => (i + 1) % 3) }));
      const relabelled = await loadOrTrain(moved, root, data);
      assert.strictEqual(relabelled.cached, false);
      relabelled.model.dispose();
    });
  });
});
