// Workspace confinement: user data paths are workspace-relative and must stay inside the workspace, both
// lexically (no `..` escape, no absolute paths elsewhere) and physically (a symlink pointing out is refused).

import { isInside as inside } from '../workspace';
import { DataError, fsError } from './errors';
import { host } from '../../protocol/host';

/** Resolves `relPath` against the workspace and returns its real path; throws DataError when it escapes or is
 *  missing. `relPath` is also the name used in messages. */
export async function resolveInWorkspace(workspaceRoot: string, relPath: string): Promise<string> {
  if (typeof relPath !== 'string' || relPath.trim() === '') {
    throw new DataError('empty data path', String(relPath));
  }
  if (relPath.includes('\0')) throw new DataError('invalid character in path', relPath);
  let rootReal: string;
  try {
    rootReal = await host().fs.realpath(workspaceRoot);
  } catch (e) {
    throw fsError(e, workspaceRoot);
  }
  const lexical = host().path.resolve(rootReal, relPath);
  if (!inside(rootReal, lexical)) {
    throw new DataError('path leaves the workspace folder; data must live inside the workspace', relPath);
  }
  let real: string;
  try {
    real = await host().fs.realpath(lexical);
  } catch (e) {
    throw fsError(e, relPath);
  }
  if (!inside(rootReal, real)) {
    throw new DataError('path is a symbolic link that leads outside the workspace folder', relPath);
  }
  return real;
}

/**
 * `parts` joined with '/' and normalised ('.' dropped, '..' taken back, repeated '/' collapsed) on every host, as
 * Node's path.posix.join does: workspace paths in messages and digests read the same on Windows and POSIX.
 */
export function joinPosix(...parts: string[]): string {
  const joined = parts.filter((p) => p !== '').join('/');
  if (joined === '') return '.';
  const absolute = joined.startsWith('/');
  const out: string[] = [];
  for (const segment of joined.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment !== '..') out.push(segment);
    else if (out.length > 0 && out[out.length - 1] !== '..') out.pop();
    else if (!absolute) out.push('..');
  }
  const body = out.join('/');
  const result = absolute ? `/${body}` : body === '' ? '.' : body;
  return joined.endsWith('/') && !result.endsWith('/') ? `${result}/` : result;
}
