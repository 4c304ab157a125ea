import * as assert from 'assert';
import * as tf from '@tensorflow/tfjs';
import { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { host, setHost, type HostBackends } from '../../../src/protocol/host';
import { BackendUnavailableError, chooseBackend, parseBackendPreference, probeBackends, runWithFallback, initBackend, type BackendProbe } from '../../../src/engine/backend';

function probes(available: Partial<Record<BackendProbe['name'], string | true>>): BackendProbe[] {
  const notes: Record<BackendProbe['name'], string> = {
    'tensorflow-gpu': 'tfjs-node-gpu not installed',
    webgpu: 'the webgpu package (Dawn) is not installed',
    tensorflow: 'tfjs-node not installed',
    wasm: 'wasm binaries not found',
    cpu: 'pure JavaScript',
  };
  return (['tensorflow-gpu', 'webgpu', 'tensorflow', 'wasm', 'cpu'] as const).map((name) => {
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
    assert.match(c.reason, /tfjs-node-gpu not installed; the webgpu package \(Dawn\) is not installed; tfjs-node not installed; wasm: wasm with SIMD/);
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
    assert.throws(() => parseBackendPreference('tpu'), /Unknown backend "tpu".*webgpu/);
    assert.strictEqual(parseBackendPreference('WebGPU'), 'webgpu');
  });
  // WebGPU (#15): adapters as the probe reports them (see engine/webgpu.test.ts for the classing of adapter.info).
  const hardware: BackendProbe = { name: 'webgpu', available: true, note: 'nvidia ampere (NVIDIA GeForce RTX 3060) on Vulkan', software: false };
  const software: BackendProbe = { name: 'webgpu', available: true, note: "google swiftshader (SwiftShader driver 5.0.0) on Vulkan, a software adapter: figures are not a GPU's", software: true };
  const withWebGpu = (webgpu: BackendProbe, cuda = false): BackendProbe[] =>
    probes({ ...(cuda ? { 'tensorflow-gpu': 'CUDA' } : {}), tensorflow: true, wasm: true, cpu: true }).map((p) => (p.name === 'webgpu' ? webgpu : p));
  it('auto picks webgpu on a hardware adapter before tfjs-node and names the adapter', () => {
    const c = chooseBackend(withWebGpu(hardware), 'auto');
    assert.strictEqual(c.name, 'webgpu');
    assert.match(c.reason, /tfjs-node-gpu not installed; webgpu: nvidia ampere \(NVIDIA GeForce RTX 3060\) on Vulkan/);
  });
  it('auto prefers tfjs-node-gpu with a CUDA device over webgpu', () => {
    assert.strictEqual(chooseBackend(withWebGpu(hardware, true), 'auto').name, 'tensorflow-gpu');
  });
  it('auto never picks a software adapter, and says which one it passed over', () => {
    const c = chooseBackend(withWebGpu(software), 'auto');
    assert.strictEqual(c.name, 'tensorflow');
    assert.match(c.reason, /webgpu: google swiftshader .*software adapter.*not picked by auto/);
  });
  it('auto with no adapter says why and falls back', () => {
    const none: BackendProbe = { name: 'webgpu', available: false, note: 'no WebGPU adapter: Dawn found no Vulkan device' };
    const c = chooseBackend(probes({ wasm: 'wasm with SIMD', cpu: true }).map((p) => (p.name === 'webgpu' ? none : p)), 'auto');
    assert.strictEqual(c.name, 'wasm');
    assert.match(c.reason, /no WebGPU adapter: Dawn found no Vulkan device; tfjs-node not installed; wasm/);
  });
  it('a forced webgpu may use a software adapter and says so', () => {
    const c = chooseBackend(withWebGpu(software), 'webgpu');
    assert.strictEqual(c.name, 'webgpu');
    assert.match(c.reason, /webgpu requested \(google swiftshader.*software adapter/);
  });
  it('a forced webgpu without an adapter is a clear error, not a quiet fallback', () => {
    const none: BackendProbe = { name: 'webgpu', available: false, note: 'no WebGPU adapter: Dawn found no Vulkan device' };
    assert.throws(
      () => chooseBackend(withWebGpu(none), 'webgpu'),
      (e: unknown) => e instanceof BackendUnavailableError && /webgpu requested but unavailable: no WebGPU adapter.*Install GPU Backend/.test(e.message),
    );
  });
  it('probes this machine: no native packages, wasm binaries found', async () => {
    const p = await probeBackends();
    assert.strictEqual(p.find((x) => x.name === 'tensorflow-gpu')?.available, false);
    assert.match(p.find((x) => x.name === 'tensorflow-gpu')?.note ?? '', /not installed/);
    assert.strictEqual(p.find((x) => x.name === 'wasm')?.available, true);
  });
});

describe('engine/backend: tfjs-node-gpu that sees no GPU (CUDA 12 with TensorFlow 2.9)', () => {
  const real = host();
  before(() => {
    // A stand-in for tfjs-node-gpu: it loads and starts, but TensorFlow placed nothing on a GPU, as on a CUDA 12
    // machine where libcudart.so.11.0 is missing.
    const backends: HostBackends = {
      ...real.backends,
      resolvePackage: (pkg, paths) => (pkg === '@tensorflow/tfjs-node-gpu' ? '/fake/tfjs-node-gpu/index.js' : real.backends.resolvePackage(pkg, paths)),
      hasCudaDevice: () => true,
      load: (file) => {
        if (file !== '/fake/tfjs-node-gpu/index.js') return real.backends.load(file);
        tf.registerBackend('tensorflow', () => Object.assign(new MathBackendCPU(), { isUsingGpuDevice: false }));
        return { version: { 'tfjs-node': '4.22.0' } };
      },
      openWebGpu: () => Promise.resolve({ error: 'the webgpu package (Dawn) is not installed' }),
    };
    setHost({ ...real, backends });
  });
  after(async () => {
    setHost(real);
    await tf.setBackend('cpu');
    tf.removeBackend('tensorflow');
  });
  it('is reported as such, and auto moves on', async () => {
    const info = await initBackend({ preference: 'auto', exclude: ['wasm'] });
    assert.strictEqual(info.name, 'cpu');
    assert.match(info.reason, /tensorflow-gpu failed to start: @tensorflow\/tfjs-node-gpu loaded but TensorFlow sees no GPU \(it needs CUDA 11.2 and cuDNN 8.1/);
    assert.match(info.reason, /the webgpu package \(Dawn\) is not installed/);
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
