// Raw DEFLATE on Node (zlib), for the core's ZIP reader (src/engine/data/zip.ts): whole members capped at their
// declared size, and the head of a member inflated in small steps and stopped as soon as enough has come out.
import * as zlib from 'node:zlib';

/** Inflates `raw`; zlib refuses output beyond `maxOutputLength` (a bomb cannot allocate more than declared). */
export function inflateRaw(raw: Uint8Array, maxOutputLength: number): Uint8Array {
  return zlib.inflateRawSync(raw, { maxOutputLength });
}

/** The first `want` bytes of the inflated `raw` (all of it when shorter), fed `step` compressed bytes at a time. */
export function inflateRawHead(raw: Uint8Array, want: number, step: number): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const inflater = zlib.createInflateRaw();
    const parts: Buffer[] = [];
    let got = 0;
    let settled = false;
    const settle = (err?: Error): void => {
      if (settled) return;
      settled = true;
      inflater.destroy();
      if (err) reject(err);
      else resolve(Buffer.concat(parts, got).subarray(0, want));
    };
    inflater.on('data', (chunk: Buffer) => {
      parts.push(chunk);
      got += chunk.length;
      if (got >= want) settle();
    });
    inflater.on('end', () => settle());
    inflater.on('error', settle);
    let at = 0;
    const feed = (): void => {
      while (!settled && at < raw.length) {
        const piece = raw.subarray(at, at + step);
        at += piece.length;
        if (!inflater.write(piece)) {
          inflater.once('drain', feed);
          return;
        }
      }
      if (!settled) inflater.end();
    };
    feed();
  });
}
