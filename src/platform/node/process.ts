// The processes and the machine the worker and the editor see: forking the worker, what the worker reports
// about the machine, and loading a module by path. The only place outside the core's Host that spawns or probes.
import { type ChildProcess, fork } from 'node:child_process';

export type { ChildProcess };
import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';

export interface ForkOptions {
  execArgv: string[];
  env: NodeJS.ProcessEnv;
}

/** Starts the worker script as a Node child with a JSON IPC channel and piped stdout/stderr. */
export function forkWorker(workerPath: string, options: ForkOptions): ChildProcess {
  return fork(workerPath, [], { execArgv: options.execArgv, env: options.env, stdio: ['ignore', 'pipe', 'pipe', 'ipc'], serialization: 'json' });
}

/** The machine as the worker's info job reports it. */
export function machineSummary(): { cpus: number; totalMemoryBytes: number } {
  return { cpus: os.cpus().length, totalMemoryBytes: os.totalmem() };
}

/** Loads a CommonJS module by path (resolved against the working folder), bypassing the bundler's require. */
export function requireFromPath(file: string): unknown {
  return createRequire(__filename)(path.resolve(file));
}
