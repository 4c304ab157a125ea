// The measured figures on the code lenses, from a Results document.
import * as assert from 'node:assert/strict';
import { backendLabel, lensFigures, liveFigures, strongestAttack } from '../../../src/extension/results/result-figures';
import { SPEC_HASH, cloneResults } from '../panel/fixtures';

describe('result figures for the code lenses', () => {
  it('summarises the model: strongest attack, clean accuracy, FLOPs clean vs attacked, provenance', () => {
    const r = cloneResults();
    const f = lensFigures(r, SPEC_HASH);
    assert.equal(strongestAttack(r)?.id, 'pgd@0.3');
    assert.deepEqual(f.model, ['robust acc 12% at pgd eps 0.3', 'clean acc 96%', 'FLOPs 40% clean vs 52% under pgd', 'CPU (wasm) · seed 1234 · 500 samples · 73 s']);
    assert.equal(f.stale, false);
  });

  it('gives each internal exit its clean share and worst hijack rate, and each gate its firing rates', () => {
    const r = cloneResults();
    const pgd03 = r.attacks[1];
    assert.ok(pgd03);
    pgd03.hijackByExit = [0.38, 0.02];
    const f = lensFigures(r, SPEC_HASH);
    assert.deepEqual(f.exits.get('e1'), ['70% exit here', 'hijack 38% at eps 0.3']);
    assert.deepEqual(f.exits.get('e2'), ['20% exit here', 'hijack 9% at eps 0.1']);
    assert.equal(f.exits.has('final'), false);
    assert.deepEqual(f.gates.get('g1'), ['runs 64% clean', '90% under pgd']);
  });

  it('marks every figure stale when the file no longer hashes to the results', () => {
    const f = lensFigures(cloneResults(), 'something-else');
    assert.equal(f.stale, true);
    assert.equal(f.model[f.model.length - 1], '(stale)');
    assert.equal(f.exits.get('e1')?.at(-1), '(stale)');
  });

  it('prefers accuracy attacks for "strongest" and labels GPU backends', () => {
    const r = cloneResults();
    r.attacks = r.attacks.map((a, i) => (i === 0 ? { ...a, kind: 'slowdown' as const, robustAccuracy: 0.01 } : a));
    assert.equal(strongestAttack(r)?.id, 'pgd@0.3');
    assert.equal(backendLabel('tensorflow-gpu'), 'GPU (tensorflow-gpu)');
    assert.equal(backendLabel('webgpu', 'webgpu requested (nvidia ampere on Vulkan)'), 'GPU (webgpu)');
    assert.equal(backendLabel('webgpu', "webgpu requested (google swiftshader on Vulkan, a software adapter: figures are not a GPU's)"), 'software GPU (webgpu)');
    assert.equal(backendLabel('tensorflow'), 'CPU (tensorflow)');
  });

  it('shows the latest partial attack result while a check runs', () => {
    const r = cloneResults();
    assert.deepEqual(liveFigures([], ['e1']), { exits: new Map() });
    const live = liveFigures(r.attacks.slice(0, 2), ['e1', 'e2']);
    assert.equal(live.model, 'live (2 measured): pgd@0.3 robust acc 12%, FLOPs 52%');
    assert.equal(live.exits.get('e1'), 'live: hijack 22% at pgd@0.3');
  });
});
