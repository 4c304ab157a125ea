// Static analysis of a decoded ONNX graph, without TF.js (the editor uses it too): folds the constant subgraphs
// (Shape -> Gather -> Unsqueeze -> Concat -> Reshape with a symbolic batch) once, infers every activation's shape
// with the batch kept symbolic, and counts FLOPs and parameters per node. Shapes here are ONNX's (NCHW); the
// engine's layout is decided in onnxLayout.ts. Every refusal names the node, its op type and the opset.
import { MAX_FOLDED_ELEMENTS } from './limits';
import { describeNode, type OnnxAttr, type OnnxModel, type OnnxNode, type OnnxTensor } from './onnxDecode';

/** The symbolic batch size in shapes and folded shape vectors. */
export const BATCH = 'batch';
export type Dim = number | typeof BATCH;

/** A value known at load: a weight, a Constant, or a folded shape vector (which may hold the symbolic batch). */
export interface ConstValue {
  kind: 'const';
  dims: number[];
  float: boolean;
  data: Float32Array | Dim[];
}
/** A value computed per batch: its ONNX shape, batch first. */
export interface ActValue {
  kind: 'act';
  shape: Dim[];
}
export type Value = ConstValue | ActValue;

export interface AnalyzedNode {
  node: OnnxNode;
  /** `node 'name' (Op, opset N)`, for messages. */
  label: string;
  /** Shapes of the node's activation outputs (in output order; undefined for unused optional outputs). */
  outShapes: Dim[][];
  /** FLOPs per sample (multiply-add = 2, as the spec's cost model counts). */
  flops: number;
  /** Parameters: elements of the weights (initializers) this node reads first. */
  params: number;
}

export interface AnalyzedGraph {
  opset: number;
  values: Map<string, Value>;
  /** Nodes that run per batch, in graph order; folded nodes are gone. */
  nodes: AnalyzedNode[];
  input: { name: string; shape: Dim[] };
  /** Graph outputs by name. */
  outputs: string[];
}

/** Ops the converter runs (docs/import.md lists them with their attributes). */
export const SUPPORTED_OPS: readonly string[] = [
  'Add', 'AveragePool', 'BatchNormalization', 'Cast', 'Clip', 'Concat', 'Constant', 'ConstantOfShape', 'Conv', 'Div', 'Dropout',
  'Elu', 'Flatten', 'Gather', 'Gemm', 'GlobalAveragePool', 'GlobalMaxPool', 'HardSigmoid', 'HardSwish', 'Identity', 'LeakyRelu',
  'LogSoftmax', 'MatMul', 'MaxPool', 'Mul', 'Pad', 'ReduceMean', 'Relu', 'Reshape', 'Shape', 'Sigmoid', 'Slice', 'Softmax',
  'Squeeze', 'Sub', 'Tanh', 'Transpose', 'Unsqueeze',
];
const SUPPORTED = new Set(SUPPORTED_OPS);
const UNARY = new Set(['Relu', 'Sigmoid', 'Tanh', 'LeakyRelu', 'Elu', 'HardSwish', 'HardSigmoid', 'Clip', 'Identity', 'Dropout', 'Softmax', 'LogSoftmax', 'Cast']);
const BINARY = new Set(['Add', 'Sub', 'Mul', 'Div']);

export class OnnxGraphError extends Error {
  override readonly name = 'OnnxGraphError';
}

const product = (v: readonly number[]): number => v.reduce((a, b) => a * b, 1);
const numeric = (shape: readonly Dim[], label: string): number[] =>
  shape.map((d) => {
    if (d === BATCH) throw new OnnxGraphError(`${label}: the batch dimension is used as a data dimension`);
    return d;
  });

/** Attribute getters that name the node when an attribute has the wrong kind. */
export class Attrs {
  constructor(
    private readonly attrs: Map<string, OnnxAttr>,
    private readonly label: string,
  ) {}
  int(name: string, fallback: number): number {
    return this.attrs.get(name)?.i ?? fallback;
  }
  float(name: string, fallback: number): number {
    return this.attrs.get(name)?.f ?? fallback;
  }
  floats(name: string): number[] | undefined {
    return this.attrs.get(name)?.floats;
  }
  ints(name: string): number[] | undefined {
    return this.attrs.get(name)?.ints;
  }
  string(name: string, fallback: string): string {
    return this.attrs.get(name)?.s ?? fallback;
  }
  tensor(name: string): OnnxTensor | undefined {
    return this.attrs.get(name)?.t;
  }
  has(name: string): boolean {
    return this.attrs.has(name);
  }
  fail(message: string): never {
    throw new OnnxGraphError(`${this.label}: ${message}`);
  }
}

/** Non-negative axis of `axis` in a tensor of `rank`. */
export function normAxis(axis: number, rank: number, label: string): number {
  const a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= rank) throw new OnnxGraphError(`${label}: axis ${axis} is out of range for rank ${rank}`);
  return a;
}

