// Validated plain value -> typed ModelSpec with every default filled and a `path` on every node. Defaults come
// from the schema (dynn.schema.json); the few that depend on other values (layer names, policy thresholds,
// default exit and gate heads) are computed here and documented in docs/format.md.
import { DEFAULT_HEAD_POOL, DEFAULT_POLICY_THRESHOLD } from './limits';
import { resolveUnion, schemaAtPointer, withDefaults, dynnSchema } from './schema';
import { inferLayer } from './shapes';
import type {
  AdversarialTraining, AttackLoss, AttackSpec, ChecksSpec, DataSpec, ExitPolicy, ExitSpec, GateSpec, ImportSpec, Layer, ModelSpec, NodePath, Shape, TrainSpec,
} from './types';

type Obj = Record<string, unknown>;

const asObj = (v: unknown): Obj => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : {});
const asArr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

export function buildSpec(raw: unknown, fileName?: string): ModelSpec {
  const root = withDefaults(asObj(raw), dynnSchema);
  const classes = root.classes as number;
  const inputObj = withDefaults(asObj(root.input), schemaAtPointer('#/properties/input'));
  const input: ModelSpec['input'] = { shape: (inputObj.shape as number[]).slice(), path: ['input'] };
  if (Array.isArray(inputObj.range)) input.range = [inputObj.range[0] as number, inputObj.range[1] as number];

  const backbone = buildLayers(asArr(root.backbone), ['backbone'], '');
  const outShapes = topLevelShapes(backbone, input.shape);

  const exits = asArr(root.exits).map((e, i): ExitSpec => {
    const o = asObj(e);
    const name = typeof o.name === 'string' ? o.name : `exit${i}`;
    const path: NodePath = ['exits', i];
    const head = Array.isArray(o.head)
      ? buildLayers(o.head, [...path, 'head'], `${name}_`)
      : defaultExitHead(outShapes.get(String(o.after)), classes, name, [...path, 'head']);
    const exit: ExitSpec = { name, after: String(o.after), head, path };
    if (typeof o.threshold === 'number') exit.threshold = o.threshold;
    return exit;
  });

  const gates = asArr(root.gates).map((g, i): GateSpec => {
    const o = withDefaults(asObj(g), schemaAtPointer('#/definitions/gate'));
    const name = typeof o.name === 'string' ? o.name : `gate${i}`;
    const path: NodePath = ['gates', i];
    const head = Array.isArray(o.head) ? buildLayers(o.head, [...path, 'head'], `${name}_`) : defaultGateHead(name, [...path, 'head']);
    return { name, block: String(o.block), head, threshold: o.threshold as number, path };
  });

  const spec: ModelSpec = {
    version: 1,
    name: typeof root.name === 'string' ? root.name : modelNameFrom(fileName),
    input,
    classes,
    backbone,
    exits,
    gates,
    policy: buildPolicy(root.policy),
    data: buildData(root.data),
    train: buildTrain(root.train),
    checks: buildChecks(root.checks),
  };
  if (root.import !== undefined) spec.import = buildImport(root.import);
  return spec;
}

function buildImport(raw: unknown): ImportSpec {
  const o = asObj(raw);
  const spec: ImportSpec = { model: String(o.model), outputs: asArr(o.outputs).map(String), path: ['import'] };
  if (Array.isArray(o.thresholds)) spec.thresholds = o.thresholds.map(Number);
  if (o.normalize !== undefined) {
    const n = asObj(o.normalize);
    spec.normalize = { mean: asArr(n.mean).map(Number), std: asArr(n.std).map(Number) };
  }
  if (typeof o.static === 'string') spec.static = o.static;
  return spec;
}

function modelNameFrom(fileName: string | undefined): string {
  if (!fileName) return 'model';
  const base = fileName.split(/[\\/]/).pop() ?? fileName;
  const stem = base.replace(/(\.dynn)?\.(ya?ml|json)$/i, '');
  return stem.length > 0 ? stem : 'model';
}

/** Layers of one list; names default to `<prefix><type><index>`. */
export function buildLayers(items: unknown[], path: NodePath, prefix: string): Layer[] {
  return items.map((item, i) => buildLayer(asObj(item), [...path, i], `${prefix}${String(asObj(item).type)}${i}`));
}

function buildLayer(raw: Obj, path: NodePath, defaultName: string): Layer {
  const o = withDefaults(raw, resolveUnion(dynnSchema.definitions?.layer, raw));
  const name = typeof o.name === 'string' ? o.name : defaultName;
  // Pool stride defaults to the window size, which the schema cannot express.
  if ((o.type === 'maxPool' || o.type === 'avgPool') && o.stride === undefined) o.stride = o.size;
  if (o.type === 'residual') {
    const layers = buildLayers(asArr(o.layers), [...path, 'layers'], `${name}_`);
    return { ...(o as object), name, path, layers } as Layer;
  }
  return { ...(o as object), name, path } as Layer;
}

/** Output shape after each top-level backbone layer, as far as inference gets (for default head choice). */
function topLevelShapes(backbone: Layer[], input: Shape): Map<string, Shape> {
  const out = new Map<string, Shape>();
  let shape = input;
  for (const l of backbone) {
    const r = inferLayer(l, shape);
    if (!r.ok) break;
    shape = r.out;
    out.set(l.name, shape);
  }
  return out;
}

