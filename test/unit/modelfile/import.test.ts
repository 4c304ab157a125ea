import * as assert from 'assert';
import { analyzeText } from '../../../src/modelfile';
import { errors, only, spanText } from './helpers';

const SIDECAR = (importBlock: string, extra = ''): string =>
  `dynn: 1
name: imported
input: { shape: [28, 28, 1], range: [0, 1] }
classes: 10
${importBlock}
policy: { kind: maxProb, threshold: 0.9 }
${extra}`;
const GOOD = 'import: { model: keras/model.json, outputs: [exit1, exit2, final], thresholds: [0.8, 0.95] }';

describe('modelfile import (sidecar of a TF.js Layers model)', () => {
  it('a sidecar with import instead of backbone is a valid model file', () => {
    const a = analyzeText(SIDECAR(GOOD));
    assert.deepStrictEqual(errors(a), []);
    assert.deepStrictEqual(a.spec?.import, { model: 'keras/model.json', outputs: ['exit1', 'exit2', 'final'], thresholds: [0.8, 0.95], path: ['import'] });
    assert.deepStrictEqual(a.spec?.backbone, []);
    assert.deepStrictEqual(a.spec?.exits, []);
    assert.strictEqual(a.cost, undefined, 'the cost comes from the imported model, not the spec');
  });

  it('a file with neither backbone nor import still asks for a backbone', () => {
    const a = analyzeText('dynn: 1\ninput: { shape: [28, 28, 1] }\nclasses: 10\n');
    assert.ok(a.diagnostics.some((d) => d.code === 'schema/required' && d.message.includes("'backbone'")));
  });

  it('backbone, exits or gates next to import are refused on the key', () => {
    const text = SIDECAR(GOOD, 'exits:\n  - { name: e, after: x }\n');
    const { d } = only(text, 'import/conflict');
    assert.strictEqual(spanText(text, d), 'exits');
    assert.match(d.message, /'exits' cannot be used with 'import'/);
  });

  it('outputs must end in final, be unique, and thresholds must match the internal exits', () => {
    assert.match(only(SIDECAR('import: { model: m.json, outputs: [a, b] }'), 'import/outputs').d.message, /must be named 'final'/);
    assert.match(only(SIDECAR('import: { model: m.json, outputs: [a, a, final] }'), 'import/outputs').d.message, /'a' is used twice/);
    const t = only(SIDECAR('import: { model: m.json, outputs: [a, final], thresholds: [0.5, 0.7] }'), 'import/thresholds');
    assert.match(t.d.message, /needs 1 values/);
  });

  it('model must be a relative path, not absolute or a URL', () => {
    assert.match(only(SIDECAR('import: { model: /tmp/model.json, outputs: [final] }'), 'import/path').d.message, /relative to this file/);
    assert.match(only(SIDECAR('import: { model: "https://example.org/model.json", outputs: [final] }'), 'import/path').d.message, /relative/);
  });

  it('the schema checks the import block (unknown keys, missing outputs, bad names)', () => {
    assert.ok(analyzeText(SIDECAR('import: { model: m.json, outputs: [final], weights: w.bin }')).diagnostics.some((d) => d.code === 'schema/unknown-key' && d.message.includes("'weights'")));
    assert.ok(analyzeText(SIDECAR('import: { model: m.json }')).diagnostics.some((d) => d.code === 'schema/required' && d.message.includes("'outputs'")));
    assert.ok(errors(analyzeText(SIDECAR('import: { model: m.json, outputs: ["not a name", final] }'))).length > 0);
  });

  it('an ONNX sidecar: normalize (one value or one per channel, positive std) and static, with positions', () => {
    const good = analyzeText(SIDECAR('import: { model: sdn.onnx, outputs: [exit1, final], normalize: { mean: [0.1307], std: [0.3081] }, static: sdnn.onnx }'));
    assert.deepStrictEqual(errors(good), []);
    assert.deepStrictEqual(good.spec?.import?.normalize, { mean: [0.1307], std: [0.3081] });
    assert.strictEqual(good.spec?.import?.static, 'sdnn.onnx');
    const text = SIDECAR('import: { model: sdn.onnx, outputs: [final], normalize: { mean: [0.4, 0.5, 0.6], std: [0.2] } }');
    const { d } = only(text, 'import/normalize');
    assert.strictEqual(spanText(text, d), 'mean');
    assert.match(d.message, /'mean' needs 1 value or one per input channel \(1\), got 3/);
    const zero = analyzeText(SIDECAR('import: { model: sdn.onnx, outputs: [final], normalize: { mean: [0], std: [0] } }'));
    assert.ok(zero.diagnostics.some((x) => x.severity === 'error' && x.code === 'schema/range'), JSON.stringify(zero.diagnostics.map((x) => x.code)));
    const stat = SIDECAR('import: { model: sdn.onnx, outputs: [final], static: /abs/sdnn.onnx }');
    const s2 = only(stat, 'import/path');
    assert.strictEqual(spanText(stat, s2.d), 'static');
    assert.match(s2.d.message, /'static' must be a path relative to this file/);
  });
});
