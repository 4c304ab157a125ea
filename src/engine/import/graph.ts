// Splits a loaded multi-output Keras graph at its exit outputs so dynamic inference runs each part only on the
// samples still in the batch. The graph is executed node by node (layer.apply on concrete tensors): TF.js cannot
// build a sub-model whose inputs are intermediate tensors, and node-level execution also handles shared layers.
// The split itself (trunk, head, carry) is parts.ts, shared with ONNX graphs.
import * as tf from '@tensorflow/tfjs';
import { splitAtExits, type ExitPart, type Part } from './parts';

/** The parts of tfjs-layers' graph objects this module reads (public fields, not in the top-level typings). */
interface SymbolicLike {
  readonly id: number;
  readonly shape: (number | null)[];
  readonly sourceLayer: LayerLike;
  readonly nodeIndex: number;
}
interface NodeLike {
  readonly inputTensors: SymbolicLike[];
  readonly outputTensors: SymbolicLike[];
  readonly callArgs?: Record<string, unknown>;
}
interface LayerLike {
  readonly name: string;
  readonly inboundNodes: NodeLike[];
  getClassName(): string;
  getConfig(): Record<string, unknown>;
  apply(inputs: tf.Tensor | tf.Tensor[], kwargs?: Record<string, unknown>): tf.Tensor | tf.Tensor[];
}

export interface GraphStep {
  layer: LayerLike;
  node: NodeLike;
  inputs: number[];
  outputs: number[];
  flops: number;
}

export type GraphPart = Part<GraphStep>;
export type ExitPlan = ExitPart<number, GraphStep>;

export interface GraphPlan {
  input: number;
  exits: ExitPlan[];
}

const dims = (shape: readonly (number | null)[]): number[] => shape.slice(1).map((d) => d ?? 1);
const product = (v: readonly number[]): number => v.reduce((a, b) => a * b, 1);
const pair = (v: unknown): [number, number] => (Array.isArray(v) ? [Number(v[0] ?? 1), Number(v[1] ?? v[0] ?? 1)] : [Number(v ?? 1), Number(v ?? 1)]);

/**
 * FLOPs per sample of one node, multiply-add = 2 (as in the spec's cost model): convolutions (regular, depthwise,
 * separable), dense, pooling (one op per window element), batch normalisation (2 per element), element-wise merges
 * (one per element per extra input). Activations, reshapes, dropout and anything else count 0.
 */
export function nodeFlops(layer: LayerLike, node: NodeLike): number {
  const cls = layer.getClassName();
  const config = layer.getConfig();
  const input = node.inputTensors[0];
  const output = node.outputTensors[0];
  if (input === undefined || output === undefined) return 0;
  const inDims = dims(input.shape);
  const outDims = dims(output.shape);
  const outElems = product(outDims);
  const bias = config.useBias === false ? 0 : outElems;
  const cin = inDims[inDims.length - 1] ?? 1;
  switch (cls) {
    case 'Conv2D': {
      const [kh, kw] = pair(config.kernelSize);
      return 2 * kh * kw * cin * outElems + bias;
    }
    case 'DepthwiseConv2D': {
      const [kh, kw] = pair(config.kernelSize);
      return 2 * kh * kw * outElems + bias;
    }
    case 'SeparableConv2D': {
      const [kh, kw] = pair(config.kernelSize);
      const mult = Number(config.depthMultiplier ?? 1);
      const spatial = product(outDims.slice(0, -1));
      const cout = outDims[outDims.length - 1] ?? 1;
      return 2 * kh * kw * cin * mult * spatial + 2 * cin * mult * cout * spatial + bias;
    }
    case 'Dense':
      return 2 * cin * outElems + bias;
    case 'MaxPooling2D':
    case 'AveragePooling2D': {
      const [ph, pw] = pair(config.poolSize);
      return ph * pw * outElems;
    }
    case 'GlobalAveragePooling2D':
    case 'GlobalMaxPooling2D':
      return product(inDims);
    case 'BatchNormalization':
      return 2 * outElems;
    case 'Add':
    case 'Subtract':
    case 'Multiply':
    case 'Average':
    case 'Maximum':
    case 'Minimum':
      return Math.max(0, node.inputTensors.length - 1) * outElems;
    default:
      return 0;
  }
}

function producer(t: SymbolicLike): NodeLike {
  const node = t.sourceLayer.inboundNodes[t.nodeIndex];
  if (node === undefined) throw new Error(`tensor of layer '${t.sourceLayer.name}' has no producing node`);
  return node;
}

function isSoftmax(t: SymbolicLike): boolean {
  const layer = t.sourceLayer;
  if (layer.getClassName() === 'Softmax') return true;
  return layer.getConfig().activation === 'softmax';
}

/** Plans the exit parts of `model`; `outputs` are the model's outputs in exit order (final last). */
export function planGraph(model: tf.LayersModel): GraphPlan {
  const inputs = model.inputs as unknown as SymbolicLike[];
  const outputs = model.outputs as unknown as SymbolicLike[];
  const input = inputs[0];
  if (inputs.length !== 1 || input === undefined) throw new Error(`the model has ${inputs.length} inputs; exactly one image input is supported`);
  const stepOf = new Map<NodeLike, GraphStep>();
  const orderOf = new Map<GraphStep, number>();
  // Post-order DFS from one output: every node it needs, producers first. Returns nodes not seen before.
  const visit = (t: SymbolicLike, fresh: GraphStep[]): void => {
    if (t.id === input.id) return;
    const node = producer(t);
    if (stepOf.has(node)) return;
    if (t.sourceLayer.getClassName() === 'InputLayer') throw new Error(`layer '${t.sourceLayer.name}' is a second input; exactly one input is supported`);
    const step: GraphStep = { layer: t.sourceLayer, node, inputs: node.inputTensors.map((i) => i.id), outputs: node.outputTensors.map((o) => o.id), flops: 0 };
    stepOf.set(node, step);
    for (const i of node.inputTensors) visit(i, fresh);
    step.flops = nodeFlops(t.sourceLayer, node);
    orderOf.set(step, orderOf.size);
    fresh.push(step);
  };
  const partsPerExit = outputs.map((o) => {
    const fresh: GraphStep[] = [];
    visit(o, fresh);
    return fresh;
  });
  const exits = splitAtExits(input.id, partsPerExit, outputs.map((o) => o.id), (k) => isSoftmax(outputs[k] as SymbolicLike));
  return { input: input.id, exits };
}

/** Runs the steps of one part on concrete tensors in `values` (tensor id -> tensor), adding their outputs. */
export function runPart(part: GraphPart, values: Map<number, tf.Tensor>): void {
  for (const step of part.steps) {
    const args = step.inputs.map((id) => {
      const v = values.get(id);
      if (v === undefined) throw new Error(`layer '${step.layer.name}': input tensor ${id} was not computed`);
      return v;
    });
    const result = step.layer.apply(args.length === 1 ? (args[0] as tf.Tensor) : args, { ...(step.node.callArgs ?? {}), training: false });
    const list = Array.isArray(result) ? result : [result];
    step.outputs.forEach((id, i) => {
      const t = list[i];
      if (t === undefined) throw new Error(`layer '${step.layer.name}' gave ${list.length} outputs, expected ${step.outputs.length}`);
      values.set(id, t);
    });
  }
}