/** SDN head: mixed pooling down to 4x4 when the map is larger, flatten, dense `classes` (logits). */
export function defaultExitHead(inShape: Shape | undefined, classes: number, exitName: string, path: NodePath): Layer[] {
  const layers: Layer[] = [];
  const at = (i: number): NodePath => [...path, i];
  const isMap = inShape === undefined || inShape.length === 3;
  const large = inShape === undefined || (inShape[0] ?? 0) > DEFAULT_HEAD_POOL || (inShape[1] ?? 0) > DEFAULT_HEAD_POOL;
  if (isMap && large) layers.push({ type: 'mixedPool', size: DEFAULT_HEAD_POOL, name: `${exitName}_pool`, path: at(layers.length) });
  if (isMap) layers.push({ type: 'flatten', name: `${exitName}_flatten`, path: at(layers.length) });
  layers.push({ type: 'dense', units: classes, activation: 'linear', useBias: true, name: `${exitName}_logits`, path: at(layers.length) });
  return layers;
}

/** Gate head: global average pooling then one unit (the engine applies the sigmoid). */
export function defaultGateHead(gateName: string, path: NodePath): Layer[] {
  return [
    { type: 'globalPool', mode: 'avg', name: `${gateName}_pool`, path: [...path, 0] },
    { type: 'dense', units: 1, activation: 'linear', useBias: true, name: `${gateName}_logit`, path: [...path, 1] },
  ];
}

function buildPolicy(raw: unknown): ExitPolicy {
  const o = withDefaults(asObj(raw), schemaAtPointer('#/properties/policy'));
  const kind = o.kind as ExitPolicy['kind'];
  const threshold = typeof o.threshold === 'number' ? o.threshold : DEFAULT_POLICY_THRESHOLD[kind];
  return { kind, threshold, patience: o.patience as number, path: ['policy'] };
}

function buildData(raw: unknown): DataSpec {
  const o = withDefaults(asObj(raw), schemaAtPointer('#/properties/data'));
  if (o.source === 'mnist') return { source: 'mnist', trainFraction: o.trainFraction as number, path: ['data'] };
  if (o.source === 'fashion-mnist') return { source: 'fashion-mnist', trainSamples: o.trainSamples as number, path: ['data'] };
  const d: DataSpec = {
    source: o.source as 'npy' | 'npz' | 'images' | 'csv',
    train: String(o.train),
    test: String(o.test),
    path: ['data'],
  };
  if (typeof o.trainLabels === 'string') d.trainLabels = o.trainLabels;
  if (typeof o.testLabels === 'string') d.testLabels = o.testLabels;
  return d;
}

function buildTrain(raw: unknown): TrainSpec {
  const o = withDefaults(asObj(raw), schemaAtPointer('#/properties/train'));
  const t: TrainSpec = {
    epochs: o.epochs as number,
    batchSize: o.batchSize as number,
    optimizer: o.optimizer as TrainSpec['optimizer'],
    learningRate: o.learningRate as number,
    mode: o.mode as TrainSpec['mode'],
    seed: o.seed as number,
    path: ['train'],
  };
  if (Array.isArray(o.exitWeights)) t.exitWeights = (o.exitWeights as number[]).slice();
  const adv = o.adversarial;
  if (typeof adv === 'object' && adv !== null && typeof (adv as { eps?: unknown }).eps === 'number') {
    const a = adv as Partial<Record<keyof AdversarialTraining, unknown>>;
    const eps = a.eps as number;
    t.adversarial = {
      eps,
      step: typeof a.step === 'number' ? a.step : eps / 4,
      steps: typeof a.steps === 'number' ? a.steps : 10,
      loss: a.loss === 'average' || a.loss === 'final' ? a.loss : 'maxAverage',
      fraction: typeof a.fraction === 'number' ? a.fraction : 0.5,
    };
  }
  return t;
}

function buildChecks(raw: unknown): ChecksSpec {
  const o = withDefaults(asObj(raw), schemaAtPointer('#/properties/checks'));
  const attacks = asArr(o.attacks).map((a, i): AttackSpec => {
    const x = withDefaults(asObj(a), schemaAtPointer('#/definitions/attack'));
    const kind = x.kind as AttackSpec['kind'];
    const spec: AttackSpec = {
      id: typeof x.id === 'string' ? x.id : `${kind}${i}`,
      kind,
      norm: x.norm as AttackSpec['norm'],
      eps: Array.isArray(x.eps) ? (x.eps as number[]).slice() : [x.eps as number],
      path: ['checks', 'attacks', i],
    };
    if (typeof x.step === 'number') spec.step = x.step;
    if (typeof x.steps === 'number') spec.steps = x.steps;
    if (typeof x.restarts === 'number') spec.restarts = x.restarts;
    if (typeof x.loss === 'string') spec.loss = x.loss as AttackLoss;
    if (typeof x.targetClass === 'number') spec.targetClass = x.targetClass;
    if (typeof x.universal === 'boolean' && kind === 'slowdown') spec.universal = x.universal;
    if (x.criterion === 'ce' || x.criterion === 'dlr') spec.criterion = x.criterion;
    if (typeof x.targets === 'number') spec.targets = x.targets;
    if (x.preset === 'thorough' || x.preset === 'quick') spec.preset = x.preset;
    return spec;
  });
  return { samples: o.samples as number, seed: o.seed as number, attacks, path: ['checks'] };
}
