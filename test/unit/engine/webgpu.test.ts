// The WebGPU backend (#15): the adapter verdict from adapter.info (in-process), and, in child processes on this
// machine's adapter (SwiftShader's software Vulkan here, found by test/harness/tools.js): the choice never lets
// `auto` take a software adapter, a forced webgpu without an adapter is a clear error, a tiny model gives the same
// figures as on WASM, and a device lost mid-check moves the run to the next backend without losing a figure.
import * as assert from 'assert';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { tinyMnistModel } from '../../fixtures/tiny-mnist';
import { describeAdapter, gpuApiFor, summarizeAdapter } from '../../../src/engine/webgpu';
import { child } from './child';
import { findVulkanLoader } from '../../../src/platform/node/backends';
import { gpuChild, requireWebGpuAdapter, swiftShaderEnv } from './webgpuChild';
import { PARITY_EPS, PARITY_STEPS, type ParityRun, type TrainParity } from './webgpuParity';

const OUT = path.join(__dirname, '..', '..', '..');
const STUDIES = JSON.stringify(path.join(OUT, 'src', 'studies', 'check'));
const HELPERS = JSON.stringify(path.join(OUT, 'test', 'unit', 'studies', 'helpers'));
const FIXTURE = JSON.stringify(path.join(OUT, 'test', 'fixtures', 'tiny-mnist'));
const LIMITS = { maxBufferSize: 2 ** 30, maxStorageBufferBindingSize: 2 ** 27 };

/** The folder of the Vulkan loader that ships with Chromium's SwiftShader, when the test tools found one. */
function swiftShaderLibDir(): string | undefined {
  const env = swiftShaderEnv();
  return env === undefined ? undefined : path.dirname(env.VK_ICD_FILENAMES ?? '');
}

describe('engine/webgpu: adapter verdict', () => {
  it('SwiftShader (Chromium\'s software Vulkan) is software, named, on Vulkan', () => {
    const a = summarizeAdapter({ vendor: 'google', architecture: 'swiftshader', device: 'swiftshader-device-subzero-', description: 'SwiftShader driver 5.0.0', isFallbackAdapter: true }, undefined, LIMITS, 'linux');
    assert.strictEqual(a.software, true);
    assert.strictEqual(a.api, 'Vulkan');
    assert.strictEqual(a.maxStorageBufferBindingSize, 2 ** 27);
    assert.strictEqual(describeAdapter(a), "google swiftshader (SwiftShader driver 5.0.0) on Vulkan, a software adapter: figures are not a GPU's");
  });
  it('Mesa llvmpipe / lavapipe and Microsoft\'s WARP are software even when not flagged as fallback', () => {
    for (const info of [
      { vendor: 'mesa', architecture: '', description: 'llvmpipe (LLVM 15.0.6, 256 bits)' },
      { vendor: 'mesa', architecture: '', device: 'lavapipe' },
      { vendor: 'microsoft', architecture: '', description: 'Microsoft Basic Render Driver' },
    ]) {
      assert.strictEqual(summarizeAdapter(info, false, LIMITS, 'linux').software, true, JSON.stringify(info));
    }
  });
  it('the fallback flag alone (on the adapter or in its info) makes it software', () => {
    assert.strictEqual(summarizeAdapter({ vendor: 'x', architecture: 'y' }, true, LIMITS, 'linux').software, true);
    assert.strictEqual(summarizeAdapter({ vendor: 'x', architecture: 'y', isFallbackAdapter: true }, undefined, LIMITS, 'linux').software, true);
  });
  it('hardware adapters are named with the API Dawn drives on their OS', () => {
    const nvidia = summarizeAdapter({ vendor: 'nvidia', architecture: 'ampere', description: 'NVIDIA GeForce RTX 3060', isFallbackAdapter: false }, false, LIMITS, 'win32');
    assert.strictEqual(nvidia.software, false);
    assert.strictEqual(describeAdapter(nvidia), 'nvidia ampere (NVIDIA GeForce RTX 3060) on D3D12');
    const apple = summarizeAdapter({ vendor: 'apple', architecture: 'metal-3' }, false, LIMITS, 'darwin');
    assert.strictEqual(apple.software, false);
    assert.strictEqual(describeAdapter(apple), 'apple metal-3 on Metal');
    assert.strictEqual(gpuApiFor('linux'), 'Vulkan');
  });
});