/** Broadcast of two ONNX shapes (numpy rules; the symbolic batch broadcasts like a size > 1). */
function broadcast(a: readonly Dim[], b: readonly Dim[], label: string): Dim[] {
  const rank = Math.max(a.length, b.length);
  const out: Dim[] = [];
  for (let i = 0; i < rank; i++) {
    const x = a[a.length - rank + i] ?? 1;
    const y = b[b.length - rank + i] ?? 1;
    if (x === y || y === 1) out.push(x);
    else if (x === 1) out.push(y);
    else throw new OnnxGraphError(`${label}: shapes [${a.join(', ')}] and [${b.join(', ')}] do not broadcast`);
  }
  return out;
}

/** Spatial padding of a convolution or pooling window: [top, left, bottom, right] (ONNX order), from pads or auto_pad. */
export function windowPads(at: Attrs, inSpatial: readonly number[], kernel: readonly number[], strides: readonly number[], dilations: readonly number[]): number[] {
  const auto = at.string('auto_pad', 'NOTSET');
  const rank = kernel.length;
  if (auto === 'NOTSET') {
    const pads = at.ints('pads') ?? new Array<number>(2 * rank).fill(0);
    if (pads.length !== 2 * rank) at.fail(`'pads' has ${pads.length} values, expected ${2 * rank}`);
    return pads;
  }
  if (auto === 'VALID') return new Array<number>(2 * rank).fill(0);
  if (auto !== 'SAME_UPPER' && auto !== 'SAME_LOWER') at.fail(`auto_pad '${auto}' is not one of NOTSET, VALID, SAME_UPPER, SAME_LOWER`);
  const begin: number[] = [];
  const end: number[] = [];
  for (let i = 0; i < rank; i++) {
    const size = inSpatial[i] as number;
    const s = strides[i] as number;
    const k = ((kernel[i] as number) - 1) * (dilations[i] as number) + 1;
    const total = Math.max(0, (Math.ceil(size / s) - 1) * s + k - size);
    const small = Math.floor(total / 2);
    begin.push(auto === 'SAME_UPPER' ? small : total - small);
    end.push(auto === 'SAME_UPPER' ? total - small : small);
  }
  return [...begin, ...end];
}

/** Geometry of a 2-D window op (Conv, MaxPool, AveragePool) on an NCHW input. */
export interface Window {
  kernel: [number, number];
  strides: [number, number];
  dilations: [number, number];
  /** [top, left, bottom, right], explicit pads only. */
  pads: number[];
  /** Extra rows/columns at the end that ceil_mode adds (pooling only). */
  ceilExtra: [number, number];
  out: [number, number];
}

export function windowOf(at: Attrs, input: readonly Dim[], kernel: readonly number[], ceil: boolean): Window {
  if (input.length !== 4 || kernel.length !== 2) at.fail(`only 2-D windows on [batch, channels, height, width] inputs are supported (input [${input.join(', ')}])`);
  const spatial = numeric(input.slice(2), 'input');
  const strides = at.ints('strides') ?? [1, 1];
  const dilations = at.ints('dilations') ?? [1, 1];
  if (strides.some((s) => s < 1) || dilations.some((d) => d < 1)) at.fail('strides and dilations must be at least 1');
  if (strides.some((s) => s > 1) && dilations.some((d) => d > 1)) at.fail('strides and dilations both above 1 are not supported (TF.js convolutions take one or the other)');
  const pads = windowPads(at, spatial, kernel, strides, dilations);
  const out: number[] = [];
  const extra: number[] = [];
  for (let i = 0; i < 2; i++) {
    const k = ((kernel[i] as number) - 1) * (dilations[i] as number) + 1;
    const span = (spatial[i] as number) + (pads[i] as number) + (pads[i + 2] as number) - k;
    if (span < 0) at.fail(`the window (${k}) is larger than the padded input (${(spatial[i] as number) + (pads[i] as number) + (pads[i + 2] as number)})`);
    let o = (ceil ? Math.ceil(span / (strides[i] as number)) : Math.floor(span / (strides[i] as number))) + 1;
    // PyTorch and ONNX drop a last window that would start in the end padding.
    if (ceil && (o - 1) * (strides[i] as number) >= (spatial[i] as number) + (pads[i] as number)) o--;
    out.push(o);
    extra.push(Math.max(0, (o - 1) * (strides[i] as number) + k - ((spatial[i] as number) + (pads[i] as number) + (pads[i + 2] as number))));
  }
  return {
    kernel: [kernel[0] as number, kernel[1] as number],
    strides: [strides[0] as number, strides[1] as number],
    dilations: [dilations[0] as number, dilations[1] as number],
    pads,
    ceilExtra: [extra[0] as number, extra[1] as number],
    out: [out[0] as number, out[1] as number],
  };
}

