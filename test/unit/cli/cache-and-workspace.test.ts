// `train` and `check` end to end on a damaged weight cache, changed training data and a `.dynn` that is not a
// folder of the workspace: a damaged entry is never used (the output says why, and that it retrained), changed data
// is never answered from the stale entry, and a `.dynn` leading out of the workspace is refused before any compute.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { encodeNpy } from '../../../src/engine/data/npy';
import { runCli } from './runCli';

const MODEL = `dynn: 1
name: tiny-npy
input: {shape: [8, 8, 1], range: [0, 1]}
classes: 3
backbone:
  - {name: flatten, type: flatten}
  - {name: hidden, type: dense, units: 8, activation: relu}
  - {name: out, type: dense, units: 3}
exits:
  - {name: early, after: hidden}
data: {source: npy, train: x_train.npy, trainLabels: y_train.npy, test: x_test.npy, testLabels: y_test.npy}
train: {epochs: 1, batchSize: 8, optimizer: adam, learningRate: 0.01, seed: 1}
checks:
  samples: 8
  attacks:
    - {id: pgd, kind: pgd, norm: linf, eps: [0.1], step: 0.05, steps: 2}
`;

/** n images whose class is the brightest third of the rows, with seeded noise (`seed` changes the bytes only). */
function images(n: number, seed: number): { x: Uint8Array; y: Uint8Array } {
  const x = new Float32Array(n * 64);
  const y = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    y[i] = i % 3;
    for (let p = 0; p < 64; p++) x[i * 64 + p] = (((i * 131 + p * 17 + seed * 7919) % 97) / 97) * 0.5 + (Math.floor(p / 8 / 3) === y[i] ? 0.5 : 0);
  }
  return { x: encodeNpy({ dtype: '<f4', shape: [n, 8, 8, 1], data: x }), y: encodeNpy({ dtype: '|u1', shape: [n], data: y }) };
}

