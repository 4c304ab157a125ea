// Workspace confinement, the one place it is decided. What DyNN Lens reads from the user's data and what it writes
// (`.dynn/` with weights, results, reports and their temporary folders) must lie inside the workspace folder, both
// lexically (no `..` escape) and physically (realpath: a symbolic link that leads out is refused). A symbolic link
// whose target stays inside the workspace is allowed: it writes nowhere else.
import { errorCode, host } from '../protocol/host';

/** The folder under the workspace root that holds everything DyNN Lens writes, and its parts. */
export const DYNN_DIR = '.dynn';
/** The weight cache (src/engine/cache.ts). */
export const WEIGHTS_DIR = `${DYNN_DIR}/weights`;
/** The latest Results of each model (src/studies/resultsFiles.ts). */
export const RESULTS_DIR = `${DYNN_DIR}/results`;

/** A place DyNN Lens would write to is outside the workspace or not a folder. `file` is workspace-relative. */
export class WorkspaceError extends Error {
  override readonly name = 'WorkspaceError';

  constructor(
    message: string,
    readonly file: string,
  ) {
    super(`${file}: ${message}`);
  }
}

/** True when `candidate` is `root` or lies under it (both absolute and resolved the same way). */
export function isInside(root: string, candidate: string): boolean {
  const rel = host().path.relative(root, candidate);
  return rel === '' || (!rel.startsWith('..') && !host().path.isAbsolute(rel));
}

/** `a/b/c` with '/' separators, as messages show workspace paths on every platform. */
function shown(segments: readonly string[]): string {
  return segments.join('/');
}

function errnoCode(e: unknown): string | undefined {
  return errorCode(e);
}

/**
 * The folder `relDir` (workspace-relative, e.g. `.dynn/results`) checked component by component: each one that
 * exists must be a folder (not a file, not a link to a file) whose real path is inside the real workspace root.
 * A missing component is created when `create` is set; otherwise the check stops there (a check before a run
 * leaves no folder behind). Returns the folder's real path (its lexical path when not created yet). Throws
 * WorkspaceError naming the component at fault.
 */
export function workspaceDir(root: string, relDir: string, options: { create: boolean }): string {
  let rootReal: string;
  try {
    rootReal = host().fs.realpathSync(root);
  } catch (e) {
    throw new WorkspaceError(`the workspace folder cannot be opened (${errnoCode(e) ?? String(e)})`, root);
  }
  const lexical = host().path.resolve(rootReal, relDir);
  if (!isInside(rootReal, lexical)) throw new WorkspaceError('leaves the workspace folder; DyNN Lens writes only inside it', relDir);
  const segments = host().path.relative(rootReal, lexical).split(host().path.sep).filter((s) => s !== '');
  let current = rootReal;
  for (const [i, segment] of segments.entries()) {
    const here = shown(segments.slice(0, i + 1));
    const next = host().path.join(current, segment);
    if (!exists(next, here)) {
      if (!options.create) return host().path.join(current, ...segments.slice(i));
      try {
        host().fs.mkdirSync(next);
      } catch (e) {
        // Another run may have made it meanwhile; it is checked below like any existing folder.
        if (errnoCode(e) !== 'EEXIST') throw new WorkspaceError(`cannot create the folder (${errnoCode(e) ?? String(e)})`, here);
      }
    }
    current = realFolder(rootReal, next, here);
  }
  return current;
}

/** Whether `p` exists; a symbolic link whose target is missing is refused (a write would fail or go elsewhere). */
function exists(p: string, here: string): boolean {
  try {
    host().fs.statSync(p);
    return true;
  } catch (e) {
    if (errnoCode(e) !== 'ENOENT') throw new WorkspaceError(`cannot be read (${errnoCode(e) ?? String(e)})`, here);
  }
  let link = false;
  try {
    link = host().fs.lstatSync(p).isSymbolicLink();
  } catch {
    return false;
  }
  if (link) throw new WorkspaceError(`is a symbolic link to '${host().fs.readlinkSync(p)}', which does not exist; remove the link or make it a folder`, here);
  return false;
}

function realFolder(rootReal: string, p: string, here: string): string {
  const real = host().fs.realpathSync(p);
  if (!isInside(rootReal, real)) {
    throw new WorkspaceError(`is a symbolic link that leads outside the workspace folder (to ${real}); DyNN Lens writes only inside the workspace. Remove the link or make it a folder`, here);
  }
  if (!host().fs.statSync(real).isDirectory()) {
    const via = host().fs.lstatSync(p).isSymbolicLink() ? 'a symbolic link to a file' : 'a file';
    throw new WorkspaceError(`must be a folder, but it is ${via}; remove it or rename it`, here);
  }
  return real;
}

/**
 * Checks that `file` (absolute) can be written without leaving the workspace: when it lies inside the workspace
 * its folder passes `workspaceDir`, and an existing `file` must not be a folder. A path the user named outside the
 * workspace (`--json ../out.json`) is theirs to choose and is not checked. Returns the folder to write into.
 */
export function workspaceOutput(root: string, file: string, options: { create: boolean }): string {
  const rootAbs = host().path.resolve(root);
  if (!isInside(rootAbs, host().path.resolve(file))) return host().path.dirname(host().path.resolve(file));
  const rel = host().path.relative(rootAbs, host().path.resolve(file));
  const dir = workspaceDir(root, host().path.dirname(rel), options);
  const target = host().path.join(dir, host().path.basename(rel));
  let isFolder = false;
  try {
    isFolder = host().fs.statSync(target).isDirectory();
  } catch {
    // Missing (or a dangling link, which the rename replaces): the write creates it.
  }
  if (isFolder) throw new WorkspaceError('is a folder; the file cannot be written there', rel.split(host().path.sep).join('/'));
  return dir;
}

/**
 * What a train or check run will write, checked before any compute starts so a refusal never comes after a long
 * run: the weight cache folder and each output file (absolute). Creates nothing; throws WorkspaceError.
 */
export function checkRunOutputs(root: string, outputs: readonly string[]): void {
  workspaceDir(root, WEIGHTS_DIR, { create: false });
  for (const file of outputs) workspaceOutput(root, file, { create: false });
}
