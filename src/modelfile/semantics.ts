// Checks that need the whole model: shapes through every layer, names and references, the final classifier,
// exits and gates, thresholds, training and attack settings, and size limits. Each finding sits on the node
// that causes it.
import { LIMITS } from './limits';
import { describeLayer, elements, formatShape, inferLayer, sameShape, type LayerOutcome } from './shapes';
import type { SourceMap } from './source-map';
import type { Diagnostic, ImportSpec, Layer, ModelSpec, NodePath, Shape, Span } from './types';

export interface SemanticsResult {
  diagnostics: Diagnostic[];
  /** True when shapes inferred through the backbone and every head (cost can be computed). */
  shapesOk: boolean;
}

export function checkSemantics(spec: ModelSpec, sourceMap: SourceMap, text: string): SemanticsResult {
  return new Checker(spec, sourceMap, text).run();
}

class Checker {
  private readonly out: Diagnostic[] = [];
  private shapesOk = true;
  /** Output shape after each top-level backbone layer (by name), as far as inference got. */
  private readonly topOut = new Map<string, Shape>();
  private readonly topIn = new Map<string, Shape>();
  private readonly topIndex = new Map<string, number>();

  constructor(
    private readonly spec: ModelSpec,
    private readonly map: SourceMap,
    private readonly text: string,
  ) {}

  run(): SemanticsResult {
    const s = this.spec;
    if (!this.checkInput()) return { diagnostics: this.out, shapesOk: false };
    if (!this.checkLayerCount()) return { diagnostics: this.out, shapesOk: false };
    if (s.import !== undefined) {
      // Layers, shapes and cost come from the imported model (checked when the engine loads it).
      this.checkImport(s.import);
      this.checkData();
      this.checkAttacks();
      return { diagnostics: this.out, shapesOk: false };
    }
    s.backbone.forEach((l, i) => this.topIndex.set(l.name, i));
    this.checkNames();
    this.checkBackboneShapes();
    this.checkFinalLayer();
    this.checkExits();
    this.checkGates();
    this.checkPolicy();
    this.checkTrain();
    this.checkData();
    this.checkAttacks();
    return { diagnostics: this.out, shapesOk: this.shapesOk };
  }

  // ---- helpers ------------------------------------------------------------------------------------------

  private add(code: string, message: string, span: Span, severity: Diagnostic['severity'] = 'error'): void {
    this.out.push({ severity, code, message, span, source: 'semantics' });
  }

  /** Span of `field` in the node at `path` if written, else the node's name, type, key, or nearest ancestor. */
  private span(path: NodePath, ...fields: string[]): Span {
    for (const f of [...fields, 'name', 'type']) {
      const loc = this.map.get([...path, f]);
      if (loc) return loc.value;
    }
    const own = this.map.get(path);
    if (own) return own.key ?? this.firstLine(own.value);
    const near = this.map.nearest(path);
    if (!near) return { start: 0, end: 0 };
    return near.loc.key ?? this.firstLine(near.loc.value);
  }

  /** A mapping's first line: enough to point at it without painting the whole block. */
  private firstLine(s: Span): Span {
    const nl = this.text.slice(s.start, s.end).search(/\r?\n/);
    return nl < 0 ? s : { start: s.start, end: s.start + nl };
  }

  private allLayers(): { layer: Layer; owner: string }[] {
    const out: { layer: Layer; owner: string }[] = [];
    const walk = (ls: Layer[], owner: string): void => {
      for (const l of ls) {
        out.push({ layer: l, owner });
        if (l.type === 'residual') walk(l.layers, `block '${l.name}'`);
      }
    };
    walk(this.spec.backbone, 'the backbone');
    for (const e of this.spec.exits) walk(e.head, `exit '${e.name}'`);
    for (const g of this.spec.gates) walk(g.head, `gate '${g.name}'`);
    return out;
  }

