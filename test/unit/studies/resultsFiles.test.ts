// Results on disk: atomic replacement, and a failed write leaves the earlier file as it was.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Results } from '../../../src/protocol/results';
import { resultsFileName, resultsPath, writeFileAtomic, writeResults } from '../../../src/studies/resultsFiles';

function minimal(name: string, accuracy: number): Results {
  return { version: 1, model: { name }, clean: { accuracy } } as unknown as Results;
}

describe('studies: results store', () => {
  let root: string;
  beforeEach(() => (root = fs.mkdtempSync(path.join(os.tmpdir(), 'dynn-store-'))));
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  const leftovers = (dir: string) => fs.readdirSync(dir).filter((f) => f.endsWith('.tmp'));

  it('writes .dynn/results/<model>.json and replaces it on the next run', () => {
    const file = writeResults(root, minimal('mnist-sdn', 0.5));
    assert.equal(file, path.join(root, '.dynn', 'results', 'mnist-sdn.json'));
    writeResults(root, minimal('mnist-sdn', 0.75));
    assert.equal((JSON.parse(fs.readFileSync(file, 'utf8')) as Results).clean.accuracy, 0.75);
    assert.deepEqual(leftovers(path.dirname(file)), []);
  });

  it('a failed write (a value JSON cannot hold) leaves the earlier file intact and no temporary file', () => {
    const file = writeResults(root, minimal('m', 0.5));
    const before = fs.readFileSync(file, 'utf8');
    assert.throws(() => writeResults(root, minimal('m', NaN)), /'accuracy' is NaN/);
    assert.equal(fs.readFileSync(file, 'utf8'), before);
    assert.deepEqual(leftovers(path.dirname(file)), []);
  });

  it('a failed rename leaves the target untouched and removes the temporary file', () => {
    const target = path.join(root, 'busy');
    fs.mkdirSync(target);
    fs.writeFileSync(path.join(target, 'keep.txt'), 'x');
    assert.throws(() => writeFileAtomic(target, 'new text'));
    assert.equal(fs.readFileSync(path.join(target, 'keep.txt'), 'utf8'), 'x');
    assert.deepEqual(leftovers(root), []);
  });

  it('file names are safe for any model name', () => {
    assert.equal(resultsFileName('mnist-sdn'), 'mnist-sdn.json');
    assert.equal(resultsFileName('../../etc/passwd'), '__.._etc_passwd.json');
    assert.equal(resultsFileName('a b/c'), 'a_b_c.json');
    assert.equal(path.dirname(resultsPath(root, '../x')), path.join(root, '.dynn', 'results'));
  });
});
