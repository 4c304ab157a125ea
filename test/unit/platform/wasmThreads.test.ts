// The Node bridge for the threaded WASM build: its pure parts here, and the real backend in child processes (one
// WASM module per process): threads start, give the same numbers as one thread, never keep the process alive, a
// bridge that cannot start leaves a working single-threaded backend that says why, and the buffer-sharing Identity
// kernel the backend installs keeps gradients exact. A whole train + check gives the same weights and figures on
// 1 and on 2 threads.
import * as assert from 'assert';
import { spawnSync } from 'child_process';
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { defaultWasmThreads, wasmThreadsFromEnv } from '../../../src/engine/backend';
import { mainScriptPreamble } from '../../../src/platform/node/wasmThreads';
import { TINY_MNIST_YAML } from '../studies/helpers';
import { child } from '../engine/child';

describe('platform/wasmThreads: settings and glue checks', () => {
  it('uses every core up to 4 by default', () => {
    assert.deepStrictEqual([1, 2, 3, 4, 16].map((n) => defaultWasmThreads(n)), [1, 2, 3, 4, 4]);
  });
  it('reads DYNN_WASM_THREADS and names it when the value is wrong', () => {
    assert.strictEqual(wasmThreadsFromEnv(undefined, 2), 2);
    assert.strictEqual(wasmThreadsFromEnv(' ', 8), 4);
    assert.strictEqual(wasmThreadsFromEnv('1', 8), 1);
    for (const bad of ['0', '-2', '1.5', 'many', '65']) assert.throws(() => wasmThreadsFromEnv(bad, 2), /DYNN_WASM_THREADS=.*whole number from 1 to 64/);
  });
  it("maps webpack's named built-ins and Rollup's hoisted requires", () => {
    const webpacked = 'var fs=__webpack_require__(/*! fs */ "fs");var p=__webpack_require__("path");';
    assert.match(mainScriptPreamble(webpacked, '/x/main.js', undefined), /var __webpack_require__ = require;[\s\S]*var _scriptDir = "\/x\/main.js";/);
    const header = "'use strict';\nvar require$$0 = require('fs');\nvar require$$4 = require('os');\n";
    const rolled = mainScriptPreamble('var fs = require$$0; n = require$$4.cpus().length;', '/x/main.js', header);
    assert.match(rolled, /var require\$\$0 = require\("fs"\);/);
    assert.match(rolled, /var require\$\$4 = require\("os"\);/);
  });
  it('refuses glue that loads anything but a Node built-in by name', () => {
    assert.throws(() => mainScriptPreamble('var fs=__webpack_require__(9896);', 'f', undefined), /loads module 9896, not a Node built-in/);
    assert.throws(() => mainScriptPreamble('__webpack_require__("./evil")', 'f', undefined), /not a Node built-in/);
    assert.throws(() => mainScriptPreamble('x = require$$7.thing', 'f', "var require$$0 = require('fs');\n"), /uses require\$\$7/);
  });
});

const CONV = `
  const x = tf.randomNormal([64, 14, 14, 16], 0, 1, 'float32', 1);
  const w = tf.randomNormal([3, 3, 16, 24], 0, 1, 'float32', 2);
  const out = tf.conv2d(x, w, 1, 'same').dataSync();
  const y = { n: out.length, finite: out.every(Number.isFinite), sha256: require('crypto').createHash('sha256').update(Buffer.from(out.buffer)).digest('hex') };`;

