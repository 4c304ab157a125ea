// One attack at one radius over the evaluated samples, in batches: craft on the DyNN, evaluate the adversarial
// batch with dynamic inference, record every exit's softmax, measure the perturbation, run the random-noise
// baseline of the same norm and radius, and (for the transfer and efficiency studies) craft the same attack on the
// static twin and cross-evaluate. Tensors stay on the backend; only per-sample numbers are read back.
import * as tf from '@tensorflow/tfjs';
import { attack, configFromSpec, resolveSchedule, type ResolvedSchedule, randomNoise, randomNoiseBaseline, type AttackConfig, type ExitDecider, type SanityFlag as AttackFlag } from '../attacks';
import { addExecuted, emptyExecuted } from '../engine/executed';
import type { CancelToken, DynamicModel, DynamicRun, Progress } from '../engine/types';
import type { AttackSpec } from '../modelfile/types';
import type { PassRecord } from './metrics';
import { concatRecordings, perturbationNorms, readImages, recordExits, type ExitRecording } from './recording';

export interface AttackPassInput {
  model: DynamicModel;
  /** Present when the transfer or efficiency study runs. */
  twin?: DynamicModel;
  x: tf.Tensor;
  y: tf.Tensor1D;
  labels: Int32Array;
  /** Dynamic-inference predictions on the clean inputs (gallery candidates are clean-correct samples). */
  cleanPrediction: Int32Array;
  attack: AttackSpec;
  eps: number;
  seed: number;
  batchSize: number;
  policy: ExitDecider;
  /** Also record the DyNN's exits on the examples crafted on the static twin (for the design-choices sweep). */
  recordStaticCrafted: boolean;
  galleryCount: number;
  /** Keep the adversarial inputs on the backend and return them (gate-threshold sweeps re-run inference). */
  keepAdversarial?: boolean;
  cancel?: CancelToken;
  /** Called after each batch with the number of batches done (of `batches`). */
  onBatch?: (done: number, batches: number) => void;
  onProgress?: (p: Progress) => void;
}

export interface GalleryCandidate {
  index: number;
  original: number[];
  adversarial: number[];
}

export interface StaticSide {
  /** Static twin's predictions on the DyNN-crafted examples. */
  staticOnDynamicCrafted: Int32Array;
  /** DyNN (dynamic inference) and static predictions on the static-crafted examples. */
  dynamicOnStaticCrafted: Int32Array;
  staticOnStaticCrafted: Int32Array;
  gradEvals: number;
  seconds: number;
  flags: AttackFlag[];
  /** DyNN exits on the static-crafted examples, when asked for. */
  dynamicRecordingOnStaticCrafted?: ExitRecording;
}

/** The random-noise baseline of a pass: accuracy of the dynamic answer and of the final exit on noisy inputs. */
export interface NoiseFigures {
  dynamicAccuracy: number;
  finalAccuracy: number;
  pass: PassRecord;
}

/** The baseline's figures from its pass (dynamic answers) and the count of final-exit hits on the same inputs. */
export function noiseFigures(noisePass: PassRecord, labels: ArrayLike<number>, finalHits: number): NoiseFigures {
  const n = noisePass.prediction.length;
  let hits = 0;
  for (let i = 0; i < n; i++) if (noisePass.prediction[i] === labels[i]) hits++;
  return { dynamicAccuracy: n > 0 ? hits / n : 0, finalAccuracy: n > 0 ? finalHits / n : 0, pass: noisePass };
}

export interface AttackPassOutput {
  config: AttackConfig;
  /** Step, steps and restarts as the attack used them (after defaults). */
  resolved: ResolvedSchedule;
  pass: PassRecord;
  recording: ExitRecording;
  norms: Float32Array;
  gradEvals: number;
  seconds: number;
  flags: AttackFlag[];
  noise: NoiseFigures;
  staticSide?: StaticSide;
  gallery: GalleryCandidate[];
  /** All adversarial inputs, when keepAdversarial was set. Caller disposes. */
  xAdv?: tf.Tensor;
  /** The inputs crafted on the static twin, when keepAdversarial and recordStaticCrafted were set (the gate
   *  sweep replays them on the DyNN's gated designs). Caller disposes. */
  staticCraftedXAdv?: tf.Tensor;
}

