// The worker's error payload carries a machine-readable failure kind and the fields that locate it in the model
// file, for real train/check runs that fail on missing data, memory and an unknown attack.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { encodeNpy } from '../../../src/engine/data/npy';
import { WorkerClient } from '../../../src/worker/client';
import { WorkerErrorCode } from '../../../src/protocol/worker';
import { failure } from './failure';

const WORKER = path.join(__dirname, '..', '..', '..', 'src', 'worker', 'main.js');

const MODEL = `dynn: 1
name: payload
input: {shape: [8, 8, 1], range: [0, 1]}
classes: 10
backbone:
  - {name: flatten, type: flatten}
  - {name: out, type: dense, units: 10}
data: {source: npy, train: data/missing.npy, trainLabels: y.npy, test: xt.npy, testLabels: yt.npy}
train: {epochs: 1, batchSize: 4}
checks:
  attacks:
    - {id: pgd, kind: pgd, norm: linf, eps: [0.1], step: 0.05, steps: 2}
`;

const TOO_BIG = `dynn: 1
name: too-big
input: {shape: [256, 256, 1], range: [0, 1]}
classes: 10
backbone:
  - {name: a, type: conv2d, filters: 64, kernel: 1}
  - {name: gp, type: globalPool}
  - {name: out, type: dense, units: 10}
data: {source: npy, train: x.npy, trainLabels: y.npy, test: x.npy, testLabels: y.npy}
train: {batchSize: 65536}
`;


describe('worker: located failure payload', function () {
  this.timeout(60000);
  let root: string;
  let client: WorkerClient;
  before(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'dynn-payload-'));
    fs.writeFileSync(path.join(root, 'x.npy'), encodeNpy({ dtype: '|u1', shape: [2, 256, 256, 1], data: new Uint8Array(2 * 256 * 256) }));
    fs.writeFileSync(path.join(root, 'y.npy'), encodeNpy({ dtype: '|u1', shape: [2], data: Uint8Array.from([0, 1]) }));
    client = new WorkerClient({ workerPath: WORKER });
  });
  after(() => {
    client.dispose();
    fs.rmSync(root, { recursive: true, force: true });
  });
  const params = (text: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({ file: 'm.dynn.yaml', workspaceRoot: root, text, backend: 'cpu', ...extra });

  it('a missing data file: DataError code, the file, and failure {kind: data, file}', async () => {
    const err = await failure(client.run('train', params(MODEL)));
    assert.equal(err.code, WorkerErrorCode.DataError);
    assert.equal(err.message, 'data/missing.npy: file or folder not found');
    assert.deepEqual(err.failure, { kind: 'data', file: 'data/missing.npy' });
  });

  it('a memory refusal: JobFailed as before, with failure {kind: memory}', async () => {
    const err = await failure(client.run('train', params(TOO_BIG)));
    assert.equal(err.code, WorkerErrorCode.JobFailed);
    assert.match(err.message, /^'train' failed: 'too-big' needs about [\d.]+ GiB/);
    assert.deepEqual(err.failure, { kind: 'memory' });
  });

  it('an attack the file lacks: InvalidParams as before, with the attack id', async () => {
    const err = await failure(client.run('check', params(MODEL, { attacks: ['nope'] })));
    assert.equal(err.code, WorkerErrorCode.InvalidParams);
    assert.deepEqual(err.failure, { kind: 'check-input', attackId: 'nope' });
  });

  it('malformed params carry no failure kind', async () => {
    const err = await failure(client.run('check', params(MODEL, { seed: 1.5 })));
    assert.equal(err.code, WorkerErrorCode.InvalidParams);
    assert.equal(err.failure, undefined);
  });
});