describe('platform/wasmThreads: the real backend in a child process', function () {
  this.timeout(120_000);
  it('starts 2 threads that compute bit-for-bit what 1 thread does, and lets the process end', () => {
    const body = `const info = await backend.initBackend({ preference: 'wasm', wasmThreads: Number(process.env.T) }); ${CONV}
      console.log(JSON.stringify({ name: info.name, reason: info.reason, y }));`;
    const two = child(body, { T: '2' });
    const one = child(body, { T: '1' });
    assert.strictEqual(two.status, 0, two.stderr);
    assert.strictEqual(one.status, 0, one.stderr);
    assert.strictEqual(two.result.name, 'wasm');
    assert.match(String(two.result.reason), /wasm with SIMD, 2 threads/);
    assert.match(String(one.result.reason), /single-threaded \(1 thread requested\)/);
    assert.strictEqual((two.result.y as { n: number }).n, 64 * 14 * 14 * 24);
    assert.deepStrictEqual(two.result.y, one.result.y);
  });
  it('falls back to one thread, saying why, when the bridge cannot start the pool', () => {
    // The package file unknown: the Rollup build's hoisted requires cannot be mapped, so the glue check fails
    // while the backend starts (on the main thread); the single-threaded build must start instead.
    const body = `threads.wasmPackageFile = () => undefined;
      const info = await backend.initBackend({ preference: 'wasm', wasmThreads: 2 }); ${CONV}
      console.log(JSON.stringify({ name: info.name, reason: info.reason, y }));`;
    const run = child(body);
    assert.strictEqual(run.status, 0, run.stderr);
    assert.strictEqual(run.result.name, 'wasm');
    assert.match(String(run.result.reason), /single-threaded \(threads failed to start: the threaded build did not start: .*uses require\$\$\d/);
    assert.deepStrictEqual(run.result.y, { n: 64 * 14 * 14 * 24, finite: true, sha256: (run.result.y as { sha256: string }).sha256 });
  });
  it("shares buffers in WASM's Identity (the tape's saves), and gradients stay those of the CPU backend", () => {
    // A conv -> relu -> max-pool -> softmax loss: its gradient saves inputs and outputs through Identity.
    const grad = `
      const x = tf.randomNormal([4, 8, 8, 2], 0, 1, 'float32', 3);
      const w = tf.randomNormal([3, 3, 2, 4], 0, 1, 'float32', 4);
      const g = tf.grad((v) => tf.sum(tf.softmax(tf.reshape(tf.maxPool(tf.relu(tf.conv2d(v, w, 1, 'same')), 2, 2, 'valid'), [4, -1]))))(x);
      const grads = Array.from(g.dataSync());`;
    const wasm = child(`await backend.initBackend({ preference: 'wasm', wasmThreads: 1 });
      const a = tf.tensor1d([1, 2, 3]);
      const b = tf.clone(a);
      const shared = a.dataId === b.dataId;
      a.dispose();
      const kept = Array.from(b.dataSync());
      ${grad}
      console.log(JSON.stringify({ shared, kept, grads }));`);
    const cpu = child(`await backend.initBackend({ preference: 'cpu' }); ${grad} console.log(JSON.stringify({ grads }));`);
    assert.strictEqual(wasm.status, 0, wasm.stderr);
    assert.strictEqual(wasm.result.shared, true);
    assert.deepStrictEqual(wasm.result.kept, [1, 2, 3], 'the clone outlives its original');
    const mine = wasm.result.grads as number[];
    const theirs = cpu.result.grads as number[];
    assert.strictEqual(mine.length, 4 * 8 * 8 * 2);
    mine.forEach((v, i) => assert.ok(Math.abs(v - (theirs[i] ?? NaN)) <= 1e-5, `gradient ${i}: ${v} vs ${theirs[i]}`));
  });
  it('names a wrong DYNN_WASM_THREADS in the reason and stays on WASM with the default count', () => {
    const run = child(`const info = await backend.initBackend({ preference: 'wasm' });
      console.log(JSON.stringify({ name: info.name, reason: info.reason }));`, { DYNN_WASM_THREADS: 'lots' });
    assert.strictEqual(run.status, 0, run.stderr);
    assert.strictEqual(run.result.name, 'wasm');
    assert.match(String(run.result.reason), /DYNN_WASM_THREADS=lots: expected a whole number from 1 to 64, so \d+ used/);
  });
  it('says so when this Node has no SharedArrayBuffer', () => {
    const body = `delete globalThis.SharedArrayBuffer;
      const info = await backend.initBackend({ preference: 'wasm', wasmThreads: 2 });
      console.log(JSON.stringify({ name: info.name, reason: info.reason }));`;
    const run = child(body);
    assert.strictEqual(run.result.name, 'wasm', run.stderr);
    assert.match(String(run.result.reason), /threads failed to start: this Node has no SharedArrayBuffer/);
  });
});

/** Deletes what differs between identical runs (clock time, the backend's own description); keeps every figure. */
function figuresOnly(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(figuresOnly);
  if (typeof value === 'string') return value.replace(/, [\d.]+ s\)$/, ')');
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) if (!['seconds', 'trainSeconds', 'date', 'backendReason'].includes(k)) out[k] = figuresOnly(v);
  return out;
}