/** Folds ONNX integer vectors with the symbolic batch (Shape -> Gather -> Unsqueeze -> Concat -> Reshape). */
function foldNode(node: OnnxNode, at: Attrs, label: string, opset: number, get: (i: number) => Value | undefined): ConstValue[] | undefined {
  const c = (i: number): ConstValue | undefined => {
    const v = get(i);
    return v?.kind === 'const' ? v : undefined;
  };
  const ints = (v: ConstValue): Dim[] => (v.float ? at.fail('expected an integer tensor') : (v.data as Dim[]));
  const all = node.inputs.filter((n) => n !== '').every((_, i) => get(i)?.kind === 'const');
  switch (node.opType) {
    case 'Constant': {
      const t = at.tensor('value');
      if (t !== undefined) return [{ kind: 'const', dims: t.dims, float: t.float, data: t.data }];
      if (at.has('value_float')) return [{ kind: 'const', dims: [], float: true, data: Float32Array.of(at.float('value_float', 0)) }];
      if (at.has('value_int')) return [{ kind: 'const', dims: [], float: false, data: [at.int('value_int', 0)] }];
      const fl = at.floats('value_floats');
      if (fl !== undefined) return [{ kind: 'const', dims: [fl.length], float: true, data: Float32Array.from(fl) }];
      const is = at.ints('value_ints');
      if (is !== undefined) return [{ kind: 'const', dims: [is.length], float: false, data: is }];
      return at.fail('only value, value_float(s) and value_int(s) constants are supported');
    }
    case 'Shape': {
      const x = get(0);
      if (x === undefined) return undefined;
      const shape: Dim[] = x.kind === 'act' ? x.shape : x.dims;
      const rank = shape.length;
      const clampAxis = (a: number): number => Math.min(Math.max(a < 0 ? a + rank : a, 0), rank);
      const part = opset >= 15 ? shape.slice(clampAxis(at.int('start', 0)), clampAxis(at.int('end', rank))) : shape;
      return [{ kind: 'const', dims: [part.length], float: false, data: [...part] }];
    }
    default:
      break;
  }
  if (!all) return undefined;
  const x = c(0) as ConstValue;
  switch (node.opType) {
    case 'Identity':
    case 'Dropout':
      return [x];
    case 'Relu':
    case 'Sigmoid':
    case 'Tanh': {
      const f = { Relu: (v: number) => Math.max(0, v), Sigmoid: (v: number) => 1 / (1 + Math.exp(-v)), Tanh: Math.tanh }[node.opType as 'Relu'];
      return [elementwise([x], (v) => f(v[0] as number), label)];
    }
    case 'Cast': {
      const to = at.int('to', 1);
      const toFloat = to === 1 || to === 11 || to === 10;
      if (toFloat === x.float) return [x];
      if (toFloat) return [{ ...x, float: true, data: Float32Array.from(numeric(x.data as Dim[], label)) }];
      return [{ ...x, float: false, data: Array.from(x.data as Float32Array, (v) => Math.trunc(v)) }];
    }
    case 'Gather': {
      const idx = c(1) as ConstValue;
      const axis = normAxis(at.int('axis', 0), x.dims.length, label);
      const indices = numeric(ints(idx), label);
      const outer = product(x.dims.slice(0, axis));
      const size = x.dims[axis] as number;
      const inner = product(x.dims.slice(axis + 1));
      const out: Dim[] = [];
      for (let o = 0; o < outer; o++) {
        for (const i0 of indices) {
          const i = i0 < 0 ? i0 + size : i0;
          if (i < 0 || i >= size) at.fail(`index ${i0} is out of range for axis of size ${size}`);
          for (let j = 0; j < inner; j++) out.push((x.data as ArrayLike<Dim>)[(o * size + i) * inner + j] as Dim);
        }
      }
      const dims = [...x.dims.slice(0, axis), ...idx.dims, ...x.dims.slice(axis + 1)];
      return [{ kind: 'const', dims, float: x.float, data: x.float ? Float32Array.from(out as number[]) : out }];
    }
    case 'Unsqueeze':
    case 'Squeeze': {
      const axesList = opset >= 13 ? (c(1) !== undefined ? numeric(ints(c(1) as ConstValue), label) : undefined) : at.ints('axes');
      return [{ ...x, dims: numeric(reshapeForAxes(node.opType, x.dims, axesList, label), label) }];
    }
    case 'Concat': {
      const parts = node.inputs.map((_, i) => c(i) as ConstValue);
      const rank = x.dims.length;
      if (rank !== 1) return undefined; // constant tensors of higher rank are concatenated at run time
      const data: Dim[] = parts.flatMap((p) => Array.from(p.data as ArrayLike<Dim>));
      const float = parts.some((p) => p.float);
      return [{ kind: 'const', dims: [data.length], float, data: float ? Float32Array.from(numeric(data, label)) : data }];
    }
    case 'Reshape': {
      const target = numeric(ints(c(1) as ConstValue), label);
      return [{ ...x, dims: reshapeDims(x.dims, target, at.int('allowzero', 0) === 1, label).map((d) => d as number) }];
    }
    case 'ConstantOfShape': {
      const dims = numeric(ints(x), label);
      const t = at.tensor('value');
      const fill = t !== undefined ? (t.data[0] ?? 0) : 0;
      const float = t === undefined || t.float;
      const count = product(dims);
      if (count > MAX_FOLDED_ELEMENTS) at.fail(`folding a constant of ${count} elements is over the limit of ${MAX_FOLDED_ELEMENTS}`);
      return [{ kind: 'const', dims, float, data: float ? new Float32Array(count).fill(fill) : new Array<number>(count).fill(fill) }];
    }
    case 'Transpose': {
      const perm = at.ints('perm') ?? x.dims.map((_, i) => x.dims.length - 1 - i);
      const dims = perm.map((p) => x.dims[p] as number);
      return [gatherConst(x, dims, (idx) => {
        const src = new Array<number>(idx.length);
        perm.forEach((p, i) => (src[p] = idx[i] as number));
        return src;
      })];
    }
    case 'Slice': {
      const rank = x.dims.length;
      const vec = (i: number): number[] | undefined => (c(i) !== undefined ? numeric(ints(c(i) as ConstValue), label) : undefined);
      const starts = vec(1) ?? [];
      const ends = vec(2) ?? [];
      const axes = (vec(3) ?? starts.map((_, i) => i)).map((a) => normAxis(a, rank, label));
      const steps = vec(4) ?? starts.map(() => 1);
      const begin = x.dims.map(() => 0);
      const step = x.dims.map(() => 1);
      const dims = [...x.dims];
      axes.forEach((a, i) => {
        const size = x.dims[a] as number;
        const st = steps[i] as number;
        if (st === 0) at.fail('a step of 0');
        const clamp = (v: number, lo: number, hi: number): number => Math.min(Math.max(v < 0 ? v + size : v, lo), hi);
        const b = st > 0 ? clamp(starts[i] as number, 0, size) : clamp(starts[i] as number, -1, size - 1);
        const e = st > 0 ? clamp(ends[i] as number, 0, size) : clamp(ends[i] as number, -1, size - 1);
        begin[a] = b;
        step[a] = st;
        dims[a] = Math.max(0, Math.ceil((e - b) / st));
      });
      return [gatherConst(x, dims, (idx) => idx.map((v, a) => (begin[a] as number) + v * (step[a] as number)))];
    }
    case 'Add':
    case 'Sub':
    case 'Mul':
    case 'Div': {
      const y = c(1) as ConstValue;
      if (x.float || y.float || x.dims.length > 1 || y.dims.length > 1) {
        const f = { Add: (p: number, q: number) => p + q, Sub: (p: number, q: number) => p - q, Mul: (p: number, q: number) => p * q, Div: (p: number, q: number) => p / q }[node.opType as 'Add'];
        return [elementwise([x, y], (v) => f(v[0] as number, v[1] as number), label)];
      }
      const a = x.data as Dim[];
      const b = y.data as Dim[];
      const n = Math.max(a.length, b.length);
      const out: Dim[] = [];
      for (let i = 0; i < n; i++) {
        const p = a[a.length === 1 ? 0 : i];
        const q = b[b.length === 1 ? 0 : i];
        if (p === undefined || q === undefined) at.fail('integer vectors of different lengths');
        if (p === BATCH || q === BATCH) {
          // batch * 1, batch / 1, batch + 0 keep the batch; other arithmetic on it cannot be folded.
          const other = p === BATCH ? q : p;
          if ((node.opType === 'Mul' && other === 1) || (node.opType === 'Div' && q === 1) || ((node.opType === 'Add' || node.opType === 'Sub') && other === 0)) out.push(BATCH);
          else at.fail('arithmetic on the batch size cannot be folded; reshape with x.view(x.size(0), -1) or torch.flatten(x, 1)');
        } else out.push(node.opType === 'Add' ? p + q : node.opType === 'Sub' ? p - q : node.opType === 'Mul' ? p * q : Math.trunc(p / q));
      }
      return [{ kind: 'const', dims: x.dims.length === 0 && y.dims.length === 0 ? [] : [out.length], float: false, data: out }];
    }
    default:
      return undefined;
  }
}

