// The job table of the worker process. Modules register their jobs at import time (see main.ts for the list of
// job modules); the dispatcher in main.ts looks them up by name. Handlers get plain-JSON params (already checked by
// their parser) and a context to report progress, partial results and logs, and to observe cancellation.

import type { CancelToken, Progress } from '../engine/types';
import type { LogLevel } from '../protocol/worker';

export interface JobContext {
  readonly runId: string;
  progress(p: Progress): void;
  /** A piece of the result that is ready early (plain JSON). */
  partial(data: unknown): void;
  log(level: LogLevel, message: string): void;
  readonly cancel: CancelToken;
}

export type JobHandler<P, R> = (params: P, ctx: JobContext) => Promise<R>;
/** Checks raw params and returns them typed; throws InvalidParamsError (any throw counts as invalid params). */
export type ParamsParser<P> = (raw: unknown) => P;

/** Malformed job params: reported to the client as WorkerErrorCode.InvalidParams. */
export class InvalidParamsError extends Error {
  override readonly name = 'InvalidParamsError';
}

/** Thrown by CancelToken.throwIfCancelled in the worker. */
export class CancelledError extends Error {
  override readonly name = 'CancelledError';
  constructor() {
    super('cancelled');
  }
}

interface RegisteredJob {
  parse: ParamsParser<unknown>;
  run: JobHandler<unknown, unknown>;
}

const table = new Map<string, RegisteredJob>();

export function registerJob<P, R>(name: string, handler: JobHandler<P, R>, parse: ParamsParser<P>): void {
  if (!/^[a-z][a-z0-9-]*$/.test(name)) throw new Error(`job name '${name}' must be lower-case letters, digits and '-'`);
  if (table.has(name)) throw new Error(`job '${name}' is registered twice`);
  table.set(name, { parse, run: handler as JobHandler<unknown, unknown> });
}

export function getJob(name: string): RegisteredJob | undefined {
  return table.get(name);
}

export function jobNames(): string[] {
  return [...table.keys()].sort();
}

// Small param-checking helpers so every job reports malformed params the same way.

export function expectObject(raw: unknown, job: string): Record<string, unknown> {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new InvalidParamsError(`'${job}' expects an object of parameters, got ${raw === null ? 'null' : Array.isArray(raw) ? 'an array' : typeof raw}`);
  }
  return raw as Record<string, unknown>;
}

export function optionalNumber(obj: Record<string, unknown>, key: string, job: string, min = -Infinity, max = Infinity): number | undefined {
  const v = obj[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) {
    throw new InvalidParamsError(`'${job}' parameter '${key}' must be a number in [${min}, ${max}], got ${JSON.stringify(v)}`);
  }
  return v;
}

export function requireString(obj: Record<string, unknown>, key: string, job: string): string {
  const v = obj[key];
  if (typeof v !== 'string' || v === '') {
    throw new InvalidParamsError(`'${job}' parameter '${key}' must be a non-empty string, got ${JSON.stringify(v)}`);
  }
  return v;
}

/** Rejects keys the job does not know, so a typo is reported instead of silently ignored. */
export function noExtraKeys(obj: Record<string, unknown>, allowed: readonly string[], job: string): void {
  const extra = Object.keys(obj).filter((k) => !allowed.includes(k));
  if (extra.length > 0) {
    throw new InvalidParamsError(`'${job}' does not take parameter${extra.length > 1 ? 's' : ''} ${extra.map((k) => `'${k}'`).join(', ')} (known: ${allowed.join(', ') || 'none'})`);
  }
}
