// Every shipped example analyses with zero errors; the main example meets its design brief.
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { analyzeText } from '../../../src/modelfile';
import { ROOT, assertClean } from './helpers';

const mine = ['mnist-sdn.dynn.yaml', 'mnist-sdn.dynn.json', 'branchy-entropy.dynn.yaml', 'skipnet-gated.dynn.yaml', 'static-baseline.dynn.yaml', 'fashion-sdn.dynn.yaml', 'fashion-branchy.dynn.yaml', 'fashion-skipnet.dynn.yaml'];

describe('modelfile examples', () => {
  for (const file of mine) {
    it(`${file} analyses with zero errors and a cost report`, () => {
      const a = analyzeText(fs.readFileSync(path.join(ROOT, 'examples', file), 'utf8'), { fileName: file });
      assertClean(a, file);
      assert.deepStrictEqual(a.diagnostics.filter((d) => d.severity === 'warning').map((d) => d.message), []);
      assert.ok(a.cost, 'cost computed');
    });
  }

  it('the Fashion-MNIST trio: the MNIST trio\'s networks, recipes and mechanisms on fashion-mnist, 1,000 images per class', () => {
    const spec = (f: string) => analyzeText(fs.readFileSync(path.join(ROOT, 'examples', f), 'utf8'), { fileName: f }).spec!;
    for (const [mnist, fashion] of [['mnist-sdn', 'fashion-sdn'], ['branchy-entropy', 'fashion-branchy'], ['skipnet-gated', 'fashion-skipnet']] as const) {
      const m = spec(`${mnist}.dynn.yaml`);
      const f = spec(`${fashion}.dynn.yaml`);
      assert.deepStrictEqual(f.data.source === 'fashion-mnist' ? f.data.trainSamples : undefined, 10000, fashion);
      const strip = (s: typeof m) => JSON.stringify([s.backbone, s.exits, s.gates, s.policy, s.train]);
      assert.strictEqual(strip(f), strip(m), `${fashion} has ${mnist}'s network, policy and recipe`);
    }
  });

  it('mnist-sdn: SDN exits at ~15-30%, 35-50%, 60-75% of backbone FLOPs, a few MFLOPs, the agreed recipe', () => {
    const a = analyzeText(fs.readFileSync(path.join(ROOT, 'examples/mnist-sdn.dynn.yaml'), 'utf8'));
    const spec = a.spec!;
    const cost = a.cost!;
    const cum = (name: string): number => cost.layers.find((l) => l.name === name)!.cumulativeFlops / cost.staticFlops;
    const shares = spec.exits.map((e) => cum(e.after));
    assert.strictEqual(shares.length, 3);
    const bands: [number, number][] = [[0.15, 0.3], [0.35, 0.5], [0.6, 0.75]];
    shares.forEach((s, i) => assert.ok(s >= bands[i]![0] && s <= bands[i]![1], `exit ${i} at ${(s * 100).toFixed(1)}%`));
    assert.ok(cost.fullFlops > 1e6 && cost.fullFlops < 10e6, `${cost.fullFlops} FLOPs`);
    assert.deepStrictEqual(spec.input.shape, [28, 28, 1]);
    assert.deepStrictEqual(spec.input.range, [0, 1]);
    assert.strictEqual(spec.policy.kind, 'maxProb');
    assert.strictEqual(spec.data.source, 'mnist');
    assert.deepStrictEqual([spec.train.epochs, spec.train.batchSize, spec.train.optimizer, spec.train.learningRate], [3, 64, 'adam', 0.001]);
    const kinds = spec.checks.attacks.map((x) => x.kind);
    for (const k of ['pgd', 'hijack', 'slowdown'] as const) assert.ok(kinds.includes(k));
    const pgd = spec.checks.attacks.find((x) => x.kind === 'pgd')!;
    assert.deepStrictEqual([pgd.norm, pgd.eps, pgd.step], ['linf', [0.1, 0.3], 0.01]);
    assert.strictEqual(spec.checks.samples, 500);
  });

  it('skipnet-gated: no gate on the first block or the downsampling block', () => {
    const a = analyzeText(fs.readFileSync(path.join(ROOT, 'examples/skipnet-gated.dynn.yaml'), 'utf8'));
    const blocks = a.spec!.backbone.filter((l) => l.type === 'residual').map((l) => l.name);
    const gated = a.spec!.gates.map((g) => g.block);
    assert.ok(!gated.includes(blocks[0]!));
    for (const g of gated) {
      const l = a.cost!.layers.find((x) => x.name === g)!;
      assert.deepStrictEqual(l.inShape, l.outShape);
    }
  });

  it('static-baseline has no exits and no gates; branchy uses the entropy policy', () => {
    const s = analyzeText(fs.readFileSync(path.join(ROOT, 'examples/static-baseline.dynn.yaml'), 'utf8')).spec!;
    assert.deepStrictEqual([s.exits.length, s.gates.length], [0, 0]);
    const b = analyzeText(fs.readFileSync(path.join(ROOT, 'examples/branchy-entropy.dynn.yaml'), 'utf8')).spec!;
    assert.strictEqual(b.policy.kind, 'entropy');
  });
});
