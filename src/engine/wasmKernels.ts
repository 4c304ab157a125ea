// Kernels this project installs on tfjs-backend-wasm, where the stock ones move far more memory than the op needs.
// They copy inside the module's heap (one memmove per contiguous run) and never read a tensor back to JS:
// - Identity shares its input's buffer: the gradient tape saves tensors through it (tf.clone), ~34 full copies
//   per attack step with the stock kernel.
// - Slice reads the *whole* input back to JS before copying the slice out: slicing one batch of 256 from the 2,000
//   test digits copied all 6.3 MB, every batch (14-34 ms of a 150 ms dynamic pass; training paid it per batch).
// - GatherRows picks batch rows (the samples still alive after an exit); tf.gather on WASM is a per-element kernel.
// All three are exact copies, checked against the CPU backend by the tests.
import * as tf from '@tensorflow/tfjs';

/** Kernel name of the row gather; `rows.ts` runs it on WASM. */
export const GATHER_ROWS_KERNEL = 'DynnGatherRows';

/** The parts of tfjs-backend-wasm's backend used here (its own kernels use the same methods). */
interface WasmHeapBackend {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(t: tf.TensorInfo): Float32Array | Int32Array | Uint8Array;
  incRef(dataId: tf.DataId): void;
}

let installed = false;

/** Replaces WASM's Identity and Slice kernels and adds GatherRows; idempotent. */
export function installWasmKernels(): void {
  if (installed) return;
  shareIdentityBuffers();
  sliceOnHeap();
  tf.registerKernel({ kernelName: GATHER_ROWS_KERNEL, backendName: 'wasm', kernelFunc: gatherRows });
  installed = true;
}

function shareIdentityBuffers(): void {
  // Safe because TF.js tensors are immutable (no kernel writes into its inputs); WASM's Reshape shares the same way.
  tf.unregisterKernel(tf.Identity, 'wasm');
  tf.registerKernel({
    kernelName: tf.Identity,
    backendName: 'wasm',
    kernelFunc: ({ inputs, backend }) => {
      const x = inputs.x as tf.TensorInfo;
      (backend as unknown as WasmHeapBackend).incRef(x.dataId);
      return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
    },
  });
}

function sliceOnHeap(): void {
  const stock = tf.getKernel(tf.Slice, 'wasm');
  if (stock === undefined) throw new Error('tfjs-backend-wasm registered no Slice kernel');
  tf.unregisterKernel(tf.Slice, 'wasm');
  tf.registerKernel({
    kernelName: tf.Slice,
    backendName: 'wasm',
    kernelFunc: (args) => {
      const x = args.inputs.x as tf.TensorInfo;
      // Strings live outside the heap: the stock kernel handles them.
      if (x.dtype === 'string') return stock.kernelFunc(args);
      const attrs = args.attrs as unknown as { begin: number | number[]; size: number | number[] };
      const [begin, size] = tf.slice_util.parseSliceParams(x, attrs.begin, attrs.size) as [number[], number[]];
      const heap = args.backend as unknown as WasmHeapBackend;
      const out = heap.makeOutput(size, x.dtype);
      copyBlocks(heap, x, out, sliceBlocks(x.shape, begin, size));
      return out;
    },
  });
}

function gatherRows({ inputs, backend, attrs }: { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap }): tf.TensorInfo {
  const heap = backend as WasmHeapBackend;
  const x = inputs.x as tf.TensorInfo;
  const rows = (attrs as unknown as { rows: number[] }).rows;
  const n = x.shape[0] ?? 0;
  const width = n > 0 ? tf.util.sizeFromShape(x.shape) / n : 0;
  const out = heap.makeOutput([rows.length, ...x.shape.slice(1)], x.dtype);
  copyBlocks(heap, x, out, rowBlocks(rows, width));
  return out;
}

/** A contiguous copy, in elements: source offset, target offset, length. */
export interface Block {
  from: number;
  to: number;
  length: number;
}

/** The contiguous blocks that pick `rows` (rows of `width` elements) in order: one per run of consecutive rows. */
export function rowBlocks(rows: readonly number[], width: number): Block[] {
  const blocks: Block[] = [];
  for (let k = 0; k < rows.length; ) {
    let end = k + 1;
    while (end < rows.length && rows[end] === (rows[end - 1] as number) + 1) end++;
    blocks.push({ from: (rows[k] as number) * width, to: k * width, length: (end - k) * width });
    k = end;
  }
  return blocks;
}

/**
 * The contiguous blocks of a slice of a row-major tensor, in output order: trailing axes the slice takes whole are
 * merged into one run, so a batch slice is a single block and a spatial crop one block per image row.
 */
export function sliceBlocks(shape: readonly number[], begin: readonly number[], size: readonly number[]): Block[] {
  const rank = shape.length;
  if (size.some((s) => s === 0)) return [];
  let axis = rank - 1;
  while (axis >= 0 && begin[axis] === 0 && size[axis] === shape[axis]) axis--;
  if (axis < 0) return [{ from: 0, to: 0, length: tf.util.sizeFromShape([...shape]) }];
  const strides: number[] = new Array<number>(rank).fill(1);
  for (let a = rank - 2; a >= 0; a--) strides[a] = (strides[a + 1] as number) * (shape[a + 1] as number);
  const length = (size[axis] as number) * (strides[axis] as number);
  const blocks: Block[] = [];
  const walk = (a: number, offset: number): void => {
    if (a === axis) {
      blocks.push({ from: offset + (begin[a] as number) * (strides[a] as number), to: blocks.length * length, length });
      return;
    }
    for (let i = 0; i < (size[a] as number); i++) walk(a + 1, offset + ((begin[a] as number) + i) * (strides[a] as number));
  };
  walk(0, 0);
  return blocks;
}

/** Copies `blocks` from x to out within the heap. Views are taken after out was allocated (which can grow the heap). */
function copyBlocks(heap: WasmHeapBackend, x: tf.TensorInfo, out: tf.TensorInfo, blocks: readonly Block[]): void {
  if (blocks.length === 0) return;
  const source = heap.typedArrayFromHeap(x);
  const target = heap.typedArrayFromHeap(out);
  const bytes = new Uint8Array(source.buffer);
  const e = source.BYTES_PER_ELEMENT;
  for (const b of blocks) bytes.copyWithin(target.byteOffset + b.to * e, source.byteOffset + b.from * e, source.byteOffset + (b.from + b.length) * e);
}