/** Element-wise `f` over constants with numpy broadcasting, in float32 (as the exporter's framework computes). */
function elementwise(inputs: ConstValue[], f: (v: number[]) => number, label: string): ConstValue {
  const dims = numeric(inputs.reduce<Dim[]>((a, v) => broadcast(a, v.dims, label), []), label);
  const count = product(dims);
  if (count > MAX_FOLDED_ELEMENTS) throw new OnnxGraphError(`${label}: folding a constant of ${count} elements is over the limit of ${MAX_FOLDED_ELEMENTS}`);
  const views = inputs.map((v) => {
    const full = [...new Array<number>(dims.length - v.dims.length).fill(1), ...v.dims];
    const strides = full.map((d, i) => (d === 1 ? 0 : product(full.slice(i + 1))));
    return { data: v.data, strides };
  });
  const out = new Float32Array(count);
  const idx = dims.map(() => 0);
  for (let k = 0; k < count; k++) {
    out[k] = f(views.map((v) => {
      const d = v.data[idx.reduce((a, i, j) => a + i * (v.strides[j] as number), 0)];
      if (d === BATCH) throw new OnnxGraphError(`${label}: the batch size is used as a number`);
      return d as number;
    }));
    for (let a = dims.length - 1; a >= 0; a--) {
      idx[a] = (idx[a] as number) + 1;
      if ((idx[a] as number) < (dims[a] as number)) break;
      idx[a] = 0;
    }
  }
  return { kind: 'const', dims, float: true, data: out };
}

