// Size guard: a data set is refused before anything big is allocated when its decoded float32 form would exceed
// the limit. 1 GiB holds ~340,000 MNIST-sized images, far above what a quick robustness check needs, and far
// below what would take a 2-core editor machine down.

import { DataError } from './errors';

export const DEFAULT_MAX_BYTES = 1024 * 1024 * 1024;

// Compressed inputs (.npz members, PNG, JPEG) are sized from what they declare before anything is inflated: a
// member's .npy header against DEFAULT_MAX_BYTES, an image's header against the input's height and width. These
// caps bound what is read to find out.

/** Longest .npy header accepted (numpy writes ~128 bytes and itself refuses more than 10,000 by default). */
export const MAX_NPY_HEADER_BYTES = 64 * 1024;

/** Compressed bytes fed to the inflater per step while reading the start of a ZIP member: deflate expands at most
 *  ~1032x, so one step can produce at most ~4 MiB before the reader stops it. */
export const INFLATE_STEP_BYTES = 4 * 1024;

export function formatBytes(n: number): string {
  if (n >= 1024 ** 3) return `${(n / 1024 ** 3).toFixed(2)} GiB`;
  if (n >= 1024 ** 2) return `${(n / 1024 ** 2).toFixed(1)} MiB`;
  if (n >= 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${n} bytes`;
}

/** Throws when `bytes` (an estimate made before allocating) exceeds `limit`. */
export function checkSize(bytes: number, limit: number, file: string, what: string): void {
  if (!Number.isFinite(bytes) || bytes > limit) {
    throw new DataError(
      `${what} would need ${Number.isFinite(bytes) ? formatBytes(bytes) : 'an unbounded amount of memory'} ` +
        `(${bytes} bytes), above the limit of ${formatBytes(limit)} (${limit} bytes)`,
      file,
      'Use a smaller subset, or raise the limit (loadData option maxBytes).',
    );
  }
}
