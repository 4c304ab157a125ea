import * as assert from 'assert';
import { exitLensTitle, gateLensTitle, hoverMarkdown, modelLensTitle, symbolDetail } from '../../../src/extension/language/describe';
import { allNodes, layerTotals, modelNodes, nodeAt, type ModelNode } from '../../../src/extension/language/model-nodes';
import { analyzeText } from '../../../src/modelfile/index';
import type { Analysis } from '../../../src/modelfile/types';
import { LENS_FIXTURE } from './fixture';

function analyse(text = LENS_FIXTURE): Analysis {
  return analyzeText(text, { fileName: 'lens.dynn.yaml' });
}

function byName(nodes: ModelNode[], name: string): ModelNode {
  const found = allNodes(nodes).find((n) => n.name === name);
  assert.ok(found, `no node named ${name}`);
  return found;
}

describe('editor/model-nodes on a real analysis', () => {
  const analysis = analyse();
  const nodes = modelNodes(analysis);

  it('lists backbone layers, the block with its body, then exits and gates, in source order', () => {
    const outline = (ns: ModelNode[]): unknown[] => ns.map((n) => (n.children.length ? [n.kind, n.name, outline(n.children)] : [n.kind, n.name]));
    assert.deepStrictEqual(outline(nodes), [
      ['layer', 'conv1'],
      ['layer', 'pool1'],
      ['layer', 'conv2'],
      ['block', 'res1', [['layer', 'res1a'], ['layer', 'res1b']]],
      ['layer', 'gap'],
      ['layer', 'logits'],
      ['exit', 'e1'],
      ['gate', 'g1'],
    ]);
  });

  it('leaves out heads the parser filled in (they are not in the file)', () => {
    assert.deepStrictEqual(byName(nodes, 'e1').children, []);
    assert.deepStrictEqual(byName(nodes, 'g1').children, []);
  });

  it('points each node at its name in the text', () => {
    for (const n of allNodes(nodes)) assert.strictEqual(LENS_FIXTURE.slice(n.nameSpan.start, n.nameSpan.end), n.name);
  });

  it('finds the innermost node at an offset', () => {
    const at = (needle: string): string | undefined => nodeAt(nodes, LENS_FIXTURE.indexOf(needle))?.name;
    assert.strictEqual(at('name: res1a'), 'res1a');
    assert.strictEqual(at('name: res1\n'), 'res1');
    assert.strictEqual(at('after: conv2'), 'e1');
    assert.strictEqual(at('block: res1'), 'g1');
    assert.strictEqual(at('classes: 10'), undefined);
  });

  it('joins the cost entries: conv1 = 28*28*8 outputs * (2*9 + 1 bias add) FLOPs', () => {
    const conv1 = byName(nodes, 'conv1');
    assert.ok(conv1.kind === 'layer' && conv1.cost);
    assert.strictEqual(conv1.cost.flops, 28 * 28 * 8 * (2 * 9 + 1));
    assert.strictEqual(conv1.cost.params, 8 * 9 + 8);
    const res1 = byName(nodes, 'res1');
    assert.ok(res1.kind === 'block');
    // The block's body is two 3x3 16->16 convs on 14x14, plus the skip addition.
    const conv = 14 * 14 * 16 * (2 * 9 * 16 + 1);
    assert.deepStrictEqual(layerTotals(res1), { flops: 2 * conv + 14 * 14 * 16, params: 2 * (16 * 9 * 16 + 16) });
  });

  it('gives an empty tree when the file does not parse', () => {
    assert.deepStrictEqual(modelNodes(analyse('dynn: [')), []);
  });
});

describe('editor/describe on a real analysis', () => {
  const analysis = analyse();
  const nodes = modelNodes(analysis);
  const spec = analysis.spec!;

  it('titles the lenses', () => {
    assert.strictEqual(modelLensTitle(analysis.cost!), '2.4 MFLOPs full · best 0.6 · worst 2.4 · 8.6k params');
    const e1 = byName(nodes, 'e1');
    const g1 = byName(nodes, 'g1');
    assert.ok(e1.kind === 'exit' && g1.kind === 'gate');
    assert.strictEqual(exitLensTitle(spec, e1), 'exit e1 · 25% of FLOPs · max-prob ≥ 0.95');
    assert.strictEqual(gateLensTitle(g1), 'gate g1 · skips 76% of FLOPs when closed · fires at ≥ 0.50');
  });

  it('describes a layer with shapes, parameters, FLOPs and the cumulative share', () => {
    const md = hoverMarkdown(spec, analysis.cost, byName(nodes, 'conv2'), []);
    assert.ok(md.startsWith('**Layer `conv2`** · `conv2d`'), md);
    assert.ok(md.includes('- Output shape: 14 × 14 × 16'), md);
    assert.ok(md.includes('- Parameters: 1,168'), md);
    assert.ok(md.includes('- FLOPs: 454,720 (19% of the full network)'), md);
    assert.ok(md.includes('- Cumulative FLOPs: 580,160 (24% of the full network)'), md);
  });

  it('describes an exit with its rule, cost and the advice given to it', () => {
    const advice = [{ severity: 'warning' as const, code: 'some-rule', message: 'Raise the threshold.', span: { start: 0, end: 0 }, source: 'advice' }];
    const md = hoverMarkdown(spec, analysis.cost, byName(nodes, 'e1'), advice);
    assert.ok(md.includes('**Exit `e1`** · reads the output of `conv2`'), md);
    assert.ok(md.includes('a sample leaves here when max-prob ≥ 0.95'), md);
    assert.ok(md.includes('- FLOPs to leave here: 594,250 (cumulative 25% of the full network)'), md);
    assert.ok(md.includes('- `some-rule` Raise the threshold.'), md);
    assert.ok(hoverMarkdown(spec, analysis.cost, byName(nodes, 'e1'), []).endsWith('No design advice applies.'));
  });

  it('describes a gate with what it saves', () => {
    const md = hoverMarkdown(spec, analysis.cost, byName(nodes, 'g1'), []);
    assert.ok(md.includes('- Block FLOPs saved when closed: 1,815,744 (76% of the full network)'), md);
  });

  it('gives outline details', () => {
    assert.strictEqual(symbolDetail(spec, byName(nodes, 'gap')), 'globalPool · 16');
    assert.strictEqual(symbolDetail(spec, byName(nodes, 'e1')), 'after conv2 · max-prob ≥ 0.95');
    assert.strictEqual(symbolDetail(spec, byName(nodes, 'g1')), 'on res1 · ≥ 0.50');
  });
});
