// joinPosix stands in for Node's path.posix.join in the core (workspace paths in messages and data digests).
import * as assert from 'assert';
import * as path from 'path';
import { joinPosix } from '../../../../src/engine/data/paths';

describe('engine/data/paths: joinPosix', () => {
  const cases: string[][] = [
    ['images', 'cat'],
    ['./images', 'cat'],
    ['images/', 'cat'],
    ['a//b', 'c'],
    ['a/./b/../c', 'd'],
    ['..', 'x'],
    ['../..', 'x'],
    ['a', '..', '..', 'b'],
    ['/a', '..', '..', 'b'],
    ['a', 'b/'],
    ['.', ''],
    ['', ''],
    ['a/..', ''],
    ['/', ''],
    ['/', 'x/'],
  ];
  for (const parts of cases) {
    it(`joins ${JSON.stringify(parts)} as path.posix.join does`, () => {
      assert.strictEqual(joinPosix(...parts), path.posix.join(...parts));
    });
  }
});
