// The cost model against hand-computed numbers for a tiny model (a multiply-add counts 2 FLOPs).
import * as assert from 'assert';
import { analyzeText, computeCost } from '../../../src/modelfile';
import { assertClean } from './helpers';

const tiny = `
dynn: 1
input: { shape: [8, 8, 1] }
classes: 3
data: { source: csv, train: d/train.csv, test: d/test.csv }
backbone:
  - { name: c1, type: conv2d, filters: 2, kernel: 3 }
  - { name: bn, type: batchNorm }
  - { name: p1, type: maxPool, size: 2 }
  - name: r1
    type: residual
    layers:
      - { name: r1c, type: conv2d, filters: 2, kernel: 1, useBias: false }
  - { name: g, type: globalPool, mode: avg }
  - { name: out, type: dense, units: 3 }
exits:
  - { name: e1, after: p1 }
gates:
  - { name: g1, block: r1 }
`;

describe('modelfile cost model', () => {
  const a = analyzeText(tiny);
  it('the tiny model is valid', () => assertClean(a));
  const cost = a.cost!;
  const layer = (n: string) => cost.layers.find((l) => l.name === n)!;

  it('conv2d: 2*k*k*Cin*Cout*Ho*Wo + bias per output; params k*k*Cin*Cout + Cout', () => {
    // 8x8x1 -> 8x8x2: 2*9*1*2*64 = 2304 MACs*2, + 128 bias adds.
    assert.strictEqual(layer('c1').flops, 2304 + 128);
    assert.strictEqual(layer('c1').params, 9 * 2 + 2);
  });

  it('batchNorm: 2 per element, 4 parameters per channel', () => {
    assert.strictEqual(layer('bn').flops, 2 * 128);
    assert.strictEqual(layer('bn').params, 8);
  });

  it('maxPool: one op per window element per output', () => {
    assert.deepStrictEqual(layer('p1').outShape, [4, 4, 2]);
    assert.strictEqual(layer('p1').flops, 4 * 32);
  });

  it('residual: body + one add per output element', () => {
    // 1x1 conv 2->2 without bias on 4x4: 2*1*2*2*16 = 128; add: 32.
    assert.strictEqual(layer('r1c').flops, 128);
    assert.strictEqual(layer('r1').flops, 128 + 32);
    assert.strictEqual(layer('r1').params, 4);
  });

  it('globalPool avg: one op per input element; dense: 2*in*out + bias', () => {
    assert.strictEqual(layer('g').flops, 32);
    assert.strictEqual(layer('out').flops, 2 * 2 * 3 + 3);
    assert.strictEqual(layer('out').params, 2 * 3 + 3);
  });

  it('cumulative FLOPs and the static total', () => {
    const staticFlops = 2432 + 256 + 128 + 160 + 32 + 15;
    assert.strictEqual(cost.staticFlops, staticFlops);
    assert.strictEqual(layer('p1').cumulativeFlops, 2432 + 256 + 128);
    assert.strictEqual(layer('r1c').cumulativeFlops, 2432 + 256 + 128 + 128);
    assert.strictEqual(layer('r1').cumulativeFlops, 2432 + 256 + 128 + 160);
    assert.strictEqual(layer('out').cumulativeFlops, staticFlops);
  });

  it('exit heads, gate heads and the dynamic paths', () => {
    // Exit e1 reads 4x4x2 (not larger than 4x4): flatten (0) + dense 32->3 = 2*32*3 + 3 = 195.
    const e1 = cost.exits.find((e) => e.name === 'e1')!;
    assert.strictEqual(e1.headFlops, 195);
    assert.strictEqual(e1.headParams, 32 * 3 + 3);
    assert.deepStrictEqual(e1.inShape, [4, 4, 2]);
    assert.strictEqual(e1.flopsToExit, 2432 + 256 + 128 + 195);
    // Gate head on r1's input 4x4x2: globalPool avg 32 + dense 2->1 = 2*2+1 = 5.
    const g1 = cost.gates[0]!;
    assert.strictEqual(g1.headFlops, 32 + 5);
    assert.strictEqual(g1.blockFlops, 160);
    assert.strictEqual(cost.fullFlops, cost.staticFlops + 195 + 37);
    assert.strictEqual(cost.worstCaseFlops, cost.fullFlops);
    assert.strictEqual(cost.bestCaseFlops, e1.flopsToExit);
    const final = cost.exits[cost.exits.length - 1]!;
    assert.strictEqual(final.name, 'final');
    assert.strictEqual(final.share, 1);
    assert.ok(Math.abs(e1.share - e1.flopsToExit / cost.fullFlops) < 1e-12);
    assert.strictEqual(cost.totalParams, 20 + 8 + 4 + 9 + 99 + 1 * 2 + 1);
  });

  it('computeCost on the spec alone gives the hand-computed totals', () => {
    const own = computeCost(a.spec!);
    // Backbone: c1 2432 + bn 256 + p1 128 + r1 160 + g 32 + out 15; heads: e1 195, g1 37.
    assert.strictEqual(own.staticFlops, 3023);
    assert.strictEqual(own.fullFlops, 3023 + 195 + 37);
    assert.deepStrictEqual(own.exits.map((e) => e.flopsToExit), [2432 + 256 + 128 + 195, 3023 + 195 + 37]);
    assert.strictEqual(own.totalParams, 143);
  });

  it('conv2d stride 2: same padding gives ceil(H / 2), valid gives floor((H - k) / 2) + 1', () => {
    const t = (padding: string) => `
dynn: 1
input: { shape: [7, 7, 3] }
classes: 2
data: { source: csv, train: a.csv, test: b.csv }
backbone:
  - { name: c, type: conv2d, filters: 4, kernel: 3, stride: 2, padding: ${padding} }
  - { name: f, type: flatten }
  - { name: out, type: dense, units: 2 }
`;
    const same = analyzeText(t('same')).cost!.layers.find((l) => l.name === 'c')!;
    const valid = analyzeText(t('valid')).cost!.layers.find((l) => l.name === 'c')!;
    // 4x4x4 = 64 outputs, each 2*3*3*3 FLOPs + 1 bias; 3x3x4 = 36 outputs.
    assert.deepStrictEqual(same.outShape, [4, 4, 4]);
    assert.strictEqual(same.flops, 64 * 54 + 64);
    assert.deepStrictEqual(valid.outShape, [3, 3, 4]);
    assert.strictEqual(valid.flops, 36 * 54 + 36);
    assert.strictEqual(same.params, 3 * 3 * 3 * 4 + 4);
  });

  it('best case skips gated blocks before the first exit', () => {
    const t = tiny.replace('after: p1', 'after: g');
    const c = analyzeText(t).cost!;
    const e1 = c.exits[0]!;
    assert.strictEqual(c.bestCaseFlops, e1.flopsToExit - 160);
  });

  it('mixed pooling and depthwise formulas', () => {
    const t = `
dynn: 1
input: { shape: [7, 7, 3] }
classes: 2
data: { source: csv, train: a.csv, test: b.csv }
backbone:
  - { name: dw, type: depthwiseConv2d, kernel: 3, depthMultiplier: 2 }
  - { name: mp, type: mixedPool, size: 4 }
  - { name: gp, type: globalPool, mode: mixed }
  - { name: out, type: dense, units: 2 }
`;
    const c = analyzeText(t).cost!;
    const l = (n: string) => c.layers.find((x) => x.name === n)!;
    // dw: 7x7x6 outputs, 2*9 per output + bias: 294*18 + 294.
    assert.strictEqual(l('dw').flops, 294 * 18 + 294);
    assert.strictEqual(l('dw').params, 9 * 6 + 6);
    // mixedPool: window 2, out 4x4x6: 2*2*2*96 + 3*96.
    assert.strictEqual(l('mp').flops, 2 * 4 * 96 + 3 * 96);
    assert.strictEqual(l('mp').params, 1);
    // global mixed: 2*H*W*C + 3*C.
    assert.strictEqual(l('gp').flops, 2 * 96 + 18);
  });
});
