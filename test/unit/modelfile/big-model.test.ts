// The 300-line model the editor bench times (test/bench/editor.bench.ts; speed goals live there, not here) is a
// valid model analysed in full: no diagnostics, every block, exit and gate present, and FLOPs that match the
// formulas by hand. A timing of a model that stopped at its first error would say nothing.
import * as assert from 'assert';
import { analyzeText } from '../../../src/modelfile';
import { assertClean } from './helpers';
import { bigModel } from '../../fixtures/big-model';

describe('modelfile: the bench-sized model', () => {
  it('a 300-line model analyses clean, with every layer, exit and gate, and hand-computed FLOPs', () => {
    const text = bigModel(20);
    assert.ok(text.split('\n').length >= 300, 'the size the editor speed goal is stated for');
    const a = analyzeText(text, { fileName: 'big.dynn.yaml' });
    assertClean(a);
    assert.strictEqual(a.spec?.backbone.length, 1 + 20 + 2);
    assert.deepStrictEqual(a.spec?.exits.map((e) => e.name), ['e2', 'e6', 'e10', 'e14', 'e18']);
    assert.deepStrictEqual(a.spec?.gates.map((g) => g.name), ['g1', 'g4', 'g7', 'g10', 'g13', 'g16', 'g19']);
    // 28x28x8 = 6272 outputs everywhere ('same' padding). A multiply-add is 2 FLOPs; bias 1 per output.
    const stem = 2 * 9 * 1 * 8 * 784 + 6272;
    const conv = 2 * 9 * 8 * 8 * 784 + 6272;
    // Two convs, batch norm (2 per element), relu (0) and the residual add (1 per element).
    const block = 2 * conv + 2 * 6272 + 6272;
    const head = 6272 + (2 * 8 * 10 + 10); // global average pool + dense 8 -> 10
    const cost = a.cost!;
    assert.strictEqual(cost.layers.find((l) => l.name === 'block0')?.flops, block);
    assert.strictEqual(cost.staticFlops, stem + 20 * block + head);
  });
});