/** A constant of `dims` whose element at index `idx` is `x`'s element at `source(idx)` (Transpose, Slice). */
function gatherConst(x: ConstValue, dims: readonly number[], source: (idx: number[]) => number[]): ConstValue {
  const strides = x.dims.map((_, i) => product(x.dims.slice(i + 1)));
  const count = product(dims);
  const out: Dim[] = [];
  const idx = dims.map(() => 0);
  for (let k = 0; k < count; k++) {
    const src = source(idx);
    out.push((x.data as ArrayLike<Dim>)[src.reduce((a, v, i) => a + v * (strides[i] as number), 0)] as Dim);
    for (let a = dims.length - 1; a >= 0; a--) {
      idx[a] = (idx[a] as number) + 1;
      if ((idx[a] as number) < (dims[a] as number)) break;
      idx[a] = 0;
    }
  }
  return { kind: 'const', dims: [...dims], float: x.float, data: x.float ? Float32Array.from(out as number[]) : out };
}

function reshapeForAxes(op: string, dims: readonly Dim[], axes: number[] | undefined, label: string): Dim[] {
  if (op === 'Unsqueeze') {
    if (axes === undefined) throw new OnnxGraphError(`${label}: Unsqueeze needs axes`);
    const rank = dims.length + axes.length;
    const set = new Set(axes.map((a) => normAxis(a, rank, label)));
    const out: Dim[] = [];
    let j = 0;
    for (let i = 0; i < rank; i++) out.push(set.has(i) ? 1 : (dims[j++] as Dim));
    return out;
  }
  const set = new Set((axes ?? dims.flatMap((d, i) => (d === 1 ? [i] : []))).map((a) => normAxis(a, dims.length, label)));
  for (const a of set) if (dims[a] !== 1) throw new OnnxGraphError(`${label}: cannot squeeze axis ${a} of size ${String(dims[a])}`);
  return dims.filter((_, i) => !set.has(i));
}

/** Output dims of a Reshape: 0 copies the input dim (unless allowzero), -1 is inferred; the batch stays symbolic. */
export function reshapeDims(input: readonly Dim[], target: readonly Dim[], allowZero: boolean, label: string): Dim[] {
  const out: Dim[] = target.map((d, i) => (d === 0 && !allowZero ? (input[i] ?? 0) : d));
  const batchIn = input.filter((d) => d === BATCH).length;
  const known = product(out.filter((d): d is number => d !== BATCH && d !== -1));
  const total = product(input.filter((d): d is number => d !== BATCH));
  const infer = out.indexOf(-1);
  const batchOut = out.filter((d) => d === BATCH).length;
  if (infer >= 0) {
    if (batchOut === batchIn) out[infer] = total / known;
    else if (batchIn === 1 && batchOut === 0 && infer === 0 && known === total) out[0] = BATCH; // x.view(-1, features)
    else throw new OnnxGraphError(`${label}: the reshape to [${target.join(', ')}] mixes the batch with other dimensions; use x.view(x.size(0), -1)`);
  } else if (batchOut !== batchIn) {
    throw new OnnxGraphError(`${label}: the reshape to [${target.join(', ')}] fixes the batch size; export with dynamic_axes and x.view(x.size(0), -1)`);
  }
  const got = product(out.filter((d): d is number => d !== BATCH));
  if (!Number.isInteger(out[infer] ?? 0) || got !== total) throw new OnnxGraphError(`${label}: cannot reshape [${input.join(', ')}] to [${target.join(', ')}]`);
  return out;
}

