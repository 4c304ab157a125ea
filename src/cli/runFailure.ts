// A failed `train` / `check` / `study` run said where its problem is in the model file, in the compiler-style form
// `validate` uses: `model-file:line:col: error: message` (1-based), so terminals and CI annotate the right line.
import { analyzeText } from '../modelfile';
import { classifyFailure, locateFailure, locatedErrorLine } from '../studies/failureLocation';
import { type RunFailure } from '../protocol/run-failure';
import type { Output } from './io';
import { host } from '../protocol/host';

/** The model file as the user named it (for the message) and where it is on disk (to read it again). */
export interface FailedModelFile {
  shown: string;
  absolute: string;
}

/** The failure kinds a run reports as a problem of the model or its data (exit 1); anything else is a bug. */
export function locatableFailure(err: unknown): RunFailure | undefined {
  const failure = classifyFailure(err);
  return failure.kind === 'other' ? undefined : failure;
}

/**
 * Writes the failure of a run as `file:line:col: error: message` at the model node it belongs to. The file is read
 * again (the run may have taken minutes); when it is gone, the message is written without a position.
 */
export async function writeRunFailure(err: Error, failure: RunFailure, model: FailedModelFile, stderr: Output, verb: string): Promise<void> {
  let text: string;
  try {
    text = await host().fs.readTextFile(model.absolute);
  } catch {
    stderr.write(`dynn-lens ${verb}: ${model.shown}: error: ${err.message}\n`);
    return;
  }
  const location = locateFailure(failure, analyzeText(text, { fileName: model.absolute }), err.message);
  stderr.write(`${locatedErrorLine(model.shown, text, location, err.message)}\n`);
}

/**
 * Runs `write` and reports a WorkspaceError (a `.dynn` folder that is a link out of the workspace or a file) as
 * `dynn-lens VERB: message`; returns true when it was refused. Any other error is rethrown.
 */
export function refusedWorkspace(write: () => void, stderr: Output, verb: string): boolean {
  try {
    write();
    return false;
  } catch (e) {
    if (!(e instanceof Error) || e.name !== 'WorkspaceError') throw e;
    stderr.write(`dynn-lens ${verb}: ${e.message}\n`);
    return true;
  }
}
