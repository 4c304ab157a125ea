// The `train`, `check` and `study` jobs in a real worker process: results, progress, partial results, cancellation
// and clear errors for bad params.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CancellationTokenSource } from 'vscode-jsonrpc';
import type { Results } from '../../../src/protocol/results';
import type { CheckAnswer } from '../../../src/protocol/jobs';
import type { TrainSummary } from '../../../src/studies/train';
import { WorkerClient, WorkerError } from '../../../src/worker/client';
import { WorkerErrorCode } from '../../../src/protocol/worker';
import { tempWorkspace } from './helpers';

const WORKER = path.join(__dirname, '..', '..', '..', 'src', 'worker', 'main.js');

describe('studies: worker jobs', function () {
  this.timeout(120000);
  const ws = tempWorkspace();
  const client = new WorkerClient({ workerPath: WORKER });
  after(() => {
    client.dispose();
    ws.cleanup();
  });
  const model = { file: ws.file, workspaceRoot: ws.root, backend: 'cpu' };

  it('train: trains (or loads) the model and answers plain JSON figures', async () => {
    const phases = new Set<string>();
    const summary = await client.run<TrainSummary>('train', model, { onProgress: (p) => phases.add(p.phase) });
    assert.deepEqual(summary.exitNames, ['exit1', 'final']);
    assert.ok(summary.dynamicAccuracy > 0.3);
    assert.ok(phases.has('data'));
  });

  it('check: results, progress, one partial result per attack, and the results file', async () => {
    const partial: unknown[] = [];
    const phases = new Set<string>();
    const { results: r, savedTo } = await client.run<CheckAnswer>(
      'check',
      { ...model, attacks: ['pgd', 'hijack'], eps: [0.2], samples: 16 },
      { onPartial: (d) => partial.push(d), onProgress: (p) => phases.add(p.phase) },
    );
    assert.deepEqual(r.attacks.map((a) => a.id), ['pgd@0.2', 'hijack@0.2']);
    assert.equal(partial.length, 2);
    assert.ok(phases.has('attack'));
    // The answer names the file it saved, so the editor never works the path out a second time.
    assert.equal(savedTo, path.join(ws.root, '.dynn', 'results', 'tiny-mnist.json'));
    const saved = JSON.parse(fs.readFileSync(savedTo, 'utf8')) as Results;
    assert.equal(saved.provenance.date, r.provenance.date);
  });

  it('check uses the editor text when given', async () => {
    const text = fs.readFileSync(path.join(ws.root, ws.file), 'utf8').replace('name: tiny-mnist', 'name: tiny-edited');
    const answer = await client.run<CheckAnswer>('check', { ...model, text, attacks: ['pgd'], eps: [0.2], samples: 8, save: false });
    assert.equal(answer.results.model.name, 'tiny-edited');
    assert.equal(answer.savedTo, undefined);
    assert.equal(fs.existsSync(path.join(ws.root, '.dynn', 'results', 'tiny-edited.json')), false, 'save: false');
  });

  it('check is cancelled between batches', async () => {
    const source = new CancellationTokenSource();
    const run = client.run<CheckAnswer>('check', { ...model, samples: 512, save: false }, {
      token: source.token,
      onProgress: () => source.cancel(),
    });
    await assert.rejects(run, (e: WorkerError) => e instanceof WorkerError && e.code === WorkerErrorCode.Cancelled);
  });

  it('bad params and broken models are InvalidParams with the reason', async () => {
    await assert.rejects(client.run('check', { ...model, attacks: ['nope'] }), (e: WorkerError) => e.code === WorkerErrorCode.InvalidParams && /attack 'nope'/.test(e.message));
    await assert.rejects(client.run('study', { ...model, file: 'missing.dynn.yaml' }), (e: WorkerError) => e.code === WorkerErrorCode.InvalidParams && /file not found/.test(e.message));
    await assert.rejects(client.run('check', { ...model, text: 'dynn: 1\nname: x\n' }), (e: WorkerError) => e.code === WorkerErrorCode.InvalidParams && /the model has 3 errors; fix them first[^]*tiny\.dynn\.yaml:\d+:\d+: /.test(e.message));
  });

  it('check and train refuse a .dynn that is a file or leads out of the workspace, before any compute', async () => {
    const other = tempWorkspace();
    const outside = fs.mkdtempSync(path.join(path.dirname(other.root), 'dynn-outside-'));
    try {
      const params = { file: other.file, workspaceRoot: other.root, backend: 'cpu' };
      fs.mkdirSync(path.join(other.root, '.dynn'));
      fs.writeFileSync(path.join(other.root, '.dynn', 'results'), 'a file');
      const phases: string[] = [];
      await assert.rejects(client.run('check', { ...params, samples: 8 }, { onProgress: (p) => phases.push(p.phase) }), (e: WorkerError) => /\.dynn\/results: must be a folder, but it is a file/.test(e.message));
      assert.equal(phases.length, 0, 'no compute started');
      assert.equal(fs.existsSync(path.join(other.root, '.dynn', 'weights')), false);
      fs.rmSync(path.join(other.root, '.dynn'), { recursive: true });
      fs.symlinkSync(outside, path.join(other.root, '.dynn'));
      await assert.rejects(client.run('train', params, { onProgress: (p) => phases.push(p.phase) }), (e: WorkerError) => /\.dynn: is a symbolic link that leads outside the workspace folder/.test(e.message));
      assert.equal(phases.length, 0);
      assert.deepEqual(fs.readdirSync(outside), [], 'nothing written outside');
    } finally {
      other.cleanup();
      fs.rmSync(outside, { recursive: true, force: true });
    }
  });
});
