// Schema validation: ajv errors mapped to friendly messages on the exact key or value.
import * as assert from 'assert';
import Ajv from 'ajv';
import * as fs from 'fs';
import * as path from 'path';
import { analyzeText, dynnSchema, layerTypes } from '../../../src/modelfile';
import { ROOT, model, only, spanText } from './helpers';

describe('modelfile schema', () => {
  it('is one draft-07 schema that a plain ajv (as VS Code-like consumers use) accepts', () => {
    const raw = JSON.parse(fs.readFileSync(path.join(ROOT, 'src/modelfile/dynn.schema.json'), 'utf8')) as Record<string, unknown>;
    assert.strictEqual(raw.$schema, 'http://json-schema.org/draft-07/schema#');
    const ajv = new Ajv({ strict: false });
    assert.doesNotThrow(() => ajv.compile(raw));
  });

  it('gives every property a description', () => {
    const missing: string[] = [];
    const walk = (node: unknown, where: string): void => {
      if (node === null || typeof node !== 'object') return;
      const n = node as Record<string, unknown>;
      if (n.properties && typeof n.properties === 'object') {
        for (const [k, v] of Object.entries(n.properties as Record<string, Record<string, unknown>>)) {
          if (typeof v.description !== 'string') missing.push(`${where}.${k}`);
        }
      }
      for (const [k, v] of Object.entries(n)) if (k !== 'if') walk(v, `${where}/${k}`);
    };
    walk(dynnSchema, '#');
    assert.deepStrictEqual(missing, []);
  });

  it('knows all twelve layer types', () => {
    assert.deepStrictEqual(layerTypes().sort(), [
      'activation', 'avgPool', 'batchNorm', 'conv2d', 'dense', 'depthwiseConv2d', 'dropout', 'flatten', 'globalPool', 'maxPool',
      'mixedPool', 'residual',
    ]);
  });

  it('missing required keys are reported at the top level', () => {
    const text = 'dynn: 1\nclasses: 10\n';
    const a = analyzeText(text);
    const msgs = a.diagnostics.filter((d) => d.code === 'schema/required').map((d) => d.message);
    assert.ok(msgs.some((m) => m.includes("'input'")));
    assert.ok(msgs.some((m) => m.includes("'backbone'")));
  });

  it('a missing required layer key is reported on the layer type', () => {
    const text = model({ layers: '  - { type: conv2d, filters: 4 }\n  - { type: flatten }' });
    const { d } = only(text, 'schema/required');
    assert.match(d.message, /missing required key 'kernel' in conv2d layer/);
    assert.strictEqual(spanText(text, d), 'conv2d');
  });

  it('an unknown layer type is reported on the value with a suggestion', () => {
    const text = model({ layers: '  - { type: conv2, filters: 4, kernel: 3 }\n  - { type: flatten }' });
    const { d } = only(text, 'schema/unknown-layer-type');
    assert.strictEqual(spanText(text, d), 'conv2');
    assert.match(d.message, /Did you mean 'conv2d'\?/);
  });

  it('a layer without a type', () => {
    const text = model({ layers: '  - filters: 4\n    kernel: 3\n  - { type: flatten }' });
    const { d } = only(text, 'schema/required');
    assert.match(d.message, /needs a 'type'/);
    assert.strictEqual(spanText(text, d), 'filters: 4');
  });

  it('enums list the allowed values and suggest the nearest', () => {
    const text = model({ extra: 'train: { optimizer: adamw }' });
    const { d } = only(text, 'schema/enum');
    assert.strictEqual(d.message, "'optimizer' must be one of adam, sgd, rmsprop; got adamw. Did you mean 'adam'?");
    assert.strictEqual(spanText(text, d), 'adamw');
  });

  it('the format version must be 1', () => {
    const text = model().replace('dynn: 1', 'dynn: 2');
    const { d } = only(text, 'schema/enum');
    assert.strictEqual(spanText(text, d), '2');
  });

  it('anyOf values (eps, loss) get one message naming the alternatives', () => {
    const text = model({ extra: 'checks:\n  attacks:\n    - { kind: pgd, eps: big, loss: worst }' });
    const a = analyzeText(text);
    const eps = a.diagnostics.find((d) => spanText(text, d) === 'big');
    const loss = a.diagnostics.find((d) => spanText(text, d) === 'worst');
    assert.ok(eps && loss, JSON.stringify(a.diagnostics));
    assert.strictEqual(eps.message, "'eps' must be a number or a list of numbers, got big");
    assert.match(loss.message, /one of final, average, maxAverage, taken or exit:<name>/);
    assert.strictEqual(a.diagnostics.filter((d) => d.code.startsWith('schema/')).length, 2);
  });

  it('file data sources need train and test paths', () => {
    const text = model({ extra: 'data: { source: npz }' });
    const a = analyzeText(text);
    const msgs = a.diagnostics.filter((d) => d.code === 'schema/required').map((d) => [d.message, spanText(text, d)]);
    assert.deepStrictEqual(msgs, [
      ["data source 'npz' needs 'train' (a workspace-relative path)", 'data'],
      ["data source 'npz' needs 'test' (a workspace-relative path)", 'data'],
    ]);
  });

  it('list length rules', () => {
    const text = model().replace('shape: [28, 28, 1]', 'shape: [1, 2, 3, 4]');
    const { d } = only(text, 'limits/too-large');
    assert.strictEqual(d.message, "'shape' must have 1 to 3 item(s)");
    const empty = 'dynn: 1\ninput: { shape: [4] }\nclasses: 2\nbackbone: []\n';
    assert.match(only(empty, 'schema/length').d.message, /'backbone' must have at least 1/);
  });

  it('items of lists are named by position', () => {
    const text = model({ extra: 'train: { exitWeights: [1, x] }' });
    const { d } = only(text, 'schema/type');
    assert.strictEqual(d.message, "'item 2 of exitWeights' must be a number, got x");
    assert.strictEqual(spanText(text, d), 'x');
  });

  it('the same problem in JSON is located just as precisely', () => {
    const text = '{"dynn": 1, "input": {"shape": [28, 28, 1]}, "classes": 10, "backbone": [{"type": "dense", "units": -1}]}';
    const { d } = only(text, 'schema/range', 'm.dynn.json');
    assert.strictEqual(spanText(text, d), '-1');
  });
});
