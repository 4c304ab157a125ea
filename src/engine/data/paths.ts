// Workspace confinement: user data paths are workspace-relative and must stay inside the workspace, both
// lexically (no `..` escape, no absolute paths elsewhere) and physically (a symlink pointing out is refused).

import * as fs from 'node:fs';
import * as path from 'node:path';
import { isInside as inside } from '../workspace';
import { DataError, fsError } from './errors';

/** Resolves `relPath` against the workspace and returns its real path; throws DataError when it escapes or is
 *  missing. `relPath` is also the name used in messages. */
export async function resolveInWorkspace(workspaceRoot: string, relPath: string): Promise<string> {
  if (typeof relPath !== 'string' || relPath.trim() === '') {
    throw new DataError('empty data path', String(relPath));
  }
  if (relPath.includes('\0')) throw new DataError('invalid character in path', relPath);
  let rootReal: string;
  try {
    rootReal = await fs.promises.realpath(workspaceRoot);
  } catch (e) {
    throw fsError(e, workspaceRoot);
  }
  const lexical = path.resolve(rootReal, relPath);
  if (!inside(rootReal, lexical)) {
    throw new DataError('path leaves the workspace folder; data must live inside the workspace', relPath);
  }
  let real: string;
  try {
    real = await fs.promises.realpath(lexical);
  } catch (e) {
    throw fsError(e, relPath);
  }
  if (!inside(rootReal, real)) {
    throw new DataError('path is a symbolic link that leads outside the workspace folder', relPath);
  }
  return real;
}