/** Every weights file (*.bin) below `dir` with the sha256 of its bytes (model.json also records the training time). */
function hashes(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of fs.readdirSync(dir, { recursive: true, encoding: 'utf8' }).sort()) {
    const full = path.join(dir, f);
    if (f.endsWith('.bin') && fs.statSync(full).isFile()) out[f] = createHash('sha256').update(fs.readFileSync(full)).digest('hex');
  }
  return out;
}

describe('platform/wasmThreads: a whole train + check on 1 and on 2 threads', function () {
  this.timeout(180_000);
  const cli = path.join(__dirname, '..', '..', '..', 'src', 'cli', 'main.js');
  const dirs: string[] = [];
  after(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

  /** `train` then `check` of the tiny model (two attacks with several radii, 48 samples) with the CLI, on WASM. */
  function trainAndCheck(threads: number): { train: Record<string, unknown>; check: Record<string, unknown>; weights: Record<string, string> } {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `dynn-threads-${threads}-`));
    dirs.push(dir);
    fs.writeFileSync(path.join(dir, 'tiny.dynn.yaml'), TINY_MNIST_YAML);
    const env = { ...process.env, DYNN_WASM_THREADS: String(threads) };
    for (const verb of ['train', 'check']) {
      const r = spawnSync(process.execPath, [cli, verb, 'tiny.dynn.yaml', '--backend', 'wasm', '--json', `${verb}.json`], { cwd: dir, env, encoding: 'utf8', timeout: 120_000 });
      assert.strictEqual(r.status, 0, `${verb} on ${threads} thread(s): ${r.stderr}`);
    }
    const read = (f: string): Record<string, unknown> => JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')) as Record<string, unknown>;
    return { train: read('train.json'), check: read('check.json'), weights: hashes(path.join(dir, '.dynn', 'weights')) };
  }

  it('trains the same weights bit for bit and reports the same figures', () => {
    const one = trainAndCheck(1);
    const two = trainAndCheck(2);
    assert.match(String(one.train.backendReason), /single-threaded \(1 thread requested\)/);
    assert.match(String(two.train.backendReason), /wasm with SIMD, 2 threads/);
    assert.match(String((two.check.provenance as { backendReason: string }).backendReason), /wasm with SIMD, 2 threads/);
    assert.strictEqual(Object.keys(one.weights).length, 1, Object.keys(one.weights).join(', '));
    assert.deepStrictEqual(two.weights, one.weights);
    assert.deepStrictEqual(figuresOnly(two.train), figuresOnly(one.train));
    // Every attack result, the clean pass, the per-sample records and the gallery.
    const attacks = one.check.attacks as { id: string; robustAccuracy: number }[];
    assert.deepStrictEqual(attacks.map((a) => a.id), ['pgd@0.05', 'pgd@0.2', 'hijack@0.2', 'slowdown@0.2']);
    assert.deepStrictEqual(figuresOnly(two.check), figuresOnly(one.check));
  });
});
