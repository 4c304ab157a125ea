import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { installFailure, installPackage } from '../../../src/platform/node/packageInstall';

/** A stand-in for npm: a shell script that prints `say` and either fails or creates the package. */
function fakeNpm(dir: string, say: string, ok: boolean): string {
  const file = path.join(dir, 'npm');
  const create = ok ? 'mkdir -p "$3/node_modules/fake-data" && echo \'{"name":"fake-data","version":"1.0.0"}\' > "$3/node_modules/fake-data/package.json"' : '';
  fs.writeFileSync(file, `#!/bin/sh\necho "${say}" >&2\n${create}\nexit ${ok ? 0 : 1}\n`, { mode: 0o755 });
  return file;
}

describe('platform: installing a data-set package into the tool storage', function () {
  if (process.platform === 'win32') return;
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dynn-pkg-'));
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));
  const req = (target: string) => ({ pkg: 'fake-data', version: '1.0.0', targetDir: path.join(tmp, target) });

  it('installs with npm --prefix into the folder, reporting npm lines, and returns the package.json', async () => {
    const lines: string[] = [];
    const installed = await installPackage(req('ok'), { npm: fakeNpm(tmp, 'added 1 package', true), onLine: (l) => lines.push(l) });
    assert.strictEqual(installed, path.join(tmp, 'ok', 'node_modules', 'fake-data', 'package.json'));
    assert.deepStrictEqual(lines, ['added 1 package']);
  });

  it('offline: says the registry could not be reached and gives the command to run by hand', async () => {
    const dir = fs.mkdtempSync(path.join(tmp, 'off-'));
    await assert.rejects(installPackage(req('offline'), { npm: fakeNpm(dir, 'npm ERR! code ENOTFOUND', false) }), (e: Error) => {
      assert.match(e.message, /could not install fake-data@1\.0\.0: the npm registry could not be reached \(offline or behind a proxy\?\)/);
      assert.match(e.message, /npm install --prefix ".*offline" fake-data@1\.0\.0/);
      assert.match(e.message, /npm ERR! code ENOTFOUND/);
      return true;
    });
  });

  it('other failures give the exit code; success without the package is an error too', async () => {
    assert.match(installFailure(req('x'), 1, ['npm ERR! code E403']), /npm exited with code 1/);
    const dir = fs.mkdtempSync(path.join(tmp, 'liar-'));
    const liar = path.join(dir, 'npm');
    fs.writeFileSync(liar, '#!/bin/sh\nexit 0\n', { mode: 0o755 });
    await assert.rejects(installPackage(req('liar'), { npm: liar }), /npm reported success but fake-data does not resolve/);
  });
});
