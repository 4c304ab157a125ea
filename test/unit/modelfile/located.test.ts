// Every diagnostic points at the text it is about (issue 13 section 5): no second, unlocated error for a gate on a
// layer that is not a residual block, and items of tagged YAML collections (`!!pairs`) located at their text.
import * as assert from 'node:assert/strict';
import { analyzeText, computeCost, CostError } from '../../../src/modelfile';
import { LineIndex } from '../../../src/modelfile/lines';
import type { Diagnostic } from '../../../src/modelfile/types';

function at(text: string, d: Diagnostic): string {
  const p = new LineIndex(text).positionAt(d.span.start);
  return `${p.line + 1}:${p.character + 1}`;
}

const GATE_ON_DENSE = `dynn: 1
name: gate-dense
input: {shape: [28, 28, 1], range: [0, 1]}
classes: 10
backbone:
  - {name: flat, type: flatten}
  - {name: d1, type: dense, units: 64}
  - {name: out, type: dense, units: 10}
gates:
  - {name: g1, block: d1}
data: {source: mnist}
`;

describe('modelfile: every diagnostic is located', () => {
  it('a gate on a dense layer with a flat input gets only the located gates/not-residual', () => {
    const a = analyzeText(GATE_ON_DENSE);
    assert.deepEqual(a.diagnostics.map((d) => [d.code, at(GATE_ON_DENSE, d)]), [['gates/not-residual', '10:23']]);
  });

  it('items of a !!pairs list are located at their own text, not at 1:1', () => {
    const text = 'dynn: 1\ninput: {shape: [784]}\nclasses: 10\nbackbone:\n  - {name: out, type: dense, units: 10}\ndata: {source: mnist}\ntrain: { exitWeights: !!pairs [1, 1] }\n';
    const a = analyzeText(text);
    const found = a.diagnostics.filter((d) => d.code === 'schema/type');
    assert.deepEqual(found.map((d) => [d.message, at(text, d), text.slice(d.span.start, d.span.end)]), [
      ["'item 1 of exitWeights' must be a number, got a mapping", '7:32', '1'],
      ["'item 2 of exitWeights' must be a number, got a mapping", '7:35', '1'],
    ]);
  });

  it('!!omap entries and !!pairs in block style are located too', () => {
    const text = 'dynn: 1\ninput: {shape: [784]}\nclasses: 10\nbackbone:\n  - {name: out, type: dense, units: 10}\ndata: {source: mnist}\ntrain:\n  exitWeights: !!omap\n    - a: 1\n';
    const a = analyzeText(text);
    const d = a.diagnostics.find((x) => x.code === 'schema/type');
    assert.ok(d, JSON.stringify(a.diagnostics));
    assert.equal(at(text, d), '9:7');
  });

  it('a document with no content is reported over its text, not as an empty span at 1:1', () => {
    for (const text of ['...\n', '---\n...\n']) {
      const d = analyzeText(text).diagnostics.find((x) => x.code === 'schema/type');
      assert.ok(d, text);
      assert.deepEqual(d.span, { start: 0, end: text.trimEnd().length });
    }
  });

  it('a shape error the cost pass finds names the node it is about', () => {
    const a = analyzeText(GATE_ON_DENSE.replace('gates:\n  - {name: g1, block: d1}\n', ''));
    assert.ok(a.spec);
    // Put the gate back behind the semantics' back: the cost pass alone must still say where.
    const spec = { ...a.spec, gates: [{ name: 'g1', block: 'd1', threshold: 0.5, head: [{ name: 'g1_pool', type: 'globalPool', pool: 'avg', path: ['gates', 0, 'head', 0] }], path: ['gates', 0] }] };
    assert.throws(() => computeCost(spec as never), (e: unknown) => e instanceof CostError && /g1_pool/.test(e.message) && e.path.join('.') === 'gates.0.head.0');
  });
});
