// Decompression bombs (issue 13): small files that declare gigabytes are refused from their headers, fast and
// without the memory. Each bomb is loaded in a fresh Node whose peak RSS (getrusage maxrss) is read before and
// after, so the figure is the load's own peak, not what the test runner happened to hold.

import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { loadArrays } from '../../../../src/engine/data';
import { declaredImageSize } from '../../../../src/engine/data/imageHeader';
import { blackPng, hugeJpegFrame, npyMemberOfZeros, zipOfDeflated } from './bombs';
import { TempWorkspace, rejectsData, specWith } from './helpers';

const DATA_INDEX = path.join(__dirname, '..', '..', '..', '..', 'src', 'engine', 'data', 'index.js');
const MNIST_INPUT = { shape: [28, 28, 1] };
const MAX_MS = 1000;
const MAX_EXTRA_MB = 100;

interface Measured {
  ms: number;
  extraMB: number;
  message?: string;
}

/** Loads `spec` from `root` in a fresh Node and reports the time, the extra peak RSS and the error message. */
function loadInChild(spec: unknown, root: string): Measured {
  const script = `
    require(${JSON.stringify(path.join(DATA_INDEX, '..', '..', '..', 'platform', 'node'))}).useNodeHost();
    const data = require(${JSON.stringify(DATA_INDEX)});
    const [spec, root] = JSON.parse(process.argv[1]);
    (async () => {
      const before = process.resourceUsage().maxRSS;
      const t0 = performance.now();
      let message;
      try { await data.loadArrays(spec, root); } catch (e) { message = e.message; }
      const ms = performance.now() - t0;
      console.log(JSON.stringify({ ms, extraMB: (process.resourceUsage().maxRSS - before) / 1024, message }));
    })();`;
  const run = spawnSync(process.execPath, ['-e', script, JSON.stringify([spec, root])], { encoding: 'utf8', timeout: 60_000 });
  const last = run.stdout.trim().split('\n').pop() ?? '';
  assert.ok(last.startsWith('{'), `child failed: ${run.stderr || run.stdout}`);
  return JSON.parse(last) as Measured;
}

function assertCheap(m: Measured, what: string): void {
  assert.ok(m.ms < MAX_MS, `${what} took ${m.ms.toFixed(0)} ms (limit ${MAX_MS})`);
  assert.ok(m.extraMB < MAX_EXTRA_MB, `${what} cost ${m.extraMB.toFixed(0)} MB of extra peak memory (limit ${MAX_EXTRA_MB})`);
}

describe('engine/data decompression bombs', function () {
  this.timeout(60_000);
  let ws: TempWorkspace;
  beforeEach(() => {
    ws = new TempWorkspace();
  });
  afterEach(() => ws.dispose());

  function npzBomb(file: string, descr: string, shape: number[], itemSize: number): number {
    const zip = zipOfDeflated([
      npyMemberOfZeros('x_train.npy', descr, shape, itemSize),
      npyMemberOfZeros('y_train.npy', '|u1', [shape[0] ?? 1], 1),
    ]);
    ws.write(file, zip);
    return zip.length;
  }

  it('a ~1 MB .npz whose member declares 1 GB of uint8 images is refused on its .npy header', () => {
    // 1,250,000 images of 28x28x1 bytes = 980 MB inflated (under the ZIP size check), 3.9 GB as float32.
    const size = npzBomb('bomb.npz', '|u1', [1_250_000, 28, 28, 1], 1);
    assert.ok(size < 1.5 * 1024 * 1024, `the bomb is ${size} bytes`);
    const m = loadInChild(specWith({ source: 'npz', train: 'bomb.npz', test: 'bomb.npz' }, MNIST_INPUT, 10), ws.root);
    assert.match(m.message ?? '', /^bomb\.npz:x_train: array of shape \[1250000, 28, 28, 1\] would need 3\.65 GiB .* above the limit of 1\.00 GiB/);
    assertCheap(m, 'the uint8 npz bomb');
  });

  it('a ~1 MB .npz whose member declares a 1 GB float array of the wrong shape is refused before inflating it', () => {
    // 250,000,000 float32 values = 1 GB, within the size limit, but not images of the input shape.
    npzBomb('flat.npz', '<f4', [250_000_000], 4);
    const m = loadInChild(specWith({ source: 'npz', train: 'flat.npz', test: 'flat.npz' }, MNIST_INPUT, 10), ws.root);
    assert.match(m.message ?? '', /^flat\.npz:x_train: images have shape \[250000000\], expected \[n, 28, 28, 1\]/);
    assertCheap(m, 'the float npz bomb');
  });

  it('a small PNG of 20000x20000 pixels is refused on its IHDR, naming the file', () => {
    const png = blackPng(20_000, 20_000);
    assert.ok(png.length < 1024 * 1024, `the PNG is ${png.length} bytes`);
    assert.deepEqual(declaredImageSize(png, 'big.png'), { width: 20_000, height: 20_000 });
    ws.write('imgs/0/big.png', png);
    const m = loadInChild(specWith({ source: 'images', train: 'imgs', test: 'imgs' }, MNIST_INPUT, 10), ws.root);
    assert.equal(m.message, `${path.join('imgs', '0', 'big.png')}: image is 20000x20000 (width x height), expected 28x28 from input.shape`);
    assertCheap(m, 'the PNG bomb');
  });

  it('a JPEG whose frame header declares 60000x60000 pixels is refused on that header', async () => {
    ws.write('imgs/0/big.jpg', hugeJpegFrame(60_000, 60_000));
    const spec = specWith({ source: 'images', train: 'imgs', test: 'imgs' }, MNIST_INPUT, 10);
    await rejectsData(loadArrays(spec, ws.root), /imgs\/0\/big\.jpg: image is 60000x60000 \(width x height\), expected 28x28/);
  });

  it('refuses a member whose .npy header and ZIP directory disagree on its size, before inflating', async () => {
    const x = npyMemberOfZeros('x_train.npy', '|u1', [10, 28, 28, 1], 1);
    const y = npyMemberOfZeros('y_train.npy', '|u1', [10], 1);
    ws.write('lie.npz', zipOfDeflated([{ ...x, size: x.size + 1000 }, y]));
    const spec = specWith({ source: 'npz', train: 'lie.npz', test: 'lie.npz' }, MNIST_INPUT, 10);
    await rejectsData(loadArrays(spec, ws.root), /lie\.npz \(member x_train\.npy\): the \.npy header declares 7968 bytes, the ZIP directory 8968/);
  });

  it('refuses damaged image headers with a message naming the file', () => {
    assert.throws(() => declaredImageSize(Buffer.from('GIF89a not a png at all...'), 'a.png'), /a\.png: cannot decode image \(not a PNG file/);
    const png = blackPng(2, 2);
    png.write('IDAT', 12, 'latin1');
    assert.throws(() => declaredImageSize(png, 'a.png'), /a\.png: cannot decode image \(corrupt PNG \(the first chunk is not IHDR\)/);
    assert.throws(() => declaredImageSize(Buffer.from([0xff, 0xd8, 0x00, 0x00, 0x00, 0x00]), 'b.jpg'), /b\.jpg: cannot decode image \(corrupt JPEG \(expected a marker at byte 2\)/);
    assert.throws(() => declaredImageSize(Buffer.from([0xff, 0xd8, 0xff, 0xd9, 0, 0]), 'c.jpeg'), /c\.jpeg: cannot decode image \(corrupt or truncated JPEG \(no frame header/);
    assert.throws(() => declaredImageSize(Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 1]), 'd.jpg'), /d\.jpg: cannot decode image \(corrupt JPEG \(segment length 1/);
  });
});
