import * as assert from 'assert';
import * as tf from '@tensorflow/tfjs';
import { chooseBackend, parseBackendPreference, probeBackends, runWithFallback, initBackend, type BackendProbe } from '../../../src/engine/backend';

function probes(available: Partial<Record<BackendProbe['name'], string | true>>): BackendProbe[] {
  const notes: Record<BackendProbe['name'], string> = {
    'tensorflow-gpu': 'tfjs-node-gpu not installed',
    tensorflow: 'tfjs-node not installed',
    wasm: 'wasm binaries not found',
    cpu: 'pure JavaScript',
  };
  return (['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'] as const).map((name) => {
    const a = available[name];
    return a === undefined ? { name, available: false, note: notes[name] } : { name, available: true, note: a === true ? '' : a };
  });
}

describe('engine/backend: choice', () => {
  it('auto picks the GPU backend when CUDA is there', () => {
    const c = chooseBackend(probes({ 'tensorflow-gpu': 'CUDA', tensorflow: true, wasm: true, cpu: true }), 'auto');
    assert.strictEqual(c.name, 'tensorflow-gpu');
    assert.match(c.reason, /CUDA/);
  });
  it('auto falls to tfjs-node and says why not the GPU', () => {
    const p = probes({ tensorflow: true, wasm: true, cpu: true });
    p[0] = { name: 'tensorflow-gpu', available: false, note: 'no CUDA device' };
    const c = chooseBackend(p, 'auto');
    assert.strictEqual(c.name, 'tensorflow');
    assert.match(c.reason, /no CUDA device/);
  });
  it('auto falls to wasm naming both missing native packages', () => {
    const c = chooseBackend(probes({ wasm: 'wasm with SIMD', cpu: true }), 'auto');
    assert.strictEqual(c.name, 'wasm');
    assert.match(c.reason, /tfjs-node-gpu not installed; tfjs-node not installed; wasm: wasm with SIMD/);
  });
  it('auto falls to cpu when nothing else works', () => {
    const c = chooseBackend(probes({ cpu: true }), 'auto');
    assert.strictEqual(c.name, 'cpu');
    assert.match(c.reason, /wasm binaries not found/);
  });
  it('an available preference wins over the order', () => {
    const c = chooseBackend(probes({ 'tensorflow-gpu': 'CUDA', wasm: true, cpu: true }), 'cpu');
    assert.strictEqual(c.name, 'cpu');
    assert.match(c.reason, /cpu requested/);
  });
  it('an unavailable preference falls back in order and says so', () => {
    const c = chooseBackend(probes({ wasm: true, cpu: true }), 'tensorflow-gpu');
    assert.strictEqual(c.name, 'wasm');
    assert.match(c.reason, /tensorflow-gpu requested but unavailable \(tfjs-node-gpu not installed\)/);
  });
  it('no usable backend is a clear error', () => {
    assert.throws(() => chooseBackend(probes({}).map((p) => ({ ...p, available: false })), 'auto'), /No TF.js backend is usable/);
  });
  it('parses preferences and aliases, rejects unknown names', () => {
    assert.strictEqual(parseBackendPreference(undefined), 'auto');
    assert.strictEqual(parseBackendPreference('tfjs-node-gpu'), 'tensorflow-gpu');
    assert.strictEqual(parseBackendPreference('WASM'), 'wasm');
    assert.throws(() => parseBackendPreference('tpu'), /Unknown backend "tpu"/);
  });
  it('probes this machine: no native packages, wasm binaries found', () => {
    const p = probeBackends();
    assert.strictEqual(p.find((x) => x.name === 'tensorflow-gpu')?.available, false);
    assert.match(p.find((x) => x.name === 'tensorflow-gpu')?.note ?? '', /not installed/);
    assert.strictEqual(p.find((x) => x.name === 'wasm')?.available, true);
  });
});

describe('engine/backend: runWithFallback', () => {
  before(async () => {
    await initBackend({ preference: 'cpu' });
  });
  after(async () => {
    await tf.setBackend('cpu');
  });
  it('halves the batch on out-of-memory and reports it', async () => {
    const seen: number[] = [];
    const r = await runWithFallback(
      ({ batchSize }) => {
        seen.push(batchSize);
        if (batchSize > 32) throw new Error('Failed to allocate 1GB: out of memory');
        return Promise.resolve(batchSize * 2);
      },
      { batchSize: 128 },
    );
    assert.deepStrictEqual(seen, [128, 64, 32]);
    assert.strictEqual(r.result, 64);
    assert.strictEqual(r.fallbacks.length, 2);
    assert.match(r.fallbacks[0] ?? '', /batch 128: retried with batch 64/);
  });
  it('propagates errors that are not memory or backend failures', async () => {
    await assert.rejects(runWithFallback(() => Promise.reject(new Error('labels missing')), { batchSize: 8 }), /labels missing/);
  });
  it('moves to another backend on a backend failure', async () => {
    const backends: string[] = [];
    const r = await runWithFallback(
      ({ backend }) => {
        backends.push(backend.name);
        if (backend.name === 'cpu') throw new Error("Kernel 'Foo' not registered for backend 'cpu'");
        return Promise.resolve('ok');
      },
      { batchSize: 8 },
    );
    assert.deepStrictEqual(backends, ['cpu', 'wasm']);
    assert.match(r.fallbacks[0] ?? '', /cpu failed .* retried on wasm/);
  });
});