/** Deterministic 31-bit seed from a base seed and the position of the work (attack, radius, batch). */
export function deriveSeed(base: number, ...parts: number[]): number {
  let h = (Math.floor(base) ^ 0x9e3779b9) >>> 0;
  for (const p of parts) {
    h = Math.imul(h ^ (Math.floor(p) >>> 0), 0x85ebca6b) >>> 0;
    h = (h ^ (h >>> 13)) >>> 0;
    h = Math.imul(h, 0xc2b2ae35) >>> 0;
    h = (h ^ (h >>> 16)) >>> 0;
  }
  return h & 0x7fffffff;
}

export function emptyPass(n: number, model: DynamicModel): PassRecord & Required<Pick<PassRecord, 'executed'>> {
  const exits = model.exitNames.length;
  const gates = model.gateNames.length;
  return { exitIndex: new Int32Array(n), prediction: new Int32Array(n), flops: new Float64Array(n), gatesFired: new Uint8Array(n * gates), executed: emptyExecuted(exits, exits - 1, gates) };
}

export function copyRun(into: PassRecord & Required<Pick<PassRecord, 'executed'>>, run: DynamicRun, begin: number, gates: number): void {
  into.exitIndex.set(run.exitIndex, begin);
  into.prediction.set(run.prediction, begin);
  into.flops.set(run.flops, begin);
  into.gatesFired.set(run.gatesFired, begin * gates);
  addExecuted(into.executed, run.executed);
}

function mergeFlags(into: AttackFlag[], more: readonly AttackFlag[]): void {
  for (const f of more) if (!into.some((g) => g.code === f.code)) into.push(f);
}

