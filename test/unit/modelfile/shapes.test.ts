// Shape inference for every layer type, and the messages semantics builds from it.
import * as assert from 'assert';
import { inferLayer, windowOut } from '../../../src/modelfile';
import type { Layer, Shape } from '../../../src/modelfile/types';
import { model, only, spanText } from './helpers';

const base = { name: 'l', path: [] as (string | number)[] };
function out(layer: Partial<Layer> & { type: Layer['type'] }, input: Shape): Shape | string {
  const r = inferLayer({ ...base, ...layer } as Layer, input);
  return r.ok ? r.out : r.reason;
}

describe('modelfile shapes', () => {
  it('window arithmetic: same = ceil(n/s), valid = floor((n-k)/s)+1', () => {
    assert.strictEqual(windowOut(28, 3, 1, 'same'), 28);
    assert.strictEqual(windowOut(28, 3, 2, 'same'), 14);
    assert.strictEqual(windowOut(7, 2, 2, 'same'), 4);
    assert.strictEqual(windowOut(28, 5, 1, 'valid'), 24);
    assert.strictEqual(windowOut(7, 2, 2, 'valid'), 3);
    assert.strictEqual(windowOut(2, 5, 1, 'valid'), undefined);
  });

  it('conv2d', () => {
    const conv = { type: 'conv2d' as const, filters: 8, kernel: 3, stride: 1, padding: 'same' as const, activation: 'relu' as const, useBias: true };
    assert.deepStrictEqual(out(conv, [28, 28, 1]), [28, 28, 8]);
    assert.deepStrictEqual(out({ ...conv, padding: 'valid', stride: 2 }, [28, 28, 1]), [13, 13, 8]);
    assert.match(out({ ...conv, kernel: 5, padding: 'valid' }, [2, 2, 32]) as string, /kernel \(5\) is larger than the 2x2 map/);
    assert.match(out(conv, [100]) as string, /needs a height x width x channels feature map/);
  });

  it('depthwiseConv2d multiplies channels', () => {
    const dw = { type: 'depthwiseConv2d' as const, kernel: 3, stride: 2, padding: 'same' as const, depthMultiplier: 2, activation: 'linear' as const, useBias: false };
    assert.deepStrictEqual(out(dw, [14, 14, 8]), [7, 7, 16]);
  });

  it('dense needs a flat vector', () => {
    const dense = { type: 'dense' as const, units: 10, activation: 'linear' as const, useBias: true };
    assert.deepStrictEqual(out(dense, [64]), [10]);
    assert.match(out(dense, [7, 7, 8]) as string, /add a 'flatten' or 'globalPool'/);
  });

  it('max/avg pooling', () => {
    assert.deepStrictEqual(out({ type: 'maxPool', size: 2, stride: 2, padding: 'valid' }, [7, 7, 4]), [3, 3, 4]);
    assert.deepStrictEqual(out({ type: 'avgPool', size: 3, stride: 1, padding: 'same' }, [7, 7, 4]), [7, 7, 4]);
    assert.match(out({ type: 'maxPool', size: 4, stride: 4, padding: 'valid' }, [3, 3, 4]) as string, /pooling window \(4\) is larger/);
  });

  it('globalPool, mixedPool, flatten', () => {
    assert.deepStrictEqual(out({ type: 'globalPool', mode: 'avg' }, [7, 7, 32]), [32]);
    assert.deepStrictEqual(out({ type: 'mixedPool', size: 4 }, [28, 28, 16]), [4, 4, 16]);
    assert.deepStrictEqual(out({ type: 'mixedPool', size: 4 }, [7, 7, 16]), [4, 4, 16]);
    assert.deepStrictEqual(out({ type: 'mixedPool', size: 4 }, [3, 3, 16]), [3, 3, 16]);
    assert.deepStrictEqual(out({ type: 'flatten' }, [3, 3, 16]), [144]);
    assert.match(out({ type: 'globalPool', mode: 'max' }, [10]) as string, /feature map/);
  });

  it('batchNorm, dropout, activation keep the shape', () => {
    assert.deepStrictEqual(out({ type: 'batchNorm' }, [5, 5, 3]), [5, 5, 3]);
    assert.deepStrictEqual(out({ type: 'dropout', rate: 0.5 }, [12]), [12]);
    assert.deepStrictEqual(out({ type: 'activation', activation: 'relu' }, [12]), [12]);
  });

  it('residual: same shape, or projection when the body changes it', () => {
    const conv = (filters: number, stride = 1): Layer => ({ ...base, name: `c${filters}${stride}`, type: 'conv2d', filters, kernel: 3, stride, padding: 'same', activation: 'linear', useBias: true });
    const block = (layers: Layer[], projection: boolean): Layer => ({ ...base, type: 'residual', layers, projection, activation: 'relu' });
    assert.deepStrictEqual(out(block([conv(8), conv(8)], false), [14, 14, 8]), [14, 14, 8]);
    assert.match(out(block([conv(16, 2)], false), [14, 14, 8]) as string, /turns 14x14x8 into 7x7x16.*projection: true/);
    assert.deepStrictEqual(out(block([conv(16, 2)], true), [14, 14, 8]), [7, 7, 16]);
    assert.match(out(block([{ ...base, type: 'flatten' }], true), [4, 4, 2]) as string, /needs feature maps on both sides/);
  });

  it('semantics names the layer, the incoming shape and why, at the offending key', () => {
    const text = model({
      layers: [
        '  - { name: c1, type: conv2d, filters: 32, kernel: 3, stride: 2 }',
        '  - { name: p1, type: maxPool, size: 7 }',
        '  - { name: conv4, type: conv2d, kernel: 5, filters: 32, padding: valid }',
        '  - { type: flatten }',
      ].join('\n'),
    });
    const { d } = only(text, 'shape/mismatch');
    assert.strictEqual(d.message, "layer 'conv4' (conv2d, kernel 5, stride 1, padding valid) cannot take a 2x2x32 input: the kernel (5) is larger than the 2x2 map");
    assert.strictEqual(spanText(text, d), '5');
  });

  it('dense on a feature map: error with the flatten advice', () => {
    const text = model({ layers: '  - { name: c1, type: conv2d, filters: 4, kernel: 3 }', head: '  - { name: out, type: dense, units: 10 }' });
    const { a, d } = only(text, 'shape/needs-flatten');
    assert.match(d.message, /layer 'out' \(dense, 10 units\) cannot take a 28x28x4 input: .*'flatten' or 'globalPool'/);
    assert.strictEqual(spanText(text, d), '10');
    assert.strictEqual(a.cost, undefined);
  });

  it('a failing layer inside a residual body is reported on that layer, once', () => {
    const text = model({
      layers: [
        '  - name: r1',
        '    type: residual',
        '    layers:',
        '      - { name: inner, type: dense, units: 3 }',
        '  - { type: flatten }',
      ].join('\n'),
    });
    const a = only(text, 'shape/needs-flatten').a;
    const shape = a.diagnostics.filter((d) => d.code.startsWith('shape/'));
    assert.strictEqual(shape.length, 1);
    assert.match(shape[0]!.message, /layer 'inner'/);
  });

  it('an unprojected shape-changing body is reported on the block', () => {
    const text = model({
      layers: [
        '  - name: r1',
        '    type: residual',
        '    layers:',
        '      - { type: conv2d, filters: 8, kernel: 3 }',
        '  - { type: flatten }',
      ].join('\n'),
    });
    const { d } = only(text, 'shape/mismatch');
    assert.match(d.message, /layer 'r1' \(residual\) cannot take a 28x28x1 input: its body turns 28x28x1 into 28x28x8/);
    assert.strictEqual(spanText(text, d), 'r1');
  });

  it('a 2-D input shape asks for a channel axis', () => {
    const text = model().replace('[28, 28, 1]', '[28, 28]');
    const { d } = only(text, 'shape/input-rank');
    assert.match(d.message, /\[28, 28, 1\]/);
  });
});
