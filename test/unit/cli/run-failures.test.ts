// `train` and `check` runs that fail on the model's data or its size: the CLI prints `file:line:col: error: ...`
// at the model node the problem belongs to (1-based, like validate), exits 1, and writes or changes no file.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { encodeNpy } from '../../../src/engine/data/npy';
import { LineIndex } from '../../../src/modelfile/lines';
import { runCli } from './runCli';

const run = runCli;

/** 1-based `line:col` of the first occurrence of `needle` after `after` in `text`. */
function positionOf(text: string, needle: string, after = ''): string {
  const offset = text.indexOf(needle, text.indexOf(after));
  assert.ok(offset >= 0, `'${needle}' is not in the model text`);
  const at = new LineIndex(text).positionAt(offset);
  return `${at.line + 1}:${at.character + 1}`;
}

/** Every file under `dir` with its bytes, to prove a failed run changed nothing. */
function snapshot(dir: string): Map<string, string> {
  const files = new Map<string, string>();
  const walk = (d: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const full = path.join(d, e.name);
      if (e.isDirectory()) walk(full);
      else files.set(path.relative(dir, full), fs.readFileSync(full).toString('base64'));
    }
  };
  walk(dir);
  return files;
}

function images(n: number, side: number): Uint8Array {
  return encodeNpy({ dtype: '|u1', shape: [n, side, side, 1], data: new Uint8Array(n * side * side).fill(7) });
}

function labels(n: number): Uint8Array {
  return encodeNpy({ dtype: '|u1', shape: [n], data: Uint8Array.from({ length: n }, (_, i) => i % 10) });
}

const MISSING_DATA = `dynn: 1
name: missing-data
input: {shape: [8, 8, 1], range: [0, 1]}
classes: 10
backbone:
  - {name: flatten, type: flatten}
  - {name: out, type: dense, units: 10}
data: {source: npy, train: missing.npy, trainLabels: y.npy, test: xt.npy, testLabels: yt.npy}
train: {epochs: 1, batchSize: 4, optimizer: adam, learningRate: 0.01, seed: 1}
checks:
  samples: 4
  attacks:
    - {id: pgd, kind: pgd, norm: linf, eps: [0.1], step: 0.05, steps: 2}
`;

// Two 256x256x64 activations per sample at batch 65536: terabytes, refused before anything is built.
const TOO_BIG = `dynn: 1
name: too-big
input: {shape: [256, 256, 1], range: [0, 1]}
classes: 10
backbone:
  - {name: a, type: conv2d, filters: 64, kernel: 1}
  - {name: b, type: conv2d, filters: 64, kernel: 1}
  - {name: gp, type: globalPool}
  - {name: out, type: dense, units: 10}
data: {source: npy, train: x.npy, trainLabels: y.npy, test: xt.npy, testLabels: yt.npy}
train:
  epochs: 1
  batchSize: 65536
`;

describe('cli: failed runs say where in the model file', function () {
  this.timeout(120000);
  let root: string;
  const earlier = '{"earlier": "results"}\n';

  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'dynn-run-failures-'));
    fs.mkdirSync(path.join(root, '.dynn', 'results'), { recursive: true });
    fs.writeFileSync(path.join(root, '.dynn', 'results', 'missing-data.json'), earlier);
    fs.writeFileSync(path.join(root, 'missing.dynn.yaml'), MISSING_DATA);
    fs.writeFileSync(path.join(root, 'big.dynn.yaml'), TOO_BIG);
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  it('train with a missing data file: file:line:col at the train: value, exit 1, nothing written', async () => {
    const before = snapshot(root);
    const r = await run(['train', 'missing.dynn.yaml', '--backend', 'cpu'], root);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, new RegExp(`^missing\\.dynn\\.yaml:${positionOf(MISSING_DATA, 'missing.npy')}: error: missing\\.npy: file or folder not found$`, 'm'));
    assert.equal(positionOf(MISSING_DATA, 'missing.npy'), '8:28');
    assert.equal(r.stdout, '');
    assert.deepEqual(snapshot(root), before, 'a failed run changes no file');
  });

  it('check with a missing data file: the same position; the earlier results file is untouched', async () => {
    const before = snapshot(root);
    const r = await run(['check', 'missing.dynn.yaml', '--backend', 'cpu'], root);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /^missing\.dynn\.yaml:8:28: error: missing\.npy: file or folder not found$/m);
    assert.equal(fs.readFileSync(path.join(root, '.dynn', 'results', 'missing-data.json'), 'utf8'), earlier);
    assert.deepEqual(snapshot(root), before);
  });

  it('a missing label file points at its own key, from a subfolder the path is shown as given', async () => {
    fs.writeFileSync(path.join(root, 'missing.npy'), images(4, 8));
    fs.mkdirSync(path.join(root, 'models'));
    fs.writeFileSync(path.join(root, 'models', 'm.dynn.yaml'), MISSING_DATA);
    const r = await run(['train', 'm.dynn.yaml', '--backend', 'cpu', '--workspace', '..'], path.join(root, 'models'));
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, new RegExp(`^m\\.dynn\\.yaml:${positionOf(MISSING_DATA, 'y.npy', 'trainLabels')}: error: y\\.npy: file or folder not found$`, 'm'));
  });

  it('a memory refusal points at train.batchSize, exit 1, no weights written', async () => {
    fs.writeFileSync(path.join(root, 'x.npy'), images(4, 256));
    fs.writeFileSync(path.join(root, 'y.npy'), labels(4));
    fs.writeFileSync(path.join(root, 'xt.npy'), images(4, 256));
    fs.writeFileSync(path.join(root, 'yt.npy'), labels(4));
    const before = snapshot(root);
    const r = await run(['train', 'big.dynn.yaml', '--backend', 'cpu'], root);
    assert.equal(r.code, 1, r.stderr);
    assert.equal(positionOf(TOO_BIG, '65536'), '13:14');
    assert.match(r.stderr, /^big\.dynn\.yaml:13:14: error: 'too-big' needs about [\d.]+ GiB to train at batch 65536 .*Lower train\.batchSize/m);
    assert.deepEqual(snapshot(root), before, 'no weights cache, no results');
  });

  it('an attack the file lacks stays a usage mistake (exit 2), not a located failure', async () => {
    const r = await run(['check', 'missing.dynn.yaml', '--backend', 'cpu', '--attack', 'nope'], root);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /attack 'nope' is not in checks\.attacks/);
    assert.doesNotMatch(r.stderr, /missing\.dynn\.yaml:\d+:\d+/);
  });
});