export async function runAttackPass(input: AttackPassInput): Promise<AttackPassOutput> {
  const { model, twin, x, y, labels, batchSize } = input;
  const n = x.shape[0] ?? 0;
  const gates = model.gateNames.length;
  const config = configFromSpec(input.attack, input.eps);
  const transfer = twin !== undefined && (config.kind === 'fgsm' || config.kind === 'pgd');
  // The static twin has a single exit: the same attack on it maximises its final cross-entropy.
  const staticConfig: AttackConfig = { ...config, loss: 'final' };
  const pass = emptyPass(n, model);
  const noisePass = emptyPass(n, model);
  const norms = new Float32Array(n);
  const flags: AttackFlag[] = [];
  const gallery: GalleryCandidate[] = [];
  let recording: ExitRecording | undefined;
  let gradEvals = 0;
  let seconds = 0;
  let noiseFinalHits = 0;
  const staticSide: StaticSide | undefined = transfer
    ? { staticOnDynamicCrafted: new Int32Array(n), dynamicOnStaticCrafted: new Int32Array(n), staticOnStaticCrafted: new Int32Array(n), gradEvals: 0, seconds: 0, flags: [] }
    : undefined;
  const batches = Math.ceil(n / batchSize);
  const kept: tf.Tensor[] = [];
  const keptStatic: tf.Tensor[] = [];
  const keepStatic = input.keepAdversarial === true && input.recordStaticCrafted;

  for (let b = 0; b < batches; b++) {
    input.cancel?.throwIfCancelled();
    const begin = b * batchSize;
    const size = Math.min(batchSize, n - begin);
    const seed = deriveSeed(input.seed, b);
    const xb = tf.slice(x, begin, size);
    const yb = tf.slice(y, begin, size);
    const owned: tf.Tensor[] = [xb, yb];
    try {
      const res = await attack(model, xb, yb, config, {
        seed,
        policy: input.policy,
        ...(input.cancel ? { cancel: input.cancel } : {}),
        ...(input.onProgress ? { onProgress: input.onProgress } : {}),
      });
      if (input.keepAdversarial === true) kept.push(res.xAdv);
      else owned.push(res.xAdv);
      if (res.universalDelta) owned.push(res.universalDelta);
      gradEvals += res.gradEvals;
      seconds += res.seconds;
      mergeFlags(flags, res.flags);

      const run = await model.runDynamic(res.xAdv, { batchSize });
      copyRun(pass, run, begin, gates);
      recording = concatRecordings(recording, await recordExits(model, res.xAdv, batchSize));
      norms.set(await perturbationNorms(xb, res.xAdv, config.norm), begin);

      // The floor every attack must beat: random noise of the same norm and radius.
      const noisy = randomNoise(model, xb, config.eps, config.norm, seed);
      owned.push(noisy);
      copyRun(noisePass, await model.runDynamic(noisy, { batchSize }), begin, gates);
      noiseFinalHits += (await randomNoiseBaseline(model, xb, yb, config.eps, config.norm, seed)).finalAccuracy * size;

      if (gallery.length < input.galleryCount) {
        const picks: number[] = [];
        for (let i = 0; i < size && gallery.length + picks.length < input.galleryCount; i++) {
          const s = begin + i;
          if (input.cleanPrediction[s] === labels[s] && run.prediction[i] !== labels[s]) picks.push(i);
        }
        const [orig, adv] = [await readImages(xb, picks), await readImages(res.xAdv, picks)];
        picks.forEach((i, k) => gallery.push({ index: begin + i, original: orig[k] ?? [], adversarial: adv[k] ?? [] }));
      }

      if (staticSide !== undefined && twin !== undefined) {
        staticSide.staticOnDynamicCrafted.set((await twin.runDynamic(res.xAdv, { batchSize })).prediction, begin);
        const st = await attack(twin, xb, yb, staticConfig, { seed, ...(input.cancel ? { cancel: input.cancel } : {}) });
        (keepStatic ? keptStatic : owned).push(st.xAdv);
        staticSide.gradEvals += st.gradEvals;
        staticSide.seconds += st.seconds;
        mergeFlags(staticSide.flags, st.flags);
        staticSide.dynamicOnStaticCrafted.set((await model.runDynamic(st.xAdv, { batchSize })).prediction, begin);
        staticSide.staticOnStaticCrafted.set((await twin.runDynamic(st.xAdv, { batchSize })).prediction, begin);
        if (input.recordStaticCrafted) {
          staticSide.dynamicRecordingOnStaticCrafted = concatRecordings(staticSide.dynamicRecordingOnStaticCrafted, await recordExits(model, st.xAdv, batchSize));
        }
      }
    } catch (err) {
      tf.dispose(kept);
      tf.dispose(keptStatic);
      throw err;
    } finally {
      tf.dispose(owned);
    }
    input.onBatch?.(b + 1, batches);
  }
  if (recording === undefined) throw new Error('no samples to attack');
  let xAdv: tf.Tensor | undefined;
  if (kept.length > 0) {
    xAdv = kept.length === 1 ? kept[0] : tf.concat(kept, 0);
    if (kept.length > 1) tf.dispose(kept);
  }
  let staticCraftedXAdv: tf.Tensor | undefined;
  if (keptStatic.length > 0) {
    staticCraftedXAdv = keptStatic.length === 1 ? keptStatic[0] : tf.concat(keptStatic, 0);
    if (keptStatic.length > 1) tf.dispose(keptStatic);
  }
  return {
    config,
    resolved: resolveSchedule(config),
    pass,
    recording,
    norms,
    gradEvals,
    seconds,
    flags,
    noise: noiseFigures(noisePass, labels, noiseFinalHits),
    ...(staticSide !== undefined ? { staticSide } : {}),
    gallery,
    ...(xAdv !== undefined ? { xAdv } : {}),
    ...(staticCraftedXAdv !== undefined ? { staticCraftedXAdv } : {}),
  };
}
