// Each kind of run failure is pinned to the node of the model file it belongs to, by the text of that node's span.
import * as assert from 'node:assert/strict';
import { analyzeText } from '../../../src/modelfile';
import { DataError } from '../../../src/engine/data/errors';
import { MemoryError } from '../../../src/engine/memory';
import { classifyFailure, locateFailure, locatedErrorLine } from '../../../src/studies/failureLocation';
import { parseRunFailure, type RunFailure } from '../../../src/protocol/run-failure';

const MODEL = `dynn: 1
name: located
input: {shape: [28, 28, 1], range: [0, 1]}
classes: 10
backbone:
  - {name: conv1, type: conv2d, filters: 4, kernel: 3, stride: 2, activation: relu}
  - {name: flatten, type: flatten}
  - {name: classifier, type: dense, units: 10}
exits:
  - {name: exit1, after: conv1}
data:
  source: npy
  train: data/x.npy
  trainLabels: ./data/y.npy
  test: data/xt.npy
  testLabels: data/yt.npy
train:
  epochs: 1
  batchSize: 512
checks:
  attacks:
    - {id: pgd, kind: pgd, norm: linf, eps: [0.1]}
    - {id: hijack, kind: hijack, norm: linf, eps: [0.2]}
`;

function spanText(failure: RunFailure, text = MODEL, message = ''): string {
  const loc = locateFailure(failure, analyzeText(text), message);
  return text.slice(loc.span.start, loc.span.end);
}

