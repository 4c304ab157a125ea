// Decodes an .onnx file (protobuf, via onnx-proto) into plain data: nodes with their attributes, initializers as
// float or integer arrays (inline or external data), graph inputs and outputs. Checks the file is an ONNX model at
// a supported opset and that every tensor is within the limits (limits.ts) before its bytes are copied.
import { onnx } from 'onnx-proto';
import { ImportError } from './errors';
import { MAX_INITIALIZER_ELEMENTS, MAX_ONNX_NODES, MAX_WEIGHT_BYTES } from './limits';

/** Opsets of the default domain the converter implements (each op's changes over them are handled in onnxOps.ts). */
export const MIN_OPSET = 11;
export const MAX_OPSET = 21;

/** A constant tensor: floats as float32, integers as exact numbers (int64 beyond 2^53 is refused). */
export interface OnnxTensor {
  name: string;
  dims: number[];
  float: boolean;
  data: Float32Array | number[];
}

export interface OnnxAttr {
  f?: number;
  i?: number;
  s?: string;
  t?: OnnxTensor;
  floats?: number[];
  ints?: number[];
}

export interface OnnxNode {
  /** Position in the graph (names are optional in ONNX). */
  index: number;
  name: string;
  opType: string;
  domain: string;
  inputs: string[];
  outputs: string[];
  attrs: Map<string, OnnxAttr>;
}

export interface OnnxValueInfo {
  name: string;
  /** Declared dims: a number, or the symbolic name (e.g. 'batch'), or '?' when unknown. */
  dims: (number | string)[];
}

export interface OnnxModel {
  opset: number;
  producer: string;
  nodes: OnnxNode[];
  initializers: Map<string, OnnxTensor>;
  /** Graph inputs that are not initializers. */
  inputs: OnnxValueInfo[];
  outputs: OnnxValueInfo[];
}

/** Reads `length` bytes (the rest of the file when undefined) at `offset` of an external-data file `location`. */
export type ExternalReader = (location: string, offset: number, length: number | undefined, tensor: string) => Promise<Uint8Array>;

/** protobufjs gives 64-bit integers as numbers or as Long objects (when the long package is present). */
const num = (v: unknown): number => {
  if (typeof v === 'number') return v;
  const long = v as { toNumber?: () => number } | null | undefined;
  return typeof long?.toNumber === 'function' ? long.toNumber() : 0;
};

/** How a node is named in messages: its name (or position), op type and the model's opset. */
export function describeNode(node: Pick<OnnxNode, 'index' | 'name' | 'opType'>, opset: number): string {
  return `node ${node.name !== '' ? `'${node.name}'` : `#${node.index}`} (${node.opType}, opset ${opset})`;
}

/** ONNX data type codes as plain numbers (they arrive as numbers in the decoded message). */
const DT = {
  FLOAT: onnx.TensorProto.DataType.FLOAT as number,
  INT8: onnx.TensorProto.DataType.INT8 as number,
  UINT8: onnx.TensorProto.DataType.UINT8 as number,
  INT16: onnx.TensorProto.DataType.INT16 as number,
  UINT16: onnx.TensorProto.DataType.UINT16 as number,
  INT32: onnx.TensorProto.DataType.INT32 as number,
  INT64: onnx.TensorProto.DataType.INT64 as number,
  BOOL: onnx.TensorProto.DataType.BOOL as number,
  DOUBLE: onnx.TensorProto.DataType.DOUBLE as number,
};
const BYTES: Partial<Record<number, number>> = { [DT.FLOAT]: 4, [DT.DOUBLE]: 8, [DT.INT64]: 8, [DT.INT32]: 4, [DT.INT8]: 1, [DT.UINT8]: 1, [DT.BOOL]: 1, [DT.INT16]: 2, [DT.UINT16]: 2 };
const FLOAT_TYPES = new Set<number>([DT.FLOAT, DT.DOUBLE]);

