// Really forks out/src/worker/main.js and drives it through WorkerClient.

import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { CancellationTokenSource } from 'vscode-jsonrpc';
import { WorkerClient, type WorkerClientOptions } from '../../../src/worker/client';
import { TEST_JOBS_ENV, WorkerErrorCode } from '../../../src/protocol/worker';
import { failure } from './failure';
import type { Progress } from '../../../src/engine/types';

const WORKER = path.join(__dirname, '..', '..', '..', 'src', 'worker', 'main.js');
const TEST_JOBS = path.join(__dirname, 'testJobs.js');

function client(extra: Partial<WorkerClientOptions> = {}): WorkerClient {
  return new WorkerClient({ workerPath: WORKER, env: { [TEST_JOBS_ENV]: TEST_JOBS }, ...extra });
}


const exited = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return false;
  } catch {
    return true;
  }
};

describe('worker process', function () {
  this.timeout(30000);
  let c: WorkerClient;
  afterEach(() => c?.dispose());

  it('round-trips the info job and reports the backend the engine picked', async () => {
    c = client();
    const progress: Progress[] = [];
    const logs: string[] = [];
    const info = await c.run<{ process: { pid: number; node: string }; jobs: string[]; backend?: { name: string; reason: string }; probes: unknown[] }>(
      'info',
      { backend: 'cpu' },
      { onProgress: (p) => progress.push(p), onLog: (_l, m) => logs.push(m) },
    );
    assert.equal(info.process.pid, c.pid);
    assert.equal(info.process.node, process.versions.node);
    assert.ok(info.jobs.includes('info') && info.jobs.includes('test-sleep'));
    assert.equal(info.backend?.name, 'cpu');
    assert.match(info.backend?.reason ?? '', /cpu/);
    assert.equal(info.probes.length, 5, 'tensorflow-gpu, webgpu, tensorflow, wasm, cpu');
    assert.deepEqual(progress.map((p) => p.phase), ['probe', 'activate', 'done']);
    assert.ok(logs.some((m) => m.startsWith('backend: cpu')));
  });

  it('starts the child lazily and reuses it', async () => {
    c = client();
    assert.equal(c.pid, undefined);
    await c.run('test-sleep', { steps: 1 });
    const pid = c.pid;
    await c.run('test-sleep', { steps: 1 });
    assert.equal(c.pid, pid);
    assert.equal(c.starts, 1);
  });

  it('answers a ping with its pid and the runs it is working on', async () => {
    c = client();
    const run = c.run('test-sleep', { steps: 10, stepMs: 20 });
    await new Promise((r) => setTimeout(r, 50));
    const pong = await c.ping();
    assert.equal(pong.pid, c.pid);
    assert.equal(pong.activeRuns.length, 1);
    assert.ok(pong.rssBytes > 0 && pong.uptimeSeconds > 0);
    await run;
    assert.deepEqual((await c.ping()).activeRuns, []);
  });

  it('delivers progress, partial results and log lines to the right run', async () => {
    c = client();
    const fractions: number[] = [];
    const partials: unknown[] = [];
    const logs: string[] = [];
    const [a, b] = await Promise.all([
      c.run('test-sleep', { steps: 5, stepMs: 5 }, { onProgress: (p) => fractions.push(p.fraction ?? -1) }),
      c.run('test-report', {}, { onPartial: (d) => partials.push(d), onLog: (level, m) => logs.push(`${level}:${m}`) }),
    ]);
    assert.deepEqual(a, { steps: 5 });
    assert.deepEqual(b, { curve: [0.9, 0.7] });
    assert.deepEqual(fractions, [0.2, 0.4, 0.6, 0.8, 1]);
    assert.deepEqual(partials, [{ eps: 0.1, accuracy: 0.9 }, { eps: 0.2, accuracy: 0.7 }]);
    assert.deepEqual(logs, ['info:starting', 'warn:almost done']);
  });

  it('cancels a cooperative job within a second and keeps the child', async () => {
    c = client();
    const cts = new CancellationTokenSource();
    const run = c.run('test-sleep', { steps: 1000, stepMs: 20 }, { token: cts.token, onProgress: () => undefined });
    await new Promise((r) => setTimeout(r, 300));
    const pid = c.pid;
    const t0 = Date.now();
    cts.cancel();
    const err = await failure(run);
    const ms = Date.now() - t0;
    assert.equal(err.code, WorkerErrorCode.Cancelled);
    assert.ok(ms < 2000, `cancel took ${ms} ms`);
    assert.equal(c.pid, pid, 'a cooperative cancel keeps the child');
    assert.deepEqual(await c.run('test-sleep', { steps: 1 }), { steps: 1 });
  });

  it('kills a job that ignores cancellation after the grace period and restarts on the next request', async () => {
    c = client({ cancelGraceMs: 1000 });
    const cts = new CancellationTokenSource();
    const run = c.run('test-sleep', { steps: 1000, stepMs: 20, cooperative: false }, { token: cts.token });
    await new Promise((r) => setTimeout(r, 200));
    const pid = c.pid!;
    const t0 = Date.now();
    cts.cancel();
    const err = await failure(run);
    const ms = Date.now() - t0;
    assert.equal(err.code, WorkerErrorCode.Cancelled);
    assert.match(err.message, /did not stop within 1000 ms and was restarted/);
    assert.ok(ms >= 900 && ms < 2000, `cancel took ${ms} ms`);
    await new Promise((r) => setTimeout(r, 100));
    assert.ok(exited(pid), 'the old child is gone');
    assert.deepEqual(await c.run('test-sleep', { steps: 1 }), { steps: 1 });
    assert.notEqual(c.pid, pid);
  });

  it('rejects immediately for a token cancelled before the run, without starting a child', async () => {
    c = client();
    const cts = new CancellationTokenSource();
    cts.cancel();
    const err = await failure(c.run('test-sleep', {}, { token: cts.token }));
    assert.equal(err.code, WorkerErrorCode.Cancelled);
    assert.equal(c.starts, 0);
  });

  it('reports a crash mid-job with its last words, then works on a fresh child', async () => {
    c = client();
    await c.run('test-sleep', { steps: 1 });
    const pid = c.pid;
    const other = c.run('test-sleep', { steps: 1000, stepMs: 20 });
    const err = await failure(c.run('test-crash', {}));
    assert.equal(err.code, WorkerErrorCode.Crashed);
    assert.match(err.message, /The DyNN worker exited with code 3 while running 'test-crash'\. Last output:\n.*test-crash: writing my last words/s);
    assert.ok(err.lastWords.some((l) => l.includes('writing my last words')));
    const otherErr = await failure(other);
    assert.equal(otherErr.code, WorkerErrorCode.Crashed, 'runs sharing the child fail too');
    assert.deepEqual(await c.run('test-sleep', { steps: 1 }), { steps: 1 });
    assert.notEqual(c.pid, pid);
    assert.equal(c.starts, 2);
  });

  it('turns an uncaught exception in the child into a crash report naming it', async () => {
    c = client();
    const err = await failure(c.run('test-throw-later', {}));
    assert.equal(err.code, WorkerErrorCode.Crashed);
    assert.match(err.message, /exited with code 70/);
    assert.ok(err.lastWords.some((l) => l.includes('boom from a timer the job forgot about')));
  });

  it('detects a hung child through the heartbeat and restarts on the next request', async () => {
    c = client({ heartbeatIntervalMs: 100, heartbeatTimeoutMs: 800 });
    await c.run('test-sleep', { steps: 1 }); // child started: time only the detection
    const t0 = Date.now();
    const err = await failure(c.run('test-hang', {}));
    const ms = Date.now() - t0;
    assert.equal(err.code, WorkerErrorCode.Hung);
    assert.match(err.message, /stopped responding for \d+ s while running 'test-hang'/);
    assert.ok(err.lastWords.some((l) => l.includes('entering a busy loop')));
    assert.ok(ms < 3000, `hang detected after ${ms} ms`);
    assert.deepEqual(await c.run('test-sleep', { steps: 1 }), { steps: 1 });
  });

  it('does not mistake a slow but responsive job for a hang', async () => {
    c = client({ heartbeatIntervalMs: 50, heartbeatTimeoutMs: 600 });
    assert.deepEqual(await c.run('test-sleep', { steps: 20, stepMs: 50 }), { steps: 20 });
  });

  it('rejects malformed params, unknown jobs and bad requests with clear errors', async () => {
    c = client();
    let err = await failure(c.run('info', { activate: 'yes' }));
    assert.equal(err.code, WorkerErrorCode.InvalidParams);
    assert.equal(err.message, "'info' parameter 'activate' must be true or false, got \"yes\"");
    err = await failure(c.run('info', 42));
    assert.equal(err.message, "'info' expects an object of parameters, got number");
    err = await failure(c.run('info', { activ: true }));
    assert.match(err.message, /'info' does not take parameter 'activ' \(known: backend, activate\)/);
    err = await failure(c.run('info', { backend: 'quantum' }));
    assert.equal(err.code, WorkerErrorCode.InvalidParams);
    assert.match(err.message, /Unknown backend "quantum"/);
    err = await failure(c.run('test-sleep', { steps: -1 }));
    assert.match(err.message, /'test-sleep' parameter 'steps' must be a number in \[1, 100000\], got -1/);
    err = await failure(c.run('nope', {}));
    assert.equal(err.code, WorkerErrorCode.UnknownJob);
    assert.match(err.message, /unknown job 'nope' \(this worker runs: [a-z, -]*\binfo\b[a-z, -]*\btest-crash\b/);
    assert.deepEqual(await c.run('test-sleep', { steps: 1 }), { steps: 1 }, 'the child survives bad requests');
    assert.equal(c.starts, 1);
  });

  it('maps job failures: plain errors, data errors with their file, non-JSON results', async () => {
    c = client();
    let err = await failure(c.run('test-fail', { kind: 'plain' }));
    assert.equal(err.code, WorkerErrorCode.JobFailed);
    assert.equal(err.message, "'test-fail' failed: the network has no layers");
    assert.match(err.detail ?? '', /testJobs\.js/);
    err = await failure(c.run('test-fail', { kind: 'data' }));
    assert.equal(err.code, WorkerErrorCode.DataError);
    assert.equal(err.message, 'data/y.npy: 3 labels outside 0..9');
    assert.equal(err.file, 'data/y.npy');
    assert.equal(err.detail, 'check the label file');
    err = await failure(c.run('test-fail', { kind: 'nan' }));
    assert.match(err.message, /not plain JSON: result\.accuracy\[1\] is NaN/);
  });

  it('dispose stops the child and fails pending and later runs', async () => {
    c = client();
    const pending = c.run('test-sleep', { steps: 1000, stepMs: 20 });
    await new Promise((r) => setTimeout(r, 200));
    const pid = c.pid!;
    c.dispose();
    assert.equal((await failure(pending)).code, WorkerErrorCode.Disposed);
    assert.equal((await failure(c.run('info', {}))).code, WorkerErrorCode.Disposed);
    assert.ok(exited(pid));
  });

  it('shuts the child down cleanly and starts a fresh one on the next request', async () => {
    c = client();
    await c.run('test-sleep', { steps: 1 });
    const pid = c.pid!;
    const t0 = Date.now();
    await c.shutdown();
    assert.ok(Date.now() - t0 < 1000, 'exited on request, not by the kill timer');
    assert.ok(exited(pid));
    assert.equal(c.pid, undefined);
    assert.deepEqual(await c.run('test-sleep', { steps: 1 }), { steps: 1 });
    assert.notEqual(c.pid, pid);
  });

  it('reports a worker script that cannot start', async () => {
    c = new WorkerClient({ workerPath: path.join(__dirname, 'no-such-worker.js') });
    const err = await failure(c.run('info', {}));
    assert.equal(err.code, WorkerErrorCode.Crashed);
    assert.match(err.message, /exited with code 1 while running 'info'\. Last output:\n.*Cannot find module/s);
  });
});
