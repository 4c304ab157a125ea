// Results on disk: `.dynn/results/<model-name>.json` in the workspace, written atomically (temporary file in the
// same folder, then rename) so a failed or interrupted write leaves the previous file as it was. Every file written
// inside the workspace goes through writeWorkspaceFile, which confines its folder first (src/engine/workspace.ts).
import { RESULTS_DIR, workspaceOutput } from '../engine/workspace';
import type { Results } from '../protocol/results';
import { host } from '../protocol/host';

/** File-system-safe version of a model name. */
export function resultsFileName(modelName: string): string {
  const safe = modelName.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^[.]+/, '_');
  return `${safe === '' ? 'model' : safe}.json`;
}

export function resultsPath(workspaceRoot: string, modelName: string): string {
  return host().path.join(workspaceRoot, RESULTS_DIR, resultsFileName(modelName));
}

/** Writes `text` to `file` atomically; on any failure the temporary file is removed and `file` is untouched. */
export function writeFileAtomic(file: string, text: string): void {
  host().fs.mkdirSync(host().path.dirname(file), { recursive: true });
  const tmp = host().path.join(host().path.dirname(file), `.${host().path.basename(file)}.${Date.now()}.${Math.random().toString(36).slice(2, 10)}.tmp`);
  try {
    host().fs.writeFileSync(tmp, text, { flag: 'wx' });
    host().fs.renameSync(tmp, file);
  } catch (err) {
    host().fs.rmSync(tmp, { force: true });
    throw err;
  }
}

/**
 * Writes `text` to `file` (absolute) atomically after checking that a file inside the workspace stays inside it:
 * its folders are real folders within the workspace, created as needed (WorkspaceError otherwise). Returns the
 * path written (in the folder's real location).
 */
export function writeWorkspaceFile(workspaceRoot: string, file: string, text: string): string {
  const target = host().path.join(workspaceOutput(workspaceRoot, file, { create: true }), host().path.basename(file));
  writeFileAtomic(target, text);
  return target;
}

/** Serialises the results (refusing values JSON would corrupt) and writes them atomically; returns the host().path. */
export function writeResults(workspaceRoot: string, results: Results, file: string = resultsPath(workspaceRoot, results.model.name)): string {
  const text = `${JSON.stringify(results, strictReplacer, 1)}\n`;
  writeWorkspaceFile(workspaceRoot, file, text);
  return file;
}

function strictReplacer(key: string, value: unknown): unknown {
  if (typeof value === 'number' && !Number.isFinite(value)) throw new Error(`results: '${key}' is ${value}, which JSON cannot hold`);
  return value;
}
