// The width and height an image file declares, read from its header without decoding any pixels: the PNG IHDR
// chunk, or a JPEG's SOFn frame header. A small file can declare a huge image; the loader refuses it on these
// numbers before the decoder allocates anything.

import { latin1, startsWith, u16be, u32be } from './bytes';
import { DataError } from './errors';

export interface ImageSize {
  width: number;
  height: number;
}

/** Same wording as the decoder's failures: the user sees one kind of message for a file that is not an image. */
function undecodable(what: string, file: string): DataError {
  return new DataError(`cannot decode image (${what})`, file);
}

const PNG_SIGNATURE = Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a);

function pngSize(buf: Uint8Array, file: string): ImageSize {
  // Signature (8), then the first chunk must be IHDR: length (4), type (4), width (4), height (4), ...
  if (buf.length < 24 || !startsWith(buf, PNG_SIGNATURE)) {
    throw undecodable('not a PNG file (missing the PNG signature)', file);
  }
  if (latin1(buf, 12, 16) !== 'IHDR') throw undecodable('corrupt PNG (the first chunk is not IHDR)', file);
  return { width: u32be(buf, 16), height: u32be(buf, 20) };
}

/** SOF0..SOF15 except DHT (C4), JPG (C8) and DAC (CC), which share the range. */
function isFrameMarker(m: number): boolean {
  return m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc;
}

function jpegSize(buf: Uint8Array, file: string): ImageSize {
  if (buf.length < 4 || buf[0] !== 0xff || buf[1] !== 0xd8) throw undecodable('not a JPEG file (missing the SOI marker)', file);
  // Walk the marker segments up to the frame header; each is FF xx followed by a big-endian length that counts
  // itself. The walk is bounded by the buffer: every step advances at least 2 bytes.
  let p = 2;
  while (p + 4 <= buf.length) {
    if (buf[p] !== 0xff) throw undecodable(`corrupt JPEG (expected a marker at byte ${p})`, file);
    const marker = buf[p + 1] as number;
    if (marker === 0xff) {
      p++; // fill byte
      continue;
    }
    if (marker === 0xd9 || marker === 0xda) break; // EOI or start of scan before any frame header
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      p += 2; // markers without a length
      continue;
    }
    const length = u16be(buf, p + 2);
    if (length < 2) throw undecodable(`corrupt JPEG (segment length ${length} at byte ${p})`, file);
    if (isFrameMarker(marker)) {
      if (p + 9 > buf.length) break;
      return { height: u16be(buf, p + 5), width: u16be(buf, p + 7) };
    }
    p += 2 + length;
  }
  throw undecodable('corrupt or truncated JPEG (no frame header before the image data)', file);
}

/** The declared size of a .png / .jpg / .jpeg file (chosen by extension, as the decoder is). */
export function declaredImageSize(buf: Uint8Array, file: string): ImageSize {
  return /\.png$/i.test(file) ? pngSize(buf, file) : jpegSize(buf, file);
}