  // ---- checks -------------------------------------------------------------------------------------------

  private checkInput(): boolean {
    const { shape, range } = this.spec.input;
    if (shape.length === 2) {
      this.add('shape/input-rank', `input shape [${shape.join(', ')}] has 2 dimensions: write [height, width, channels], e.g. [${shape.join(', ')}, 1]`, this.span(['input'], 'shape'));
      return false;
    }
    const n = elements(shape);
    if (n > LIMITS.maxInputElements) {
      this.add('limits/too-large', `the input has ${n.toLocaleString('en-US')} elements per sample; the limit is ${LIMITS.maxInputElements.toLocaleString('en-US')}`, this.span(['input'], 'shape'));
      return false;
    }
    if (range && !(range[0] < range[1])) {
      this.add('input/range', `input range [${range[0]}, ${range[1]}] must have min < max`, this.span(['input'], 'range'));
    }
    return true;
  }

  private checkLayerCount(): boolean {
    const n = this.allLayers().length;
    if (n > LIMITS.maxLayers) {
      this.add('limits/too-large', `the model has ${n} layers; the limit is ${LIMITS.maxLayers}`, this.span(['backbone']));
      return false;
    }
    if (this.spec.exits.length > LIMITS.maxExits) {
      this.add('limits/too-large', `${this.spec.exits.length} exits; the limit is ${LIMITS.maxExits}`, this.span(['exits']));
    }
    if (this.spec.gates.length > LIMITS.maxGates) {
      this.add('limits/too-large', `${this.spec.gates.length} gates; the limit is ${LIMITS.maxGates}`, this.span(['gates']));
    }
    return true;
  }

  private checkNames(): void {
    const seen = new Map<string, string>();
    const claim = (name: string, what: string, path: NodePath, field: string): void => {
      const prev = seen.get(name);
      if (prev !== undefined) {
        const written = this.map.get([...path, field]) !== undefined;
        const how = written ? '' : ` (the default name of this ${what.split(' ')[0]})`;
        this.add('names/duplicate', `the name '${name}'${how} is already used by ${prev}; names must be unique across layers, exits and gates`, this.span(path, field));
      } else {
        seen.set(name, what);
      }
    };
    for (const { layer, owner } of this.allLayers()) claim(layer.name, `layer '${layer.name}' in ${owner}`, layer.path, 'name');
    for (const e of this.spec.exits) {
      if (e.name === 'final') this.add('names/reserved', `'final' is the name of the final classifier's exit; choose another exit name`, this.span(e.path, 'name'));
      claim(e.name, `exit '${e.name}'`, e.path, 'name');
    }
    for (const g of this.spec.gates) claim(g.name, `gate '${g.name}'`, g.path, 'name');
  }

  private reportShape(l: Layer, inShape: Shape, r: Extract<LayerOutcome, { ok: false }>): void {
    const needsFlat = l.type === 'dense' && inShape.length === 3;
    const code = needsFlat ? 'shape/needs-flatten' : 'shape/mismatch';
    const field = r.field ?? (l.type === 'dense' ? 'units' : undefined);
    this.add(code, `layer '${l.name}' (${describeLayer(l)}) cannot take a ${formatShape(inShape)} input: ${r.reason}`, this.span(l.path, ...(field ? [field] : [])));
  }

