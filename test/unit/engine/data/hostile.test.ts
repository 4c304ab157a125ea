// Hostile data files (issue 13 section 6): each is refused with a message that names the file and says what is
// wrong, without a crash, without reading outside the workspace and without costing more than its size. The cases
// npy.test.ts and loaders.test.ts already cover (bad magic, version, dtype, Fortran order, truncation, paths out of
// the workspace, oversized files) are not repeated here.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { loadArrays } from '../../../../src/engine/data';
import { encodeNpy, parseNpy } from '../../../../src/engine/data/npy';
import { extractZipEntry, listZip, readZipMemberHead } from '../../../../src/engine/data/zip';
import { encodeZip } from './zipFixture';
import { npyHeader, zipOfDeflated } from './bombs';
import { TempWorkspace, rejectsData, specWith } from './helpers';

const LIMIT = 1 << 20;
const npy = (n: number): Uint8Array => encodeNpy({ dtype: '|u1', shape: [n, 4, 4, 1], data: new Uint8Array(n * 16) });
const labels = (n: number): Uint8Array => encodeNpy({ dtype: '|u1', shape: [n], data: new Uint8Array(n) });

/** A header whose text is `dict` verbatim (v1 framing). */
function rawHeader(dict: string): Buffer {
  const pre = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, 0, 0]);
  pre.writeUInt16LE(dict.length, 8);
  return Buffer.concat([pre, Buffer.from(dict, 'latin1')]);
}

