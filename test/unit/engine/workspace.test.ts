// Confinement of what DyNN Lens writes: `.dynn` and every folder under it must be real folders inside the workspace.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { checkRunOutputs, workspaceDir, workspaceOutput, WorkspaceError } from '../../../src/engine/workspace';
import { writeResults, writeWorkspaceFile } from '../../../src/studies/resultsFiles';
import type { Results } from '../../../src/protocol/results';

describe('engine/workspace: .dynn is confined to the workspace', () => {
  let base: string;
  let root: string;
  let outside: string;
  beforeEach(() => {
    base = fs.mkdtempSync(path.join(os.tmpdir(), 'dynn-confine-'));
    root = path.join(base, 'ws');
    outside = path.join(base, 'elsewhere');
    fs.mkdirSync(root);
    fs.mkdirSync(outside);
  });
  afterEach(() => fs.rmSync(base, { recursive: true, force: true }));

  const refused = (file: string, message: RegExp) => (e: unknown) => e instanceof WorkspaceError && e.file === file && e.message.startsWith(`${file}: `) && message.test(e.message);
  const results = { version: 1, model: { name: 'm' }, clean: { accuracy: 0.5 } } as unknown as Results;

  it('creates missing folders inside the workspace, and a check alone creates nothing', () => {
    checkRunOutputs(root, [path.join(root, '.dynn', 'results', 'm.json')]);
    assert.deepEqual(fs.readdirSync(root), []);
    const dir = workspaceDir(root, '.dynn/weights', { create: true });
    assert.equal(dir, path.join(fs.realpathSync(root), '.dynn', 'weights'));
    assert.ok(fs.statSync(dir).isDirectory());
  });

  it('.dynn a symbolic link to a folder outside the workspace: refused, nothing written there', () => {
    fs.symlinkSync(outside, path.join(root, '.dynn'));
    assert.throws(() => workspaceDir(root, '.dynn/weights', { create: false }), refused('.dynn', /symbolic link that leads outside the workspace folder/));
    assert.throws(() => writeResults(root, results), refused('.dynn', /outside the workspace/));
    assert.throws(() => checkRunOutputs(root, []), WorkspaceError);
    assert.deepEqual(fs.readdirSync(outside), []);
  });

  it('.dynn/weights a symbolic link outside: refused, nothing written there', () => {
    fs.mkdirSync(path.join(root, '.dynn'));
    fs.symlinkSync(outside, path.join(root, '.dynn', 'weights'));
    assert.throws(() => workspaceDir(root, '.dynn/weights', { create: true }), refused('.dynn/weights', /leads outside the workspace folder \(to .*elsewhere\)/));
    assert.deepEqual(fs.readdirSync(outside), []);
  });

  it('.dynn/results a file, or a symbolic link to a file: refused as not a folder', () => {
    fs.mkdirSync(path.join(root, '.dynn'));
    fs.writeFileSync(path.join(root, '.dynn', 'results'), 'not a folder');
    const file = path.join(root, '.dynn', 'results', 'm.json');
    assert.throws(() => checkRunOutputs(root, [file]), refused('.dynn/results', /must be a folder, but it is a file/));
    fs.rmSync(path.join(root, '.dynn', 'results'));
    fs.writeFileSync(path.join(root, 'target.txt'), 'x');
    fs.symlinkSync(path.join(root, 'target.txt'), path.join(root, '.dynn', 'results'));
    assert.throws(() => checkRunOutputs(root, [file]), refused('.dynn/results', /it is a symbolic link to a file/));
    assert.throws(() => writeResults(root, results), refused('.dynn/results', /symbolic link to a file/));
    assert.equal(fs.readFileSync(path.join(root, 'target.txt'), 'utf8'), 'x');
  });

  it('a dangling link and an output that is a folder are refused; `..` cannot leave the workspace', () => {
    fs.symlinkSync(path.join(root, 'gone'), path.join(root, '.dynn'));
    assert.throws(() => workspaceDir(root, '.dynn/weights', { create: true }), refused('.dynn', /does not exist/));
    fs.rmSync(path.join(root, '.dynn'));
    fs.mkdirSync(path.join(root, '.dynn', 'results', 'm.json'), { recursive: true });
    assert.throws(() => checkRunOutputs(root, [path.join(root, '.dynn', 'results', 'm.json')]), refused('.dynn/results/m.json', /is a folder/));
    assert.throws(() => workspaceDir(root, '../elsewhere', { create: true }), refused('../elsewhere', /leaves the workspace folder/));
  });

  it('a symbolic link that stays inside the workspace is allowed, and writes land inside', () => {
    fs.mkdirSync(path.join(root, 'cache-here'));
    fs.symlinkSync(path.join(root, 'cache-here'), path.join(root, '.dynn'));
    const written = writeWorkspaceFile(root, path.join(root, '.dynn', 'reports', 'r.md'), '# report\n');
    assert.equal(written, path.join(fs.realpathSync(root), 'cache-here', 'reports', 'r.md'));
    assert.equal(fs.readFileSync(path.join(root, 'cache-here', 'reports', 'r.md'), 'utf8'), '# report\n');
  });

  it('a path the user names outside the workspace is theirs: not checked', () => {
    assert.equal(workspaceOutput(root, path.join(outside, 'r.json'), { create: false }), outside);
  });
});
