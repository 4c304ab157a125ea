// The worker protocol: the ONE file both the extension host / CLI side (client.ts) and the child process (main.ts)
// import. JSON-RPC over Node IPC (vscode-jsonrpc). Everything here is plain JSON: tensors never cross.
//
// Flow: client sends `dynn/run` {runId, job, params}; the child answers with the job's result or an error whose
// `data.code` is a WorkerErrorCode. While a run is active the child sends `dynn/progress`, `dynn/partial` and
// `dynn/log` notifications tagged with the runId. Cancellation is JSON-RPC's `$/cancelRequest` (sent by the client
// library when the request's CancellationToken fires). `dynn/ping` is the heartbeat; `dynn/shutdown` asks the child
// to exit cleanly.

import { NotificationType, RequestType, RequestType0 } from 'vscode-jsonrpc';
import type { RunFailure } from './run-failure';

/** Jobs the product knows. Tests may register extra names (see jobs.ts); the wire carries a plain string. */
export type JobName = 'train' | 'check' | 'study' | 'sweep' | 'info';

export interface RunParams {
  /** Client-chosen id, echoed in every notification of this run. */
  runId: string;
  job: string;
  /** Job-specific plain JSON, validated by the job's own parser. */
  params: unknown;
}

export interface RunResult {
  runId: string;
  result: unknown;
  /** Wall time of the job in the child, milliseconds. */
  millis: number;
}

export interface ProgressParams {
  runId: string;
  phase: string;
  /** 0..1 when known. */
  fraction?: number;
  message: string;
  etaSeconds?: number;
}

export interface PartialResultParams {
  runId: string;
  /** Job-defined plain JSON (e.g. one finished epsilon of a robustness curve). */
  data: unknown;
}

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface LogParams {
  /** Absent for messages not tied to a run (startup, backend choice). */
  runId?: string;
  level: LogLevel;
  message: string;
}

export interface PingResult {
  pid: number;
  uptimeSeconds: number;
  rssBytes: number;
  /** runIds the child is working on. */
  activeRuns: string[];
}

/** Error codes carried in ResponseError.code (outside JSON-RPC's reserved range, except InvalidParams). */
export const WorkerErrorCode = {
  InvalidParams: -32602,
  UnknownJob: 1001,
  JobFailed: 1002,
  DataError: 1003,
  Cancelled: 1004,
  /** Client side: the child exited or was killed during the run. */
  Crashed: 1005,
  /** Client side: the child stopped answering the heartbeat. */
  Hung: 1006,
  /** Client side: the client was disposed. */
  Disposed: 1007,
  /** Client side: the child could not be started. */
  SpawnFailed: 1008,
} as const;
export type WorkerErrorCode = (typeof WorkerErrorCode)[keyof typeof WorkerErrorCode];

/** ResponseError.data for every error the child sends. */
export interface WorkerErrorData {
  code: WorkerErrorCode;
  /** One sentence for the user (no stack). */
  userMessage: string;
  /** File the error concerns (data errors). */
  file?: string;
  /** Extra detail: a hint, or a stack trace for unexpected failures. */
  detail?: string;
  /** Machine-readable kind of a job failure (data, memory, cache, check-input) and the fields that locate it in the
   *  model file (src/studies/failureLocation.ts). Absent for cancellation, unknown jobs and malformed requests. */
  failure?: RunFailure;
}

export const RunRequest = new RequestType<RunParams, RunResult, WorkerErrorData>('dynn/run');
export const PingRequest = new RequestType0<PingResult, void>('dynn/ping');
export const ShutdownRequest = new RequestType0<void, void>('dynn/shutdown');
export const ProgressNotification = new NotificationType<ProgressParams>('dynn/progress');
export const PartialResultNotification = new NotificationType<PartialResultParams>('dynn/partial');
export const LogNotification = new NotificationType<LogParams>('dynn/log');

/** Environment variable naming a module the child requires at startup to register test-only jobs. The client
 *  forwards it only when a caller passes it explicitly in WorkerClientOptions.env (tests do; the product never). */
export const TEST_JOBS_ENV = 'DYNN_WORKER_TEST_JOBS';
