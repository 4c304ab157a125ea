import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { loadArrays } from '../../../../src/engine/data';
import { encodeNpy } from '../../../../src/engine/data/npy';
import { encodeZip } from './zipFixture';
import type { NdArray } from '../../../../src/engine/data/ndarray';
import { TempWorkspace, rejectsData, specWith } from './helpers';

const N = 6;
const PIX = 16; // input [4, 4, 1]

function bytesX(n = N): NdArray {
  const data = new Uint8Array(n * PIX);
  for (let i = 0; i < data.length; i++) data[i] = (i * 37) % 256;
  return { dtype: '|u1', shape: [n, 4, 4, 1], data };
}
function floatX(n = N, shape: number[] = [n, 4, 4, 1]): NdArray {
  const data = new Float32Array(n * PIX);
  for (let i = 0; i < data.length; i++) data[i] = (i % 11) / 10;
  return { dtype: '<f4', shape, data };
}
function labels(n = N, dtype: '<i8' | '<i4' | '|u1' | '<f4' = '<i8'): NdArray {
  const vals = Array.from({ length: n }, (_, i) => i % 3);
  const data = dtype === '<i4' ? Int32Array.from(vals) : dtype === '|u1' ? Uint8Array.from(vals) : dtype === '<f4' ? Float32Array.from(vals) : Float64Array.from(vals);
  return { dtype, shape: [n], data };
}

