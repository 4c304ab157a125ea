// The typed model tree every other part of DyNN Lens works on. Plain data only (it crosses the worker boundary
// as JSON); source positions are kept beside it as UTF-16 offsets so the core never needs a line table.

/** Half-open range of UTF-16 code-unit offsets into the source text. */
export interface Span {
  start: number;
  end: number;
}

/** JSON-pointer-like path to a node in the source document, e.g. ['backbone', 3, 'filters']. */
export type NodePath = readonly (string | number)[];

export type Severity = 'error' | 'warning' | 'info' | 'hint';

export interface TextEdit {
  span: Span;
  newText: string;
}

export interface Fix {
  title: string;
  edits: TextEdit[];
}

/** A finding about a model file. `code` is stable (documented in docs/rules.md or docs/format.md). */
export interface Diagnostic {
  severity: Severity;
  code: string;
  message: string;
  span: Span;
  /** Where the finding comes from: 'schema', 'semantics', 'advice', 'results'. */
  source: string;
  fixes?: Fix[];
}

/** Height, width, channels for images (NHWC without N); [features] for flat data. */
export type Shape = number[];

export type Activation = 'relu' | 'relu6' | 'elu' | 'selu' | 'sigmoid' | 'tanh' | 'softmax' | 'linear' | 'swish' | 'gelu';
export type Padding = 'same' | 'valid';

interface LayerBase {
  /** Unique within the model; derived as `<type><index>` when the file gives none. */
  name: string;
  /** Path of the layer's mapping in the source document. */
  path: NodePath;
}

export interface Conv2dLayer extends LayerBase {
  type: 'conv2d';
  filters: number;
  kernel: number;
  stride: number;
  padding: Padding;
  activation: Activation;
  useBias: boolean;
}
export interface DepthwiseConv2dLayer extends LayerBase {
  type: 'depthwiseConv2d';
  kernel: number;
  stride: number;
  padding: Padding;
  depthMultiplier: number;
  activation: Activation;
  useBias: boolean;
}
export interface DenseLayer extends LayerBase {
  type: 'dense';
  units: number;
  activation: Activation;
  useBias: boolean;
}
export interface PoolLayer extends LayerBase {
  type: 'maxPool' | 'avgPool';
  size: number;
  stride: number;
  padding: Padding;
}
/** Global pooling over height and width; 'mixed' is SDN's learned mix of max and average pooling. */
export interface GlobalPoolLayer extends LayerBase {
  type: 'globalPool';
  mode: 'avg' | 'max' | 'mixed';
}
/** SDN exit-head pooling: reduce the feature map to `size` x `size` with mixed max/avg pooling. */
export interface MixedPoolLayer extends LayerBase {
  type: 'mixedPool';
  size: number;
}
export interface BatchNormLayer extends LayerBase {
  type: 'batchNorm';
}
export interface DropoutLayer extends LayerBase {
  type: 'dropout';
  rate: number;
}
export interface FlattenLayer extends LayerBase {
  type: 'flatten';
}
export interface ActivationLayer extends LayerBase {
  type: 'activation';
  activation: Activation;
}
/** y = activation(x + body(x)); `projection` adds a 1x1 conv on the skip path when shapes differ. */
export interface ResidualBlock extends LayerBase {
  type: 'residual';
  layers: Layer[];
  projection: boolean;
  activation: Activation;
}

export type Layer =
  | Conv2dLayer
  | DepthwiseConv2dLayer
  | DenseLayer
  | PoolLayer
  | GlobalPoolLayer
  | MixedPoolLayer
  | BatchNormLayer
  | DropoutLayer
  | FlattenLayer
  | ActivationLayer
  | ResidualBlock;

export type LayerType = Layer['type'];

export type PolicyKind = 'maxProb' | 'entropy' | 'patience';

export interface ExitPolicy {
  kind: PolicyKind;
  /** maxProb: exit when max softmax >= threshold. entropy: exit when normalised entropy <= threshold. */
  threshold: number;
  /** patience: exit when the same class was predicted at this many consecutive exits. */
  patience: number;
  path: NodePath;
}

export interface ExitSpec {
  name: string;
  /** Name of the backbone layer or block (top level) the exit reads from. */
  after: string;
  /** Head layers; the last one is a dense layer with `classes` units. */
  head: Layer[];
  /** Per-exit threshold overriding the policy's, when given. */
  threshold?: number;
  path: NodePath;
}

export interface GateSpec {
  name: string;
  /** Name of the residual block (top level) this gate decides to run or skip. */
  block: string;
  /** Gate head layers; ends in a single unit whose sigmoid is the firing probability. */
  head: Layer[];
  /** The block runs when the gate's sigmoid output is >= threshold. */
  threshold: number;
  path: NodePath;
}

export type DataSpec =
  | { source: 'mnist'; trainFraction: number; path: NodePath }
  | { source: 'fashion-mnist'; trainSamples: number; path: NodePath }
  | {
      source: 'npy' | 'npz' | 'images' | 'csv';
      /** Workspace-relative paths; resolved and confined to the workspace by the engine. */
      train: string;
      test: string;
      /** For npy: the label file paths (x and y are separate files). */
      trainLabels?: string;
      testLabels?: string;
      path: NodePath;
    };

export interface TrainSpec {
  epochs: number;
  batchSize: number;
  optimizer: 'adam' | 'sgd' | 'rmsprop';
  learningRate: number;
  /** One weight per exit in order, then the final exit; defaults to all 1. */
  exitWeights?: number[];
  /** 'joint' trains everything; 'exits-only' trains the final classifier first, then only the exit heads. */
  mode: 'joint' | 'exits-only';
  seed: number;
  /** Adversarial training of all exits (Hu et al., Triple Wins): a share of each batch is replaced by L-inf PGD
   *  examples crafted on the network being trained. Absent = clean training. */
  adversarial?: AdversarialTraining;
  path: NodePath;
}

