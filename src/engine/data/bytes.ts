// Reading numbers and text out of raw bytes without Node's Buffer, so the decoders run on any host (the core is
// free of Node; see docs/architecture.md). Every reader is bounds-checked by DataView: reading past the end throws
// a RangeError, which the callers never reach because they check lengths first.

/** A DataView over exactly these bytes (a Uint8Array may be a window into a larger buffer). */
function view(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

export const u16le = (b: Uint8Array, at: number): number => view(b).getUint16(at, true);
export const u32le = (b: Uint8Array, at: number): number => view(b).getUint32(at, true);
export const u64le = (b: Uint8Array, at: number): bigint => view(b).getBigUint64(at, true);
export const u16be = (b: Uint8Array, at: number): number => view(b).getUint16(at, false);
export const u32be = (b: Uint8Array, at: number): number => view(b).getUint32(at, false);

/** True when `b` begins with the bytes of `prefix`. */
export function startsWith(b: Uint8Array, prefix: Uint8Array): boolean {
  if (b.length < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (b[i] !== prefix[i]) return false;
  return true;
}

/** Bytes [start, end) as ISO-8859-1, one character per byte (TextDecoder's 'latin1' is windows-1252, which differs). */
export function latin1(b: Uint8Array, start = 0, end = b.length): string {
  let s = '';
  for (let i = start; i < end; i += 8192) s += String.fromCharCode(...b.subarray(i, Math.min(end, i + 8192)));
  return s;
}

/** A string as ISO-8859-1 bytes (characters above U+00FF are not expected: callers write ASCII). */
export function latin1Bytes(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i) & 0xff;
  return out;
}

const UTF8 = new TextDecoder('utf-8');

/** Bytes [start, end) as UTF-8 (malformed sequences become U+FFFD, as Buffer's toString does). */
export function utf8(b: Uint8Array, start = 0, end = b.length): string {
  return UTF8.decode(b.subarray(start, end));
}

/** The arrays one after the other in a new array. */
export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