describe('engine/data hostile files', () => {
  let ws: TempWorkspace;
  beforeEach(() => {
    ws = new TempWorkspace();
  });
  afterEach(() => ws.dispose());

  describe('npy headers', () => {
    it('refuses negative, non-integer and overflowing dimensions, and products too large to allocate', () => {
      assert.throws(() => parseNpy(npyHeader('<f4', [-1, 3]), 'n.npy', LIMIT), /n\.npy: malformed shape \(-1, 3\)/);
      assert.throws(() => parseNpy(rawHeader("{'descr': '<f4', 'fortran_order': False, 'shape': (2.5,), }\n"), 'n.npy', LIMIT), /malformed shape/);
      assert.throws(() => parseNpy(rawHeader("{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999,), }\n"), 'n.npy', LIMIT), /malformed shape/);
      // Each dimension is safe, the product is not: refused by size, never allocated.
      assert.throws(() => parseNpy(npyHeader('<f4', [2 ** 40, 2 ** 40]), 'n.npy', LIMIT), /n\.npy: array of shape .* would need/);
    });

    it('refuses object, structured and string dtypes', () => {
      assert.throws(() => parseNpy(npyHeader('|O', [1]), 'o.npy', LIMIT), /o\.npy: unsupported dtype '\|O'/);
      assert.throws(() => parseNpy(npyHeader('<U8', [1]), 'o.npy', LIMIT), /unsupported dtype '<U8'/);
      assert.throws(() => parseNpy(rawHeader("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,), }\n"), 'o.npy', LIMIT), /o\.npy: malformed \.npy header/);
    });

    it('refuses a header longer than the cap without reading it', () => {
      const pre = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 2, 0, 0, 0, 0, 0]);
      pre.writeUInt32LE(0xfffffff0, 8);
      assert.throws(() => parseNpy(pre, 'h.npy', LIMIT), /h\.npy: \.npy header of 4294967280 bytes is longer than the limit of 65536 bytes/);
    });
  });

  describe('zip archives', () => {
    const member = Buffer.from('member contents');

    it('refuses absurd entry counts without looping over them', () => {
      const zip = encodeZip([{ name: 'a.npy', data: member }], false);
      const eocd = zip.length - 22;
      const lying = Buffer.from(zip);
      lying.writeUInt16LE(0xfffe, eocd + 8);
      lying.writeUInt16LE(0xfffe, eocd + 10);
      assert.throws(() => listZip(lying, 'z.npz'), /z\.npz: corrupt ZIP central directory at entry 1/);
      // ZIP64: 2^52 entries declared.
      const z64 = Buffer.from(zip);
      z64.writeUInt16LE(0xffff, eocd + 10);
      const end64 = Buffer.alloc(56);
      end64.writeUInt32LE(0x06064b50, 0);
      end64.writeBigUInt64LE(2n ** 52n, 32);
      end64.writeBigUInt64LE(BigInt(z64.readUInt32LE(eocd + 12)), 40);
      end64.writeBigUInt64LE(BigInt(z64.readUInt32LE(eocd + 16)), 48);
      const locator = Buffer.alloc(20);
      locator.writeUInt32LE(0x07064b50, 0);
      locator.writeBigUInt64LE(BigInt(eocd), 8);
      const big = Buffer.concat([z64.subarray(0, eocd), end64, locator, z64.subarray(eocd)]);
      const t0 = performance.now();
      assert.throws(() => listZip(big, 'z.npz'), /z\.npz: corrupt ZIP central directory at entry 1/);
      assert.ok(performance.now() - t0 < 100);
    });

    it('refuses encrypted members, unknown methods, bad local headers and corrupt deflate data, naming the member', async () => {
      const base = encodeZip([{ name: 'a.npy', data: member }], true);
      const cd = base.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]));
      const variant = (edit: (z: Buffer) => void): { zip: Buffer; entry: ReturnType<typeof listZip>[number] } => {
        const zip = Buffer.from(base);
        edit(zip);
        return { zip, entry: listZip(zip, 'z.npz')[0]! };
      };
      const enc = variant((z) => z.writeUInt16LE(1, cd + 8));
      assert.throws(() => extractZipEntry(enc.zip, enc.entry, 'z.npz', LIMIT), /z\.npz \(member a\.npy\): encrypted ZIP members are not supported/);
      const bzip = variant((z) => z.writeUInt16LE(12, cd + 10));
      await assert.rejects(readZipMemberHead(bzip.zip, bzip.entry, 'z.npz', 16), /unsupported ZIP compression method 12/);
      const far = variant((z) => z.writeUInt32LE(0x7ffffff0, cd + 42));
      assert.throws(() => extractZipEntry(far.zip, far.entry, 'z.npz', LIMIT), /z\.npz \(member a\.npy\): corrupt or truncated ZIP \(bad local header\)/);
      const garbage = variant((z) => z.fill(0xff, 30 + 5, 30 + 5 + 4));
      assert.throws(() => extractZipEntry(garbage.zip, garbage.entry, 'z.npz', LIMIT), /z\.npz \(member a\.npy\): cannot inflate ZIP member/);
      await assert.rejects(readZipMemberHead(garbage.zip, garbage.entry, 'z.npz', 16), /z\.npz \(member a\.npy\): cannot inflate ZIP member/);
    });

    it('a member that inflates past its declared size is stopped at that size', () => {
      const body = zlib.deflateRawSync(Buffer.alloc(1 << 20));
      const zip = zipOfDeflated([{ name: 'a.npy', body, size: 1000 }]);
      const [entry] = listZip(zip, 'z.npz');
      assert.throws(() => extractZipEntry(zip, entry!, 'z.npz', LIMIT), /z\.npz \(member a\.npy\): cannot inflate ZIP member \(.*\)/);
    });

    it('member names with path traversal are only names: not matched, nothing written anywhere', async () => {
      const zip = encodeZip([
        { name: '../x_train.npy', data: npy(2) },
        { name: '/abs/y_train.npy', data: labels(2) },
        { name: 'sub/../../x_test.npy', data: npy(2) },
      ], true);
      ws.write('t.npz', zip);
      const before = fs.readdirSync(path.dirname(ws.root)).length;
      await rejectsData(
        loadArrays(specWith({ source: 'npz', train: 't.npz', test: 't.npz' }), ws.root),
        /t\.npz: no train arrays found; members are \[\.\.\/x_train, \/abs\/y_train, sub\/\.\.\/\.\.\/x_test\]/,
      );
      assert.deepEqual(fs.readdirSync(ws.root), ['t.npz']);
      assert.equal(fs.readdirSync(path.dirname(ws.root)).length, before);
    });

    it('a .npz whose member is a .npy with the wrong dtype or a truncated header names the member', async () => {
      const spec = specWith({ source: 'npz', train: 'd.npz', test: 'd.npz' });
      ws.write('d.npz', encodeZip([{ name: 'x_train.npy', data: npyHeader('<c8', [2, 4, 4, 1]) }, { name: 'y_train.npy', data: labels(2) }], true));
      await rejectsData(loadArrays(spec, ws.root), /d\.npz:x_train: unsupported dtype '<c8'/);
      ws.write('d.npz', encodeZip([{ name: 'x_train.npy', data: npy(2).subarray(0, 20) }, { name: 'y_train.npy', data: labels(2) }], true));
      await rejectsData(loadArrays(spec, ws.root), /d\.npz:x_train: truncated \.npy header/);
    });
  });

  describe('csv', () => {
    it('a 10 MB line is refused by its column count without splitting it', async () => {
      ws.write('a.csv', `0,${'1,'.repeat(5 * 1024 * 1024)}1\n`);
      const before = process.memoryUsage().rss;
      const t0 = performance.now();
      await rejectsData(loadArrays(specWith({ source: 'csv', train: 'a.csv', test: 'a.csv' }), ws.root), /a\.csv: line 1 has 5242882 columns, expected 17/);
      assert.ok(performance.now() - t0 < 1000);
      assert.ok(process.memoryUsage().rss - before < 100 * 2 ** 20);
    });

    it('a huge non-numeric cell is quoted shortened', async () => {
      ws.write('b.csv', `0${',1'.repeat(16)}\n0${',1'.repeat(15)},${'x'.repeat(1 << 20)}\n`);
      const e = await rejectsData(loadArrays(specWith({ source: 'csv', train: 'b.csv', test: 'b.csv' }), ws.root), /b\.csv: line 2, column 17: 'x{40}\.\.\.' is not a number$/);
      assert.ok(e.message.length < 200);
    });

    it('binary garbage and a lone header are refused with the file named', async () => {
      ws.write('g.csv', Buffer.from([0xff, 0xfe, 0x00, 0x01, 0x1b, 0x5b, 0x32, 0x4a]));
      await rejectsData(loadArrays(specWith({ source: 'csv', train: 'g.csv', test: 'g.csv' }), ws.root), /^g\.csv: /);
      ws.write('h.csv', 'label,p1,p2\n');
      await rejectsData(loadArrays(specWith({ source: 'csv', train: 'h.csv', test: 'h.csv' }), ws.root), /h\.csv: no data rows/);
    });
  });

  describe('images', () => {
    it('a .png that holds a JPEG, a zero-size PNG header and a truncated PNG are refused with the file named', async () => {
      const spec = specWith({ source: 'images', train: 'i', test: 'i' });
      ws.write('i/0/a.png', Buffer.from([0xff, 0xd8, 0xff, 0xd9]));
      await rejectsData(loadArrays(spec, ws.root), /i\/0\/a\.png: cannot decode image \(not a PNG file/);
      const ihdr = Buffer.alloc(33);
      Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]).copy(ihdr);
      ihdr.write('IHDR', 12, 'latin1');
      ws.write('i/0/a.png', ihdr);
      await rejectsData(loadArrays(spec, ws.root), /i\/0\/a\.png: image is 0x0 \(width x height\), expected 4x4/);
      ihdr.writeUInt32BE(4, 16);
      ihdr.writeUInt32BE(4, 20);
      ws.write('i/0/a.png', ihdr);
      await rejectsData(loadArrays(spec, ws.root), /i\/0\/a\.png: cannot decode image/);
    });
  });
});
