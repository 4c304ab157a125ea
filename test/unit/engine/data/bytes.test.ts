import * as assert from 'assert';
import { concatBytes, latin1, latin1Bytes, startsWith, u16be, u16le, u32be, u32le, u64le, utf8 } from '../../../../src/engine/data/bytes';

describe('engine/data/bytes: reading numbers and text without Buffer', () => {
  it('reads little- and big-endian integers from a window into a larger buffer, as Buffer does', () => {
    const whole = Buffer.from([0xaa, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0xbb]);
    const win = new Uint8Array(whole.buffer, whole.byteOffset + 1, 8);
    const asBuf = Buffer.from(win.buffer, win.byteOffset, win.byteLength);
    assert.strictEqual(u16le(win, 1), asBuf.readUInt16LE(1));
    assert.strictEqual(u32le(win, 2), asBuf.readUInt32LE(2));
    assert.strictEqual(u16be(win, 1), asBuf.readUInt16BE(1));
    assert.strictEqual(u32be(win, 3), asBuf.readUInt32BE(3));
    assert.strictEqual(u64le(win, 0), asBuf.readBigUInt64LE(0));
    assert.throws(() => u32le(win, 6), RangeError, 'reading past the window throws rather than reading its neighbour');
  });

  it('latin1 maps every byte to one character, including 0x80-0x9f (where windows-1252 would differ)', () => {
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    assert.strictEqual(latin1(all), Buffer.from(all).toString('latin1'));
    assert.deepStrictEqual(latin1Bytes(latin1(all)), all);
    const long = new Uint8Array(20_000).fill(0x41);
    assert.strictEqual(latin1(long, 5, 19_999).length, 19_994, 'long ranges are decoded in chunks, none lost');
  });

  it('utf8 decodes a range and replaces malformed sequences like Buffer does', () => {
    const b = Buffer.concat([Buffer.from('x'), Buffer.from('héllo ✓', 'utf8'), Buffer.from([0xff, 0x41])]);
    assert.strictEqual(utf8(b, 1), b.toString('utf8', 1));
    assert.strictEqual(utf8(b, 1, 3), b.toString('utf8', 1, 3));
  });

  it('startsWith and concatBytes', () => {
    assert.ok(startsWith(Uint8Array.of(1, 2, 3), Uint8Array.of(1, 2)));
    assert.ok(!startsWith(Uint8Array.of(1, 2, 3), Uint8Array.of(1, 3)));
    assert.ok(!startsWith(Uint8Array.of(1), Uint8Array.of(1, 2)), 'a shorter input never matches');
    assert.deepStrictEqual(concatBytes([Uint8Array.of(1), new Uint8Array(0), Uint8Array.of(2, 3)]), Uint8Array.of(1, 2, 3));
  });
});
