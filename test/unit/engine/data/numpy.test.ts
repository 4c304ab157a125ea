// Files written by real NumPy (test/fixtures/data, made by make_numpy_fixtures.py): savez_compressed's ZIP64 local
// headers, savez's stored members, int64 labels, a version 3 .npy.

import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadArrays } from '../../../../src/engine/data';
import { parseNpy } from '../../../../src/engine/data/npy';
import { TempWorkspace, specWith } from './helpers';

const FIXTURES = path.join(__dirname, '..', '..', '..', '..', '..', 'test', 'fixtures', 'data');

describe('engine/data files written by NumPy', () => {
  let ws: TempWorkspace;
  before(() => {
    ws = new TempWorkspace();
    for (const f of fs.readdirSync(FIXTURES)) {
      if (/\.(npy|npz)$/.test(f)) ws.write(f, fs.readFileSync(path.join(FIXTURES, f)));
    }
  });
  after(() => ws.dispose());

  it('reads savez_compressed and savez archives', async () => {
    const s = await loadArrays(specWith({ source: 'npz', train: 'numpy-stored.npz', test: 'numpy-compressed.npz' }), ws.root);
    assert.equal(s.train.n, 6);
    assert.deepEqual(Array.from(s.train.y), [0, 1, 2, 0, 1, 2]);
    assert.ok(Math.abs(s.train.x[1]! - 37 / 255) < 1e-6);
    assert.equal(s.test.n, 3);
    assert.deepEqual(Array.from(s.test.y), [2, 1, 0]);
    assert.ok(Math.abs(s.test.x[3]! - 0.3) < 1e-6);
    const c = await loadArrays(specWith({ source: 'npz', train: 'numpy-compressed.npz', test: 'numpy-compressed.npz' }), ws.root);
    assert.match(c.train.description, /members x_train\/y_train \(\|u1\)/);
  });

  it('reads np.save output with int64 labels', async () => {
    const s = await loadArrays(
      specWith({ source: 'npy', train: 'numpy-x.npy', trainLabels: 'numpy-y.npy', test: 'numpy-x.npy', testLabels: 'numpy-y.npy' }),
      ws.root,
    );
    assert.equal(s.test.n, 6);
    assert.deepEqual(Array.from(s.test.y), [0, 1, 2, 0, 1, 2]);
  });

  it('reads a version 3 .npy header', () => {
    const a = parseNpy(fs.readFileSync(path.join(FIXTURES, 'numpy-x-v3.npy')), 'numpy-x-v3.npy', 1 << 20);
    assert.equal(a.dtype, '<f4');
    assert.deepEqual(a.shape, [3, 4, 4]);
    assert.ok(Math.abs((a.data[47] as number) - 0.3) < 1e-6);
  });
});