describe('cli: the weight cache is never used damaged or stale, and .dynn stays in the workspace', function () {
  this.timeout(60000);
  let base: string;
  let root: string;
  let outside: string;
  beforeEach(() => {
    base = fs.mkdtempSync(path.join(os.tmpdir(), 'dynn-cli-cache-'));
    root = path.join(base, 'ws');
    outside = path.join(base, 'outside');
    fs.mkdirSync(root);
    fs.mkdirSync(outside);
    fs.writeFileSync(path.join(root, 'm.dynn.yaml'), MODEL);
    const train = images(48, 1);
    const test = images(12, 2);
    fs.writeFileSync(path.join(root, 'x_train.npy'), train.x);
    fs.writeFileSync(path.join(root, 'y_train.npy'), train.y);
    fs.writeFileSync(path.join(root, 'x_test.npy'), test.x);
    fs.writeFileSync(path.join(root, 'y_test.npy'), test.y);
  });
  afterEach(() => fs.rmSync(base, { recursive: true, force: true }));

  const train = () => runCli(['train', 'm.dynn.yaml', '--backend', 'cpu'], root);
  const entry = (): string => {
    const keys = fs.readdirSync(path.join(root, '.dynn', 'weights'));
    assert.equal(keys.length, 1, keys.join(', '));
    return path.join(root, '.dynn', 'weights', keys[0] as string);
  };

  it('a damaged entry is reported, not used, and retrained: flipped exponent, then model.json null', async () => {
    const first = await train();
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /^tiny-npy: weights: trained this run \(1 epoch on 48 samples/m);
    assert.match((await train()).stdout, /^tiny-npy: weights: cache \.dynn\/weights\/[0-9a-f]{24} /m);

    const dir = entry();
    const key = path.basename(dir);
    const shard = fs.readFileSync(path.join(dir, 'weights.bin'));
    shard[3] = (shard[3] as number) ^ 0x40;
    fs.writeFileSync(path.join(dir, 'weights.bin'), shard);
    const damaged = await train();
    assert.equal(damaged.code, 0, damaged.stderr);
    assert.match(
      damaged.stdout,
      new RegExp(`^tiny-npy: weights: the cache entry \\.dynn/weights/${key} was damaged and not used \\(\\.dynn/weights/${key}/weights\\.bin: its sha256 differs from the one integrity\\.json recorded .*\\); retrained this run \\(1 epoch on 48 samples`, 'm'),
    );

    fs.writeFileSync(path.join(dir, 'model.json'), 'null');
    const nulled = await train();
    assert.equal(nulled.code, 0, nulled.stderr);
    assert.doesNotMatch(nulled.stderr, /internal error/);
    assert.match(nulled.stdout, new RegExp(`was damaged and not used \\(\\.dynn/weights/${key}/model\\.json: .*\\); retrained this run`));
    assert.match((await train()).stdout, /weights: cache /, 'the damaged entry was replaced by a sound one');
  });

  it('check flags a damaged entry it retrained', async () => {
    assert.equal((await train()).code, 0);
    fs.writeFileSync(path.join(entry(), 'weights.bin'), Buffer.alloc(fs.statSync(path.join(entry(), 'weights.bin')).size));
    const r = await runCli(['check', 'm.dynn.yaml', '--backend', 'cpu'], root);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /warning: The cached weights were damaged, not used, and retrained: \.dynn\/weights\/[0-9a-f]{24}\/weights\.bin: its sha256 differs/);
  });

  it('x_train.npy replaced by other data of the same shape, size and modification time: retrained, not the stale cache', async () => {
    const x = path.join(root, 'x_train.npy');
    const stamp = new Date('2024-05-01T12:00:00Z');
    fs.utimesSync(x, stamp, stamp);
    assert.equal((await train()).code, 0);
    const { size, mtimeMs } = fs.statSync(x);
    fs.writeFileSync(x, images(48, 5).x);
    fs.utimesSync(x, stamp, stamp);
    assert.equal(fs.statSync(x).size, size);
    assert.equal(fs.statSync(x).mtimeMs, mtimeMs);
    const again = await train();
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /^tiny-npy: weights: trained this run/m);
  });

  it('.dynn a symbolic link to a folder outside the workspace: train and check refused at once, nothing written there', async () => {
    fs.symlinkSync(outside, path.join(root, '.dynn'));
    for (const verb of ['train', 'check']) {
      const r = await runCli([verb, 'm.dynn.yaml', '--backend', 'cpu'], root);
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr, new RegExp(`^dynn-lens ${verb}: \\.dynn: is a symbolic link that leads outside the workspace folder \\(to .*outside\\)`, 'm'));
      assert.doesNotMatch(r.stderr, /internal error|^(setup|data|train):/m);
      assert.equal(r.stdout, '');
    }
    assert.deepEqual(fs.readdirSync(outside), []);
  });

  it('.dynn/results a link to a file: check fails before compute with the message, not after the run', async () => {
    fs.mkdirSync(path.join(root, '.dynn'));
    fs.writeFileSync(path.join(root, 'notes.txt'), 'keep');
    fs.symlinkSync(path.join(root, 'notes.txt'), path.join(root, '.dynn', 'results'));
    const started = Date.now();
    const r = await runCli(['check', 'm.dynn.yaml', '--backend', 'cpu'], root);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^dynn-lens check: \.dynn\/results: must be a folder, but it is a symbolic link to a file/m);
    assert.doesNotMatch(r.stderr, /internal error|EEXIST|^(setup|data|train):/m);
    assert.equal(fs.existsSync(path.join(root, '.dynn', 'weights')), false, 'nothing was trained');
    assert.ok(Date.now() - started < 5000);
    assert.equal(fs.readFileSync(path.join(root, 'notes.txt'), 'utf8'), 'keep');
  });

  it('.dynn/weights a symbolic link outside: refused; a report folder that is a file: refused before compute', async () => {
    fs.mkdirSync(path.join(root, '.dynn'));
    fs.symlinkSync(outside, path.join(root, '.dynn', 'weights'));
    const r = await train();
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^dynn-lens train: \.dynn\/weights: is a symbolic link that leads outside the workspace folder/m);
    assert.deepEqual(fs.readdirSync(outside), []);

    fs.rmSync(path.join(root, '.dynn', 'weights'));
    fs.writeFileSync(path.join(root, '.dynn', 'reports'), 'a file');
    const md = await runCli(['check', 'm.dynn.yaml', '--backend', 'cpu', '--md', '.dynn/reports/m.md'], root);
    assert.equal(md.code, 1);
    assert.match(md.stderr, /^dynn-lens check: \.dynn\/reports: must be a folder, but it is a file/m);
    assert.equal(fs.existsSync(path.join(root, '.dynn', 'weights')), false);
  });

  it('a .dynn link that stays inside the workspace is allowed: the weights and results land there', async () => {
    fs.mkdirSync(path.join(root, 'build', 'dynn'), { recursive: true });
    fs.symlinkSync(path.join(root, 'build', 'dynn'), path.join(root, '.dynn'));
    const r = await runCli(['check', 'm.dynn.yaml', '--backend', 'cpu', '--md', '.dynn/reports/m.md'], root);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(fs.readdirSync(path.join(root, 'build', 'dynn')).sort(), ['reports', 'results', 'weights']);
  });
});