function fromRaw(raw: Uint8Array, dtype: number, count: number): Float32Array | number[] {
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  if (dtype === DT.FLOAT) {
    const out = new Float32Array(count);
    for (let i = 0; i < count; i++) out[i] = view.getFloat32(i * 4, true);
    return out;
  }
  if (dtype === DT.DOUBLE) {
    const out = new Float32Array(count);
    for (let i = 0; i < count; i++) out[i] = view.getFloat64(i * 8, true);
    return out;
  }
  const out: number[] = new Array<number>(count);
  for (let i = 0; i < count; i++) {
    switch (dtype) {
      case DT.INT64: {
        const big = view.getBigInt64(i * 8, true);
        if (big > BigInt(Number.MAX_SAFE_INTEGER) || big < BigInt(-Number.MAX_SAFE_INTEGER)) {
          // ONNX spells "to the end" as INT64_MAX in Slice; clamp those to the largest exact number.
          out[i] = big > 0n ? Number.MAX_SAFE_INTEGER : -Number.MAX_SAFE_INTEGER;
        } else out[i] = Number(big);
        break;
      }
      case DT.INT32:
        out[i] = view.getInt32(i * 4, true);
        break;
      case DT.INT16:
        out[i] = view.getInt16(i * 2, true);
        break;
      case DT.UINT16:
        out[i] = view.getUint16(i * 2, true);
        break;
      case DT.INT8:
        out[i] = view.getInt8(i);
        break;
      default:
        out[i] = view.getUint8(i);
    }
  }
  return out;
}

/** Bytes of every tensor decoded so far, against MAX_WEIGHT_BYTES. */
interface Budget {
  bytes: number;
}

async function decodeTensor(t: onnx.ITensorProto, where: string, readExternal: ExternalReader, budget: Budget): Promise<OnnxTensor> {
  const name = t.name ?? '';
  const dims = (t.dims ?? []).map(num);
  const dtype = t.dataType ?? 0;
  const label = `${where} tensor '${name}'`;
  const size = BYTES[dtype];
  if (size === undefined) {
    const typeName = onnx.TensorProto.DataType[dtype] ?? String(dtype);
    throw new Error(`${label} has data type ${typeName}; supported: FLOAT, DOUBLE, INT64, INT32, INT16, UINT16, INT8, UINT8, BOOL`);
  }
  if (dims.some((d) => !Number.isSafeInteger(d) || d < 0)) throw new Error(`${label} has invalid dims [${dims.join(', ')}]`);
  const count = dims.reduce((a, b) => a * b, 1);
  if (count > MAX_INITIALIZER_ELEMENTS) {
    throw new Error(`${label} has ${count} elements ([${dims.join(', ')}]); the limit is ${MAX_INITIALIZER_ELEMENTS} per tensor`);
  }
  budget.bytes += count * size;
  if (budget.bytes > MAX_WEIGHT_BYTES) throw new Error(`${label}: the model's tensors exceed ${MAX_WEIGHT_BYTES} bytes together (the limit)`);
  const float = FLOAT_TYPES.has(dtype);
  let raw = t.rawData && t.rawData.byteLength > 0 ? t.rawData : undefined;
  if ((t.dataLocation as number | null | undefined) === (onnx.TensorProto.DataLocation.EXTERNAL as number)) {
    const entries = new Map((t.externalData ?? []).map((e) => [e.key ?? '', e.value ?? '']));
    const location = entries.get('location');
    if (location === undefined || location === '') throw new Error(`${label} is stored externally but names no 'location'`);
    const offset = Number(entries.get('offset') ?? '0');
    const length = entries.has('length') ? Number(entries.get('length')) : undefined;
    if (!Number.isSafeInteger(offset) || offset < 0 || (length !== undefined && (!Number.isSafeInteger(length) || length < 0))) {
      throw new Error(`${label}: external data offset/length must be non-negative integers`);
    }
    raw = await readExternal(location, offset, length, name);
  }
  if (raw !== undefined) {
    if (raw.byteLength !== count * size) {
      throw new Error(`${label} holds ${raw.byteLength} bytes, but [${dims.join(', ')}] needs ${count * size} (truncated, or data from another model?)`);
    }
    return { name, dims, float, data: fromRaw(raw, dtype, count) };
  }
  const typed: unknown[] =
    dtype === DT.FLOAT ? (t.floatData ?? []) : dtype === DT.DOUBLE ? (t.doubleData ?? []) : dtype === DT.INT64 ? ((t.int64Data ?? []) as unknown[]) : (t.int32Data ?? []);
  if (typed.length !== count) throw new Error(`${label} holds ${typed.length} values, but [${dims.join(', ')}] needs ${count}`);
  return { name, dims, float, data: float ? Float32Array.from(typed.map(num)) : typed.map(num) };
}