/** Output shapes of a node that runs per batch (its inputs' shapes and constants known). */
function inferShapes(node: OnnxNode, at: Attrs, label: string, opset: number, get: (i: number) => Value | undefined): Dim[][] {
  const shapeOf = (i: number): Dim[] => {
    const v = get(i);
    if (v === undefined) return at.fail(`input ${i} ('${node.inputs[i] ?? ''}') is missing`);
    return v.kind === 'act' ? v.shape : v.dims;
  };
  const constOf = (i: number, what: string): ConstValue => {
    const v = get(i);
    if (v?.kind !== 'const') return at.fail(`${what} (input ${i}) must be a constant (an initializer, or computed from shapes only)`);
    return v;
  };
  const x = shapeOf(0);
  const op = node.opType;
  if (UNARY.has(op)) {
    if ((op === 'Softmax' || op === 'LogSoftmax') && x.length !== 2) at.fail(`only [batch, classes] inputs are supported, got [${x.join(', ')}]`);
    if (op === 'Cast' && ![1, 10, 11].includes(at.int('to', 1))) at.fail('casting activations to a non-float type is not supported');
    if (op === 'Clip' && opset >= 11) for (const i of [1, 2]) if ((node.inputs[i] ?? '') !== '') constOf(i, i === 1 ? 'min' : 'max');
    if (op === 'Dropout' && (node.outputs[1] ?? '') !== '') at.fail("the mask output is not supported (export in eval mode)");
    return [x];
  }
  if (BINARY.has(op)) return [broadcast(x, shapeOf(1), label)];
  switch (op) {
    case 'Conv': {
      const w = constOf(1, 'the weight');
      if (w.dims.length !== 4) at.fail(`only 2-D convolutions are supported (weight [${w.dims.join(', ')}])`);
      const group = at.int('group', 1);
      const cin = x[1];
      if (cin === BATCH || (cin as number) !== (w.dims[1] as number) * group || (w.dims[0] as number) % group !== 0) {
        at.fail(`weight [${w.dims.join(', ')}] with group ${group} does not fit input [${x.join(', ')}]`);
      }
      const win = windowOf(at, x, at.ints('kernel_shape') ?? w.dims.slice(2), false);
      return [[x[0] as Dim, w.dims[0] as number, ...win.out]];
    }
    case 'MaxPool':
    case 'AveragePool': {
      if ((node.outputs[1] ?? '') !== '') at.fail('the Indices output is not supported');
      if (op === 'MaxPool' && (at.ints('dilations') ?? [1, 1]).some((d) => d !== 1)) at.fail('dilated pooling is not supported');
      const win = windowOf(at, x, at.ints('kernel_shape') ?? at.fail("'kernel_shape' is required"), at.int('ceil_mode', 0) === 1);
      return [[x[0] as Dim, x[1] as Dim, ...win.out]];
    }
    case 'GlobalAveragePool':
    case 'GlobalMaxPool':
      if (x.length !== 4) at.fail(`only [batch, channels, height, width] inputs are supported, got [${x.join(', ')}]`);
      return [[x[0] as Dim, x[1] as Dim, 1, 1]];
    case 'BatchNormalization': {
      if (at.int('training_mode', 0) !== 0) at.fail('training_mode=1 is not supported (export in eval mode)');
      if (node.outputs.slice(1).some((o) => o !== '')) at.fail('the running mean/var outputs are not supported (export in eval mode)');
      if (x.length !== 4 && x.length !== 2) at.fail(`only [batch, channels(, h, w)] inputs are supported, got [${x.join(', ')}]`);
      for (let i = 1; i <= 4; i++) if (constOf(i, 'scale, bias, mean and var').dims.reduce((a, b) => a * b, 1) !== x[1]) at.fail(`input ${i} must have ${String(x[1])} values`);
      return [x];
    }
    case 'Gemm': {
      const b = shapeOf(1);
      if (x.length !== 2 || b.length !== 2) at.fail('A and B must be matrices');
      const m = at.int('transA', 0) ? x[1] : x[0];
      const k = at.int('transA', 0) ? x[0] : x[1];
      const kb = at.int('transB', 0) ? b[1] : b[0];
      const n = at.int('transB', 0) ? b[0] : b[1];
      if (k !== kb) at.fail(`A [${x.join(', ')}] and B [${b.join(', ')}] do not multiply`);
      if ((node.inputs[2] ?? '') !== '') broadcast([m as Dim, n as Dim], shapeOf(2), label);
      return [[m as Dim, n as Dim]];
    }
    case 'MatMul': {
      const b = shapeOf(1);
      if (x.length !== 2 || b.length !== 2) at.fail(`only matrix products are supported, got [${x.join(', ')}] x [${b.join(', ')}]`);
      if (x[1] !== b[0]) at.fail(`[${x.join(', ')}] and [${b.join(', ')}] do not multiply`);
      return [[x[0] as Dim, b[1] as Dim]];
    }
    case 'Flatten': {
      const axis = normAxis(at.int('axis', 1), x.length + 1, label);
      const head = x.slice(0, axis);
      const tail = numeric(x.slice(axis), label);
      if (head.length === 0) at.fail('axis 0 would mix the batch into the features');
      if (head.length > 1 && head.slice(1).some((d) => d !== 1)) at.fail(`axis ${axis} would mix the batch with other dimensions`);
      return [[x[0] as Dim, product(tail)]];
    }
    case 'Reshape':
      return [reshapeDims(x, constOf(1, 'the shape').data as Dim[], at.int('allowzero', 0) === 1, label)];
    case 'Transpose': {
      const perm = at.ints('perm') ?? x.map((_, i) => x.length - 1 - i);
      if (perm[0] !== 0) at.fail('a transpose that moves the batch dimension is not supported');
      return [perm.map((p) => x[p] as Dim)];
    }
    case 'Unsqueeze':
    case 'Squeeze': {
      const axes = opset >= 13 ? ((node.inputs[1] ?? '') !== '' ? numeric(constOf(1, 'axes').data as Dim[], label) : undefined) : at.ints('axes');
      const out = reshapeForAxes(op, x, axes, label);
      if (out[0] !== BATCH) at.fail('the batch must stay the first dimension');
      return [out];
    }
    case 'Concat': {
      const axis = normAxis(at.int('axis', 0), x.length, label);
      if (axis === 0) at.fail('concatenating along the batch is not supported');
      const shapes = node.inputs.map((_, i) => shapeOf(i));
      const out = [...x];
      out[axis] = shapes.reduce((sum, s) => {
        if (s.length !== x.length || s.some((d, i) => i !== axis && i !== 0 && d !== x[i])) at.fail(`inputs [${shapes.map((v) => v.join(', ')).join('], [')}] do not concatenate`);
        return sum + (s[axis] as number);
      }, 0);
      return [out];
    }
    case 'Pad': {
      const mode = at.string('mode', 'constant');
      if (mode !== 'constant' && mode !== 'reflect') at.fail(`mode '${mode}' is not supported (constant and reflect are)`);
      const pads = padsOf(node, at, opset, x.length, get, label);
      if ((pads[0] ?? 0) !== 0 || (pads[x.length] ?? 0) !== 0) at.fail('padding the batch dimension is not supported');
      return [x.map((d, i) => (i === 0 ? d : (d as number) + (pads[i] as number) + (pads[i + x.length] as number)))];
    }
    case 'ReduceMean': {
      const axes = opset >= 18 ? ((node.inputs[1] ?? '') !== '' ? numeric(constOf(1, 'axes').data as Dim[], label) : undefined) : at.ints('axes');
      const set = new Set((axes ?? x.map((_, i) => i)).map((a) => normAxis(a, x.length, label)));
      if (set.has(0)) at.fail('reducing over the batch is not supported');
      const keep = at.int('keepdims', 1) === 1;
      return [x.flatMap((d, i) => (set.has(i) ? (keep ? [1] : []) : [d]))];
    }
    case 'Gather':
    case 'Slice':
    case 'ConstantOfShape':
      return at.fail(`${op} on activations is not supported (only on shapes and constants, which are folded at load)`);
    default:
      return at.fail('is not supported');
  }
}