  /** Runs inference, reporting the innermost failing layer and any activation that breaks the size limit. */
  private inferReporting(layers: readonly Layer[], input: Shape, onTop?: (l: Layer, inShape: Shape, out: Shape) => void): Shape | undefined {
    let shape = input;
    for (const top of layers) {
      const failedInside = new Set<Layer>();
      let reported = false;
      const r = inferLayer(top, shape, (l, s, o) => {
        if (!o.ok) {
          // A block fails when its body does; the body layer's own finding is the useful one.
          if (l.type === 'residual' && l.layers.some((b) => failedInside.has(b))) {
            failedInside.add(l);
            return;
          }
          failedInside.add(l);
          this.reportShape(l, s, o);
          reported = true;
        } else if (elements(o.out) > LIMITS.maxActivationElements) {
          this.add('limits/too-large', `layer '${l.name}' outputs ${formatShape(o.out)} = ${elements(o.out).toLocaleString('en-US')} values per sample; the limit is ${LIMITS.maxActivationElements.toLocaleString('en-US')}`, this.span(l.path, 'filters', 'units'));
          reported = true;
        }
      });
      if (!r.ok || reported) {
        this.shapesOk = false;
        return undefined;
      }
      onTop?.(top, shape, r.out);
      shape = r.out;
    }
    return shape;
  }

  private checkBackboneShapes(): void {
    this.inferReporting(this.spec.backbone, this.spec.input.shape, (l, inShape, out) => {
      this.topIn.set(l.name, inShape);
      this.topOut.set(l.name, out);
    });
  }

  private checkFinalLayer(): void {
    const last = this.spec.backbone[this.spec.backbone.length - 1];
    if (!last) return;
    const c = this.spec.classes;
    if (last.type !== 'dense') {
      this.add('final/not-dense', `the last backbone layer is the final classifier and must be 'dense' with ${c} units (classes); '${last.name}' is ${last.type}`, this.span(last.path, 'type'));
      return;
    }
    if (last.units !== c) {
      this.add('final/classes', `the final classifier '${last.name}' has ${last.units} units but the model has ${c} classes`, this.span(last.path, 'units'));
    }
    if (last.activation !== 'linear') {
      this.add('final/activation', `the final classifier '${last.name}' should output logits ('activation: linear'); the engine applies softmax itself`, this.span(last.path, 'activation'), 'warning');
    }
  }

  private nestedOwner(name: string): string | undefined {
    const find = (ls: Layer[], owner: string | undefined): string | undefined => {
      for (const l of ls) {
        if (l.name === name && owner !== undefined) return owner;
        if (l.type === 'residual') {
          const r = find(l.layers, l.name);
          if (r !== undefined) return r;
        }
      }
      return undefined;
    };
    return find(this.spec.backbone, undefined);
  }

  private unknownRef(name: string, span: Span, what: string): void {
    const owner = this.nestedOwner(name);
    const msg = owner !== undefined
      ? `'${name}' is inside block '${owner}'; ${what} must name a top-level backbone layer or block`
      : `no top-level backbone layer or block is named '${name}'; known: ${[...this.topIndex.keys()].join(', ')}`;
    this.add('ref/unknown-layer', msg, span);
  }

  private checkExits(): void {
    const lastIndex = this.spec.backbone.length - 1;
    let prevIndex = -1;
    const used = new Map<number, string>();
    for (const e of this.spec.exits) {
      const afterSpan = this.span(e.path, 'after');
      const at = this.topIndex.get(e.after);
      if (at === undefined) {
        this.unknownRef(e.after, afterSpan, `an exit's 'after'`);
        this.shapesOk = false;
        continue;
      }
      if (at >= lastIndex) {
        this.add('exits/after-final', `exit '${e.name}' is placed after the final classifier '${e.after}'; an early exit must come before it`, afterSpan);
        continue;
      }
      if (at < prevIndex) {
        this.add('exits/order', `exit '${e.name}' sits earlier in the backbone than the exit listed before it; list exits in backbone order (they are tried in this order)`, afterSpan, 'warning');
      }
      const same = used.get(at);
      if (same !== undefined) this.add('exits/same-place', `exits '${same}' and '${e.name}' both read from '${e.after}'`, afterSpan, 'warning');
      used.set(at, e.name);
      prevIndex = Math.max(prevIndex, at);
      this.checkExitThreshold(e.threshold, this.span(e.path, 'threshold'));
      const inShape = this.topOut.get(e.after);
      if (!inShape) continue;
      this.checkHead(e.head, inShape, this.spec.classes, `exit '${e.name}'`);
    }
  }

