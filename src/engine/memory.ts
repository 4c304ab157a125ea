// Refuse a model that cannot fit before any tensor is allocated: an estimate from the cost model, compared with
// what the backend can address. A refusal names the estimate and its parts, so the user knows what to shrink.
import { computeCost } from '../modelfile/cost';
import type { ModelSpec } from '../modelfile/types';
import type { BackendInfo } from './types';
import { host } from '../protocol/host';

const BYTES_PER_FLOAT = 4;
/** WebAssembly memory is 32-bit: the WASM backend's heap cannot grow past 4 GiB. */
const WASM_ADDRESSABLE_BYTES = 4 * 1024 ** 3;
/** Share of free host memory a run may plan to use (the rest is the process, the data set, the OS). */
const HOST_SHARE = 0.8;
/** Optimizer slots kept per parameter (Adam: two moments; RMSprop: one; SGD: none). */
const OPTIMIZER_SLOTS = { adam: 2, rmsprop: 1, sgd: 0 } as const;

export interface MemoryEstimate {
  /** Parameters, their gradients and optimizer state. */
  parameterBytes: number;
  /** Every layer's output for the batch, kept for the backward pass, and its gradient. */
  activationBytes: number;
  totalBytes: number;
}

export class MemoryError extends Error {
  override readonly name = 'MemoryError';
}

/** Bytes a training step (or, with training false, an attack's forward+backward pass) needs at this batch size. */
export function estimateMemory(spec: ModelSpec, batchSize: number, training: boolean): MemoryEstimate {
  const cost = computeCost(spec);
  const slots = training ? 2 + OPTIMIZER_SLOTS[spec.train.optimizer] : 1;
  const parameterBytes = cost.totalParams * BYTES_PER_FLOAT * slots;
  const perSample = cost.layers.reduce((sum, l) => sum + l.outShape.reduce((p, d) => p * d, 1), 0);
  const activationBytes = perSample * batchSize * BYTES_PER_FLOAT * 2;
  return { parameterBytes, activationBytes, totalBytes: parameterBytes + activationBytes };
}

/** What the backend can hold: WASM's 32-bit heap, otherwise a share of the free host memory. */
export function availableBytes(backend: BackendInfo['name'] | undefined, freeHostBytes = host().freeMemory()): number {
  const host = freeHostBytes * HOST_SHARE;
  return backend === 'wasm' ? Math.min(WASM_ADDRESSABLE_BYTES, host) : host;
}

/**
 * WebGPU binds every tensor as one storage buffer, which may not exceed the adapter's maxStorageBufferBindingSize
 * (nor maxBufferSize); WebGPU does not tell how much device memory there is. So the rule for a batch on WebGPU:
 * the widest layer output of the batch, times CONV_PATCH_EXPANSION (tfjs-backend-webgpu may unfold a 3x3 conv's
 * input into patches, 9 values per output value), in float32, must fit one binding. Memory beyond that is caught
 * by the out-of-memory fallback, which halves the batch.
 */
export const CONV_PATCH_EXPANSION = 9;

/** The largest batch whose widest tensor fits one WebGPU storage binding of `bindingBytes` (at least 1). */
export function maxBatchForBinding(spec: ModelSpec, bindingBytes: number): number {
  const widest = computeCost(spec).layers.reduce((m, l) => Math.max(m, l.outShape.reduce((p, d) => p * d, 1)), 1);
  return Math.max(1, Math.floor(bindingBytes / (widest * CONV_PATCH_EXPANSION * BYTES_PER_FLOAT)));
}

/** The batch to use on `backend`: `batchSize`, capped on WebGPU by its adapter's binding limit (see above). */
export function batchForBackend(spec: ModelSpec, batchSize: number, backend: BackendInfo | undefined): { batchSize: number; note?: string } {
  const adapter = backend?.name === 'webgpu' ? backend.adapter : undefined;
  if (adapter === undefined) return { batchSize };
  const binding = Math.min(adapter.maxStorageBufferBindingSize, adapter.maxBufferSize);
  if (!(binding > 0)) return { batchSize };
  const cap = maxBatchForBinding(spec, binding);
  if (batchSize <= cap) return { batchSize };
  return { batchSize: cap, note: `batch ${batchSize} lowered to ${cap} so each tensor fits the adapter's ${gib(binding)} storage binding` };
}

function gib(bytes: number): string {
  return `${(bytes / 1024 ** 3).toFixed(2)} GiB`;
}

/** Throws a MemoryError, before anything is built, when the estimate exceeds what is available. */
export function assertFitsInMemory(spec: ModelSpec, batchSize: number, training: boolean, available: number, backendName: string): void {
  const e = estimateMemory(spec, batchSize, training);
  if (e.totalBytes <= available) return;
  throw new MemoryError(
    `'${spec.name}' needs about ${gib(e.totalBytes)} to ${training ? 'train' : 'attack'} at batch ${batchSize} ` +
      `(parameters, gradients and optimizer state ${gib(e.parameterBytes)}; activations ${gib(e.activationBytes)}), ` +
      `more than the ${gib(available)} the ${backendName} backend can use here. Lower train.batchSize or make the model smaller.`,
  );
}