/** Pads of a Pad node in ONNX order ([x1_begin, x2_begin, ..., x1_end, ...]), from the attribute (< 11) or inputs. */
export function padsOf(node: OnnxNode, at: Attrs, opset: number, rank: number, get: (i: number) => Value | undefined, label: string): number[] {
  let pads: number[];
  if (opset < 11) pads = at.ints('pads') ?? at.fail("'pads' is required");
  else {
    const v = get(1);
    if (v?.kind !== 'const') return at.fail('pads must be a constant');
    pads = numeric(v.data as Dim[], label);
  }
  const axesIn = opset >= 18 && (node.inputs[3] ?? '') !== '' ? get(3) : undefined;
  if (axesIn !== undefined) {
    if (axesIn.kind !== 'const') return at.fail('axes must be a constant');
    const axes = numeric(axesIn.data as Dim[], label).map((a) => normAxis(a, rank, label));
    const full = new Array<number>(2 * rank).fill(0);
    axes.forEach((a, i) => {
      full[a] = pads[i] as number;
      full[a + rank] = pads[i + axes.length] as number;
    });
    pads = full;
  }
  if (pads.length !== 2 * rank) at.fail(`pads has ${pads.length} values for rank ${rank}`);
  return pads;
}

/** FLOPs per sample of a node that runs per batch (see docs/import.md). */
function nodeFlops(node: OnnxNode, at: Attrs, ins: (Dim[] | undefined)[], out: Dim[], get: (i: number) => Value | undefined): number {
  const perSample = (s: readonly Dim[] | undefined): number => product((s ?? []).filter((d): d is number => d !== BATCH));
  const outElems = perSample(out);
  switch (node.opType) {
    case 'Conv': {
      const w = get(1) as ConstValue;
      const bias = (node.inputs[2] ?? '') !== '' ? outElems : 0;
      return 2 * product(w.dims.slice(1)) * outElems + bias;
    }
    case 'Gemm':
    case 'MatMul': {
      const b = ins[1] ?? [];
      const k = node.opType === 'Gemm' && at.int('transB', 0) ? (b[1] as number) : (b[0] as number);
      return 2 * k * outElems + ((node.inputs[2] ?? '') !== '' ? outElems : 0);
    }
    case 'MaxPool':
    case 'AveragePool':
      return product(at.ints('kernel_shape') ?? []) * outElems;
    case 'GlobalAveragePool':
    case 'GlobalMaxPool':
    case 'ReduceMean':
      return perSample(ins[0]);
    case 'BatchNormalization':
      return 2 * outElems;
    case 'Add':
    case 'Sub':
    case 'Mul':
    case 'Div':
      return outElems;
    default:
      return 0;
  }
}

