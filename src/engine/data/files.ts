// Reads a confined workspace file after checking its size, so a huge file is refused before it is read.

import { DataError, fsError } from './errors';
import { checkSize } from './limits';
import { resolveInWorkspace } from './paths';
import { host, type HostStats } from '../../protocol/host';

export async function readWorkspaceFile(workspaceRoot: string, relPath: string, maxBytes: number): Promise<Uint8Array> {
  const real = await resolveInWorkspace(workspaceRoot, relPath);
  let stat: HostStats;
  try {
    stat = await host().fs.stat(real);
  } catch (e) {
    throw fsError(e, relPath);
  }
  if (stat.isDirectory()) throw new DataError('expected a file but found a folder', relPath);
  checkSize(stat.size, maxBytes, relPath, 'the file');
  if (stat.size === 0) throw new DataError('file is empty', relPath);
  try {
    return await host().fs.readFile(real);
  } catch (e) {
    throw fsError(e, relPath);
  }
}
