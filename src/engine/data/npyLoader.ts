// .npy and .npz sources. A .npz may hold both splits; members are looked up by the names in NPZ_MEMBER_NAMES.

import { DataError } from './errors';
import { readWorkspaceFile } from './files';
import { type PixelSource, checkImageShape } from './convert';
import type { NdArray } from './ndarray';
import { NPY_HEAD_BYTES, type NpyHeader, checkNpySize, parseNpy, parseNpyHeader } from './npy';
import { type ZipEntry, extractZipEntry, listZip, memberLabel, readZipMemberHead } from './zip';

export interface LabeledArrays {
  x: NdArray;
  y: NdArray;
  xFile: string;
  yFile: string;
  /** Short provenance, e.g. "NumPy .npz members x_train/y_train". */
  origin: string;
  /** How to read x's values (see toImages' scaling rule); 'array' when absent. */
  source?: PixelSource;
}

export type Split = 'train' | 'test';

/** Accepted (x, y) member name pairs in a .npz, tried in this order (documented in README.md here). */
export const NPZ_MEMBER_NAMES: Record<Split, readonly (readonly [string, string])[]> = {
  train: [['x_train', 'y_train'], ['train_x', 'train_y'], ['train_images', 'train_labels'], ['x', 'y'], ['images', 'labels']],
  test: [['x_test', 'y_test'], ['test_x', 'test_y'], ['test_images', 'test_labels'], ['x', 'y'], ['images', 'labels']],
};

export async function loadNpyPair(
  root: string,
  xFile: string,
  yFile: string | undefined,
  labelsKey: string,
  maxBytes: number,
): Promise<LabeledArrays> {
  if (!yFile) throw new DataError(`data.${labelsKey} is required for source npy (labels live in their own .npy file)`, xFile);
  const x = parseNpy(await readWorkspaceFile(root, xFile, maxBytes), xFile, maxBytes);
  const y = parseNpy(await readWorkspaceFile(root, yFile, maxBytes), yFile, maxBytes);
  return { x, y, xFile, yFile, origin: `NumPy ${x.dtype} ${xFile} + ${yFile}` };
}

/**
 * Decodes one .npz member. Its .npy header is read first (inflating only the start of the member) and the declared
 * array is refused against `maxBytes`, against the member's declared size and by `checkShape` before the rest is
 * inflated: a small archive that declares gigabytes costs nothing.
 */
async function npzMember(
  buf: Uint8Array,
  entry: ZipEntry,
  file: string,
  where: string,
  maxBytes: number,
  checkShape?: (header: NpyHeader) => void,
): Promise<NdArray> {
  const header = parseNpyHeader(await readZipMemberHead(buf, entry, file, NPY_HEAD_BYTES), where);
  const nbytes = checkNpySize(header, where, maxBytes);
  if (header.dataOffset + nbytes !== entry.uncompressedSize) {
    throw new DataError(
      `the .npy header declares ${header.dataOffset + nbytes} bytes, the ZIP directory ${entry.uncompressedSize}`,
      memberLabel(file, entry),
    );
  }
  checkShape?.(header);
  return parseNpy(extractZipEntry(buf, entry, file, maxBytes), where, maxBytes);
}

/** Loads one split's (x, y) pair from a .npz. `inputShape` lets x's declared shape be checked before inflating. */
export async function loadNpz(root: string, file: string, split: Split, maxBytes: number, inputShape?: readonly number[]): Promise<LabeledArrays> {
  const buf = await readWorkspaceFile(root, file, maxBytes);
  const entries = listZip(buf, file);
  const byName = new Map(entries.map((e) => [e.name.replace(/\.npy$/, ''), e]));
  for (const [xn, yn] of NPZ_MEMBER_NAMES[split]) {
    const xe = byName.get(xn);
    const ye = byName.get(yn);
    if (!xe || !ye) continue;
    const xWhere = `${file}:${xn}`;
    const yWhere = `${file}:${yn}`;
    const checkX = inputShape ? (h: NpyHeader): void => void checkImageShape(h.shape, inputShape, xWhere) : undefined;
    const x = await npzMember(buf, xe, file, xWhere, maxBytes, checkX);
    const y = await npzMember(buf, ye, file, yWhere, maxBytes);
    return { x, y, xFile: xWhere, yFile: yWhere, origin: `NumPy .npz ${file} members ${xn}/${yn} (${x.dtype})` };
  }
  const accepted = NPZ_MEMBER_NAMES[split].map(([a, b]) => `${a}/${b}`).join(', ');
  throw new DataError(
    `no ${split} arrays found; members are [${[...byName.keys()].join(', ')}], accepted pairs: ${accepted}`,
    file,
  );
}
