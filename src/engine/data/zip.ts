// Minimal ZIP reader for .npz files: reads the central directory (ZIP64 included, which numpy's savez writes
// for its members) and extracts stored or deflated members. Sizes come from the central directory; inflation is
// capped at the declared size, so a zip bomb cannot allocate more than the size check allowed. The start of a
// member can be read alone (readZipMemberHead), so a loader can refuse it on its own header before inflating it.

import { u16le, u32le, u64le, utf8 } from './bytes';
import { DataError } from './errors';
import { INFLATE_STEP_BYTES, checkSize } from './limits';
import { host } from '../../protocol/host';

export interface ZipEntry {
  name: string;
  method: number;
  flags: number;
  compressedSize: number;
  uncompressedSize: number;
  localHeaderOffset: number;
}

const EOCD_SIG = 0x06054b50;
const EOCD64_LOCATOR_SIG = 0x07064b50;
const EOCD64_SIG = 0x06064b50;
const CENTRAL_SIG = 0x02014b50;
const LOCAL_SIG = 0x04034b50;
const U32_MAX = 0xffffffff;

function readU64(buf: Uint8Array, at: number, file: string): number {
  const v = u64le(buf, at);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new DataError('ZIP size field out of range', file);
  return Number(v);
}

function findEocd(buf: Uint8Array, file: string): number {
  // The end record is 22 bytes plus a comment of at most 65535 bytes.
  const stop = Math.max(0, buf.length - 22 - 0xffff);
  for (let i = buf.length - 22; i >= stop; i--) {
    if (u32le(buf, i) === EOCD_SIG) return i;
  }
  throw new DataError('not a ZIP archive, or truncated (no end-of-central-directory record)', file);
}

export function listZip(buf: Uint8Array, file: string): ZipEntry[] {
  if (buf.length < 22) throw new DataError('not a ZIP archive (file too small)', file);
  const eocd = findEocd(buf, file);
  let count = u16le(buf, eocd + 10);
  let cdSize = u32le(buf, eocd + 12);
  let cdOffset = u32le(buf, eocd + 16);
  if (count === 0xffff || cdSize === U32_MAX || cdOffset === U32_MAX) {
    const loc = eocd - 20;
    if (loc < 0 || u32le(buf, loc) !== EOCD64_LOCATOR_SIG) {
      throw new DataError('ZIP64 archive without a ZIP64 locator', file);
    }
    const e64 = readU64(buf, loc + 8, file);
    if (e64 + 56 > buf.length || u32le(buf, e64) !== EOCD64_SIG) {
      throw new DataError('ZIP64 end record missing or truncated', file);
    }
    count = readU64(buf, e64 + 32, file);
    cdSize = readU64(buf, e64 + 40, file);
    cdOffset = readU64(buf, e64 + 48, file);
  }
  if (cdOffset + cdSize > buf.length) throw new DataError('truncated ZIP archive (central directory cut off)', file);

  const entries: ZipEntry[] = [];
  let p = cdOffset;
  for (let i = 0; i < count; i++) {
    if (p + 46 > buf.length || u32le(buf, p) !== CENTRAL_SIG) {
      throw new DataError(`corrupt ZIP central directory at entry ${i}`, file);
    }
    const flags = u16le(buf, p + 8);
    const method = u16le(buf, p + 10);
    let compressedSize = u32le(buf, p + 20);
    let uncompressedSize = u32le(buf, p + 24);
    const nameLen = u16le(buf, p + 28);
    const extraLen = u16le(buf, p + 30);
    const commentLen = u16le(buf, p + 32);
    let localHeaderOffset = u32le(buf, p + 42);
    const name = utf8(buf, p + 46, p + 46 + nameLen);
    // ZIP64 extra field (id 1) carries, in order, only the fields whose 32-bit slot is saturated.
    let x = p + 46 + nameLen;
    const xEnd = x + extraLen;
    while (x + 4 <= xEnd) {
      const id = u16le(buf, x);
      const size = u16le(buf, x + 2);
      if (id === 1) {
        let q = x + 4;
        if (uncompressedSize === U32_MAX) { uncompressedSize = readU64(buf, q, file); q += 8; }
        if (compressedSize === U32_MAX) { compressedSize = readU64(buf, q, file); q += 8; }
        if (localHeaderOffset === U32_MAX) { localHeaderOffset = readU64(buf, q, file); q += 8; }
      }
      x += 4 + size;
    }
    entries.push({ name, method, flags, compressedSize, uncompressedSize, localHeaderOffset });
    p += 46 + nameLen + extraLen + commentLen;
  }
  return entries;
}

/** How errors inside a member name it. */
export function memberLabel(file: string, entry: ZipEntry): string {
  return `${file} (member ${entry.name})`;
}

/** The member's compressed bytes, after checks that need nothing inflated. */
function memberData(buf: Uint8Array, entry: ZipEntry, where: string): Uint8Array {
  if (entry.flags & 1) throw new DataError('encrypted ZIP members are not supported', where);
  if (entry.method !== 0 && entry.method !== 8) {
    throw new DataError(`unsupported ZIP compression method ${entry.method} (only stored and deflate)`, where);
  }
  const h = entry.localHeaderOffset;
  if (h + 30 > buf.length || u32le(buf, h) !== LOCAL_SIG) {
    throw new DataError('corrupt or truncated ZIP (bad local header)', where);
  }
  const start = h + 30 + u16le(buf, h + 26) + u16le(buf, h + 28);
  const end = start + entry.compressedSize;
  if (end > buf.length) throw new DataError('truncated ZIP member data', where);
  const raw = buf.subarray(start, end);
  if (entry.method === 0 && entry.compressedSize !== entry.uncompressedSize) throw new DataError('corrupt stored ZIP member', where);
  return raw;
}

function inflateError(e: unknown, where: string): DataError {
  return new DataError(`cannot inflate ZIP member (${e instanceof Error ? e.message : String(e)})`, where);
}

export function extractZipEntry(buf: Uint8Array, entry: ZipEntry, file: string, maxBytes: number): Uint8Array {
  const where = memberLabel(file, entry);
  checkSize(entry.uncompressedSize, maxBytes, where, 'ZIP member');
  const raw = memberData(buf, entry, where);
  if (entry.method === 0) return raw;
  let out: Uint8Array;
  try {
    out = host().inflateRaw(raw, Math.max(1, entry.uncompressedSize));
  } catch (e) {
    throw inflateError(e, where);
  }
  if (out.length !== entry.uncompressedSize) {
    throw new DataError(`ZIP member inflated to ${out.length} bytes, expected ${entry.uncompressedSize}`, where);
  }
  return out;
}

/**
 * The first `bytes` bytes of a member's content (all of it when shorter). A deflated member is inflated in small
 * steps and the inflater is stopped as soon as enough has come out, so reading the head of a bomb costs a few MiB.
 */
export async function readZipMemberHead(buf: Uint8Array, entry: ZipEntry, file: string, bytes: number): Promise<Uint8Array> {
  const where = memberLabel(file, entry);
  const raw = memberData(buf, entry, where);
  if (entry.method === 0) return raw.subarray(0, bytes);
  try {
    const head = await host().inflateRawHead(raw, bytes, INFLATE_STEP_BYTES);
    return head;
  } catch (e) {
    throw inflateError(e, where);
  }
}
