// WorkerClient: the extension host's and CLI's handle on the worker process. Starts the child lazily on the first
// request, forwards progress / partial results / logs per run, cancels cooperatively and kills a child that does
// not stop within the grace period, detects crashes and hangs (heartbeat) and reports them with the child's last
// output lines, and starts a fresh child on the next request. No vscode import: src/extension wraps it.

import {
  type CancellationToken,
  IPCMessageReader,
  IPCMessageWriter,
  type MessageConnection,
  ResponseError,
  createMessageConnection,
} from 'vscode-jsonrpc/node';
import type { Progress } from '../engine/types';
import { type ChildProcess, forkWorker } from '../platform/node/process';
import { parseRunFailure, type RunFailure } from '../protocol/run-failure';
import {
  LogNotification,
  type LogParams,
  PartialResultNotification,
  type PingResult,
  PingRequest,
  ProgressNotification,
  RunRequest,
  ShutdownRequest,
  WorkerErrorCode,
  type WorkerErrorData,
} from '../protocol/worker';

export interface WorkerClientOptions {
  /** The child's entry script (dist/worker.js in the extension, out/src/worker/main.js in tests). */
  workerPath: string;
  /** Extra environment for the child, on top of the allow-list (e.g. CUDA settings, test hooks). */
  env?: Record<string, string>;
  /** Extra Node flags for the child (e.g. --max-old-space-size=4096). Inspector flags are dropped. */
  execArgv?: string[];
  /** How often a busy child is pinged. Default 5 s. */
  heartbeatIntervalMs?: number;
  /** A child that leaves a ping unanswered this long is declared hung and killed. Default 60 s (a long
   *  synchronous TF.js kernel can hold the child's event loop for a while). */
  heartbeatTimeoutMs?: number;
  /** After a cancel, how long the child may take to stop before it is killed. Default 1 s. */
  cancelGraceMs?: number;
  /** Log lines not tied to a run (and every run's lines, after the run's own onLog). */
  onLog?: (entry: LogParams) => void;
}

export interface RunOptions {
  onProgress?: (p: Progress) => void;
  onPartial?: (data: unknown) => void;
  onLog?: (level: LogParams['level'], message: string) => void;
  /** vscode.CancellationToken fits this interface. */
  token?: CancellationToken;
}

/** A failed run: `code` says what kind of failure (WorkerErrorCode); `lastWords` holds the child's final output
 *  lines when it crashed or hung. */
export class WorkerError extends Error {
  override readonly name = 'WorkerError';
  readonly code: WorkerErrorCode;
  readonly job: string;
  readonly file?: string;
  readonly detail?: string;
  readonly lastWords: string[];
  /** The failure's kind and locating fields, when the child classified it (see WorkerErrorData.failure). */
  readonly failure?: RunFailure;

  constructor(code: WorkerErrorCode, message: string, job: string, extra: { file?: string; detail?: string; lastWords?: string[]; failure?: RunFailure } = {}) {
    super(message);
    this.code = code;
    this.job = job;
    if (extra.file !== undefined) this.file = extra.file;
    if (extra.detail !== undefined) this.detail = extra.detail;
    if (extra.failure !== undefined) this.failure = extra.failure;
    this.lastWords = extra.lastWords ?? [];
  }
}

/** Variables the child inherits from the host; everything else (tokens, NODE_OPTIONS, test hooks) stays out. */
const ENV_ALLOW = [
  'PATH', 'HOME', 'USERPROFILE', 'TMPDIR', 'TEMP', 'TMP', 'LANG', 'LC_ALL', 'SYSTEMROOT', 'WINDIR',
  'LD_LIBRARY_PATH', 'CUDA_VISIBLE_DEVICES', 'CUDA_HOME', 'TF_CPP_MIN_LOG_LEVEL', 'TF_FORCE_GPU_ALLOW_GROWTH',
  'DYNN_WASM_THREADS',
  // Which Vulkan driver Dawn's loader uses (WebGPU): a user's choice among several GPUs, or a software driver.
  'VK_ICD_FILENAMES', 'VK_DRIVER_FILES',
];
const LAST_WORDS_LINES = 20;
const MAX_LINE = 400;

