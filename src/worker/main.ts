// Entry of the worker child process (bundled as dist/worker.js; runnable as out/src/worker/main.js in tests).
// Speaks the protocol in protocol.ts over Node IPC and runs jobs from the table in jobs.ts. Heavy work (TF.js,
// attacks, studies) happens here so that a crash, a hang or an out-of-memory never reaches the editor.

import { type CancellationToken, IPCMessageReader, IPCMessageWriter, ResponseError, createMessageConnection } from 'vscode-jsonrpc/node';
import type { CancelToken } from '../engine/types';
import { classifyFailure } from '../studies/failureLocation';
import { CancelledError, InvalidParamsError, type JobContext, getJob, jobNames } from './jobs';
import { findNonJson } from './plainJson';
import {
  LogNotification,
  PartialResultNotification,
  PingRequest,
  ProgressNotification,
  RunRequest,
  ShutdownRequest,
  TEST_JOBS_ENV,
  WorkerErrorCode,
  type RunParams,
  type RunResult,
  type WorkerErrorData,
} from '../protocol/worker';

// Job modules: each registers its jobs when imported. Engine, attack and study job modules are added here.
import './builtinJobs';
import './studyJobs';
import { useNodeHost } from '../platform/node';
import { requireFromPath } from '../platform/node/process';

useNodeHost();

type WireError = ResponseError<WorkerErrorData>;

function wireError(code: WorkerErrorCode, userMessage: string, extra: Partial<WorkerErrorData> = {}): WireError {
  return new ResponseError<WorkerErrorData>(code, userMessage, { code, userMessage, ...extra });
}

/** Maps whatever a job threw to a coded error the client can show. */
function toWireError(e: unknown, job: string, token: CancellationToken): WireError {
  const err = e instanceof Error ? e : new Error(String(e));
  if (token.isCancellationRequested || err instanceof CancelledError || err.name === 'CancelledError') {
    return wireError(WorkerErrorCode.Cancelled, `'${job}' was cancelled`);
  }
  // What kind of failure, and the fields that say where in the model file it belongs (attack id, data file).
  const classified = classifyFailure(err);
  const failure = classified.kind !== 'other' ? { failure: classified } : {};
  if (err instanceof InvalidParamsError) return wireError(WorkerErrorCode.InvalidParams, err.message, failure);
  if (err.name === 'DataError') {
    const d = err as Error & { file?: unknown; detail?: unknown };
    return wireError(WorkerErrorCode.DataError, err.message, {
      ...(typeof d.file === 'string' ? { file: d.file } : {}),
      ...(typeof d.detail === 'string' ? { detail: d.detail } : {}),
      ...failure,
    });
  }
  return wireError(WorkerErrorCode.JobFailed, `'${job}' failed: ${err.message}`, { ...(err.stack ? { detail: err.stack } : {}), ...failure });
}

function checkRunParams(p: unknown): RunParams {
  const o = p as Partial<RunParams> | null;
  if (typeof o !== 'object' || o === null || typeof o.runId !== 'string' || o.runId === '' || typeof o.job !== 'string') {
    throw wireError(WorkerErrorCode.InvalidParams, 'malformed run request: expected { runId: string, job: string, params }');
  }
  return o as RunParams;
}

function cancelTokenFrom(token: CancellationToken): CancelToken {
  return {
    get cancelled() {
      return token.isCancellationRequested;
    },
    throwIfCancelled() {
      if (token.isCancellationRequested) throw new CancelledError();
    },
  };
}

function main(): void {
  if (typeof process.send !== 'function') {
    process.stderr.write('The DyNN worker must be started by the DyNN Lens client (child_process.fork with IPC).\n');
    process.exit(2);
  }
  // Last words: the client shows the tail of stderr when the process dies, so say why before exiting.
  process.on('uncaughtException', (err) => {
    process.stderr.write(`DyNN worker: uncaught exception: ${err.stack ?? String(err)}\n`);
    process.exit(70);
  });
  process.on('unhandledRejection', (reason) => {
    process.stderr.write(`DyNN worker: unhandled rejection: ${reason instanceof Error ? (reason.stack ?? reason.message) : String(reason)}\n`);
    process.exit(70);
  });

  const testJobs = process.env[TEST_JOBS_ENV];
  if (testJobs) {
    // Test-only jobs (crash, hang, sleep): the client forwards this variable only when a caller sets it explicitly.
    requireFromPath(testJobs);
  }

  const connection = createMessageConnection(new IPCMessageReader(process), new IPCMessageWriter(process));
  const active = new Set<string>();
  const started = Date.now();

  connection.onRequest(RunRequest, async (raw, token): Promise<RunResult> => {
    const p = checkRunParams(raw);
    const job = getJob(p.job);
    if (!job) {
      throw wireError(WorkerErrorCode.UnknownJob, `unknown job '${p.job}' (this worker runs: ${jobNames().join(', ')})`);
    }
    let params: unknown;
    try {
      params = job.parse(p.params);
    } catch (e) {
      throw wireError(WorkerErrorCode.InvalidParams, e instanceof Error ? e.message : String(e));
    }
    const ctx: JobContext = {
      runId: p.runId,
      cancel: cancelTokenFrom(token),
      progress: (pr) => void connection.sendNotification(ProgressNotification, { runId: p.runId, ...pr }),
      partial: (data) => {
        const bad = findNonJson(data, 'partial result');
        if (bad) throw new Error(bad);
        void connection.sendNotification(PartialResultNotification, { runId: p.runId, data });
      },
      log: (level, message) => void connection.sendNotification(LogNotification, { runId: p.runId, level, message }),
    };
    const t0 = Date.now();
    active.add(p.runId);
    try {
      const result = await job.run(params, ctx);
      if (token.isCancellationRequested) throw new CancelledError();
      const bad = findNonJson(result);
      if (bad) throw new Error(`job '${p.job}' produced a result that is not plain JSON: ${bad}`);
      return { runId: p.runId, result, millis: Date.now() - t0 };
    } catch (e) {
      throw e instanceof ResponseError ? e : toWireError(e, p.job, token);
    } finally {
      active.delete(p.runId);
    }
  });

  connection.onRequest(PingRequest, () => ({
    pid: process.pid,
    uptimeSeconds: (Date.now() - started) / 1000,
    rssBytes: process.memoryUsage().rss,
    activeRuns: [...active],
  }));

  connection.onRequest(ShutdownRequest, () => {
    // Answer first, then leave.
    setTimeout(() => process.exit(0), 20);
  });

  // The parent went away (editor closed or crashed): nobody is left to read results.
  process.on('disconnect', () => process.exit(0));
  connection.onClose(() => process.exit(0));
  connection.listen();
}

main();