  private checkHead(head: Layer[], inShape: Shape, units: number, owner: string): void {
    const out = this.inferReporting(head, inShape);
    if (!out) return;
    const last = head[head.length - 1];
    if (!last) return;
    if (last.type !== 'dense' || last.units !== units) {
      const code = owner.startsWith('gate') ? 'gates/head-units' : 'exits/head-classes';
      const want = units === 1 ? 'a dense layer with 1 unit (its sigmoid is the firing probability)' : `a dense layer with ${units} units (classes)`;
      this.add(code, `the head of ${owner} must end in ${want}; it ends in ${describeLayer(last)}`, this.span(last.path, 'units', 'type'));
    } else if (last.activation !== 'linear') {
      this.add('exits/head-activation', `the head of ${owner} should end with 'activation: linear' (logits); the engine applies ${units === 1 ? 'the sigmoid' : 'softmax'}`, this.span(last.path, 'activation'), 'warning');
    }
  }

  private checkExitThreshold(t: number | undefined, span: Span): void {
    if (t === undefined) return;
    const kind = this.spec.policy.kind;
    if (kind === 'maxProb' && !(t > 0 && t <= 1)) this.add('policy/threshold', `a maxProb threshold must be in (0, 1], got ${t}`, span);
    if (kind === 'maxProb' && t > 0 && t <= 1 / this.spec.classes) {
      this.add('policy/threshold', `a maxProb threshold of ${t} is at most 1/${this.spec.classes}: the max softmax probability always reaches it, so this exit always fires`, span, 'warning');
    }
  }

  private checkGates(): void {
    const gated = new Map<string, string>();
    for (const g of this.spec.gates) {
      const blockSpan = this.span(g.path, 'block');
      const at = this.topIndex.get(g.block);
      if (at === undefined) {
        this.unknownRef(g.block, blockSpan, `a gate's 'block'`);
        this.shapesOk = false;
        continue;
      }
      const block = this.spec.backbone[at];
      if (!block || block.type !== 'residual') {
        this.add('gates/not-residual', `gate '${g.name}' names '${g.block}', a ${block?.type ?? 'missing'} layer; only residual blocks can be skipped (the skip path carries the input through)`, blockSpan);
        // A gate that cannot exist has no cost: the cost pass would only repeat this error about its head.
        this.shapesOk = false;
        continue;
      }
      const prev = gated.get(g.block);
      if (prev !== undefined) this.add('gates/duplicate', `block '${g.block}' is already gated by '${prev}'`, blockSpan);
      gated.set(g.block, g.name);
      const inShape = this.topIn.get(g.block);
      const outShape = this.topOut.get(g.block);
      if (inShape && outShape && !sameShape(inShape, outShape)) {
        this.add('gates/shape-change', `gate '${g.name}' cannot skip block '${g.block}': the block turns ${formatShape(inShape)} into ${formatShape(outShape)}, so skipping it would feed a ${formatShape(inShape)} map to layers that expect ${formatShape(outShape)} (SkipNet never gates downsampling blocks)`, blockSpan);
      }
      if (inShape) this.checkHead(g.head, inShape, 1, `gate '${g.name}'`);
    }
  }

  /** `import.normalize`: one value, or one per input channel (the last dim of input.shape), for mean and std. */
  private checkNormalize(n: { mean: number[]; std: number[] }, path: NodePath): void {
    const channels = this.spec.input.shape[this.spec.input.shape.length - 1] ?? 1;
    for (const key of ['mean', 'std'] as const) {
      const len = n[key].length;
      if (len !== 1 && len !== channels) {
        this.add('import/normalize', `'${key}' needs 1 value or one per input channel (${channels}), got ${len}`, this.span([...path, key]));
      }
    }
  }