export function childEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const k of ENV_ALLOW) {
    const v = process.env[k];
    if (v !== undefined) env[k] = v;
  }
  // Inside VS Code process.execPath is Electron: this makes it behave as plain Node.
  env.ELECTRON_RUN_AS_NODE = '1';
  return { ...env, ...extra };
}

export function childExecArgv(extra: readonly string[] = []): string[] {
  return extra.filter((a) => !/^--(inspect|debug)/.test(a));
}

interface ActiveRun {
  job: string;
  options: RunOptions;
  settle(outcome: { value: unknown } | { error: WorkerError }): void;
  settled: boolean;
}

interface Child {
  proc: ChildProcess;
  conn: MessageConnection;
  tail: string[];
  runs: Map<string, ActiveRun>;
  /** Why we are killing it, when we are (otherwise its exit is a crash). */
  killReason?: { code: WorkerErrorCode; message: string };
  heartbeat?: NodeJS.Timeout;
  /** When the outstanding ping was sent. */
  pingSince?: number;
  lastPingAt?: number;
  dead: boolean;
}

export class WorkerClient {
  private readonly opts: Required<Omit<WorkerClientOptions, 'env' | 'execArgv' | 'onLog'>> & WorkerClientOptions;
  private child: Child | undefined;
  private disposed = false;
  private started = 0;

  constructor(options: WorkerClientOptions) {
    this.opts = {
      heartbeatIntervalMs: 5000,
      heartbeatTimeoutMs: 60000,
      cancelGraceMs: 1000,
      ...options,
    };
  }

  /** Number of child processes started so far (each crash, hang or forced cancel leads to a new one). */
  get starts(): number {
    return this.started;
  }

  /** Process id of the running child, if one is running. */
  get pid(): number | undefined {
    return this.child && !this.child.dead ? this.child.proc.pid : undefined;
  }

  /** Runs a job in the child and resolves with its result (plain JSON). Rejects with WorkerError only. */
  run<R = unknown>(job: string, params: unknown, options: RunOptions = {}): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      if (this.disposed) {
        reject(new WorkerError(WorkerErrorCode.Disposed, 'The DyNN worker client was disposed.', job));
        return;
      }
      if (options.token?.isCancellationRequested) {
        reject(new WorkerError(WorkerErrorCode.Cancelled, `'${job}' was cancelled`, job));
        return;
      }
      let child: Child;
      try {
        child = this.ensureChild();
      } catch (e) {
        reject(new WorkerError(WorkerErrorCode.SpawnFailed, `Could not start the DyNN worker: ${e instanceof Error ? e.message : String(e)}`, job));
        return;
      }
      const runId = globalThis.crypto.randomUUID();
      let graceTimer: NodeJS.Timeout | undefined;
      // Assigned below, once `run` exists; settle() only runs asynchronously, after the assignment.
      let cancelListener: { dispose(): void } | undefined = undefined;
      const run: ActiveRun = {
        job,
        options,
        settled: false,
        settle: (outcome) => {
          if (run.settled) return;
          run.settled = true;
          child.runs.delete(runId);
          cancelListener?.dispose();
          if (graceTimer) clearTimeout(graceTimer);
          this.updateHeartbeat(child);
          if ('error' in outcome) reject(outcome.error);
          else resolve(outcome.value as R);
        },
      };
      child.runs.set(runId, run);
      this.updateHeartbeat(child);

      cancelListener = options.token?.onCancellationRequested(() => {
        // vscode-jsonrpc sends $/cancelRequest itself; this only enforces the deadline.
        graceTimer ??= setTimeout(() => {
          if (run.settled) return;
          run.settle({
            error: new WorkerError(
              WorkerErrorCode.Cancelled,
              `'${job}' was cancelled; the worker did not stop within ${this.opts.cancelGraceMs} ms and was restarted`,
              job,
            ),
          });
          this.kill(child, WorkerErrorCode.Crashed, `the worker was restarted because a cancelled '${job}' did not stop`);
        }, this.opts.cancelGraceMs);
      });

