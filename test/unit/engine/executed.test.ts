// Dynamic inference really skips the work its exits save: rows per segment, exit head and gated block counted from
// the tensors (DynamicRun.executed) and, independently, from the batch dimension of every kernel call tf.profile
// sees, on the CPU backend in-process, and on the WASM and WebGPU (SwiftShader here) backends in child processes.
import * as assert from 'assert';
import * as path from 'path';
import { child } from './child';
import { probeGate, probeSegments, type SegmentsProbe } from './executedProbe';
import { useCpuBackend } from './helpers';
import { gpuChild, requireWebGpuAdapter } from './webgpuChild';

function assertSegments(p: SegmentsProbe, backend: string): void {
  const n = p.samples;
  const k1 = p.expectedExit.filter((e) => e === 0).length;
  const k2 = p.expectedExit.filter((e) => e === 1).length;
  assert.ok(k1 > 0 && k2 > 0 && k1 + k2 < n, `${backend}: the thresholds split the batch three ways (${k1}, ${k2}, ${n - k1 - k2})`);
  assert.deepStrictEqual(p.exitIndex, p.expectedExit, `${backend}: every sample leaves where its probabilities say`);
  assert.ok(p.answersMatch, `${backend}: answers equal forwardAll's at the exit taken`);
  const rest = n - k1 - k2;
  assert.deepStrictEqual(p.executed.segmentRows, [n, n - k1, rest], `${backend}: rows entering each segment`);
  assert.deepStrictEqual(p.executed.headRows, [n, n - k1], `${backend}: rows through each exit head`);
  // Independent of runDynamic's own counting: the rows every conv / matMul kernel was called on.
  assert.deepStrictEqual(
    [p.kernelRows['c1/kernel'], p.kernelRows['c2/kernel'], p.kernelRows['c3/kernel'], p.kernelRows['logits/kernel']],
    [n, n - k1, rest, rest],
    `${backend}: samples that left at e1 never reach c2, those that left at e2 never reach c3 or the classifier`,
  );
  assert.deepStrictEqual([p.kernelRows['e1_logits/kernel'], p.kernelRows['e2_logits/kernel']], [n, n - k1], `${backend}: exit heads`);
  const f = p.layerFlops;
  const byHand = n * f.c1! + (n - k1) * f.c2! + rest * (f.c3! + f.logits!) + n * p.headFlops[0]! + (n - k1) * p.headFlops[1]!;
  assert.strictEqual(p.executed.flops, byHand, `${backend}: executed FLOPs = rows x each part's FLOPs`);
  assert.strictEqual(p.costModelFlops, byHand, `${backend}: the cost model prices the same paths the same`);
  // Every sample leaves at e1: nothing after it runs at all.
  assert.ok(p.allAtE1.exitIndex.every((e) => e === 0));
  assert.deepStrictEqual(p.allAtE1.executed.segmentRows, [n, 0, 0]);
  assert.deepStrictEqual(p.allAtE1.executed.headRows, [n, 0]);
  assert.deepStrictEqual(
    [p.allAtE1.kernelRows['c2/kernel'], p.allAtE1.kernelRows['c3/kernel'], p.allAtE1.kernelRows['e2_logits/kernel'], p.allAtE1.kernelRows['logits/kernel']],
    [0, 0, 0, 0],
    `${backend}: no kernel after e1 runs when every sample exits there`,
  );
}

describe('engine/network executed work (CPU backend)', () => {
  before(useCpuBackend);

  it('counts the rows that enter each segment and exit head, and the kernels ran on exactly those rows', async () => {
    assertSegments(await probeSegments(), 'cpu');
  });

  it('a gated block runs on the rows whose gate fired, and the gate head on every row', async () => {
    const p = await probeGate();
    assert.ok(p.fired > 0 && p.fired < p.samples, `the gate splits the batch (${p.fired} of ${p.samples})`);
    assert.deepStrictEqual(p.executed.gateHeadRows, [p.samples]);
    assert.deepStrictEqual(p.executed.gateBlockRows, [p.fired]);
    assert.strictEqual(p.kernelRows['r1_conv2d0/kernel'], p.fired, 'the block conv ran on the fired rows only');
    assert.strictEqual(p.kernelRows['g1_logit/kernel'], p.samples);
    assert.strictEqual(p.kernelRows['c2/kernel'], p.samples, 'closed samples skip the block, not the rest');
    assert.strictEqual(p.executed.flops, p.costModelFlops);
  });
});

describe('engine/network executed work on the real WASM backend (in a child process)', function () {
  this.timeout(120_000);
  it('counts the same rows per segment and exit head, and the WASM kernels ran on exactly those rows', () => {
    const probe = JSON.stringify(path.join(__dirname, 'executedProbe'));
    const run = child(`await backend.initBackend({ preference: 'wasm', wasmThreads: 1 });
      const result = await require(${probe}).probeSegments();
      console.log(JSON.stringify({ backend: tf.getBackend(), result }));`);
    assert.strictEqual(run.status, 0, run.stderr + JSON.stringify(run.result));
    assert.strictEqual(run.result.backend, 'wasm');
    assertSegments(run.result.result as SegmentsProbe, 'wasm');
  });
});

describe('engine/network executed work on the WebGPU backend (in a child process)', function () {
  this.timeout(300_000);
  before(function () {
    requireWebGpuAdapter(this);
  });
  it('skips the same work on WebGPU: rows per segment, exit head and gated block, and the kernels ran on exactly those rows', () => {
    const probe = JSON.stringify(path.join(__dirname, 'executedProbe'));
    const run = gpuChild(`await backend.initBackend({ preference: 'webgpu' });
      const segments = await require(${probe}).probeSegments();
      const gate = await require(${probe}).probeGate();
      console.log(JSON.stringify({ backend: tf.getBackend(), segments, gate }));`);
    assert.strictEqual(run.status, 0, run.stderr + JSON.stringify(run.result));
    assert.strictEqual(run.result.backend, 'webgpu');
    assertSegments(run.result.segments as SegmentsProbe, 'webgpu');
    const gate = run.result.gate as Awaited<ReturnType<typeof probeGate>>;
    assert.ok(gate.fired > 0 && gate.fired < gate.samples, `the gate splits the batch (${gate.fired} of ${gate.samples})`);
    assert.deepStrictEqual(gate.executed.gateBlockRows, [gate.fired]);
    assert.strictEqual(gate.kernelRows['r1_conv2d0/kernel'], gate.fired, 'webgpu: the block conv ran on the fired rows only');
  });
});
