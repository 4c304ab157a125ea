// Test-only jobs, loaded into the worker child through DYNN_WORKER_TEST_JOBS by worker.test.ts. Never imported by
// product code; the client forwards that variable only when a caller passes it explicitly.

import { DataError } from '../../../src/engine/data/errors';
import { InvalidParamsError, expectObject, optionalNumber, registerJob } from '../../../src/worker/jobs';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface SleepParams {
  steps: number;
  stepMs: number;
  /** false: ignore cancellation (a job that does not cooperate). */
  cooperative: boolean;
}

registerJob<SleepParams, { steps: number }>(
  'test-sleep',
  async (p, ctx) => {
    for (let i = 0; i < p.steps; i++) {
      if (p.cooperative) ctx.cancel.throwIfCancelled();
      await sleep(p.stepMs);
      ctx.progress({ phase: 'sleep', fraction: (i + 1) / p.steps, message: `step ${i + 1} of ${p.steps}`, etaSeconds: ((p.steps - i - 1) * p.stepMs) / 1000 });
    }
    return { steps: p.steps };
  },
  (raw) => {
    const o = expectObject(raw, 'test-sleep');
    const steps = optionalNumber(o, 'steps', 'test-sleep', 1, 100000) ?? 1;
    const stepMs = optionalNumber(o, 'stepMs', 'test-sleep', 0, 60000) ?? 10;
    if (o.cooperative !== undefined && typeof o.cooperative !== 'boolean') throw new InvalidParamsError("'test-sleep' parameter 'cooperative' must be a boolean");
    return { steps, stepMs, cooperative: o.cooperative !== false };
  },
);

registerJob(
  'test-crash',
  async () => {
    process.stderr.write('test-crash: writing my last words before exiting with code 3\n');
    await sleep(20);
    process.exit(3);
  },
  () => ({}),
);

registerJob(
  'test-throw-later',
  async () => {
    setTimeout(() => {
      throw new Error('boom from a timer the job forgot about');
    }, 10);
    await sleep(5000);
    return {};
  },
  () => ({}),
);

registerJob(
  'test-hang',
  async () => {
    await sleep(10);
    process.stderr.write('test-hang: entering a busy loop\n');
    const end = Date.now() + 30000;
    while (Date.now() < end) {
      // Holds the event loop like a runaway synchronous kernel would.
    }
    return {};
  },
  () => ({}),
);

registerJob(
  'test-report',
  async (_p, ctx) => {
    ctx.log('info', 'starting');
    ctx.partial({ eps: 0.1, accuracy: 0.9 });
    ctx.partial({ eps: 0.2, accuracy: 0.7 });
    ctx.log('warn', 'almost done');
    await sleep(10);
    return { curve: [0.9, 0.7] };
  },
  () => ({}),
);

registerJob(
  'test-fail',
  async (p: { kind: string }) => {
    await sleep(1);
    if (p.kind === 'data') throw new DataError('3 labels outside 0..9', 'data/y.npy', 'check the label file');
    if (p.kind === 'nan') return { accuracy: [0.5, Number.NaN] };
    throw new Error('the network has no layers');
  },
  (raw) => ({ kind: String(expectObject(raw, 'test-fail').kind) }),
);