      child.conn.sendRequest(RunRequest, { runId, job, params }, options.token).then(
        (res) => run.settle({ value: res.result }),
        (err: unknown) => run.settle({ error: this.toWorkerError(err, job, child) }),
      );
    });
  }

  /** Asks the child for its pid, uptime and memory (starts it if needed). */
  async ping(timeoutMs = 5000): Promise<PingResult> {
    if (this.disposed) throw new WorkerError(WorkerErrorCode.Disposed, 'The DyNN worker client was disposed.', 'ping');
    const child = this.ensureChild();
    return await new Promise<PingResult>((resolve, reject) => {
      const timer = setTimeout(() => reject(new WorkerError(WorkerErrorCode.Hung, `The DyNN worker did not answer a ping within ${timeoutMs} ms.`, 'ping', { lastWords: [...child.tail] })), timeoutMs);
      child.conn.sendRequest(PingRequest).then(
        (r) => {
          clearTimeout(timer);
          resolve(r);
        },
        (e: unknown) => {
          clearTimeout(timer);
          reject(this.toWorkerError(e, 'ping', child));
        },
      );
    });
  }

  /** Asks the child to exit cleanly (waiting at most `timeoutMs`, then kills it). Pending runs reject with code
   *  Disposed. The next request starts a fresh child. */
  async shutdown(timeoutMs = 1000): Promise<void> {
    const child = this.child;
    if (!child || child.dead) return;
    child.killReason ??= { code: WorkerErrorCode.Disposed, message: 'The DyNN worker was shut down.' };
    if (this.child === child) this.child = undefined;
    const gone = new Promise<void>((resolve) => {
      if (child.proc.exitCode !== null) resolve();
      else child.proc.once('exit', () => resolve());
    });
    child.conn.sendRequest(ShutdownRequest).then(
      () => undefined,
      () => undefined, // it may exit before the answer arrives
    );
    const timer = setTimeout(() => this.kill(child, WorkerErrorCode.Disposed, 'The DyNN worker was shut down.'), timeoutMs);
    await gone;
    clearTimeout(timer);
  }

  /** Stops the child (pending runs reject with code Disposed). The client cannot be used afterwards. */
  dispose(): void {
    this.disposed = true;
    if (this.child) this.kill(this.child, WorkerErrorCode.Disposed, 'The DyNN worker client was disposed.');
  }

  private ensureChild(): Child {
    if (this.child && !this.child.dead) return this.child;
    const proc = forkWorker(this.opts.workerPath, { execArgv: childExecArgv(this.opts.execArgv), env: childEnv(this.opts.env) });
    this.started++;
    const conn = createMessageConnection(new IPCMessageReader(proc), new IPCMessageWriter(proc));
    const child: Child = { proc, conn, tail: [], runs: new Map(), dead: false };
    this.child = child;

    const collect = (chunk: Buffer): void => {
      for (const line of chunk.toString('utf8').split(/\r?\n/)) {
        if (line.trim() === '') continue;
        child.tail.push(line.length > MAX_LINE ? `${line.slice(0, MAX_LINE)}...` : line);
        if (child.tail.length > LAST_WORDS_LINES) child.tail.shift();
      }
    };
    proc.stdout?.on('data', collect);
    proc.stderr?.on('data', collect);

    conn.onNotification(ProgressNotification, ({ runId, ...p }) => child.runs.get(runId)?.options.onProgress?.(p));
    conn.onNotification(PartialResultNotification, ({ runId, data }) => child.runs.get(runId)?.options.onPartial?.(data));
    conn.onNotification(LogNotification, (entry) => {
      if (entry.runId !== undefined) child.runs.get(entry.runId)?.options.onLog?.(entry.level, entry.message);
      this.opts.onLog?.(entry);
    });
    // A broken channel shows up as an exit below; the connection's own errors add nothing.
    conn.onError(() => undefined);
    conn.listen();

    proc.on('error', (err) => {
      child.tail.push(`spawn error: ${err.message}`);
      this.kill(child, WorkerErrorCode.SpawnFailed, `The DyNN worker could not be started or reached: ${err.message}`);
    });
    proc.on('exit', (code, signal) => {
      // Give the pipes a moment to deliver the last lines (the 'close' event may never come if a grandchild holds
      // them).
      let done = false;
      const finish = (): void => {
        if (done) return;
        done = true;
        this.onExit(child, code, signal);
      };
      proc.once('close', finish);
      setTimeout(finish, 200).unref();
    });
    return child;
  }

  private onExit(child: Child, code: number | null, signal: NodeJS.Signals | null): void {
    if (child.dead) return;
    child.dead = true;
    if (this.child === child) this.child = undefined;
    if (child.heartbeat) clearInterval(child.heartbeat);
    child.conn.dispose();
    const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
    for (const run of [...child.runs.values()]) {
      const reason = child.killReason;
      const lastWords = [...child.tail];
      const message = reason
        ? reason.message
        : `The DyNN worker ${how} while running '${run.job}'.` +
          (lastWords.length > 0 ? ` Last output:\n${lastWords.join('\n')}` : ' It printed nothing.');
      run.settle({ error: new WorkerError(reason?.code ?? WorkerErrorCode.Crashed, message, run.job, { lastWords }) });
    }
  }

  /** Kills the child; its runs fail with `code` and `message` once it has exited. */
  private kill(child: Child, code: WorkerErrorCode, message: string): void {
    if (child.dead) return;
    child.killReason ??= { code, message };
    if (this.child === child) this.child = undefined; // the next request starts a fresh child right away
    if (child.heartbeat) clearInterval(child.heartbeat);
    child.proc.kill('SIGKILL');
    if (child.proc.exitCode !== null || child.proc.pid === undefined) this.onExit(child, child.proc.exitCode, null);
  }

  /** Pings a busy child; one that leaves a ping unanswered for heartbeatTimeoutMs is declared hung. */
  private updateHeartbeat(child: Child): void {
    if (child.runs.size === 0 || child.dead) {
      if (child.heartbeat) clearInterval(child.heartbeat);
      child.heartbeat = undefined;
      child.pingSince = undefined;
      return;
    }
    if (child.heartbeat) return;
    const tick = Math.max(10, Math.min(this.opts.heartbeatIntervalMs, this.opts.heartbeatTimeoutMs / 4));
    child.heartbeat = setInterval(() => {
      const now = Date.now();
      if (child.pingSince !== undefined) {
        if (now - child.pingSince >= this.opts.heartbeatTimeoutMs) {
          const jobs = [...child.runs.values()].map((r) => `'${r.job}'`).join(', ');
          const lastWords = child.tail.length > 0 ? ` Last output:\n${child.tail.join('\n')}` : '';
          this.kill(child, WorkerErrorCode.Hung, `The DyNN worker stopped responding for ${Math.round((now - child.pingSince) / 1000)} s while running ${jobs} and was stopped.${lastWords}`);
        }
        return;
      }
      if (now - (child.lastPingAt ?? 0) < this.opts.heartbeatIntervalMs) return;
      child.lastPingAt = now;
      child.pingSince = now;
      child.conn.sendRequest(PingRequest).then(
        () => {
          child.pingSince = undefined;
        },
        () => undefined, // a dead child is handled by the exit handler
      );
    }, tick);
    child.heartbeat.unref();
  }

  private toWorkerError(err: unknown, job: string, child: Child): WorkerError {
    if (err instanceof ResponseError) {
      const data = err.data as WorkerErrorData | undefined;
      if (data && typeof data.code === 'number') {
        const failure = parseRunFailure(data.failure);
        return new WorkerError(data.code, data.userMessage, job, {
          ...(data.file !== undefined ? { file: data.file } : {}),
          ...(data.detail !== undefined ? { detail: data.detail } : {}),
          ...(failure !== undefined ? { failure } : {}),
        });
      }
      return new WorkerError(WorkerErrorCode.JobFailed, `'${job}' failed: ${err.message}`, job);
    }
    // The connection closed under the request: the exit handler has the real story; use it if it ran.
    const reason = child.killReason;
    if (reason) return new WorkerError(reason.code, reason.message, job, { lastWords: [...child.tail] });
    return new WorkerError(WorkerErrorCode.Crashed, `The DyNN worker connection failed during '${job}': ${err instanceof Error ? err.message : String(err)}`, job, { lastWords: [...child.tail] });
  }
}