describe('engine/data loaders', () => {
  let ws: TempWorkspace;
  beforeEach(() => {
    ws = new TempWorkspace();
  });
  afterEach(() => ws.dispose());

  function npySpec(x: NdArray, y: NdArray, tx: NdArray = x, ty: NdArray = y, input?: { shape: number[]; range?: [number, number] }) {
    ws.write('d/x.npy', encodeNpy(x));
    ws.write('d/y.npy', encodeNpy(y));
    ws.write('d/tx.npy', encodeNpy(tx));
    ws.write('d/ty.npy', encodeNpy(ty));
    return specWith({ source: 'npy', train: 'd/x.npy', trainLabels: 'd/y.npy', test: 'd/tx.npy', testLabels: 'd/ty.npy' }, input);
  }

  describe('npy', () => {
    it('loads uint8 images, scales them to [0, 1] and says so', async () => {
      const s = await loadArrays(npySpec(bytesX(), labels()), ws.root);
      assert.equal(s.train.n, N);
      assert.deepEqual(s.train.shape, [4, 4, 1]);
      assert.equal(s.train.x.length, N * PIX);
      assert.ok(Math.abs(s.train.x[1]! - 37 / 255) < 1e-6);
      assert.deepEqual(Array.from(s.train.y), [0, 1, 2, 0, 1, 2]);
      assert.match(s.train.description, /train: NumPy \|u1 d\/x\.npy \+ d\/y\.npy, 6 samples; 0\.\.255 pixel values scaled to \[0, 1\]/);
    });

    it('maps uint8 to a declared range of [-1, 1]', async () => {
      const s = await loadArrays(npySpec(bytesX(), labels(), undefined, undefined, { shape: [4, 4, 1], range: [-1, 1] }), ws.root);
      assert.equal(s.train.x[0], -1);
      assert.ok(Math.abs(s.train.x[1]! - (-1 + (2 * 37) / 255)) < 1e-6);
    });

    it('accepts [n, H, W] and flat [n, H*W*C] layouts and every label dtype', async () => {
      for (const shape of [[N, 4, 4], [N, 16]]) {
        for (const dt of ['<i4', '|u1', '<f4'] as const) {
          const s = await loadArrays(npySpec(floatX(N, shape), labels(N, dt)), ws.root);
          assert.equal(s.test.n, N);
          assert.ok(Math.abs(s.test.x[3]! - 0.3) < 1e-6);
          assert.deepEqual(Array.from(s.test.y), [0, 1, 2, 0, 1, 2]);
        }
      }
    });

    it('flattens images for a flat input shape', async () => {
      const s = await loadArrays(npySpec(bytesX(), labels(), undefined, undefined, { shape: [16] }), ws.root);
      assert.deepEqual(s.train.shape, [16]);
      assert.equal(s.train.x.length, N * PIX);
      await rejectsData(loadArrays(npySpec(bytesX(), labels(), undefined, undefined, { shape: [15] }), ws.root), /images have shape \[6, 4, 4, 1\], expected \[n, 15\] for input.shape \[15\]/);
    });

    it('names the file and the expected shape on a mismatch, with a channels-first hint', async () => {
      const e = await rejectsData(loadArrays(npySpec(floatX(N, [N, 2, 8]), labels()), ws.root), /d\/x\.npy: images have shape \[6, 2, 8\], expected \[n, 4, 4, 1\] or \[n, 4, 4\] or \[n, 16\]/);
      assert.equal(e.file, 'd/x.npy');
      const chw = await rejectsData(
        loadArrays(npySpec({ dtype: '<f4', shape: [N, 3, 4, 4], data: new Float32Array(N * 48) }, labels(), undefined, undefined, { shape: [4, 4, 3] }), ws.root),
        /images have shape \[6, 3, 4, 4\]/,
      );
      assert.match(chw.detail ?? '', /channels-first/);
    });

    it('counts NaN / Infinity values and reports the first', async () => {
      const x = floatX();
      x.data[20] = Number.NaN;
      x.data[40] = Infinity;
      await rejectsData(loadArrays(npySpec(x, labels()), ws.root), /d\/x\.npy: 2 NaN or infinite values; the first at sample 1 \(flat index 20, value NaN\)/);
    });

    it('refuses float values outside the declared range, hinting at 0..255 pixels', async () => {
      const x = floatX();
      for (let i = 0; i < x.data.length; i++) x.data[i] = (i * 7) % 200;
      const e = await rejectsData(loadArrays(npySpec(x, labels()), ws.root), /values outside the declared input range \[0, 1\] \(data spans 0\.\.199\)/);
      assert.match(e.detail ?? '', /divide by 255/);
    });

    it('refuses labels outside [0, classes) and non-integer labels', async () => {
      const y = labels();
      y.data[4] = 3;
      await rejectsData(loadArrays(npySpec(bytesX(), y), ws.root), /d\/y\.npy: 1 label outside the integers 0\.\.2 \(classes: 3\); the first at index 4 is 3/);
      const yf = labels(N, '<f4');
      yf.data[0] = 0.5;
      yf.data[2] = -1;
      await rejectsData(loadArrays(npySpec(bytesX(), yf), ws.root), /2 labels outside .* index 0 is 0\.5/);
    });

    it('refuses one-hot labels with a hint, and a count mismatch', async () => {
      await rejectsData(
        loadArrays(npySpec(bytesX(), { dtype: '<f4', shape: [N, 3], data: new Float32Array(N * 3) }), ws.root),
        /labels have shape \[6, 3\], expected \[n\] or \[n, 1\]\. One-hot labels/,
      );
      await rejectsData(loadArrays(npySpec(bytesX(), labels(N - 1)), ws.root), /d\/y\.npy: 5 labels for 6 samples in d\/x\.npy/);
    });

    it('reports a missing file, a missing label path and a truncated file', async () => {
      const spec = npySpec(bytesX(), labels());
      fs.rmSync(path.join(ws.root, 'd/ty.npy'));
      await rejectsData(loadArrays(spec, ws.root), /d\/ty\.npy: file or folder not found/);
      const noLabels = specWith({ source: 'npy', train: 'd/x.npy', test: 'd/tx.npy' });
      await rejectsData(loadArrays(noLabels, ws.root), /data\.trainLabels is required/);
      const full = encodeNpy(bytesX());
      ws.write('d/x.npy', full.subarray(0, full.length - 10));
      await rejectsData(loadArrays(spec, ws.root), /d\/x\.npy: truncated \.npy data/);
    });

    it('refuses paths that leave the workspace, directly or through a symlink', async () => {
      const outside = fs.mkdtempSync(path.join(os.tmpdir(), 'dynn-outside-'));
      try {
        fs.writeFileSync(path.join(outside, 'x.npy'), encodeNpy(bytesX()));
        ws.write('d/y.npy', encodeNpy(labels()));
        const rel = path.relative(ws.root, path.join(outside, 'x.npy'));
        for (const p of ['../x.npy', 'd/../../x.npy', rel, path.join(outside, 'x.npy')]) {
          const spec = specWith({ source: 'npy', train: p, trainLabels: 'd/y.npy', test: p, testLabels: 'd/y.npy' });
          await rejectsData(loadArrays(spec, ws.root), /path leaves the workspace folder/);
        }
        fs.symlinkSync(path.join(outside, 'x.npy'), path.join(ws.root, 'd', 'link.npy'));
        const spec = specWith({ source: 'npy', train: 'd/link.npy', trainLabels: 'd/y.npy', test: 'd/link.npy', testLabels: 'd/y.npy' });
        await rejectsData(loadArrays(spec, ws.root), /d\/link\.npy: path is a symbolic link that leads outside/);
      } finally {
        fs.rmSync(outside, { recursive: true, force: true });
      }
    });

    it('refuses data above the size limit before decoding it', async () => {
      const spec = npySpec(bytesX(), labels());
      await rejectsData(loadArrays(spec, ws.root, { maxBytes: 200 }), /d\/x\.npy: the file would need .* above the limit of 200 bytes/);
      await rejectsData(loadArrays(spec, ws.root, { maxBytes: 300 }), /d\/x\.npy: array of shape \[6, 4, 4, 1\] would need 384 bytes/);
    });

    it('keeps evenly spaced samples with maxTrain / maxTest', async () => {
      const s = await loadArrays(npySpec(bytesX(), labels()), ws.root, { maxTrain: 3, maxTest: 2 });
      assert.equal(s.train.n, 3);
      assert.deepEqual(Array.from(s.train.y), [0, 2, 1]);
      assert.equal(s.train.x.length, 3 * PIX);
      // The second kept sample is sample 2, whose first byte is (2 * 16 * 37) % 256 = 160.
      assert.ok(Math.abs(s.train.x[PIX]! - 160 / 255) < 1e-6);
      assert.equal(s.test.n, 2);
      assert.match(s.train.description, /using 3 evenly spaced samples/);
    });
  });

  describe('npz', () => {
    const member = (name: string, a: NdArray) => ({ name: `${name}.npy`, data: encodeNpy(a) });
    for (const deflate of [false, true]) {
      it(`reads x_train/y_train/x_test/y_test from one ${deflate ? 'deflated' : 'stored'} archive`, async () => {
        ws.write('d.npz', encodeZip([member('x_train', bytesX()), member('y_train', labels()), member('x_test', bytesX(3)), member('y_test', labels(3))], deflate));
        const s = await loadArrays(specWith({ source: 'npz', train: 'd.npz', test: 'd.npz' }), ws.root);
        assert.equal(s.train.n, N);
        assert.equal(s.test.n, 3);
        assert.match(s.test.description, /NumPy \.npz d\.npz members x_test\/y_test/);
      });
    }

    it('reads x/y members from separate files and refuses one x/y file used for both splits', async () => {
      ws.write('tr.npz', encodeZip([member('x', bytesX()), member('y', labels())], true));
      ws.write('te.npz', encodeZip([member('images', bytesX(3)), member('labels', labels(3))], true));
      const s = await loadArrays(specWith({ source: 'npz', train: 'tr.npz', test: 'te.npz' }), ws.root);
      assert.equal(s.test.n, 3);
      await rejectsData(loadArrays(specWith({ source: 'npz', train: 'tr.npz', test: 'tr.npz' }), ws.root), /train and test resolve to the same arrays/);
    });

    it('lists the members and the accepted names when none match', async () => {
      ws.write('d.npz', encodeZip([member('a', bytesX()), member('b', labels())], false));
      await rejectsData(loadArrays(specWith({ source: 'npz', train: 'd.npz', test: 'd.npz' }), ws.root), /d\.npz: no train arrays found; members are \[a, b\], accepted pairs: x_train\/y_train/);
    });

    it('names the member in errors inside it', async () => {
      const y = labels();
      y.data[1] = 7;
      ws.write('d.npz', encodeZip([member('x_train', bytesX()), member('y_train', y), member('x_test', bytesX()), member('y_test', labels())], true));
      await rejectsData(loadArrays(specWith({ source: 'npz', train: 'd.npz', test: 'd.npz' }), ws.root), /d\.npz:y_train: 1 label outside/);
    });
  });

  describe('csv', () => {
    const row = (label: number, v: (i: number) => number) => [label, ...Array.from({ length: PIX }, (_, i) => v(i))].join(',');
    it('reads a CSV with a header, scales 0..255 integers and says so', async () => {
      const header = ['label', ...Array.from({ length: PIX }, (_, i) => `p${i}`)].join(',');
      ws.write('tr.csv', [header, row(0, (i) => i * 10), row(2, () => 255), ''].join('\r\n'));
      ws.write('te.csv', [row(1, () => 0)].join('\n'));
      const s = await loadArrays(specWith({ source: 'csv', train: 'tr.csv', test: 'te.csv' }), ws.root);
      assert.equal(s.train.n, 2);
      assert.deepEqual(Array.from(s.train.y), [0, 2]);
      assert.ok(Math.abs(s.train.x[3]! - 30 / 255) < 1e-6);
      assert.equal(s.train.x[PIX], 1);
      assert.match(s.train.description, /CSV tr\.csv \(with header\), 2 samples; 0\.\.255 pixel values scaled/);
      assert.equal(s.test.n, 1);
    });

    it('keeps float values already in range', async () => {
      ws.write('a.csv', row(1, (i) => i / 20));
      const s = await loadArrays(specWith({ source: 'csv', train: 'a.csv', test: 'a.csv' }), ws.root);
      assert.ok(Math.abs(s.train.x[5]! - 0.25) < 1e-6);
      assert.equal(s.train.description.includes('scaled'), false);
    });

    it('names the line for a wrong column count and a non-number', async () => {
      ws.write('a.csv', [row(0, () => 1), '1,2,3'].join('\n'));
      await rejectsData(loadArrays(specWith({ source: 'csv', train: 'a.csv', test: 'a.csv' }), ws.root), /a\.csv: line 2 has 3 columns, expected 17/);
      ws.write('b.csv', [row(0, () => 1), row(0, () => 1).replace(/,1$/, ',abc')].join('\n'));
      await rejectsData(loadArrays(specWith({ source: 'csv', train: 'b.csv', test: 'b.csv' }), ws.root), /b\.csv: line 2, column 17: 'abc' is not a number/);
    });

    it('reports NaN cells and an empty file', async () => {
      ws.write('a.csv', [row(0, () => 0.5), row(1, (i) => (i === 3 ? Number.NaN : 0.5))].join('\n'));
      await rejectsData(loadArrays(specWith({ source: 'csv', train: 'a.csv', test: 'a.csv' }), ws.root), /a\.csv: 1 NaN or infinite value; the first at sample 1 \(flat index 19/);
      ws.write('e.csv', 'label,p0\n');
      await rejectsData(loadArrays(specWith({ source: 'csv', train: 'e.csv', test: 'e.csv' }), ws.root), /e\.csv: no data rows/);
      ws.write('z.csv', '');
      await rejectsData(loadArrays(specWith({ source: 'csv', train: 'z.csv', test: 'z.csv' }), ws.root), /z\.csv: file is empty/);
    });
  });

  describe('image folders', () => {
    function png(w: number, h: number, v: (x: number, y: number) => [number, number, number]): Buffer {
      const p = new PNG({ width: w, height: h });
      for (let y = 0; y < h; y++) {
        for (let x = 0; x < w; x++) {
          const [r, g, b] = v(x, y);
          const o = 4 * (y * w + x);
          p.data[o] = r;
          p.data[o + 1] = g;
          p.data[o + 2] = b;
          p.data[o + 3] = 255;
        }
      }
      return PNG.sync.write(p);
    }
    function jpg(w: number, h: number, value: number): Buffer {
      const data = Buffer.alloc(w * h * 4, value);
      return jpeg.encode({ width: w, height: h, data }, 100).data;
    }

    it('loads PNG and JPEG class folders (sorted names) as grayscale scaled to [0, 1]', async () => {
      ws.write('img/train/cat/a.png', png(4, 4, (x) => [x * 60, x * 60, x * 60]));
      ws.write('img/train/cat/b.jpg', jpg(4, 4, 200));
      ws.write('img/train/dog/c.png', png(4, 4, () => [255, 0, 0]));
      ws.write('img/train/dog/notes.txt', 'ignored');
      ws.write('img/test/dog/d.png', png(4, 4, () => [0, 0, 0]));
      const s = await loadArrays(specWith({ source: 'images', train: 'img/train', test: 'img/test' }), ws.root);
      assert.equal(s.train.n, 3);
      assert.deepEqual(Array.from(s.train.y), [0, 0, 1]);
      assert.ok(Math.abs(s.train.x[2]! - 120 / 255) < 1e-6, 'gray PNG pixel');
      assert.ok(Math.abs(s.train.x[PIX]! - 200 / 255) < 0.02, 'JPEG pixel (lossy)');
      assert.ok(Math.abs(s.train.x[2 * PIX]! - Math.round(0.299 * 255) / 255) < 1e-6, 'red to luma');
      assert.deepEqual(Array.from(s.test.y), [1]);
      assert.match(s.train.description, /image folder img\/train \(2 classes: cat, dog\), 3 samples; 0\.\.255 pixel values scaled/);
    });

    it('uses numeric folder names as class indices and keeps RGB channels', async () => {
      ws.write('t/0/a.png', png(2, 2, () => [10, 20, 30]));
      ws.write('t/2/a.png', png(2, 2, () => [40, 50, 60]));
      const s = await loadArrays(specWith({ source: 'images', train: 't', test: 't' }, { shape: [2, 2, 3], range: [0, 255] }), ws.root);
      assert.deepEqual(Array.from(s.train.y), [0, 2]);
      assert.deepEqual(Array.from(s.train.x.subarray(0, 3)), [10, 20, 30]);
      assert.deepEqual(Array.from(s.train.x.subarray(12, 15)), [40, 50, 60]);
    });

    it('refuses wrong image sizes, empty folders, empty classes, unknown test classes and class indices >= classes', async () => {
      const spec = specWith({ source: 'images', train: 'tr', test: 'te' });
      ws.mkdir('tr');
      ws.mkdir('te');
      await rejectsData(loadArrays(spec, ws.root), /tr: empty folder: expected one sub-folder/);
      ws.mkdir('tr/a');
      await rejectsData(loadArrays(spec, ws.root), /tr\/a: class folder has no \.png, \.jpg or \.jpeg images/);
      ws.write('tr/a/x.png', png(5, 4, () => [0, 0, 0]));
      await rejectsData(loadArrays(spec, ws.root), /tr\/a\/x\.png: image is 5x4 \(width x height\), expected 4x4/);
      ws.write('tr/a/x.png', png(4, 4, () => [0, 0, 0]));
      ws.write('te/b/x.png', png(4, 4, () => [0, 0, 0]));
      await rejectsData(loadArrays(spec, ws.root), /te\/b: class folder 'b' does not exist in the train folder \(classes: a\)/);
      ws.write('num/7/x.png', png(4, 4, () => [0, 0, 0]));
      await rejectsData(loadArrays(specWith({ source: 'images', train: 'num', test: 'num' }), ws.root), /num\/7: class folder '7' maps to class index 7, outside 0\.\.2/);
      const outside = fs.mkdtempSync(path.join(os.tmpdir(), 'dynn-outside-'));
      try {
        fs.writeFileSync(path.join(outside, 'o.png'), png(4, 4, () => [0, 0, 0]));
        fs.symlinkSync(path.join(outside, 'o.png'), path.join(ws.root, 'tr/a/y.png'));
        await rejectsData(loadArrays(spec, ws.root), /tr\/a\/y\.png: path is a symbolic link that leads outside/);
      } finally {
        fs.rmSync(path.join(ws.root, 'tr/a/y.png'));
        fs.rmSync(outside, { recursive: true, force: true });
      }
      ws.write('tr/a/broken.png', Buffer.from('not a png'));
      await rejectsData(loadArrays(spec, ws.root), /tr\/a\/broken\.png: cannot decode image/);
      await rejectsData(loadArrays(specWith({ source: 'images', train: 'missing', test: 'te' }), ws.root), /missing: file or folder not found/);
    });
  });
});