function valueInfo(v: onnx.IValueInfoProto): OnnxValueInfo {
  const dims = (v.type?.tensorType?.shape?.dim ?? []).map((d) => (d.dimParam ? d.dimParam : d.dimValue !== null && d.dimValue !== undefined ? num(d.dimValue) : '?'));
  return { name: v.name ?? '', dims };
}

/**
 * Decodes `bytes` (the .onnx file `file`, workspace-relative, for messages). Throws ImportError for a file that is
 * not ONNX or truncated, an opset outside MIN_OPSET..MAX_OPSET, and tensors over the limits or with bad sizes.
 */
export async function decodeOnnx(bytes: Uint8Array, file: string, readExternal: ExternalReader): Promise<OnnxModel> {
  let proto: onnx.ModelProto;
  try {
    proto = onnx.ModelProto.decode(bytes);
  } catch (e) {
    throw new ImportError(`is not an ONNX model, or is truncated (protobuf decoding failed: ${e instanceof Error ? e.message : String(e)})`, file);
  }
  const graph = proto.graph;
  if (num(proto.irVersion) < 3 || graph === null || graph === undefined || (graph.node ?? []).length === 0) {
    throw new ImportError(`is not an ONNX model (no IR version or no graph nodes); export one with torch.onnx.export`, file);
  }
  const defaultDomain = (proto.opsetImport ?? []).find((o) => o.domain === '' || o.domain === 'ai.onnx' || o.domain === null || o.domain === undefined);
  const opset = num(defaultDomain?.version);
  if (opset < MIN_OPSET || opset > MAX_OPSET) {
    throw new ImportError(`uses opset ${opset} of the default ONNX domain; supported are ${MIN_OPSET} to ${MAX_OPSET} (export with opset_version=${Math.min(Math.max(opset, MIN_OPSET), MAX_OPSET)})`, file);
  }
  if ((graph.node ?? []).length > MAX_ONNX_NODES) throw new ImportError(`has ${(graph.node ?? []).length} nodes; the limit is ${MAX_ONNX_NODES}`, file);
  const budget: Budget = { bytes: 0 };
  const initializers = new Map<string, OnnxTensor>();
  try {
    for (const t of graph.initializer ?? []) initializers.set(t.name ?? '', await decodeTensor(t, 'initializer', readExternal, budget));
  } catch (e) {
    if (e instanceof ImportError) throw e;
    throw new ImportError(e instanceof Error ? e.message : String(e), file);
  }
  const nodes: OnnxNode[] = [];
  for (const [index, n] of (graph.node ?? []).entries()) {
    const attrs = new Map<string, OnnxAttr>();
    const node: OnnxNode = { index, name: n.name ?? '', opType: n.opType ?? '', domain: n.domain ?? '', inputs: [...(n.input ?? [])], outputs: [...(n.output ?? [])], attrs };
    for (const a of n.attribute ?? []) {
      const T = onnx.AttributeProto.AttributeType;
      const value: OnnxAttr = {};
      switch (a.type) {
        case T.FLOAT:
          value.f = a.f ?? 0;
          break;
        case T.INT:
          value.i = num(a.i);
          break;
        case T.STRING:
          value.s = new TextDecoder().decode(a.s ?? new Uint8Array());
          break;
        case T.FLOATS:
          value.floats = [...(a.floats ?? [])];
          break;
        case T.INTS:
          value.ints = (a.ints ?? []).map(num);
          break;
        case T.TENSOR:
          try {
            value.t = await decodeTensor(a.t ?? {}, `${describeNode(node, opset)} attribute '${a.name ?? ''}'`, readExternal, budget);
          } catch (e) {
            throw new ImportError(e instanceof Error ? e.message : String(e), file);
          }
          break;
        default:
          break; // graphs, sparse tensors...: an op that needs one is refused by the converter
      }
      attrs.set(a.name ?? '', value);
    }
    nodes.push(node);
  }
  const inputs = (graph.input ?? []).filter((v) => !initializers.has(v.name ?? '')).map(valueInfo);
  const outputs = (graph.output ?? []).map(valueInfo);
  return { opset, producer: `${proto.producerName ?? ''} ${proto.producerVersion ?? ''}`.trim(), nodes, initializers, inputs, outputs };
}
