// The one way a check runs and keeps its results, shared by the worker's `check`/`study` jobs and the CLI's
// `check`/`study`: every place the run will write is checked before any compute (a refusal after a long run would
// lose it), the check runs, and the results are written atomically under .dynn/results/.
import { checkRunOutputs } from '../engine/workspace';
import type { Results } from '../protocol/results';
import { runCheck, type CheckOptions } from './check';
import type { LoadedModelFile } from './modelFile';
import { resultsPath, writeResults } from './resultsFiles';

export interface SaveOptions {
  /** Write .dynn/results/<model>.json (default true). */
  save?: boolean;
  /** Other files the caller will write after the run (e.g. the CLI's --json and --md), checked before compute. */
  alsoWrites?: readonly string[];
  /** Called with the results before they are saved: a caller shows them first, so a failed write loses nothing. */
  beforeSave?: (results: Results) => void;
}

export interface SavedCheck {
  results: Results;
  /** The results file written (absolute); absent when `save` was false. */
  savedTo?: string;
}

export async function runAndSave(model: LoadedModelFile, workspaceRoot: string, options: CheckOptions, save: SaveOptions = {}): Promise<SavedCheck> {
  const keep = save.save !== false;
  checkRunOutputs(workspaceRoot, [...(keep ? [resultsPath(workspaceRoot, model.spec.name)] : []), ...(save.alsoWrites ?? [])]);
  const results = await runCheck({ spec: model.spec, specHash: model.specHash, file: model.file, workspaceRoot }, options);
  save.beforeSave?.(results);
  return keep ? { results, savedTo: writeResults(workspaceRoot, results) } : { results };
}