describe('studies: failure location', () => {
  it('a data error points at the data value naming its file (any split, labels, ./ and backslash spellings)', () => {
    assert.equal(spanText({ kind: 'data', file: 'data/x.npy' }), 'data/x.npy');
    assert.equal(spanText({ kind: 'data', file: 'data/yt.npy' }), 'data/yt.npy');
    assert.equal(spanText({ kind: 'data', file: 'data/y.npy' }), './data/y.npy');
    assert.equal(spanText({ kind: 'data', file: 'data\\xt.npy' }), 'data/xt.npy');
    const loc = locateFailure({ kind: 'data', file: 'data/xt.npy' }, analyzeText(MODEL));
    assert.deepEqual(loc.path, ['data', 'test']);
  });

  it('a data error inside an image folder points at the folder; an unknown file at data', () => {
    const images = MODEL.replace(/data:\n(  .*\n)+?train:/, 'data: {source: images, train: imgs/train, test: imgs/test}\ntrain:');
    assert.equal(spanText({ kind: 'data', file: 'imgs/test/3/a.png' }, images), 'imgs/test');
    assert.equal(spanText({ kind: 'data', file: 'imgs/train/' }, images), 'imgs/train');
    assert.match(spanText({ kind: 'data', file: 'elsewhere.npy' }), /^source: npy\n  train: data\/x\.npy/);
    assert.match(spanText({ kind: 'data' }), /^source: npy/);
  });

  it("a data error about the model itself points at input.shape or classes, from the engine's message", () => {
    assert.equal(spanText({ kind: 'data', file: 'mnist' }, MODEL, 'MNIST has 10 classes, the model declares classes: 3'), '10');
    assert.equal(spanText({ kind: 'data', file: 'model file' }, MODEL, 'input.shape must be positive integers'), '[28, 28, 1]');
  });

  it('a memory refusal points at train.batchSize, or at train when the size is the default', () => {
    assert.equal(spanText({ kind: 'memory' }), '512');
    const noBatch = MODEL.replace('  batchSize: 512\n', '');
    assert.equal(spanText({ kind: 'memory' }, noBatch), 'epochs: 1');
    const noTrain = MODEL.replace('train:\n  epochs: 1\n  batchSize: 512\n', '');
    const loc = locateFailure({ kind: 'memory' }, analyzeText(noTrain));
    assert.deepEqual(loc, { path: [], span: { start: 0, end: 0 } });
  });

  it("an attack problem points at that attack's entry; without an id at checks.attacks", () => {
    assert.equal(spanText({ kind: 'check-input', attackId: 'hijack' }), '{id: hijack, kind: hijack, norm: linf, eps: [0.2]}');
    assert.deepEqual(locateFailure({ kind: 'check-input', attackId: 'hijack' }, analyzeText(MODEL)).path, ['checks', 'attacks', 1]);
    assert.match(spanText({ kind: 'check-input', attackId: 'nope' }), /^- \{id: pgd/);
    assert.match(spanText({ kind: 'check-input' }), /^- \{id: pgd/);
  });

  it("a weight-cache problem points at the model's name", () => {
    assert.equal(spanText({ kind: 'cache', file: '.dynn/weights/abc/model.json' }), 'located');
  });

  it('still locates in a file with errors (no spec): data at the data section, memory at train.batchSize', () => {
    const broken = MODEL.replace('classes: 10', 'classes: -3');
    assert.equal(analyzeText(broken).spec, undefined);
    assert.match(spanText({ kind: 'data', file: 'data/x.npy' }, broken), /^source: npy/);
    assert.equal(spanText({ kind: 'memory' }, broken), '512');
  });

  it('classifies the real error classes by name and keeps the locating fields', () => {
    assert.deepEqual(classifyFailure(new DataError('file or folder not found', 'data/x.npy')), { kind: 'data', file: 'data/x.npy' });
    assert.deepEqual(classifyFailure(new MemoryError('too big')), { kind: 'memory' });
    const cache = Object.assign(new Error('corrupt weights'), { name: 'CacheError', file: '.dynn/weights/k/model.json' });
    assert.deepEqual(classifyFailure(cache), { kind: 'cache', file: '.dynn/weights/k/model.json' });
    const attack = Object.assign(new Error("attack 'hijack' (hijack) needs internal exits, and 'm' has none"), { name: 'CheckInputError' });
    assert.deepEqual(classifyFailure(attack), { kind: 'check-input', attackId: 'hijack' });
    const eps = Object.assign(new Error('eps -1: must be a finite number >= 0'), { name: 'CheckInputError' });
    assert.deepEqual(classifyFailure(eps), { kind: 'check-input' });
    // The worker's study jobs wrap CheckInputError in InvalidParamsError; other invalid params are not located.
    assert.deepEqual(classifyFailure(Object.assign(new Error("attack 'x' is not in checks.attacks of 'm'"), { name: 'InvalidParamsError' })), { kind: 'check-input', attackId: 'x' });
    assert.deepEqual(classifyFailure(Object.assign(new Error("'check' parameter 'seed' must be an integer"), { name: 'InvalidParamsError' })), { kind: 'other' });
    assert.deepEqual(classifyFailure(new Error('the network has no layers')), { kind: 'other' });
    assert.deepEqual(classifyFailure('a string'), { kind: 'other' });
  });

  it('reads a failure back from JSON and refuses what is not one', () => {
    assert.deepEqual(parseRunFailure({ kind: 'data', file: 'x.npy', extra: 1 }), { kind: 'data', file: 'x.npy' });
    assert.deepEqual(parseRunFailure({ kind: 'check-input', attackId: 'pgd' }), { kind: 'check-input', attackId: 'pgd' });
    assert.equal(parseRunFailure({ kind: 'meltdown' }), undefined);
    assert.equal(parseRunFailure(null), undefined);
    assert.equal(parseRunFailure('data'), undefined);
  });

  it('formats file:line:col (1-based) like validate', () => {
    const loc = locateFailure({ kind: 'data', file: 'data/x.npy' }, analyzeText(MODEL));
    assert.equal(locatedErrorLine('m.dynn.yaml', MODEL, loc, 'data/x.npy: file or folder not found'), 'm.dynn.yaml:13:10: error: data/x.npy: file or folder not found');
  });
});