describe('engine/webgpu: a forced webgpu with no adapter (child process, Vulkan pointed at no driver)', function () {
  this.timeout(120_000);
  before(function () {
    // An ICD list naming no file leaves the Vulkan loader with no driver, GPU or not; Linux only.
    if (process.platform !== 'linux') this.skip();
  });
  const forcedThenAuto = (env: Record<string, string>): ReturnType<typeof child> =>
    child(
      `let forced;
      try { await backend.initBackend({ preference: 'webgpu' }); forced = 'started'; } catch (e) { forced = e.name + ': ' + e.message; }
      const auto = await backend.initBackend({ preference: 'auto', wasmThreads: 1 });
      console.log(JSON.stringify({ forced, auto }));`,
      env,
    );

  it('is a clear error, while auto falls back and says why (a Vulkan loader without a driver: Dawn finds no device)', function () {
    // The loader Chromium ships beside SwiftShader, with an ICD list that names no driver.
    const loaderDir = process.env.DYNN_REQUIRE_WEBGPU === '1' ? swiftShaderLibDir() : swiftShaderLibDir() ?? this.skip();
    assert.ok(loaderDir, 'no Vulkan loader to test with (Chromium with SwiftShader, installed by npm test)');
    const run = forcedThenAuto({ VK_ICD_FILENAMES: path.join(OUT, 'no-such-icd.json'), LD_LIBRARY_PATH: loaderDir });
    assert.strictEqual(run.status, 0, run.stderr + JSON.stringify(run.result));
    assert.match(String(run.result.forced), /^BackendUnavailableError: webgpu requested but unavailable: no WebGPU adapter: Dawn found no Vulkan device.*Install GPU Backend/);
    const auto = run.result.auto as { name: string; reason: string };
    assert.strictEqual(auto.name, 'wasm');
    assert.match(auto.reason, /no WebGPU adapter: Dawn found no Vulkan device/);
  });

  it('with no Vulkan loader at all, says so without loading Dawn (which would only print a native warning)', function () {
    if (findVulkanLoader({ LD_LIBRARY_PATH: '' }) !== undefined) this.skip(); // a machine whose system has the loader
    const run = forcedThenAuto({ LD_LIBRARY_PATH: '' });
    assert.strictEqual(run.status, 0, run.stderr + JSON.stringify(run.result));
    assert.match(String(run.result.forced), /^BackendUnavailableError: webgpu requested but unavailable: no WebGPU adapter: no Vulkan loader \(libvulkan\.so\.1\)/);
    const auto = run.result.auto as { name: string; reason: string };
    assert.strictEqual(auto.name, 'wasm');
    assert.match(auto.reason, /no Vulkan loader/);
    assert.doesNotMatch(run.stderr, /Couldn't load Vulkan/, 'Dawn was not loaded');
  });

  it('the CLI says so and exits 2 before any work, naming the fix', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dynn-webgpu-cli-'));
    try {
      fs.writeFileSync(path.join(dir, 'm.dynn.yaml'), tinyMnistModel({ name: 'm', threshold: 0.5, epochs: 1, samples: 4, pgdEps: [0.1] }));
      const run = spawnSync(process.execPath, [path.join(OUT, 'src', 'cli', 'main.js'), 'check', 'm.dynn.yaml', '--backend', 'webgpu'], {
        cwd: dir,
        encoding: 'utf8',
        timeout: 120_000,
        env: { ...process.env, VK_ICD_FILENAMES: path.join(dir, 'no-such-icd.json'), LD_LIBRARY_PATH: '' },
      });
      assert.strictEqual(run.status, 2, run.stderr);
      assert.match(run.stderr, /dynn-lens check: webgpu requested but unavailable: no WebGPU adapter: .*Install GPU Backend/);
      assert.deepStrictEqual(fs.readdirSync(dir), ['m.dynn.yaml'], 'nothing was trained or written');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('engine/webgpu on this machine\'s adapter (SwiftShader here; child processes)', function () {
  this.timeout(600_000);
  before(function () {
    requireWebGpuAdapter(this);
  });

  it('auto never picks a software adapter, names it, and a forced webgpu takes it and says so', () => {
    const run = gpuChild(`const auto = await backend.initBackend({ preference: 'auto', wasmThreads: 1 });
      const forced = await backend.initBackend({ preference: 'webgpu' });
      console.log(JSON.stringify({ auto, forced, active: tf.getBackend() }));`);
    assert.strictEqual(run.status, 0, run.stderr + JSON.stringify(run.result));
    const auto = run.result.auto as { name: string; reason: string };
    const forced = run.result.forced as { name: string; reason: string; adapter?: { software: boolean; api: string } };
    if (forced.adapter?.software === false) {
      // A machine with a real GPU: auto takes it (unless CUDA comes first).
      assert.ok(['webgpu', 'tensorflow-gpu'].includes(auto.name), auto.reason);
      return;
    }
    assert.notStrictEqual(auto.name, 'webgpu');
    assert.match(auto.reason, /webgpu: .*software adapter.*not picked by auto/);
    assert.strictEqual(forced.name, 'webgpu');
    assert.strictEqual(run.result.active, 'webgpu');
    assert.match(forced.reason, /^webgpu requested \(.+ on Vulkan, a software adapter: figures are not a GPU's\)$/);
    assert.strictEqual(forced.adapter?.software, true);
  });

  it('a tiny gated early-exit model gives the same logits, predictions, PGD examples and robust accuracy as WASM', () => {
    const parity = JSON.stringify(path.join(__dirname, 'webgpuParity'));
    const run = gpuChild(`const p = require(${parity});
      await backend.initBackend({ preference: 'wasm', wasmThreads: 1 });
      const built = p.parityModel();
      const wasm = await p.parityRun(built.model);
      built.model.dispose();
      await backend.initBackend({ preference: 'webgpu' });
      const again = p.parityModel(built.weights);
      const webgpu = await p.parityRun(again.model);
      console.log(JSON.stringify({ wasm, webgpu }));`);
    assert.strictEqual(run.status, 0, run.stderr + JSON.stringify(run.result));
    const wasm = run.result.wasm as ParityRun;
    const gpu = run.result.webgpu as ParityRun;
    assert.deepStrictEqual([wasm.backend, gpu.backend], ['wasm', 'webgpu']);
    assert.deepStrictEqual(gpu.labels, wasm.labels, 'the labels come from the clean final exit: same on both');
    // Clean logits of every exit: within 1e-4.
    wasm.logits.forEach((row, i) => row.forEach((v, j) => assert.ok(Math.abs(v - (gpu.logits[i]?.[j] ?? NaN)) <= 1e-4, `logit [${i}][${j}]: wasm ${v}, webgpu ${gpu.logits[i]?.[j]}`)));
    assert.deepStrictEqual(gpu.prediction, wasm.prediction);
    assert.deepStrictEqual(gpu.exitIndex, wasm.exitIndex);
    // PGD (L-inf, the policy's 'taken' exit loss) from the same seeded start: a sign step can flip where a gradient
    // component is ~0, so at most 1% of the pixels may differ, each by at most 2 step sizes (2 x 2.5 eps / steps).
    assert.strictEqual(gpu.adversarial.length, wasm.adversarial.length);
    const step = (2.5 * PARITY_EPS) / PARITY_STEPS;
    let differing = 0;
    wasm.adversarial.forEach((v, i) => {
      const d = Math.abs(v - (gpu.adversarial[i] ?? NaN));
      assert.ok(d <= 2 * step + 1e-6, `pixel ${i} differs by ${d}`);
      if (d > 1e-4) differing++;
    });
    assert.ok(differing <= 0.01 * wasm.adversarial.length, `${differing} of ${wasm.adversarial.length} pixels differ by more than 1e-4`);
    // Robust accuracy: within 1 sample.
    assert.ok(Math.abs(gpu.robustCorrect - wasm.robustCorrect) <= 1, `robust correct: wasm ${wasm.robustCorrect}, webgpu ${gpu.robustCorrect}`);
    // APGD-CE at the taken exit runs (its exit choices read asynchronously) and breaks the same samples, within 1.
    assert.strictEqual(gpu.apgdBroken.length, wasm.apgdBroken.length);
    const disagree = wasm.apgdBroken.filter((b, i) => b !== gpu.apgdBroken[i]).length;
    assert.ok(disagree <= 1, `APGD-CE broken: wasm ${wasm.apgdBroken.join('')}, webgpu ${gpu.apgdBroken.join('')}`);
  });

  it('training on WebGPU gives the weights and loss that training on WASM gives (one epoch, same seed)', () => {
    const parity = JSON.stringify(path.join(__dirname, 'webgpuParity'));
    const run = gpuChild(`const p = require(${parity});
      await backend.initBackend({ preference: 'wasm', wasmThreads: 1 });
      const wasm = await p.parityTrain();
      await backend.initBackend({ preference: 'webgpu' });
      const webgpu = await p.parityTrain();
      console.log(JSON.stringify({ wasm, webgpu }));`);
    assert.strictEqual(run.status, 0, run.stderr + JSON.stringify(run.result));
    const wasm = run.result.wasm as TrainParity;
    const gpu = run.result.webgpu as TrainParity;
    assert.deepStrictEqual([wasm.backend, gpu.backend], ['wasm', 'webgpu']);
    assert.ok(Math.abs((wasm.epochLoss[0] ?? NaN) - (gpu.epochLoss[0] ?? NaN)) <= 1e-4, `loss wasm ${wasm.epochLoss[0]}, webgpu ${gpu.epochLoss[0]}`);
    wasm.weights.forEach((w, i) => w.forEach((v, j) => assert.ok(Math.abs(v - (gpu.weights[i]?.[j] ?? NaN)) <= 1e-4, `weight ${i}[${j}]: wasm ${v}, webgpu ${gpu.weights[i]?.[j]}`)));
  });

  it('every attack kind and study of a check runs on WebGPU and gives the WASM run\'s figures (same cached weights)', () => {
    const run = gpuChild(`const { runCheck } = require(${STUDIES});
      const { checkResults } = require(${JSON.stringify(path.join(OUT, 'src', 'protocol', 'results-check'))});
      const { tinyAnalysis, tempWorkspace } = require(${HELPERS});
      const text = require(${FIXTURE}).tinyMnistModel({ name: 'all', threshold: 0.5, epochs: 1, samples: 8, pgdEps: [0.1], slowdown: true });
      const ws = tempWorkspace(text);
      try {
        const { spec, specHash } = tinyAnalysis(text);
        const input = { spec, specHash, file: ws.file, workspaceRoot: ws.root };
        const options = { studies: ['transfer', 'efficiency', 'sweep'], findings: true };
        const pick = (r) => ({ backend: r.provenance.backend, reason: r.provenance.backendReason, clean: r.clean, attacks: r.attacks.map((a) => [a.id, a.robustAccuracy]),
          transfer: r.transfer.map((t) => t.matrix), efficiency: r.efficiency.length, sweeps: r.sweeps.length, findings: r.findings.map((f) => f.id), problems: checkResults(JSON.parse(JSON.stringify(r))) });
        const wasm = pick(await runCheck(input, { ...options, backend: 'wasm' }));
        const webgpu = pick(await runCheck(input, { ...options, backend: 'webgpu' }));
        console.log(JSON.stringify({ wasm, webgpu }));
      } finally { ws.cleanup(); }`);
    assert.strictEqual(run.status, 0, run.stderr + JSON.stringify(run.result));
    const { wasm, webgpu } = run.result as Record<string, Record<string, unknown>>;
    assert.strictEqual(webgpu?.backend, 'webgpu');
    assert.match(String(webgpu?.reason), /^webgpu requested \(/);
    assert.deepStrictEqual(webgpu?.problems, []);
    assert.deepStrictEqual((webgpu?.attacks as unknown[]).map((a) => (a as unknown[])[0]), ['pgd@0.1', 'hijack@0.2', 'slowdown@0.2']);
    for (const key of ['clean', 'attacks', 'transfer', 'efficiency', 'sweeps', 'findings']) assert.deepStrictEqual(webgpu?.[key], wasm?.[key], key);
  });

  it('after a lost device every read fails loudly, and asking for webgpu again starts a new device', () => {
    const webgpu = JSON.stringify(path.join(OUT, 'src', 'engine', 'webgpu'));
    const run = gpuChild(`const w = require(${webgpu});
      await backend.initBackend({ preference: 'webgpu' });
      const before = Array.from(await tf.add(tf.tensor([1, 2]), 1).data());
      w.loseWebGpuDevice();
      let failed;
      try { await tf.add(tf.tensor([1, 2]), 1).data(); failed = 'read succeeded'; } catch (e) { failed = e.name + ': ' + e.message; }
      const again = await backend.initBackend({ preference: 'webgpu' });
      const after = Array.from(await tf.add(tf.tensor([1, 2]), 2).data());
      console.log(JSON.stringify({ before, failed, again: again.name, after }));`);
    assert.strictEqual(run.status, 0, run.stderr + JSON.stringify(run.result));
    assert.deepStrictEqual(run.result.before, [2, 3]);
    assert.match(String(run.result.failed), /^WebGpuFailure: WebGPU (device lost \(destroyed|read failed).*the webgpu backend cannot continue$/);
    assert.strictEqual(run.result.again, 'webgpu');
    assert.deepStrictEqual(run.result.after, [3, 4]);
  });

  it('a device lost mid-check moves the check to the next backend, says so, and every figure equals a WASM run', () => {
    const webgpu = JSON.stringify(path.join(OUT, 'src', 'engine', 'webgpu'));
    const run = gpuChild(`const { runCheck } = require(${STUDIES});
      const { loseWebGpuDevice } = require(${webgpu});
      const { tinyAnalysis, tempWorkspace } = require(${HELPERS});
      const text = require(${FIXTURE}).tinyMnistModel({ name: 'lost', threshold: 0.5, epochs: 1, samples: 12, pgdEps: [0.1] });
      const ws = tempWorkspace(text);
      try {
        const { spec, specHash } = tinyAnalysis(text);
        const input = { spec, specHash, file: ws.file, workspaceRoot: ws.root };
        const wasm = await runCheck(input, { backend: 'wasm', attacks: ['pgd'], batchSize: 6 });
        let lost = 0;
        const fell = await runCheck(input, { backend: 'webgpu', attacks: ['pgd'], batchSize: 6, onProgress: (p) => {
          if (p.phase === 'attack' && lost++ === 0) loseWebGpuDevice();
        } });
        console.log(JSON.stringify({ wasm, fell, lost }));
      } finally { ws.cleanup(); }`);
    assert.strictEqual(run.status, 0, run.stderr + JSON.stringify(run.result));
    type Check = { provenance: { backend: string; backendReason: string }; clean: { accuracy: number }; attacks: { id: string; robustAccuracy: number }[]; flags: { code: string; message: string }[] };
    const wasm = run.result.wasm as Check;
    const fell = run.result.fell as Check;
    assert.ok((run.result.lost as number) > 0, 'the device was lost during the attack');
    assert.strictEqual(fell.provenance.backend, 'wasm');
    assert.match(fell.provenance.backendReason, /webgpu failed \(WebGPU (device lost|read failed).*\): retried on wasm at batch 6/);
    assert.ok(fell.flags.some((f) => f.code === 'fallback' && /webgpu failed/.test(f.message)), JSON.stringify(fell.flags));
    assert.deepStrictEqual(fell.attacks.map((a) => [a.id, a.robustAccuracy]), wasm.attacks.map((a) => [a.id, a.robustAccuracy]));
    assert.strictEqual(fell.clean.accuracy, wasm.clean.accuracy);
  });
});
