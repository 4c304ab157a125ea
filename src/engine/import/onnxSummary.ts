// What the editor shows of an .onnx file without TF.js (the extension host never loads it): the graph's outputs,
// FLOPs and parameters per exit from the ONNX nodes (onnxAnalyze.ts, split as dynamic inference runs it, parts.ts),
// and the sidecar the "Create Model File for an ONNX Model" command writes.
import { analyzeOnnx, type AnalyzedGraph } from './onnxAnalyze';
import { decodeOnnx, type OnnxModel } from './onnxDecode';
import { ImportError } from './errors';
import { splitAtExits, stepsPerExit, type PlanStep } from './parts';

export interface ExitCostSummary {
  name: string;
  /** FLOPs per sample a sample has paid when it leaves here (earlier heads included). */
  flopsAtExit: number;
  /** FLOPs of this exit's own part (trunk + head). */
  partFlops: number;
  /** Parameters of this exit's own part. */
  partParams: number;
}

export interface OnnxCostSummary {
  opset: number;
  producer: string;
  nodes: number;
  exits: ExitCostSummary[];
  fullFlops: number;
  params: number;
}

/** Decodes an .onnx file for the editor: external data is not read (a model that needs it gets no figures). */
export function decodeForEditor(bytes: Uint8Array, file: string): Promise<OnnxModel> {
  return decodeOnnx(bytes, file, (location) => Promise.reject(new ImportError(`keeps weights in external data ('${location}'), which the editor does not read; run a check to load them`, file)));
}

interface SummaryStep extends PlanStep<string> {
  params: number;
}

/** FLOPs and parameters per exit of `graph` analysed for `outputs` (in exit order). */
export function costSummary(model: OnnxModel, graph: AnalyzedGraph): OnnxCostSummary {
  const steps: SummaryStep[] = graph.nodes.map((n) => ({
    inputs: n.node.inputs.filter((name) => graph.values.get(name)?.kind === 'act'),
    outputs: n.node.outputs.slice(0, 1),
    flops: n.flops,
    params: n.params,
  }));
  const producer = new Map<string, SummaryStep>();
  for (const s of steps) for (const o of s.outputs) producer.set(o, s);
  const exits = splitAtExits(graph.input.name, stepsPerExit(graph.input.name, graph.outputs, (v) => producer.get(v)), graph.outputs, () => false);
  let cumulative = 0;
  const summary = exits.map((e, k): ExitCostSummary => {
    const own = [...e.trunk.steps, ...e.head.steps];
    cumulative += e.trunk.flops + e.head.flops;
    return { name: graph.outputs[k] as string, flopsAtExit: cumulative, partFlops: e.trunk.flops + e.head.flops, partParams: own.reduce((a, s) => a + s.params, 0) };
  });
  return { opset: model.opset, producer: model.producer, nodes: model.nodes.length, exits: summary, fullFlops: cumulative, params: summary.reduce((a, e) => a + e.partParams, 0) };
}

/** Decodes and analyses `bytes` for the exits `outputs`; throws ImportError naming the file (and the node). */
export async function summarizeOnnx(bytes: Uint8Array, file: string, outputs: readonly string[]): Promise<OnnxCostSummary> {
  const model = await decodeForEditor(bytes, file);
  try {
    return costSummary(model, analyzeOnnx(model, outputs));
  } catch (e) {
    if (e instanceof ImportError) throw e;
    throw new ImportError(e instanceof Error ? e.message : String(e), file);
  }
}

/** A graph output as the create-file command lists it. */
export interface OutputChoice {
  name: string;
  /** Declared dims, e.g. ['batch', 10]. */
  dims: (number | string)[];
  /** Looks like an exit: [batch, classes]. */
  classifier: boolean;
}

export function outputChoices(model: OnnxModel): OutputChoice[] {
  return model.outputs.map((o) => ({ name: o.name, dims: o.dims, classifier: o.dims.length === 2 && typeof o.dims[1] === 'number' && o.dims[1] >= 2 }));
}

const YAML_NAME = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/**
 * The sidecar for `modelRef` (relative to the sidecar) with the chosen outputs in exit order, the last renamed
 * 'final' only if it is so named in the graph (exit names are the graph's output names). Lines the user must check
 * carry a `# TODO` comment: the input range, the normalisation training used, the data.
 */
export function sidecarText(name: string, modelRef: string, model: OnnxModel, outputs: readonly string[]): string {
  const input = model.inputs[0];
  const dims = input?.dims ?? [];
  const shape = dims.length === 4 ? [dims[2], dims[3], dims[1]] : dims.slice(1);
  const known = shape.every((d) => typeof d === 'number');
  const classes = model.outputs.find((o) => o.name === outputs[0])?.dims[1];
  const bad = outputs.find((o) => !YAML_NAME.test(o));
  const lines = [
    '# Sidecar of an ONNX model (docs/import.md). Check the lines marked TODO.',
    'dynn: 1',
    `name: ${YAML_NAME.test(name) ? name : JSON.stringify(name)}`,
    `input: { shape: [${shape.join(', ')}], range: [0, 1] }${known ? '' : '   # TODO: fixed height, width, channels'}   # TODO: the range of your pixels`,
    `classes: ${typeof classes === 'number' ? classes : '10   # TODO: the number of classes'}`,
    'import:',
    `  model: ${JSON.stringify(modelRef)}`,
    `  outputs: [${outputs.join(', ')}]${outputs[outputs.length - 1] !== 'final' ? "   # TODO: the last exit must be named 'final' (rename the ONNX output)" : ''}${bad !== undefined ? `   # TODO: '${bad}' is not a valid exit name` : ''}`,
    '  # normalize: { mean: [0.5], std: [0.5] }   # TODO: the normalisation your training used, if any',
    '  # static: backbone-without-exits.onnx     # optional: enables the transfer and efficiency studies',
    'policy: { kind: maxProb, threshold: 0.9 }',
    'data: { source: mnist }   # TODO: your data (see docs/format.md#data)',
    '',
  ];
  return lines.join('\n');
}

