// What crosses the worker boundary when a run fails: its kind and the fields that locate it in the model file
// (src/studies/failureLocation.ts classifies errors into it and locates it).

export type RunFailureKind = 'data' | 'memory' | 'cache' | 'check-input' | 'import' | 'other';

/** Plain JSON (it crosses the worker boundary): the kind of a run failure and the fields that locate it. */
export interface RunFailure {
  kind: RunFailureKind;
  /** data and cache: the file the error concerns, as the engine names it (workspace-relative for data). */
  file?: string;
  /** check-input: the attack id the request named. */
  attackId?: string;
}

export const RUN_FAILURE_KINDS: readonly RunFailureKind[] = ['data', 'memory', 'cache', 'check-input', 'import', 'other'];

/** A RunFailure read back from JSON (the worker's error payload); undefined when it is not one. */
export function parseRunFailure(raw: unknown): RunFailure | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const o = raw as Record<string, unknown>;
  if (typeof o.kind !== 'string' || !RUN_FAILURE_KINDS.includes(o.kind as RunFailureKind)) return undefined;
  return {
    kind: o.kind as RunFailureKind,
    ...(typeof o.file === 'string' ? { file: o.file } : {}),
    ...(typeof o.attackId === 'string' ? { attackId: o.attackId } : {}),
  };
}
