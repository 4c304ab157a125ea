import * as assert from 'node:assert/strict';
import { DataError } from '../../../../src/engine/data/errors';
import { encodeNpy, parseNpy } from '../../../../src/engine/data/npy';
import { extractZipEntry, listZip } from '../../../../src/engine/data/zip';
import { encodeZip } from './zipFixture';

const LIMIT = 1 << 20;

function header(descr: string, shape: string, version = 1): Buffer {
  const text = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shape}, }\n`;
  const pre = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, version, 0]);
  const len = Buffer.alloc(version === 1 ? 2 : 4);
  if (version === 1) len.writeUInt16LE(text.length);
  else len.writeUInt32LE(text.length);
  return Buffer.concat([pre, len, Buffer.from(text, 'latin1')]);
}

describe('engine/data npy', () => {
  it('round-trips every supported dtype', () => {
    const cases = [
      { dtype: '<f4' as const, data: new Float32Array([0.5, -1, 2, 3]) },
      { dtype: '<f8' as const, data: new Float64Array([0.25, 1e-9, 2, 3]) },
      { dtype: '|u1' as const, data: new Uint8Array([0, 7, 255, 3]) },
      { dtype: '<i4' as const, data: new Int32Array([-5, 0, 9, 2 ** 30]) },
      { dtype: '<i8' as const, data: new Float64Array([-5, 0, 9, 2 ** 40]) },
    ];
    for (const c of cases) {
      const out = parseNpy(encodeNpy({ dtype: c.dtype, shape: [2, 2], data: c.data }), 'a.npy', LIMIT);
      assert.equal(out.dtype, c.dtype);
      assert.deepEqual(out.shape, [2, 2]);
      assert.deepEqual(Array.from(out.data), Array.from(c.data));
    }
  });

  it('reads format versions 2 and 3 and an unaligned data offset', () => {
    for (const v of [2, 3]) {
      const buf = Buffer.concat([header('<f4', '(3,)', v), Buffer.from(new Float32Array([1, 2, 3]).buffer)]);
      assert.deepEqual(Array.from(parseNpy(buf, 'v.npy', LIMIT).data), [1, 2, 3]);
    }
  });

  it('reads a one-element array', () => {
    const one = Buffer.concat([header('|u1', '(1,)'), Buffer.from([42])]);
    assert.deepEqual(parseNpy(one, 'a.npy', LIMIT).shape, [1]);
  });

  it('refuses bad magic, unknown version, bad dtype, fortran order and a bad shape', () => {
    assert.throws(() => parseNpy(Buffer.from('hello world, not numpy'), 'x.npy', LIMIT), /x\.npy: not a NumPy \.npy file/);
    const v9 = header('<f4', '(1,)');
    v9[6] = 9;
    assert.throws(() => parseNpy(v9, 'x.npy', LIMIT), /unsupported \.npy format version 9/);
    assert.throws(() => parseNpy(header('<c8', '(1,)'), 'x.npy', LIMIT), /unsupported dtype '<c8' \(supported: <f4, <f8, \|u1, <i4, <i8\)/);
    assert.throws(() => parseNpy(header('>f4', '(1,)'), 'x.npy', LIMIT), (e: DataError) => /unsupported dtype '>f4'/.test(e.message) && /Big-endian/.test(e.detail ?? ''));
    const fortran = Buffer.from(header('<f4', '(1,)').toString('latin1').replace('False', 'True '), 'latin1');
    assert.throws(() => parseNpy(fortran, 'x.npy', LIMIT), /Fortran-ordered/);
    assert.throws(() => parseNpy(header('<f4', '(2, x)'), 'x.npy', LIMIT), /malformed shape/);
  });

  it('detects truncated header and truncated data', () => {
    const full = encodeNpy({ dtype: '<f4', shape: [10, 3], data: new Float32Array(30) });
    assert.throws(() => parseNpy(full.subarray(0, 20), 't.npy', LIMIT), /t\.npy: truncated \.npy header/);
    assert.throws(() => parseNpy(full.subarray(0, full.length - 4), 't.npy', LIMIT), /truncated \.npy data: shape \[10, 3\] of <f4 needs 120 bytes, file has 116/);
    assert.throws(() => parseNpy(Buffer.concat([full, Buffer.from([1, 2])]), 't.npy', LIMIT), /2 unexpected bytes/);
  });

  it('refuses an absurd shape before allocating', () => {
    const buf = header('<f4', '(100000, 100000, 3)');
    assert.throws(() => parseNpy(buf, 'big.npy', LIMIT), (e: DataError) => {
      assert.match(e.message, /would need 111\.76 GiB \(120000000000 bytes\), above the limit of 1\.0 MiB \(1048576 bytes\)/);
      return true;
    });
  });

  it('refuses int64 values that do not fit a double exactly', () => {
    const buf = Buffer.concat([header('<i8', '(1,)'), Buffer.from(new BigInt64Array([2n ** 60n]).buffer)]);
    assert.throws(() => parseNpy(buf, 'i.npy', LIMIT), /too large/);
  });
});

describe('engine/data zip', () => {
  const a = Buffer.from('first member contents '.repeat(20));
  const b = Buffer.from([1, 2, 3]);
  for (const deflate of [false, true]) {
    it(`lists and extracts ${deflate ? 'deflated' : 'stored'} members`, () => {
      const zip = encodeZip([{ name: 'a.npy', data: a }, { name: 'b.npy', data: b }], deflate);
      const entries = listZip(zip, 'z.npz');
      assert.deepEqual(entries.map((e) => e.name), ['a.npy', 'b.npy']);
      assert.deepEqual(extractZipEntry(zip, entries[0]!, 'z.npz', LIMIT), a);
      assert.deepEqual(extractZipEntry(zip, entries[1]!, 'z.npz', LIMIT), b);
    });
  }

  it('refuses a non-zip, a truncated zip and a member above the limit', () => {
    assert.throws(() => listZip(Buffer.alloc(100, 7), 'z.npz'), /z\.npz: not a ZIP archive/);
    const zip = encodeZip([{ name: 'a.npy', data: a }], true);
    assert.throws(() => listZip(zip.subarray(0, zip.length - 30), 'z.npz'), /z\.npz: /);
    const entries = listZip(zip, 'z.npz');
    assert.throws(() => extractZipEntry(zip, entries[0]!, 'z.npz', 100), /z\.npz \(member a\.npy\): ZIP member would need/);
  });

  it('reads ZIP64 size fields from the central directory extra field', () => {
    const zip = encodeZip([{ name: 'a.npy', data: a }], false);
    // Rewrite the central entry to the form numpy's savez (force_zip64) produces: saturated sizes + extra id 1.
    const cd = zip.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]));
    const nameLen = zip.readUInt16LE(cd + 28);
    const extra = Buffer.alloc(20);
    extra.writeUInt16LE(1, 0);
    extra.writeUInt16LE(16, 2);
    extra.writeBigUInt64LE(BigInt(a.length), 4);
    extra.writeBigUInt64LE(BigInt(a.length), 12);
    const central = Buffer.from(zip.subarray(cd, cd + 46 + nameLen));
    central.writeUInt32LE(0xffffffff, 20);
    central.writeUInt32LE(0xffffffff, 24);
    central.writeUInt16LE(extra.length, 30);
    const eocd = Buffer.from(zip.subarray(zip.length - 22));
    eocd.writeUInt32LE(central.length + extra.length, 12);
    const rebuilt = Buffer.concat([zip.subarray(0, cd), central, extra, eocd]);
    const [entry] = listZip(rebuilt, 'z.npz');
    assert.equal(entry!.uncompressedSize, a.length);
    assert.deepEqual(extractZipEntry(rebuilt, entry!, 'z.npz', LIMIT), a);
  });
});