/**
 * Analyses `model` for the named outputs (in exit order). Throws OnnxGraphError naming the node, op type and
 * opset for an unsupported op or attribute, a shape that does not fit, or an output that is not [batch, classes].
 */
export function analyzeOnnx(model: OnnxModel, outputs: readonly string[]): AnalyzedGraph {
  const { opset } = model;
  const input = model.inputs[0];
  if (model.inputs.length !== 1 || input === undefined) {
    throw new OnnxGraphError(`the graph has ${model.inputs.length} inputs (${model.inputs.map((i) => i.name).join(', ')}); exactly one image or feature input is supported`);
  }
  if (input.dims.length !== 4 && input.dims.length !== 2) throw new OnnxGraphError(`input '${input.name}' has shape [${input.dims.join(', ')}]; [batch, channels, height, width] or [batch, features] is supported`);
  const inShape: Dim[] = input.dims.map((d, i) => {
    if (i === 0) return BATCH;
    if (typeof d !== 'number' || d < 1) throw new OnnxGraphError(`input '${input.name}' has shape [${input.dims.join(', ')}]; every dimension but the batch must be a fixed number`);
    return d;
  });
  const values = new Map<string, Value>([[input.name, { kind: 'act', shape: inShape }]]);
  for (const [name, t] of model.initializers) values.set(name, { kind: 'const', dims: t.dims, float: t.float, data: t.data });
  // Unsupported ops are refused first, all in one message, before any shape is worked out.
  const unsupported = model.nodes.filter((n) => (n.domain !== '' && n.domain !== 'ai.onnx') || !SUPPORTED.has(n.opType));
  if (unsupported.length > 0) {
    const list = unsupported.slice(0, 5).map((n) => describeNode(n, opset) + (n.domain !== '' && n.domain !== 'ai.onnx' ? ` in domain '${n.domain}'` : ''));
    throw new OnnxGraphError(`unsupported op${unsupported.length > 1 ? 's' : ''}: ${list.join('; ')}${unsupported.length > 5 ? `; and ${unsupported.length - 5} more` : ''} (supported: ${SUPPORTED_OPS.join(', ')})`);
  }
  const counted = new Set<string>();
  const nodes: AnalyzedNode[] = [];
  for (const node of model.nodes) {
    const label = describeNode(node, opset);
    const at = new Attrs(node.attrs, label);
    const get = (i: number): Value | undefined => {
      const name = node.inputs[i];
      return name === undefined || name === '' ? undefined : values.get(name);
    };
    node.inputs.forEach((name) => {
      if (name !== '' && !values.has(name)) throw new OnnxGraphError(`${label}: input '${name}' is not produced by an earlier node (the graph must be in topological order)`);
    });
    try {
      const folded = foldNode(node, at, label, opset, get);
      if (folded !== undefined) {
        folded.forEach((v, i) => values.set(node.outputs[i] ?? '', v));
        continue;
      }
      const outShapes = inferShapes(node, at, label, opset, get);
      outShapes.forEach((shape, i) => {
        if (shape[0] !== BATCH) throw new OnnxGraphError(`${label}: output '${node.outputs[i] ?? ''}' lost the batch dimension ([${shape.join(', ')}])`);
        values.set(node.outputs[i] ?? '', { kind: 'act', shape });
      });
      let params = 0;
      for (const name of node.inputs) {
        const t = model.initializers.get(name);
        if (t !== undefined && t.float && !counted.has(name)) {
          counted.add(name);
          params += product(t.dims);
        }
      }
      const ins = node.inputs.map((_, i) => {
        const v = get(i);
        return v === undefined ? undefined : v.kind === 'act' ? v.shape : v.dims;
      });
      nodes.push({ node, label, outShapes, flops: nodeFlops(node, at, ins, outShapes[0] ?? [], get), params });
    } catch (e) {
      if (e instanceof OnnxGraphError) throw e;
      throw new OnnxGraphError(`${label}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  const graphOutputs = new Set(model.outputs.map((o) => o.name));
  for (const name of outputs) {
    if (!graphOutputs.has(name)) throw new OnnxGraphError(`'${name}' is not an output of the graph (its outputs: ${[...graphOutputs].join(', ')})`);
    const v = values.get(name);
    const shape = v?.kind === 'act' ? v.shape : undefined;
    if (shape === undefined || shape.length !== 2 || typeof shape[1] !== 'number' || shape[1] < 2) {
      const producer = model.nodes.find((n) => n.outputs.includes(name));
      const shown = shape !== undefined ? `[${shape.join(', ')}]` : 'a constant';
      throw new OnnxGraphError(`output '${name}'${producer ? ` of ${describeNode(producer, opset)}` : ''} has shape ${shown}; every exit must be [batch, classes]`);
    }
  }
  return { opset, values, nodes, input: { name: input.name, shape: inShape }, outputs: [...outputs] };
}