  private checkImport(imp: ImportSpec): void {
    const s = this.spec;
    for (const key of ['backbone', 'exits', 'gates'] as const) {
      if (this.map.get([key]) !== undefined) {
        this.add('import/conflict', `'${key}' cannot be used with 'import': the layers and exits come from the imported model`, this.span([key]));
      }
    }
    for (const key of ['model', 'static'] as const) {
      const ref = imp[key];
      if (ref !== undefined && (/^([a-zA-Z]:|[\\/]|~)/.test(ref) || /^[a-z][a-z0-9+.-]*:/i.test(ref))) {
        this.add('import/path', `'${key}' must be a path relative to this file inside the workspace, got '${ref}'`, this.span([...imp.path, key]));
      }
    }
    if (imp.normalize !== undefined) this.checkNormalize(imp.normalize, [...imp.path, 'normalize']);
    const outputsSpan = this.span([...imp.path, 'outputs']);
    const names = imp.outputs;
    if (names[names.length - 1] !== 'final') this.add('import/outputs', `the last output is the final classifier and must be named 'final'; got '${names[names.length - 1] ?? ''}'`, outputsSpan);
    if (names.slice(0, -1).includes('final')) this.add('import/outputs', `only the last output may be named 'final'`, outputsSpan);
    const dup = names.find((n, i) => names.indexOf(n) !== i);
    if (dup !== undefined) this.add('import/outputs', `output name '${dup}' is used twice; exit names must be unique`, outputsSpan);
    if (imp.thresholds !== undefined && imp.thresholds.length !== names.length - 1) {
      this.add('import/thresholds', `'thresholds' needs ${names.length - 1} values (one per internal exit, final excluded), got ${imp.thresholds.length}`, this.span([...imp.path, 'thresholds']));
    }
    const p = s.policy;
    const span = this.span(p.path, 'threshold', 'kind');
    if (p.kind === 'maxProb') this.checkExitThreshold(p.threshold, span);
    if (p.kind === 'entropy' && !(p.threshold >= 0 && p.threshold <= 1)) this.add('policy/threshold', `an entropy threshold must be in [0, 1], got ${p.threshold}`, span);
    if (p.kind === 'patience' && p.patience > names.length) {
      this.add('policy/patience', `patience ${p.patience} needs ${p.patience} agreeing exits but the model has ${names.length} (with the final one): no sample can leave early`, this.span(p.path, 'patience'), 'warning');
    }
  }

  private checkPolicy(): void {
    const p = this.spec.policy;
    const span = this.span(p.path, 'threshold', 'kind');
    if (p.kind === 'maxProb') this.checkExitThreshold(p.threshold, span);
    if (p.kind === 'entropy' && !(p.threshold >= 0 && p.threshold <= 1)) this.add('policy/threshold', `an entropy threshold must be in [0, 1], got ${p.threshold}`, span);
    if (p.kind === 'patience') {
      const exits = this.spec.exits.length + 1;
      if (p.patience > exits) {
        this.add('policy/patience', `patience ${p.patience} needs ${p.patience} agreeing exits but the model has ${exits} (with the final one): no sample can leave early`, this.span(p.path, 'patience'), 'warning');
      }
    }
  }

  private checkTrain(): void {
    const w = this.spec.train.exitWeights;
    if (w && w.length !== this.spec.exits.length + 1) {
      this.add('train/exit-weights', `'exitWeights' needs ${this.spec.exits.length + 1} values (one per exit, then the final exit), got ${w.length}`, this.span(this.spec.train.path, 'exitWeights'));
    }
    if (this.spec.train.mode === 'exits-only' && this.spec.exits.length === 0) {
      this.add('train/mode', `'mode: exits-only' trains only exit heads, but the model has no exits`, this.span(this.spec.train.path, 'mode'), 'warning');
    }
  }

