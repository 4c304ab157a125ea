// The identity of a spec's training data for the weight cache: a sha256 of the bytes training reads, not of the
// paths that name them, so replacing `x_train.npy` with other data of the same shape (even with the same size and
// modification time) gives another cache key, and moving a file without changing it keeps the weights. Computed
// on every load or train: on the main example it costs a few milliseconds once the digits are read (they are
// digested once per process); a user file costs one more read at ~0.7 GB/s, small beside loading and training.
import type { ModelSpec } from '../modelfile/types';
import { host, type HostStats } from '../protocol/host';
import { DataError, fsError } from './data/errors';
import { DEFAULT_MAX_BYTES, checkSize } from './data/limits';
import { loadMnistAll, type MnistAll } from './data/mnist';
import { loadFashionAll } from './data/fashionMnist';
import { joinPosix, resolveInWorkspace } from './data/paths';

const mnistDigests = new WeakMap<MnistAll, string>();

/** The built-in digits: the package version and a digest of the decoded images and labels, once per process. */
async function mnistDigest(): Promise<string> {
  const all = await loadMnistAll();
  let digest = mnistDigests.get(all);
  if (digest === undefined) {
    const bytes = (a: Float32Array | Int32Array): Uint8Array => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
    digest = host().sha256(`mnist ${all.version} x ${host().sha256(bytes(all.x))} y ${host().sha256(bytes(all.y))}`);
    mnistDigests.set(all, digest);
  }
  return digest;
}

/** A workspace path confined like every data path (DataError naming it when missing or outside) and its stat. */
async function confined(root: string, rel: string): Promise<{ real: string; stat: HostStats }> {
  const real = await resolveInWorkspace(root, rel);
  try {
    return { real, stat: await host().fs.stat(real) };
  } catch (e) {
    throw fsError(e, rel);
  }
}

/** One data file, refused above the loaders' size limit before it is read. */
async function fileDigest(root: string, rel: string): Promise<string> {
  const { real, stat } = await confined(root, rel);
  if (stat.isDirectory()) throw new DataError('expected a file but found a folder', rel);
  checkSize(stat.size, DEFAULT_MAX_BYTES, rel, 'the file');
  try {
    return await host().sha256File(real);
  } catch (e) {
    throw fsError(e, rel);
  }
}

/**
 * An image folder as the loader reads it: the class sub-folders, then the files in each, in sorted order, hidden
 * names left out. Any other file in a class folder is digested too (changing it costs a retrain, never stale weights).
 */
async function folderDigest(root: string, rel: string): Promise<string> {
  const parts: string[] = [];
  const walk = async (dir: string, depth: number): Promise<void> => {
    const { real, stat } = await confined(root, dir);
    if (!stat.isDirectory()) throw new DataError('expected a folder but found a file', dir);
    let names: string[];
    try {
      names = (await host().fs.readdir(real)).filter((n) => !n.startsWith('.')).sort();
    } catch (e) {
      throw fsError(e, dir);
    }
    for (const name of names) {
      const child = joinPosix(dir, name);
      const isDir = (await confined(root, child)).stat.isDirectory();
      if (depth === 0 && isDir) {
        parts.push(`class ${name}`);
        await walk(child, 1);
      } else if (depth === 1 && !isDir) parts.push(`file ${child} ${await fileDigest(root, child)}`);
    }
  };
  await walk(rel, 0);
  return host().sha256(parts.join('\n'));
}

/**
 * sha256 of the data `spec` trains on (the training split only: the test split does not change the weights).
 * Throws DataError naming the file when it is missing, outside the workspace or too large, as the loaders do.
 */
export async function trainingDataDigest(spec: ModelSpec, workspaceRoot: string): Promise<string> {
  const data = spec.data;
  if (data.source === 'mnist') return host().sha256(`mnist ${await mnistDigest()}`);
  if (data.source === 'fashion-mnist') {
    // The images' and labels' sha256 were verified against the cache's manifest (or computed while decoding);
    // the split and trainSamples are in the spec's weightsHash.
    const all = await loadFashionAll(workspaceRoot);
    return host().sha256(`fashion-mnist ${all.version} x ${all.sha256.images} y ${all.sha256.labels}`);
  }
  const roles: [string, string | undefined][] =
    data.source === 'npy' ? [['x', data.train], ['y', data.trainLabels]] : [[data.source === 'images' ? 'folder' : 'file', data.train]];
  const digests: string[] = [];
  for (const [role, rel] of roles) {
    if (rel === undefined) continue;
    digests.push(`${role} ${role === 'folder' ? await folderDigest(workspaceRoot, rel) : await fileDigest(workspaceRoot, rel)}`);
  }
  return host().sha256(`${data.source}\n${digests.join('\n')}`);
}
