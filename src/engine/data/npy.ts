// NumPy .npy reader (format versions 1, 2 and 3; see numpy.lib.format). Only little-endian numeric dtypes in C
// order are accepted; everything else is refused with a message naming the file.

import { DataError } from './errors';
import { MAX_NPY_HEADER_BYTES, checkSize } from './limits';
import { concatBytes, latin1, latin1Bytes, startsWith, u16le, u32le, utf8 } from './bytes';
import { type Dtype, type NdArray, SUPPORTED_DTYPES, product, shapeText } from './ndarray';

const MAGIC = Uint8Array.of(0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59); // \x93NUMPY

const ITEM_SIZE: Record<Dtype, number> = { '<f4': 4, '<f8': 8, '|u1': 1, '<i4': 4, '<i8': 8 };

export interface NpyHeader {
  dtype: Dtype;
  shape: number[];
  dataOffset: number;
}

/** Bytes of the magic, version and header-length field that precede the header text. */
const PREAMBLE_BYTES = 12;

/** Bytes a reader needs from the start of a .npy to parse its header, at most: the preamble, the header text
 *  and its length field, capped by MAX_NPY_HEADER_BYTES. */
export const NPY_HEAD_BYTES = PREAMBLE_BYTES + MAX_NPY_HEADER_BYTES;

function normaliseDescr(descr: string): string {
  // NumPy writes single-byte types with '|'; some writers use '<' or '=' for them.
  if (descr === '<u1' || descr === '=u1' || descr === 'u1') return '|u1';
  return descr;
}