  private checkData(): void {
    const d = this.spec.data;
    const written = (k: string): boolean => this.map.get([...d.path, k]) !== undefined;
    if (d.source === 'mnist' || d.source === 'fashion-mnist') {
      const other = d.source === 'mnist' ? 'trainSamples' : 'trainFraction';
      for (const k of ['train', 'test', 'trainLabels', 'testLabels', other]) {
        if (written(k)) this.add('data/ignored', `'${k}' is ignored for source '${d.source}'`, this.span(d.path, k), 'warning');
      }
      const s = this.spec.input.shape;
      if (!(s[0] === 28 && s[1] === 28 && s[2] === 1) || this.spec.classes !== 10) {
        const what = d.source === 'mnist' ? 'MNIST' : 'Fashion-MNIST';
        this.add('data/mnist-shape', `${what} samples are 28x28x1 with 10 classes; this model declares ${formatShape(s)} and ${this.spec.classes} classes`, this.span(['input'], 'shape'));
      }
      if (d.source === 'fashion-mnist' && d.trainSamples % 10 !== 0) {
        this.add('data/train-samples', `'trainSamples' must be a multiple of 10 (the same number from each class), got ${d.trainSamples}`, this.span(d.path, 'trainSamples'));
      }
      return;
    }
    if (written('trainFraction')) this.add('data/ignored', `'trainFraction' only applies to source 'mnist'`, this.span(d.path, 'trainFraction'), 'warning');
    if (written('trainSamples')) this.add('data/ignored', `'trainSamples' only applies to source 'fashion-mnist'`, this.span(d.path, 'trainSamples'), 'warning');
    const files: [string, string | undefined][] = [['train', d.train], ['test', d.test], ['trainLabels', d.trainLabels], ['testLabels', d.testLabels]];
    for (const [k, v] of files) {
      if (v === undefined) continue;
      const problem = workspacePathProblem(v);
      if (problem) this.add('data/path', `'${k}' ${problem}`, this.span(d.path, k));
    }
    if (d.source === 'npy' && (d.trainLabels === undefined || d.testLabels === undefined)) {
      this.add('data/labels', `source 'npy' keeps images and labels in separate files: give 'trainLabels' and 'testLabels'`, this.span(d.path, 'source'));
    }
  }

  /** Keys of APGD and the ensemble that other kinds ignore, and the ones those two ignore. */
  private checkApgdKeys(a: ModelSpec['checks']['attacks'][number]): void {
    const written = (key: string): boolean => this.map.get([...a.path, key]) !== undefined;
    if (written('criterion') && a.kind !== 'apgd') this.add('checks/ignored', `'criterion' only applies to apgd attacks`, this.span(a.path, 'criterion'), 'warning');
    if (written('targets') && a.kind !== 'apgd' && a.kind !== 'ensemble') this.add('checks/ignored', `'targets' only applies to apgd and ensemble attacks`, this.span(a.path, 'targets'), 'warning');
    if (written('preset') && a.kind !== 'ensemble') this.add('checks/ignored', `'preset' only applies to ensemble attacks`, this.span(a.path, 'preset'), 'warning');
    if ((a.kind === 'apgd' || a.kind === 'ensemble') && written('step')) {
      this.add('checks/ignored', `'step' is ignored by ${a.kind}: APGD starts at 2 * eps and halves the step at checkpoints`, this.span(a.path, 'step'), 'warning');
    }
    if (a.kind === 'ensemble' && written('loss')) {
      this.add('checks/ignored', `'loss' is ignored by an ensemble: it attacks the final exit and the exit each sample takes, then runs the file's PGDs with their own losses`, this.span(a.path, 'loss'), 'warning');
    }
    const classes = this.spec.import !== undefined ? undefined : this.spec.classes;
    if (classes !== undefined && a.kind === 'apgd' && a.criterion === 'dlr') {
      const needed = a.targets !== undefined ? 4 : 3;
      if (classes < needed) {
        this.add('checks/dlr-classes', `the DLR loss needs at least ${needed} classes${a.targets !== undefined ? ' when targeted' : ''} (it reads the ${needed === 4 ? '4th' : '3rd'}-largest logit); this model has ${classes}: use criterion: ce`, this.span(a.path, 'criterion'));
      }
    }
    if (classes !== undefined && a.kind === 'ensemble' && classes < 4) {
      this.add('checks/dlr-classes', `the ensemble's APGD-T members use targeted DLR, which needs at least 4 classes; with ${classes} they are skipped and the worst case comes from APGD-CE and the file's PGDs`, this.span(a.path, 'kind'), 'warning');
    }
    if (classes !== undefined && a.targets !== undefined && a.kind === 'apgd' && a.targets > classes - 1) {
      this.add('checks/target-class', `targets ${a.targets}: a sample has only ${classes - 1} other classes to aim at`, this.span(a.path, 'targets'));
    }
  }

