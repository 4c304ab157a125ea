// Reads a confined workspace file after checking its size, so a huge file is refused before it is read.

import * as fs from 'node:fs';
import { DataError, fsError } from './errors';
import { checkSize } from './limits';
import { resolveInWorkspace } from './paths';

export async function readWorkspaceFile(workspaceRoot: string, relPath: string, maxBytes: number): Promise<Buffer> {
  const real = await resolveInWorkspace(workspaceRoot, relPath);
  let stat: fs.Stats;
  try {
    stat = await fs.promises.stat(real);
  } catch (e) {
    throw fsError(e, relPath);
  }
  if (stat.isDirectory()) throw new DataError('expected a file but found a folder', relPath);
  checkSize(stat.size, maxBytes, relPath, 'the file');
  if (stat.size === 0) throw new DataError('file is empty', relPath);
  try {
    return await fs.promises.readFile(real);
  } catch (e) {
    throw fsError(e, relPath);
  }
}
