// Builders of decompression bombs: small files that declare (and really inflate to) huge contents. Deflate
// streams of zeros are made of one compressed MiB repeated, so a bomb of a gigabyte is built in milliseconds
// without ever holding the gigabyte.

import * as zlib from 'node:zlib';

const MIB = 1024 * 1024;
const FULL_FLUSH = { finishFlush: zlib.constants.Z_FULL_FLUSH };

/** A raw deflate stream of `prefix` followed by `zeros` zero bytes. Full flushes end each piece byte-aligned with
 *  an empty history, so the pieces concatenate into one valid stream. */
export function deflatedZeros(prefix: Buffer, zeros: number): Buffer {
  const parts = [zlib.deflateRawSync(prefix, FULL_FLUSH)];
  const piece = zlib.deflateRawSync(Buffer.alloc(MIB), FULL_FLUSH);
  const whole = Math.floor(zeros / MIB);
  for (let i = 0; i < whole; i++) parts.push(piece);
  parts.push(zlib.deflateRawSync(Buffer.alloc(zeros - whole * MIB)));
  return Buffer.concat(parts);
}

/** A .npy v1 header for `descr` and `shape` (as numpy writes it, padded to 64 bytes). */
export function npyHeader(descr: string, shape: number[]): Buffer {
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let text = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  text += ' '.repeat((64 - ((10 + text.length + 1) % 64)) % 64) + '\n';
  const pre = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, 0, 0]);
  pre.writeUInt16LE(text.length, 8);
  return Buffer.concat([pre, Buffer.from(text, 'latin1')]);
}

/** A ZIP of already-deflated members with the given declared uncompressed sizes (CRC left 0: the reader, like
 *  numpy, relies on the sizes). */
export function zipOfDeflated(members: { name: string; body: Buffer; size: number }[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const m of members) {
    const name = Buffer.from(m.name, 'utf8');
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(8, 8);
    local.writeUInt32LE(m.body.length, 18);
    local.writeUInt32LE(m.size, 22);
    local.writeUInt16LE(name.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(8, 10);
    central.writeUInt32LE(m.body.length, 20);
    central.writeUInt32LE(m.size, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, name, m.body);
    centrals.push(central, name);
    offset += 30 + name.length + m.body.length;
  }
  const cd = Buffer.concat(centrals);
  const eocd = Buffer.alloc(22);
  eocd.writeUInt32LE(0x06054b50, 0);
  eocd.writeUInt16LE(members.length, 8);
  eocd.writeUInt16LE(members.length, 10);
  eocd.writeUInt32LE(cd.length, 12);
  eocd.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, eocd]);
}

/** A deflated .npz member holding a .npy of `descr`/`shape` whose data is all zeros. */
export function npyMemberOfZeros(name: string, descr: string, shape: number[], itemSize: number): { name: string; body: Buffer; size: number } {
  const header = npyHeader(descr, shape);
  const data = shape.reduce((a, b) => a * b, 1) * itemSize;
  return { name, body: deflatedZeros(header, data), size: header.length + data };
}

function pngChunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(zlib.crc32(body) >>> 0);
  return Buffer.concat([len, body, crc]);
}

/** A valid 8-bit grayscale PNG of `width` x `height` black pixels (filter byte 0 on every row). */
export function blackPng(width: number, height: number): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 0; // grayscale
  const raw = height * (width + 1);
  // zlib wrapper: header, raw deflate, Adler-32 of `raw` zeros (a stays 1, b grows by 1 per byte).
  const adler = Buffer.alloc(4);
  adler.writeUInt32BE((((raw % 65521) << 16) | 1) >>> 0);
  const idat = Buffer.concat([Buffer.from([0x78, 0x01]), deflatedZeros(Buffer.alloc(0), raw), adler]);
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return Buffer.concat([signature, pngChunk('IHDR', ihdr), pngChunk('IDAT', idat), pngChunk('IEND', Buffer.alloc(0))]);
}

/** The start of a baseline JPEG that declares a `width` x `height` gray frame (then ends). */
export function hugeJpegFrame(width: number, height: number): Buffer {
  const sof = Buffer.from([0xff, 0xc0, 0, 11, 8, 0, 0, 0, 0, 1, 1, 0x11, 0]);
  sof.writeUInt16BE(height, 5);
  sof.writeUInt16BE(width, 7);
  const app0 = Buffer.from([0xff, 0xe0, 0, 16, 0x4a, 0x46, 0x49, 0x46, 0, 1, 1, 0, 0, 1, 0, 1, 0, 0]);
  return Buffer.concat([Buffer.from([0xff, 0xd8]), app0, sof, Buffer.from([0xff, 0xd9])]);
}
