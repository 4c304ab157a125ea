import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { cacheKey, loadOrTrain, loadWeights, saveWeights, CacheError } from '../../../src/engine/cache';
import { buildModel } from '../../../src/engine/network';
import { specFrom, TINY_YAML, tinyData, useCpuBackend } from './helpers';

describe('engine/cache', () => {
  before(useCpuBackend);
  const spec = { ...specFrom(TINY_YAML), train: { ...specFrom(TINY_YAML).train, epochs: 1 } };
  let root: string;
  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'dynn-cache-'));
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

  it('round trip: trains once, then loads identical weights from .dynn/weights/<key>/', async () => {
    const first = await loadOrTrain(spec, root, data);
    assert.strictEqual(first.cached, false);
    assert.ok(fs.existsSync(path.join(root, '.dynn', 'weights', first.key, 'model.json')));
    assert.ok(fs.existsSync(path.join(root, '.dynn', 'weights', first.key, 'weights.bin')));
    assert.deepStrictEqual(fs.readdirSync(path.join(root, '.dynn', 'weights')), [first.key], 'no temporary folders left');
    const second = await loadOrTrain(spec, root, () => Promise.reject(new Error('must not train')));
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
    assert.strictEqual(twin.key, cacheKey(spec, true));
    const again = await loadOrTrain(spec, root, () => Promise.reject(new Error('must not train')), { staticTwin: true });
    assert.strictEqual(again.cached, true);
    assert.deepStrictEqual(again.model.exitNames, ['final']);
    twin.model.dispose();
    again.model.dispose();
  });

  it('a changed spec or the twin flag gives another key (stale weights are never reused)', () => {
    const changed = { ...spec, train: { ...spec.train, learningRate: 0.02 } };
    assert.notStrictEqual(cacheKey(changed, false), cacheKey(spec, false));
    assert.notStrictEqual(cacheKey(spec, true), cacheKey(spec, false));
    assert.strictEqual(cacheKey(spec, false), cacheKey({ ...spec }, false));
  });

  it('a truncated shard is an error naming the file, and loadOrTrain retrains instead of using it', async () => {
    const model = buildModel(spec);
    const dir = path.join(root, 'entry');
    await saveWeights(model, dir, { formatVersion: 1, key: 'k', model: 'tiny', staticTwin: false });
    const shard = path.join(dir, 'weights.bin');
    fs.writeFileSync(shard, fs.readFileSync(shard).subarray(0, 100));
    assert.throws(() => loadWeights(model, dir), (e: unknown) => e instanceof CacheError && /weights\.bin: 100 bytes, but the manifest/.test(e.message));
    model.dispose();

    const first = await loadOrTrain(spec, root, data);
    first.model.dispose();
    fs.writeFileSync(path.join(first.dir, 'weights.bin'), Buffer.alloc(8));
    const again = await loadOrTrain(spec, root, data);
    assert.strictEqual(again.cached, false);
    assert.match(again.cacheProblem ?? '', /weights\.bin/);
    again.model.dispose();
  });

  it('a corrupt shard (non-finite values) and a wrong weight shape are named', async () => {
    const model = buildModel(spec);
    const dir = path.join(root, 'entry');
    await saveWeights(model, dir, { formatVersion: 1, key: 'k', model: 'tiny', staticTwin: false });
    const bytes = fs.readFileSync(path.join(dir, 'weights.bin'));
    bytes.fill(0xff, 0, 16);
    fs.writeFileSync(path.join(dir, 'weights.bin'), bytes);
    assert.throws(() => loadWeights(model, dir), /weight 'c1\/kernel' holds non-finite values/);

    const json = JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8'));
    json.weightsManifest[0].weights[0].shape = [3, 3, 1, 5];
    fs.writeFileSync(path.join(dir, 'model.json'), JSON.stringify(json));
    assert.throws(() => loadWeights(model, dir), /model\.json/);
    fs.writeFileSync(path.join(dir, 'model.json'), '{not json');
    assert.throws(() => loadWeights(model, dir), /model\.json: cannot read the cache entry/);
    const before = tf.memory().numTensors;
    assert.throws(() => loadWeights(model, dir));
    assert.strictEqual(tf.memory().numTensors, before);
    model.dispose();
  });

  it('a weight whose declared shape differs from the model is rejected by name', async () => {
    const model = buildModel(spec);
    const dir = path.join(root, 'entry');
    await saveWeights(model, dir, { formatVersion: 1, key: 'k', model: 'tiny', staticTwin: false });
    const json = JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8'));
    // Swap the shapes of two same-size weights so the byte count still matches.
    const specs = json.weightsManifest[0].weights as { name: string; shape: number[] }[];
    const bias = specs.find((s) => s.name === 'c1/bias')!;
    bias.shape = [2, 2];
    fs.writeFileSync(path.join(dir, 'model.json'), JSON.stringify(json));
    assert.throws(() => loadWeights(model, dir), /weight 'c1\/bias' has shape \[2, 2\], the model needs \[4\]/);
    model.dispose();
  });
});
