// The editor's wording for an ONNX sidecar's graph: lens titles over `import` and each exit, and the hover table.
import * as assert from 'assert';
import { importExitLensTitle, importHoverMarkdown, importLensTitle, isOnnxImport } from '../../../src/extension/language/imported-describe';
import { summarizeOnnx } from '../../../src/engine/import/onnxSummary';
import { buildOnnx, tinyTwoExit } from '../../fixtures/onnx/builder';

describe('extension/imported-describe (lenses and hover of an ONNX sidecar)', () => {
  it('titles the graph and each exit with the figures counted from the ONNX nodes', async () => {
    const figures = { summary: await summarizeOnnx(buildOnnx(tinyTwoExit()), 'tiny.onnx', ['exit1', 'final']) };
    assert.strictEqual(importLensTitle(figures), 'ONNX opset 13 · 5 nodes · 998 FLOPs · 218 params');
    assert.strictEqual(importExitLensTitle(figures, 0), 'exit1: 803 FLOPs to here (80% of the graph) · own part 803 FLOPs, 119 params');
    assert.strictEqual(importExitLensTitle(figures, 1), 'final: 998 FLOPs to here (100% of the graph) · own part 195 FLOPs, 99 params');
    assert.strictEqual(importExitLensTitle(figures, 2), undefined);
    const md = importHoverMarkdown(figures);
    assert.match(md, /\| `exit1` \| 803 FLOPs \| 80% \| 803 FLOPs \| 119 \|/);
    assert.match(md, /5 nodes, 998 FLOPs per sample, 218 parameters/);
  });

  it('says why there are no figures instead of showing wrong ones', () => {
    const problem = { problem: 'trust the workspace to read the imported graph (FLOPs and parameters per exit)' };
    assert.strictEqual(importLensTitle(problem), '$(warning) imported graph: trust the workspace to read the imported graph (FLOPs and parameters per exit)');
    assert.strictEqual(importExitLensTitle(problem, 0), undefined);
    assert.match(importHoverMarkdown(problem), /trust the workspace/);
  });

  it('applies to .onnx imports only (Layers sidecars keep their own figures)', () => {
    assert.ok(isOnnxImport({ model: 'a/sdn.ONNX', outputs: ['final'], path: ['import'] }));
    assert.ok(!isOnnxImport({ model: 'keras/model.json', outputs: ['final'], path: ['import'] }));
    assert.ok(!isOnnxImport(undefined));
  });
});