export interface AdversarialTraining {
  eps: number;
  /** PGD step size; default eps / 4. */
  step: number;
  /** PGD iterations per batch; default 10. */
  steps: number;
  /** Which exit loss the training attack maximises; default maxAverage (Hu et al.). */
  loss: 'maxAverage' | 'average' | 'final';
  /** Share of each batch that is adversarial, in (0, 1]; default 0.5. */
  fraction: number;
}

export type AttackKind = 'fgsm' | 'pgd' | 'hijack' | 'slowdown' | 'gate' | 'apgd' | 'ensemble';
export type Norm = 'linf' | 'l2';
/** Which loss a white-box attack on a multi-exit model maximises. 'exit:<name>' targets one exit. */
export type AttackLoss = 'final' | 'average' | 'maxAverage' | 'taken' | `exit:${string}`;

export interface AttackSpec {
  id: string;
  kind: AttackKind;
  norm: Norm;
  /** Radii of the Lp ball around each input; one run per radius. */
  eps: number[];
  /** Step size of each iteration; default depends on norm and kind (src/attacks/defaults.ts). */
  step?: number;
  /** Iterations (ignored by FGSM, which takes exactly one step of size eps). */
  steps?: number;
  /** Random starts; per sample the restart with the largest objective is kept. */
  restarts?: number;
  /** fgsm / pgd only: which loss over the exits is maximised. Default 'final'. */
  loss?: AttackLoss;
  /** hijack: class every internal exit is pushed to; absent = untargeted (runner-up wrong class). */
  targetClass?: number;
  /** slowdown: one perturbation shared by the whole batch. */
  universal?: boolean;
  /** apgd: the per-exit loss, cross-entropy or DLR (Croce & Hein 2020). Default 'ce'. */
  criterion?: 'ce' | 'dlr';
  /** apgd: targeted runs towards the top-k other classes of the clean input (APGD-T); absent = untargeted.
   *  ensemble: target classes of its APGD-T members. */
  targets?: number;
  /** ensemble: 'thorough' (100 iterations, restarts) or 'quick' (the editor's lens). Default 'thorough'. */
  preset?: 'thorough' | 'quick';
  path: NodePath;
}

export interface ChecksSpec {
  samples: number;
  seed: number;
  attacks: AttackSpec[];
  path: NodePath;
}

export interface ModelSpec {
  /** Format version (the `dynn` key). */
  version: 1;
  name: string;
  input: { shape: Shape; range?: [number, number]; path: NodePath };
  classes: number;
  backbone: Layer[];
  exits: ExitSpec[];
  gates: GateSpec[];
  policy: ExitPolicy;
  data: DataSpec;
  train: TrainSpec;
  checks: ChecksSpec;
  /** A pretrained TF.js Layers model whose outputs are the exits (docs/import.md); then backbone and exits are
   *  empty and the layers, shapes and cost come from the imported model. */
  import?: ImportSpec;
}

/** `import:` of a sidecar file: which model (.onnx or model.json) to load and which of its outputs is which exit. */
export interface ImportSpec {
  /** model.json, relative to the sidecar file. */
  model: string;
  /** Exit name per model output, in output order; the last is 'final'. */
  outputs: string[];
  /** Threshold per internal exit (final excluded); default the policy threshold. */
  thresholds?: number[];
  /** Per-channel normalisation applied inside the model ((x - mean) / std); inputs stay in pixel space. */
  normalize?: { mean: number[]; std: number[] };
  /** The static twin (same backbone without exits), relative to the sidecar file. */
  static?: string;
  path: NodePath;
}

/** Parameters and FLOPs of one layer. FLOPs count a multiply-add as 2 (see docs/format.md). */
export interface LayerCost {
  name: string;
  type: LayerType;
  path: NodePath;
  inShape: Shape;
  outShape: Shape;
  params: number;
  flops: number;
  /** Backbone FLOPs up to and including this layer (0 for head layers). */
  cumulativeFlops: number;
}

export interface ExitCost {
  name: string;
  /** Backbone FLOPs up to the exit's attachment point plus the exit's head (and earlier heads, which a sample
   *  leaving here has also run). */
  flopsToExit: number;
  /** flopsToExit / fullFlops. */
  share: number;
  headFlops: number;
  headParams: number;
  /** Shape the head reads. */
  inShape: Shape;
}

export interface GateCost {
  name: string;
  block: string;
  headFlops: number;
  /** FLOPs of the gated block's body: what a closed gate saves. */
  blockFlops: number;
  blockShare: number;
}

export interface CostReport {
  layers: LayerCost[];
  exits: ExitCost[];
  gates: GateCost[];
  totalParams: number;
  /** The whole network run to the final exit with every exit head and every gate open. */
  fullFlops: number;
  /** The backbone alone (the static twin). */
  staticFlops: number;
  /** Cheapest path: leave at the first exit, every gate closed before it. */
  bestCaseFlops: number;
  /** Dearest path: no exit fires, every gate opens. */
  worstCaseFlops: number;
}

/** The result of reading a model file: always returned, never thrown. */
export interface Analysis {
  /** Present when the document parsed and passed schema validation (semantic errors may still exist). */
  spec?: ModelSpec;
  /** Present when shapes could be inferred through the whole model. */
  cost?: CostReport;
  diagnostics: Diagnostic[];
  /** Source location of a node: the key's span and the value's span. Undefined if the path does not exist. */
  locate(path: NodePath): { key?: Span; value: Span } | undefined;
  /** Stable hash of everything in the spec that affects built weights and results (not comments or layout). */
  specHash?: string;
}
