// sha256 digests, the one place the engine hashes bytes: cache keys, the integrity manifest of a cache entry and
// the identity of the training data all go through these two functions.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';

/** Hex sha256 of a string (as UTF-8) or of bytes. */
export function sha256(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Hex sha256 of a file's bytes, read as a stream (a data file may be a gigabyte; it is never held whole). */
export async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of fs.createReadStream(file, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}
