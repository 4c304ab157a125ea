// The worker's jobs as both sides see them: the parameters the editor sends (`train`, `check`, `study`, `info`)
// and what `info` answers. The worker validates raw parameters against these (src/worker/studyJobs.ts,
// builtinJobs.ts); the editor builds them (src/extension/runs/job-params.ts).
import type { Results } from './results';
import type { StudyName } from './study-names';

/** Which backend runs the tensors, and why it was chosen (shown beside every result). */
export interface BackendInfo {
  name: 'tensorflow-gpu' | 'webgpu' | 'tensorflow' | 'wasm' | 'cpu' | 'webgl';
  /** Human sentence, e.g. "tfjs-node-gpu not installed; tfjs-node not installed; wasm with SIMD". */
  reason: string;
  /** Package versions that matter for reproducing a number. */
  versions: Record<string, string>;
  /** The WebGPU adapter, when the backend is webgpu. */
  adapter?: GpuAdapterSummary;
}

/** What a WebGPU adapter says about itself (adapter.info), and how DyNN Lens classed it. */
export interface GpuAdapterSummary {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** The native API Dawn drives: Vulkan, Metal or D3D12. */
  api: string;
  /** A software or fallback adapter (SwiftShader, llvmpipe, WARP...): correct but not a GPU's speed. */
  software: boolean;
  /** adapter.limits: the largest buffer and storage binding, in bytes (they bound the batch size). */
  maxBufferSize: number;
  maxStorageBufferBindingSize: number;
}

export interface ModelParams {
  /** Model file, workspace-relative (or absolute inside the workspace). */
  file: string;
  /** Absolute path of the workspace folder (holds .dynn/). */
  workspaceRoot: string;
  /** Document text to use instead of the file on disk (unsaved editor buffer). */
  text?: string;
  backend?: string;
}

export interface TrainParams extends ModelParams {
  staticTwin?: boolean;
}

export interface CheckParams extends ModelParams {
  attacks?: string[];
  eps?: number[];
  samples?: number;
  steps?: number;
  seed?: number;
  studies?: StudyName[];
  /** Evaluate the paper's findings (the `study` job sets it by default). */
  findings?: boolean;
  /** Write .dynn/results/<model>.json (default true). */
  save?: boolean;
  /** Budget of every ensemble check instead of each one's own preset ('quick' for the editor's Check lens). */
  ensemblePreset?: 'thorough' | 'quick';
}

export interface InfoParams {
  /** Backend preference ('auto', 'tensorflow-gpu', 'webgpu', 'tensorflow', 'wasm', 'cpu'); default 'auto'. */
  backend?: string;
  /** Start the backend (loads TF.js, ~1 s). When false only cheap probes run. Default true. */
  activate?: boolean;
}

export interface InfoResult {
  process: {
    pid: number;
    node: string;
    platform: string;
    arch: string;
    cpus: number;
    totalMemoryBytes: number;
    rssBytes: number;
  };
  jobs: string[];
  /** What each backend probe found (installed, device present). */
  probes: { name: string; available: boolean; note: string }[];
  /** The backend in use after activation (absent when activate is false). */
  backend?: BackendInfo;
}

/** What the `check` and `study` jobs answer: the results, and the file they were saved to (absent with save: false). */
export interface CheckAnswer {
  results: Results;
  savedTo?: string;
}
