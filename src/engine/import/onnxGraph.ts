// An ONNX graph as TF.js steps split at its exits: decoded (onnxDecode.ts), analysed with the batch symbolic
// (onnxAnalyze.ts), each node compiled once (onnxOps.ts). The user's input is NHWC (see onnxLayout.ts).
import * as tf from '@tensorflow/tfjs';
import { analyzeOnnx, type AnalyzedGraph } from './onnxAnalyze';
import type { OnnxModel } from './onnxDecode';
import { compileNode } from './onnxOps';
import { runtimeShape } from './onnxLayout';
import { splitAtExits, stepsPerExit, type ExitPart, type Part } from './parts';

export interface OnnxStep {
  /** `node 'name' (Op, opset N)`. */
  label: string;
  opType: string;
  inputs: string[];
  outputs: string[];
  flops: number;
  params: number;
  run: (xs: tf.Tensor[]) => tf.Tensor;
}

export type OnnxPart = Part<OnnxStep>;

export class OnnxExitGraph {
  readonly input: string;
  readonly exits: ExitPart<string, OnnxStep>[];
  /** Per-sample input shape as the user gives it (NHWC, or [features]). */
  readonly inputShape: number[];
  readonly classes: number;
  private readonly steps: OnnxStep[];
  private readonly weights: tf.Tensor[];

  constructor(
    readonly analysis: AnalyzedGraph,
    outputs: readonly string[],
  ) {
    this.input = analysis.input.name;
    const shape = runtimeShape(analysis.input.shape).slice(1) as number[];
    this.inputShape = shape;
    const out = analysis.values.get(outputs[0] ?? '');
    this.classes = out?.kind === 'act' ? (out.shape[1] as number) : 0;
    this.weights = [];
    const steps: OnnxStep[] = [];
    try {
      for (const an of analysis.nodes) {
        const kernel = compileNode(an, analysis.opset, analysis.values);
        this.weights.push(...kernel.weights);
        steps.push({ label: an.label, opType: an.node.opType, inputs: kernel.inputs, outputs: [an.node.outputs[0] as string], flops: an.flops, params: an.params, run: kernel.run });
      }
    } catch (e) {
      for (const w of this.weights) w.dispose();
      throw e;
    }
    this.steps = steps;
    const producer = new Map<string, OnnxStep>();
    for (const s of steps) for (const o of s.outputs) producer.set(o, s);
    const parts = stepsPerExit(this.input, outputs, (v) => producer.get(v));
    this.exits = splitAtExits(this.input, parts, outputs, (k) => producer.get(outputs[k] as string)?.opType === 'Softmax');
  }

  /** Every exit's output for `x` (differentiable): runs each step once, in graph order. */
  forward(x: tf.Tensor): tf.Tensor[] {
    const values = new Map<string, tf.Tensor>([[this.input, x]]);
    for (const e of this.exits) {
      this.runPart(e.trunk, values);
      this.runPart(e.head, values);
    }
    return this.exits.map((e) => values.get(e.output) as tf.Tensor);
  }

  /** Runs the steps of one part on `values` (value name -> tensor), adding their outputs. */
  runPart(part: OnnxPart, values: Map<string, tf.Tensor>): void {
    for (const step of part.steps) {
      const xs = step.inputs.map((name) => {
        const v = values.get(name);
        if (v === undefined) throw new Error(`${step.label}: input '${name}' was not computed`);
        return v;
      });
      values.set(step.outputs[0] as string, step.run(xs));
    }
  }

  /** Parameters (elements of the weights) of each exit's part: trunk and head. */
  paramsAtExit(): number[] {
    return this.exits.map((e) => [...e.trunk.steps, ...e.head.steps].reduce((a, s) => a + s.params, 0));
  }

  get stepCount(): number {
    return this.steps.length;
  }

  dispose(): void {
    for (const w of this.weights) w.dispose();
    this.weights.length = 0;
  }
}

/** Analyses and compiles `model` for `outputs` (in exit order). Throws OnnxGraphError naming the node at fault. */
export function buildOnnxGraph(model: OnnxModel, outputs: readonly string[]): OnnxExitGraph {
  return new OnnxExitGraph(analyzeOnnx(model, outputs), outputs);
}
