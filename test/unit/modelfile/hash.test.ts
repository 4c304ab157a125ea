import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { analyzeText, canonicalJson, specHash, weightsHash } from '../../../src/modelfile';
import { ROOT, model } from './helpers';

describe('modelfile hash', () => {
  it('the YAML and JSON versions of the main example hash the same', () => {
    const y = analyzeText(fs.readFileSync(path.join(ROOT, 'examples/mnist-sdn.dynn.yaml'), 'utf8'), { fileName: 'mnist-sdn.dynn.yaml' });
    const j = analyzeText(fs.readFileSync(path.join(ROOT, 'examples/mnist-sdn.dynn.json'), 'utf8'), { fileName: 'mnist-sdn.dynn.json' });
    assert.ok(y.specHash && /^[0-9a-f]{64}$/.test(y.specHash));
    assert.strictEqual(y.specHash, j.specHash);
    assert.deepStrictEqual(y.spec, j.spec);
  });

  it('ignores comments, key order, layout and written-out defaults', () => {
    const a = analyzeText(model());
    const b = analyzeText('# comment\n' + model().replace('{ name: c1, type: conv2d, filters: 4, kernel: 3 }', '{ kernel: 3, filters: 4, type: conv2d, name: c1, stride: 1 }'));
    assert.strictEqual(a.specHash, b.specHash);
  });

  it('does not depend on the model name (a renamed file keeps its cached weights)', () => {
    const a = analyzeText(model(), { fileName: 'a.dynn.yaml' });
    const b = analyzeText(model({ extra: 'name: other' }), { fileName: 'b.dynn.yaml' });
    assert.notStrictEqual(a.spec!.name, b.spec!.name);
    assert.strictEqual(a.specHash, b.specHash);
  });

  it('changes when anything that affects the model changes', () => {
    const a = analyzeText(model());
    const b = analyzeText(model().replace('filters: 4', 'filters: 5'));
    const c = analyzeText(model({ extra: 'train: { seed: 7 }' }));
    assert.notStrictEqual(a.specHash, b.specHash);
    assert.notStrictEqual(a.specHash, c.specHash);
  });

  it('canonical JSON sorts keys and drops paths', () => {
    assert.strictEqual(canonicalJson({ b: 1, a: [{ path: ['x'], z: null, y: 'q' }] }), '{"a":[{"y":"q","z":null}],"b":1}');
    const spec = analyzeText(model()).spec!;
    assert.strictEqual(specHash(spec), specHash(JSON.parse(JSON.stringify(spec)) as typeof spec));
  });

  it('weightsHash ignores exit thresholds, the policy and checks, but not the architecture or recipe', () => {
    const main = fs.readFileSync(path.join(ROOT, 'examples/mnist-sdn.dynn.yaml'), 'utf8');
    const base = analyzeText(main).spec!;
    const retuned = analyzeText(main.replace('threshold: 0.9', 'threshold: 0.97').replace('{ name: exit1, after: relu2 }', '{ name: exit1, after: relu2, threshold: 0.99 }').replace('samples: 500', 'samples: 50')).spec!;
    assert.notStrictEqual(specHash(base), specHash(retuned));
    assert.strictEqual(weightsHash(base), weightsHash(retuned));
    const retrained = analyzeText(main.replace('epochs: 3', 'epochs: 4')).spec!;
    assert.notStrictEqual(weightsHash(base), weightsHash(retrained));
    const moved = analyzeText(main.replace('{ name: exit1, after: relu2 }', '{ name: exit1, after: relu1 }')).spec!;
    assert.notStrictEqual(weightsHash(base), weightsHash(moved));
  });

  it('weightsHash leaves out data paths (the cache keys on their bytes) but not the source or the split', () => {
    const withData = (data: string) => analyzeText(model({ extra: `data: ${data}` })).spec!;
    const npy = (train: string) => withData(`{source: npy, train: ${train}, trainLabels: y.npy, test: xt.npy, testLabels: yt.npy}`);
    assert.strictEqual(npy('x.npy').data.source, 'npy');
    assert.strictEqual(weightsHash(npy('x.npy')), weightsHash(npy('moved/x.npy')));
    assert.notStrictEqual(weightsHash(npy('x.npy')), weightsHash(withData('{source: npz, train: x.npz, test: xt.npz}')));
    assert.notStrictEqual(weightsHash(withData('{source: mnist, trainFraction: 0.5}')), weightsHash(withData('{source: mnist, trainFraction: 0.9}')));
  });
});