  private checkAttacks(): void {
    const c = this.spec.checks;
    const ids = new Set<string>();
    // An imported model's internal exits are its outputs before the final one.
    const internal = this.spec.import !== undefined ? this.spec.import.outputs.slice(0, -1) : this.spec.exits.map((e) => e.name);
    const exitNames = new Set(internal);
    const width = this.spec.input.range ? this.spec.input.range[1] - this.spec.input.range[0] : undefined;
    for (const a of c.attacks) {
      if (ids.has(a.id)) this.add('names/duplicate', `attack id '${a.id}' is used twice`, this.span(a.path, 'id', 'kind'));
      ids.add(a.id);
      if (a.loss?.startsWith('exit:')) {
        const target = a.loss.slice(5);
        if (target !== 'final' && !exitNames.has(target)) {
          this.add('ref/unknown-exit', `no exit is named '${target}'; known: ${[...exitNames, 'final'].join(', ')}`, this.span(a.path, 'loss'));
        }
      }
      if ((a.kind === 'hijack' || a.kind === 'slowdown') && internal.length === 0) {
        this.add('checks/needs-exits', `a ${a.kind} attack targets early exits, but the model has none`, this.span(a.path, 'kind'));
      }
      if (a.kind === 'gate' && this.spec.gates.length === 0) {
        this.add('checks/needs-gates', `a gate attack targets gates, but the model has none`, this.span(a.path, 'kind'));
      }
      if (a.targetClass !== undefined && a.targetClass >= this.spec.classes) {
        this.add('checks/target-class', `targetClass ${a.targetClass} does not exist: classes are 0..${this.spec.classes - 1}`, this.span(a.path, 'targetClass'));
      }
      if (a.targetClass !== undefined && a.kind !== 'hijack') {
        this.add('checks/ignored', `'targetClass' only applies to hijack attacks`, this.span(a.path, 'targetClass'), 'warning');
      }
      if (this.map.get([...a.path, 'universal']) && a.kind !== 'slowdown') {
        this.add('checks/ignored', `'universal' only applies to slowdown attacks`, this.span(a.path, 'universal'), 'warning');
      }
      this.checkApgdKeys(a);
      if (width !== undefined && a.norm === 'linf') {
        const big = a.eps.find((e) => e > width);
        if (big !== undefined) this.add('checks/eps', `eps ${big} is larger than the input range (${width}): every input can be replaced entirely`, this.span(a.path, 'eps'), 'warning');
      }
    }
  }
}


/** Why a data path is not a workspace-relative path, or undefined when it is one. */
export function workspacePathProblem(p: string): string | undefined {
  if (/^([a-zA-Z]:|[\\/]|~)/.test(p)) return `must be relative to the workspace folder, got '${p}'`;
  if (p.split(/[\\/]/).includes('..')) return `must stay inside the workspace ('..' is not allowed), got '${p}'`;
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(p)) return `must be a file in the workspace, not a URL`;
  return undefined;
}
