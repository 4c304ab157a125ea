// Bad ONNX files get an ImportError before any compute that names the file, and the node, op type and opset.
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { importModel, ImportError } from '../../../src/engine/import';
import { MAX_INITIALIZER_ELEMENTS } from '../../../src/engine/import/limits';
import { buildOnnx, tinyTwoExit, type ModelDef } from '../../fixtures/onnx/builder';
import { useCpuBackend } from './helpers';

const SIDECAR = (model: string, extra = ''): string =>
  `dynn: 1\nname: tiny\nimport: { model: ${model}, outputs: [exit1, final]${extra} }\ninput: { shape: [4, 4, 1], range: [0, 1] }\nclasses: 3\npolicy: { kind: maxProb, threshold: 0.5 }\ndata: { source: csv, train: train.csv, test: test.csv }\n`;

describe('engine/import: bad ONNX files are refused before any compute, naming what is wrong', () => {
  let root: string;
  let n = 0;

  before(async () => {
    await useCpuBackend();
    root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'dynn-onnx-bad-')));
  });
  after(() => fs.rmSync(root, { recursive: true, force: true }));

  /** Writes `bytes` as a model and its sidecar; returns the sidecar's name. */
  function write(bytes: Uint8Array | string, extra = ''): string {
    n++;
    fs.writeFileSync(path.join(root, `m${n}.onnx`), bytes);
    fs.writeFileSync(path.join(root, `m${n}.dynn.yaml`), SIDECAR(`m${n}.onnx`, extra));
    return `m${n}.dynn.yaml`;
  }
  async function refused(def: ModelDef | Uint8Array | string, ...parts: (string | RegExp)[]): Promise<void> {
    const file = write(typeof def === 'string' || def instanceof Uint8Array ? def : buildOnnx(def));
    const tensors = tf.memory().numTensors;
    await assert.rejects(importModel(file, root), (e: unknown) => {
      assert.ok(e instanceof ImportError, String(e));
      for (const p of parts) assert.ok(typeof p === 'string' ? e.message.includes(p) : p.test(e.message), `'${e.message}' lacks ${String(p)}`);
      return true;
    });
    assert.strictEqual(tf.memory().numTensors, tensors, 'a refused import leaves no tensors behind');
  }

  it('the tiny valid model loads (the cases below differ from it in one thing)', async () => {
    const model = await importModel(write(buildOnnx(tinyTwoExit())), root);
    assert.deepStrictEqual(model.exitNames, ['exit1', 'final']);
    assert.deepStrictEqual(model.inputShape, [4, 4, 1]);
    model.dispose();
  });

  it('an unsupported op: names the node, op type and opset, and lists the supported ops', async () => {
    const def = tinyTwoExit();
    def.nodes[3] = { op: 'Selu', inputs: ['f'], outputs: ['r'], name: 'odd_activation' };
    await refused(def, /^m\d+\.onnx: /, "node 'odd_activation' (Selu, opset 13)", 'supported: Add, AveragePool');
  });

  it('an op from another domain is refused, naming the domain', async () => {
    const def = tinyTwoExit();
    def.nodes[3] = { op: 'Relu', inputs: ['f'], outputs: ['r'], name: 'custom', domain: 'com.example' };
    await refused(def, "node 'custom' (Relu, opset 13) in domain 'com.example'");
  });

  it('an unsupported attribute is refused, naming the node (strides and dilations both above 1)', async () => {
    const def = tinyTwoExit();
    def.nodes[0]!.attrs = { kernel_shape: [3, 3], pads: [1, 1, 1, 1], strides: [2, 2], dilations: [2, 2] };
    await refused(def, "node 'conv' (Conv, opset 13)", 'strides and dilations');
  });

  it('a truncated file and a file that is not ONNX', async () => {
    const bytes = buildOnnx(tinyTwoExit());
    await refused(bytes.subarray(0, Math.floor(bytes.length / 2)), 'is not an ONNX model, or is truncated');
    await refused('{"format": "layers-model"}', 'not an ONNX model');
    await refused(new Uint8Array(0), 'not an ONNX model');
  });

  it('an opset outside 11..21 is refused with the opset to export with', async () => {
    await refused({ ...tinyTwoExit(), opset: 9 }, 'uses opset 9', 'supported are 11 to 21', 'opset_version=11');
  });

  it('external data: read from inside the workspace; a path that leaves it is refused', async () => {
    const def = tinyTwoExit();
    const w2 = def.initializers!.find((t) => t.name === 'w2')!;
    const bytes = Buffer.from(Float32Array.from(w2.data!).buffer);
    fs.writeFileSync(path.join(root, 'w2.bin'), Buffer.concat([Buffer.alloc(8), bytes]));
    const inline = await importModel(write(buildOnnx(def)), root);
    const outside = { ...w2, data: undefined, external: { location: '../outside.bin' } };
    await refused({ ...def, initializers: def.initializers!.map((t) => (t === w2 ? outside : t)) }, "external data of tensor 'w2'", 'outside.bin');
    await refused({ ...def, initializers: def.initializers!.map((t) => (t === w2 ? { ...outside, external: { location: '/etc/passwd' } } : t)) }, "external data of tensor 'w2'", 'not an absolute path');
    const short = { ...w2, data: undefined, external: { location: 'w2.bin', offset: 8, length: bytes.length - 4 } };
    await refused({ ...def, initializers: def.initializers!.map((t) => (t === w2 ? short : t)) }, "tensor 'w2' holds", 'truncated');
    const ext = { ...w2, data: undefined, external: { location: 'w2.bin', offset: 8, length: bytes.length } };
    const external = await importModel(write(buildOnnx({ ...def, initializers: def.initializers!.map((t) => (t === w2 ? ext : t)) })), root);
    const x = tf.randomUniform([5, 4, 4, 1], 0, 1, 'float32', 3);
    const [a, b] = [inline, external].map((m) => m.forwardAll(x).exits[1]!);
    assert.ok(tf.max(tf.abs(tf.sub(a!, b!))).dataSync()[0]! === 0, 'external weights equal inline ones');
    tf.dispose([x, a!, b!]);
    inline.dispose();
    external.dispose();
  });

  it('an initializer above the documented limit is refused before its bytes are read', async () => {
    const def = tinyTwoExit();
    def.initializers!.push({ name: 'huge', dims: [MAX_INITIALIZER_ELEMENTS, 2] });
    await refused(def, "initializer tensor 'huge'", `the limit is ${MAX_INITIALIZER_ELEMENTS} per tensor`);
  });

  it('an output that is not [batch, classes] is refused, naming the output and its node', async () => {
    const def = tinyTwoExit();
    def.nodes[2] = { op: 'Relu', inputs: ['c'], outputs: ['exit1'], name: 'not_a_head' };
    await refused(def, "output 'exit1' of node 'not_a_head' (Relu, opset 13) has shape [batch, 2, 4, 4]", '[batch, classes]');
  });

  it('a reshape that fixes the batch size is refused (exported without x.view(x.size(0), -1))', async () => {
    const def = tinyTwoExit();
    def.nodes[1] = { op: 'Reshape', inputs: ['c', 'fixed'], outputs: ['f'], name: 'view' };
    def.initializers!.push({ name: 'fixed', dims: [2], data: [1, 32], int64: true });
    await refused(def, "node 'view' (Reshape, opset 13)", 'fixes the batch size');
  });

  it('a sidecar output name that the graph does not have, or a sidecar input shape that differs', async () => {
    const bytes = buildOnnx(tinyTwoExit({ outputs: [{ name: 'exit1', dims: ['batch', 3] }, { name: 'r', dims: ['batch', 32] }] }));
    await refused(bytes, "'final' is not an output of the graph (its outputs: exit1, r)");
    const file = write(buildOnnx(tinyTwoExit()), '').replace(/\.dynn\.yaml$/, '');
    fs.writeFileSync(path.join(root, 'shape.dynn.yaml'), SIDECAR(`${file}.onnx`).replace('[4, 4, 1]', '[1, 4, 4]'));
    await assert.rejects(importModel('shape.dynn.yaml', root), /shape\.dynn\.yaml: 'input\.shape' is \[1, 4, 4\] but .* takes \[4, 4, 1\] \(channels last/);
  });
});