export function parseNpyHeader(buf: Uint8Array, file: string): NpyHeader {
  if (buf.length < 10 || !startsWith(buf, MAGIC)) {
    throw new DataError('not a NumPy .npy file (missing the \\x93NUMPY magic bytes)', file);
  }
  const major = buf[6] ?? 0;
  let headerLen: number;
  let headerStart: number;
  if (major === 1) {
    headerLen = u16le(buf, 8);
    headerStart = 10;
  } else if (major === 2 || major === 3) {
    if (buf.length < 12) throw new DataError('truncated .npy header', file);
    headerLen = u32le(buf, 8);
    headerStart = 12;
  } else {
    throw new DataError(`unsupported .npy format version ${major}.${buf[7] ?? 0} (expected 1, 2 or 3)`, file);
  }
  if (headerLen > MAX_NPY_HEADER_BYTES) {
    throw new DataError(`.npy header of ${headerLen} bytes is longer than the limit of ${MAX_NPY_HEADER_BYTES} bytes`, file);
  }
  if (buf.length < headerStart + headerLen) {
    throw new DataError(`truncated .npy header (needs ${headerStart + headerLen} bytes, file has ${buf.length})`, file);
  }
  const header = (major === 3 ? utf8 : latin1)(buf, headerStart, headerStart + headerLen);

  const descrMatch = /['"]descr['"]\s*:\s*['"]([^'"]+)['"]/.exec(header);
  const fortranMatch = /['"]fortran_order['"]\s*:\s*(True|False)/.exec(header);
  const shapeMatch = /['"]shape['"]\s*:\s*\(([^)]*)\)/.exec(header);
  if (!descrMatch?.[1] || !fortranMatch || !shapeMatch) {
    throw new DataError('malformed .npy header (expected descr, fortran_order and shape)', file, header.trim());
  }
  const descr = normaliseDescr(descrMatch[1]);
  if (!(SUPPORTED_DTYPES as readonly string[]).includes(descr)) {
    throw new DataError(
      `unsupported dtype '${descrMatch[1]}' (supported: ${SUPPORTED_DTYPES.join(', ')})`,
      file,
      descr.startsWith('>') ? 'Big-endian data: convert with arr.astype(arr.dtype.newbyteorder("<")).' : undefined,
    );
  }
  if (fortranMatch[1] === 'True') {
    throw new DataError('Fortran-ordered arrays are not supported; save with np.ascontiguousarray(arr)', file);
  }
  const shapeSrc = shapeMatch[1] ?? '';
  const dims = shapeSrc.split(',').map((s) => s.trim()).filter((s) => s !== '');
  const shape = dims.map((d) => (/^\d+L?$/.test(d) ? Number.parseInt(d, 10) : Number.NaN));
  if (shape.some((d) => !Number.isSafeInteger(d))) {
    throw new DataError(`malformed shape (${shapeSrc}) in .npy header`, file);
  }
  return { dtype: descr as Dtype, shape, dataOffset: headerStart + headerLen };
}

/** Refuses a header whose array would exceed `maxBytes` as float32 (or in its own dtype, if wider); returns the
 *  byte length of its data. Called on the header alone, before the data is read or inflated. */
export function checkNpySize(header: NpyHeader, file: string, maxBytes: number): number {
  const count = product(header.shape);
  const itemSize = ITEM_SIZE[header.dtype];
  checkSize(count * Math.max(4, itemSize), maxBytes, file, `array of shape ${shapeText(header.shape)}`);
  return count * itemSize;
}

/** Decodes a whole .npy buffer. `maxBytes` bounds the float32 size of the decoded array (checked before
 *  allocating). */
export function parseNpy(buf: Uint8Array, file: string, maxBytes: number): NdArray {
  const header = parseNpyHeader(buf, file);
  const { dtype, shape, dataOffset } = header;
  const nbytes = checkNpySize(header, file, maxBytes);
  const count = product(shape);
  const available = buf.length - dataOffset;
  if (available < nbytes) {
    throw new DataError(
      `truncated .npy data: shape ${shapeText(shape)} of ${dtype} needs ${nbytes} bytes, file has ${available}`,
      file,
    );
  }
  if (available > nbytes) {
    throw new DataError(
      `.npy file has ${available - nbytes} unexpected bytes after the data of shape ${shapeText(shape)}`,
      file,
    );
  }
  // Copy into a fresh, aligned buffer: the data offset is not guaranteed to be a multiple of the item size.
  const bytes = new Uint8Array(nbytes);
  bytes.set(buf.subarray(dataOffset, dataOffset + nbytes));
  const ab = bytes.buffer;
  switch (dtype) {
    case '<f4':
      return { dtype, shape, data: new Float32Array(ab) };
    case '<f8':
      return { dtype, shape, data: new Float64Array(ab) };
    case '|u1':
      return { dtype, shape, data: bytes };
    case '<i4':
      return { dtype, shape, data: new Int32Array(ab) };
    case '<i8': {
      const big = new BigInt64Array(ab);
      const out = new Float64Array(count);
      for (let i = 0; i < count; i++) {
        const v = big[i] ?? 0n;
        if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) {
          throw new DataError(`int64 value ${v} at flat index ${i} is too large to represent exactly`, file);
        }
        out[i] = Number(v);
      }
      return { dtype, shape, data: out };
    }
  }
}

/** Encodes an array as .npy version 1 (used by tests to write fixtures, and handy for exporting). */
export function encodeNpy(arr: NdArray): Uint8Array {
  const shapeStr = arr.shape.length === 1 ? `(${arr.shape[0]},)` : `(${arr.shape.join(', ')})`;
  let header = `{'descr': '${arr.dtype}', 'fortran_order': False, 'shape': ${shapeStr}, }`;
  const total = 10 + header.length + 1;
  header += ' '.repeat((64 - (total % 64)) % 64) + '\n';
  const pre = new Uint8Array(10);
  pre.set(MAGIC, 0);
  pre[6] = 1;
  pre[7] = 0;
  new DataView(pre.buffer).setUint16(8, header.length, true);
  let body: Uint8Array;
  if (arr.dtype === '<i8') {
    const big = new BigInt64Array(arr.data.length);
    for (let i = 0; i < arr.data.length; i++) big[i] = BigInt(Math.trunc(arr.data[i] ?? 0));
    body = new Uint8Array(big.buffer);
  } else {
    body = new Uint8Array(arr.data.buffer, arr.data.byteOffset, arr.data.byteLength);
  }
  return concatBytes([pre, latin1Bytes(header), body]);
}
