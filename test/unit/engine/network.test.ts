import * as assert from 'assert';
import * as tf from '@tensorflow/tfjs';
import { buildModel, buildStaticTwin } from '../../../src/engine/network';
import { computeCost } from '../../../src/modelfile';
import { randomBatchNormStats, specFrom, TINY_YAML, tinyData, useCpuBackend } from './helpers';

describe('engine/network', () => {
  before(useCpuBackend);
  const spec = specFrom(TINY_YAML);

  it('builds every layer type and gives every exit and gate for every sample', () => {
    const before = tf.memory().numTensors;
    const model = buildModel(spec, { seed: 3 });
    assert.deepStrictEqual(model.exitNames, ['e1', 'e2', 'final']);
    assert.deepStrictEqual(model.gateNames, ['g1']);
    tf.tidy(() => {
      const out = model.forwardAll(tf.zeros([5, 8, 8, 1]));
      assert.deepStrictEqual(out.exits.map((e) => e.shape), [[5, 3], [5, 3], [5, 3]]);
      assert.deepStrictEqual(out.gates.map((g) => g.shape), [[5]]);
      const g = out.gates[0]!.dataSync();
      assert.ok(Array.from(g).every((v) => v === 0 || v === 1), 'hard gates');
    });
    model.dispose();
    assert.strictEqual(tf.memory().numTensors, before, 'no tensors left after dispose');
  });

  it('rejects inputs of the wrong shape with a clear error', () => {
    const model = buildModel(spec);
    assert.throws(() => tf.tidy(() => model.forwardAll(tf.zeros([2, 9, 8, 1])).exits), /expects inputs of shape \[batch, 8, 8, 1\], got \[2, 9, 8, 1\]/);
    model.dispose();
  });

  it('the same seed gives the same weights; the twin shares the backbone initialisation', () => {
    const a = buildModel(spec, { seed: 11 });
    const b = buildModel(spec, { seed: 11 });
    const twin = buildStaticTwin(spec, { seed: 11 });
    const c1 = (m: typeof a) => m.weights.find((w) => w.name === 'c1/kernel')!.variable.dataSync();
    assert.deepStrictEqual(c1(a), c1(b));
    assert.deepStrictEqual(c1(a), c1(twin));
    assert.deepStrictEqual(twin.exitNames, ['final']);
    assert.ok(twin.weights.every((w) => w.group === 'backbone'));
    [a, b, twin].forEach((m) => m.dispose());
  });

  it('runDynamic shrinks the batch as samples exit and charges the cost model FLOPs per sample', async () => {
    const model = buildModel(spec, { seed: 5 });
    const cost = computeCost(spec);
    const data = tinyData(40);
    const reached = new Map<string, number>();
    const before = tf.memory().numTensors;
    // Exit e1 fires for everything above 0.36, a level a random 3-class head reaches for some samples only.
    const run = await model.runDynamic(data.x, { thresholds: [0.36, 0.36], gatesAlwaysOn: true, batchSize: 16, onLayer: (n, k) => reached.set(n, (reached.get(n) ?? 0) + k) });
    assert.strictEqual(tf.memory().numTensors, before, 'runDynamic leaks no tensors');
    const atE1 = run.exitIndex.filter((e) => e === 0).length;
    assert.ok(atE1 > 0 && atE1 < 40, `some but not all samples exit at e1 (${atE1})`);
    assert.strictEqual(reached.get('c1'), 40);
    assert.strictEqual(reached.get('bn1'), 40 - atE1, 'layers after e1 run only on the samples that stayed');
    const afterE2 = run.exitIndex.filter((e) => e === 2).length;
    assert.strictEqual(reached.get('logits'), afterE2);
    const fullByExit = cost.exits.map((e) => e.flopsToExit);
    for (let s = 0; s < 40; s++) {
      const e = run.exitIndex[s]!;
      // With every gate forced on, the gate head is not run: subtract it from the cost model's figure.
      const gateHead = e >= 1 ? cost.gates[0]!.headFlops : 0;
      assert.strictEqual(run.flops[s], fullByExit[e]! - gateHead, `sample ${s} at exit ${e}`);
    }
    assert.strictEqual(model.flopsAtExit[2], cost.fullFlops);
    model.dispose();
    data.x.dispose();
    data.y.dispose();
  });

  it('closed gates skip their block for just those samples, and FLOPs drop by the block cost', async () => {
    const model = buildModel(spec, { seed: 5 });
    const cost = computeCost(spec);
    const data = tinyData(12);
    const reached = new Map<string, number>();
    const allOn = await model.runDynamic(data.x, { thresholds: [1.1, 1.1], gateThresholds: [0] });
    const allOff = await model.runDynamic(data.x, { thresholds: [1.1, 1.1], gateThresholds: [1.1], onLayer: (n, k) => reached.set(n, k) });
    assert.strictEqual(reached.get('r1'), 0, 'the gated block ran on no sample');
    assert.ok(allOn.gatesFired.every((g) => g === 1) && allOff.gatesFired.every((g) => g === 0));
    assert.strictEqual(allOn.flops[0]! - allOff.flops[0]!, cost.gates[0]!.blockFlops);
    assert.strictEqual(allOn.flops[0], cost.fullFlops);
    // Mixed: a threshold between the gate probabilities of different samples.
    const p = tf.tidy(() => tf.sigmoid(tf.tensor1d([0])).dataSync()[0]!);
    assert.ok(p > 0);
    const mixed = await model.runDynamic(data.x, { thresholds: [1.1, 1.1], gateThresholds: [0.5] });
    const forward = tf.tidy(() => model.forwardAll(data.x).exits[2]!.argMax(1).dataSync());
    assert.deepStrictEqual(Array.from(mixed.prediction), Array.from(forward), 'dynamic answers equal the full forward pass');
    model.dispose();
    data.x.dispose();
    data.y.dispose();
  });

  it('two gates, each firing for some samples: every answer and gate bit equals the sample run alone', async () => {
    const twoGates = specFrom(`
dynn: 1
name: two-gates
input: {shape: [8, 8, 1], range: [0, 1]}
classes: 3
backbone:
  - {type: conv2d, name: c1, filters: 4, kernel: 3, activation: relu}
  - {type: residual, name: r1, layers: [{type: conv2d, filters: 4, kernel: 3, activation: relu}]}
  - {type: residual, name: r2, layers: [{type: conv2d, filters: 4, kernel: 3, activation: relu}]}
  - {type: flatten, name: f}
  - {type: dense, name: logits, units: 3}
exits:
  - {name: e1, after: c1}
gates:
  - {name: g1, block: r1}
  - {name: g2, block: r2}
policy: {kind: maxProb, threshold: 0.5}
data: {source: csv, train: train.csv, test: test.csv}
train: {epochs: 1, batchSize: 8, optimizer: adam, learningRate: 0.01, seed: 7}
`);
    const model = buildModel(twoGates, { seed: 11 });
    const data = tinyData(16, 3);
    // Brightness from 0 to 1 across the batch spreads the gates' logits, so each gate can be split by a threshold.
    const x = tf.tidy(() => data.x.mul(tf.linspace(0, 1, 16).reshape([16, 1, 1, 1])));
    const noExit = [1.1];
    // A threshold per gate at which the gate fires for some samples and not for others (found by search, so the
    // test cannot pass on a network whose gates all agree).
    const candidates = Array.from({ length: 401 }, (_, i) => 1 / (1 + Math.exp(-(i - 200) / 20))); // logits -10..10
    const firing = async (t: number): Promise<number[]> => {
      const run = await model.runDynamic(x, { thresholds: noExit, gateThresholds: [t, t] });
      return [0, 1].map((g) => Array.from({ length: 16 }, (_, s) => run.gatesFired[s * 2 + g]!).reduce((a, b) => a + b, 0));
    };
    const balance: number[][] = [];
    for (const t of candidates) balance.push(await firing(t));
    const pick = (g: number): number => {
      const i = balance.reduce((best, b, k) => (Math.abs(b[g]! - 8) < Math.abs(balance[best]![g]! - 8) ? k : best), 0);
      return candidates[i]!;
    };
    const gateThresholds = [pick(0), pick(1)];
    const run = await model.runDynamic(x, { thresholds: noExit, gateThresholds, batchSize: 16 });
    for (const g of [0, 1]) {
      const fired = Array.from({ length: 16 }, (_, s) => run.gatesFired[s * 2 + g]!);
      assert.ok(fired.includes(0) && fired.includes(1), `gate ${g} is mixed at threshold ${gateThresholds[g]}: ${fired.join('')}`);
    }
    for (let s = 0; s < 16; s++) {
      const one = tf.slice(x, [s, 0, 0, 0], [1, -1, -1, -1]);
      const alone = await model.runDynamic(one, { thresholds: noExit, gateThresholds });
      one.dispose();
      assert.strictEqual(run.prediction[s], alone.prediction[0], `sample ${s}: prediction`);
      assert.deepStrictEqual([run.gatesFired[s * 2], run.gatesFired[s * 2 + 1]], [alone.gatesFired[0], alone.gatesFired[1]], `sample ${s}: gate bits`);
      assert.strictEqual(run.flops[s], alone.flops[0], `sample ${s}: FLOPs`);
    }
    model.dispose();
    x.dispose();
    data.x.dispose();
    data.y.dispose();
  });

  it('inference folds conv -> batchNorm -> relu into one fused conv without changing any answer', async () => {
    const folded = specFrom(`
dynn: 1
name: fold
input: {shape: [8, 8, 1], range: [0, 1]}
classes: 3
backbone:
  - {type: conv2d, name: c1, filters: 4, kernel: 3}
  - {type: batchNorm, name: bn1}
  - {type: activation, name: a1, activation: relu}
  - {type: conv2d, name: c2, filters: 4, kernel: 3, stride: 2}
  - {type: batchNorm, name: bn2}
  - {type: flatten, name: f}
  - {type: dense, name: logits, units: 3}
exits:
  - {name: e1, after: a1}
policy: {kind: maxProb, threshold: 0.5}
data: {source: csv, train: a.csv, test: b.csv}
train: {epochs: 1, batchSize: 8, optimizer: adam, learningRate: 0.01, seed: 1}
`);
    const model = buildModel(folded, { seed: 4 });
    randomBatchNormStats(model); // non-trivial statistics, as after training
    const data = tinyData(20);
    const reached: string[] = [];
    const run = await model.runDynamic(data.x, { thresholds: [2], onLayer: (n) => reached.push(n) });
    assert.deepStrictEqual([...new Set(reached)], ['c1', 'bn1', 'a1', 'c2', 'bn2', 'f', 'logits']);
    const [pred, conf] = tf.tidy(() => {
      const probs = tf.softmax(model.forwardAll(data.x).exits[1]!);
      return [probs.argMax(1).dataSync(), probs.max(1).dataSync()];
    });
    assert.deepStrictEqual(Array.from(run.prediction), Array.from(pred));
    run.confidence.forEach((c, i) => assert.ok(Math.abs(c - conf[i]!) < 1e-5, `sample ${i}: ${c} vs ${conf[i]}`));
    model.dispose();
    data.x.dispose();
    data.y.dispose();
  });

  it('the fold never swallows a layer an exit reads: an exit after a conv, and one after a batchNorm before a relu', async () => {
    const spec2 = specFrom(`
dynn: 1
name: fold-exits
input: {shape: [8, 8, 1], range: [0, 1]}
classes: 3
backbone:
  - {type: conv2d, name: c1, filters: 4, kernel: 3}
  - {type: batchNorm, name: bn1}
  - {type: activation, name: a1, activation: relu}
  - {type: conv2d, name: c2, filters: 4, kernel: 3}
  - {type: batchNorm, name: bn2}
  - {type: activation, name: a2, activation: relu}
  - {type: flatten, name: f}
  - {type: dense, name: logits, units: 3}
exits:
  - {name: e1, after: c1}
  - {name: e2, after: bn2}
policy: {kind: maxProb, threshold: 0.5}
data: {source: csv, train: a.csv, test: b.csv}
train: {epochs: 1, batchSize: 8, optimizer: adam, learningRate: 0.01, seed: 1}
`);
    const model = buildModel(spec2, { seed: 6 });
    randomBatchNormStats(model, -1); // batch norm changes values and sends some below zero
    const data = tinyData(20, 2);
    const reference = tf.tidy(() => model.forwardAll(data.x).exits.map((e) => tf.softmax(e)));
    // Every sample leaves at the exit under test (threshold 0 there, unreachable 2 before it).
    for (const [k, thresholds] of [[0, [0, 2]], [1, [2, 0]]] as const) {
      const run = await model.runDynamic(data.x, { thresholds: [...thresholds] });
      assert.ok(run.exitIndex.every((e) => e === k), `every sample leaves at exit ${k}`);
      const probs = reference[k]!;
      const pred = probs.argMax(1).dataSync();
      const conf = probs.max(1).dataSync();
      assert.deepStrictEqual(Array.from(run.prediction), Array.from(pred), `exit ${k}: predictions`);
      run.confidence.forEach((c, i) => assert.ok(Math.abs(c - conf[i]!) < 1e-5, `exit ${k}, sample ${i}: ${c} vs ${conf[i]}`));
    }
    tf.dispose(reference);
    model.dispose();
    data.x.dispose();
    data.y.dispose();
  });

  it('straight-through gates pass gradients to the gate head', () => {
    const model = buildModel(spec, { seed: 2 });
    const gateVars = model.trainableVariables(['gate']);
    assert.ok(gateVars.length > 0);
    const data = tinyData(8);
    const { grads } = tf.variableGrads(() => {
      const out = model.forwardAll(data.x);
      return tf.sum<tf.Scalar>(tf.mul(out.exits[2]!, tf.randomNormal(out.exits[2]!.shape, 0, 1, 'float32', 1)));
    }, gateVars);
    const norm = tf.tidy(() => tf.addN(Object.values(grads).map((g) => tf.sum(tf.abs(g)))).dataSync()[0]!);
    assert.ok(norm > 0, 'gate head gradient is non-zero');
    Object.values(grads).forEach((g) => g.dispose());
    model.dispose();
    data.x.dispose();
    data.y.dispose();
  });

  it('profileSegments times each backbone segment and exit head, and its layers and FLOPs add up to the model', () => {
    const model = buildModel(spec, { seed: 4 });
    const data = tinyData(20);
    const before = tf.memory().numTensors;
    const segments = model.profileSegments(data.x, 8, 1);
    assert.strictEqual(tf.memory().numTensors, before, 'profiling leaks no tensors');
    assert.deepStrictEqual(segments.map((g) => g.name), ['e1', 'e2', 'final']);
    assert.deepStrictEqual(segments.flatMap((g) => g.layers), spec.backbone.map((l) => l.name));
    const cost = computeCost(spec);
    assert.strictEqual(segments.reduce((a, g) => a + g.backboneFlopsPerSample, 0), cost.staticFlops);
    assert.deepStrictEqual(segments.map((g) => g.headFlopsPerSample), [...cost.exits.slice(0, 2).map((e) => e.headFlops), 0]);
    assert.ok(segments.every((g) => g.samples === 20 && g.backboneMs > 0 && Number.isFinite(g.backboneMs)));
    assert.ok(segments[0]!.headMs > 0 && segments[2]!.headMs === 0);
    model.dispose();
    data.x.dispose();
    data.y.dispose();
  });

  it('refuses a spec whose exit reads from an unknown layer', () => {
    const bad = { ...spec, exits: [{ ...spec.exits[0]!, after: 'nope' }] };
    assert.throws(() => buildModel(bad), /nope/);
  });
});
