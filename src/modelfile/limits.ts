// Documented hard limits (docs/format.md, "Limits"). Anything beyond them is refused with a diagnostic before a
// model is built, so a typo like `filters: 1e9` cannot freeze the editor or the worker.

export const LIMITS = {
  /** Largest model file read, in bytes (UTF-16 code units of the text). */
  maxFileBytes: 2 * 1024 * 1024,
  /** Deepest nesting of YAML/JSON collections. */
  maxDepth: 64,
  /** YAML aliases (`*name`) resolved per document (guards against "billion laughs"). */
  maxAliasCount: 100,
  /** Values in the document (estimated before parsing, counted exactly while reading, aliases expanded). */
  maxNodes: 50_000,
  /** Diagnostics reported per file; the rest are summarised in one. */
  maxDiagnostics: 500,
  /** Layers in the whole model (backbone, residual bodies, exit and gate heads). */
  maxLayers: 1000,
  /** Trainable and non-trainable parameters of the whole model. */
  maxParams: 50_000_000,
  /** FLOPs per sample of the whole model (every exit head and gate open). */
  maxFlops: 20e9,
  /** Elements of one input sample (height x width x channels). */
  maxInputElements: 4 * 1024 * 1024,
  /** Elements of any intermediate activation of one sample. */
  maxActivationElements: 64 * 1024 * 1024,
  maxClasses: 10_000,
  maxExits: 32,
  maxGates: 64,
} as const;

/** Threshold used when neither the exit nor the policy gives one. */
export const DEFAULT_POLICY_THRESHOLD = { maxProb: 0.9, entropy: 0.2, patience: 0.9 } as const;

/** Map size above which the default SDN exit head pools down (to DEFAULT_HEAD_POOL x DEFAULT_HEAD_POOL). */
export const DEFAULT_HEAD_POOL = 4;
