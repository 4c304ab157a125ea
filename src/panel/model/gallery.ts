// Gallery images as RGBA pixels: the original, the perturbation (amplified so it is visible) and the
// adversarial example, plus each exit's prediction and confidence. Pure: the webview copies the bytes to a canvas.
import type { GalleryItem, Results, SampleRecord } from '../../protocol/results';
import { pct } from './format';

export interface Rgba {
  width: number;
  height: number;
  /** width * height * 4 bytes, row-major. */
  data: Uint8ClampedArray;
}

/** Height, width and channels of a gallery shape: [h, w], [h, w, 1] or [h, w, 3]. */
export function imageGeometry(shape: readonly number[]): { height: number; width: number; channels: number } {
  const [height, width, channels = 1] = shape;
  if (height === undefined || width === undefined || shape.length > 3 || !(channels === 1 || channels === 3) || !(height > 0 && width > 0)) {
    throw new Error(`gallery image shape [${shape.join(', ')}] is not [height, width] or [height, width, 1|3]`);
  }
  return { height, width, channels };
}

/** Values in [0, 1] (clamped) in HWC order to opaque RGBA; one channel becomes grey. */
export function toRgba(values: readonly number[], shape: readonly number[]): Rgba {
  const { height, width, channels } = imageGeometry(shape);
  if (values.length !== height * width * channels) {
    throw new Error(`gallery image has ${values.length} values for shape [${shape.join(', ')}]`);
  }
  const data = new Uint8ClampedArray(width * height * 4);
  for (let px = 0; px < width * height; px++) {
    for (let c = 0; c < 3; c++) {
      const v = values[px * channels + (channels === 1 ? 0 : c)] ?? 0;
      data[px * 4 + c] = Math.round(Math.max(0, Math.min(1, v)) * 255);
    }
    data[px * 4 + 3] = 255;
  }
  return { width, height, data };
}

/**
 * The perturbation adversarial - original, scaled so its largest magnitude reaches the ends of the range around
 * mid-grey (0.5). `gain` is the amplification applied; a zero perturbation stays flat grey with gain 1.
 */
export function amplifiedPerturbation(original: readonly number[], adversarial: readonly number[]): { values: number[]; gain: number; maxAbs: number } {
  if (original.length !== adversarial.length) throw new Error(`gallery item: original has ${original.length} values, adversarial ${adversarial.length}`);
  const diff = adversarial.map((a, i) => a - (original[i] ?? 0));
  const maxAbs = diff.reduce((m, d) => Math.max(m, Math.abs(d)), 0);
  const gain = maxAbs > 0 ? 0.5 / maxAbs : 1;
  return { values: diff.map((d) => 0.5 + d * gain), gain, maxAbs };
}

export interface GalleryView {
  key: string;
  caption: string;
  original: Rgba;
  perturbation: Rgba;
  adversarial: Rgba;
  perturbationNote: string;
  exits: {
    exit: string;
    clean: string;
    adversarial: string;
    cleanCorrect: boolean;
    adversarialCorrect: boolean;
    /** This exit answered the sample in dynamic inference (from the per-sample records, when present). */
    answeredClean: boolean;
    answeredAdversarial: boolean;
  }[];
}

/** A class as shown: its index, and its name when the data set has names. */
export function classLabel(k: number, classNames?: readonly string[]): string {
  const name = classNames?.[k];
  return name === undefined ? String(k) : `${k} ${name}`;
}

export function galleryView(item: GalleryItem, exitNames: readonly string[], record?: SampleRecord, classNames?: readonly string[]): GalleryView {
  const p = amplifiedPerturbation(item.original, item.adversarial);
  const rows = Math.max(item.cleanExits.length, item.adversarialExits.length);
  const exits = [];
  for (let i = 0; i < rows; i++) {
    const c = item.cleanExits[i];
    const a = item.adversarialExits[i];
    exits.push({
      exit: exitNames[i] ?? `exit ${i + 1}`,
      clean: c ? `${classLabel(c.prediction, classNames)} (${pct(c.confidence)})` : '–',
      adversarial: a ? `${classLabel(a.prediction, classNames)} (${pct(a.confidence)})` : '–',
      cleanCorrect: c?.prediction === item.label,
      adversarialCorrect: a?.prediction === item.label,
      answeredClean: record?.cleanExit === i,
      answeredAdversarial: record?.adversarial[item.attackResultId]?.exit === i,
    });
  }
  return {
    key: `${item.attackResultId}#${item.index}`,
    caption: `sample ${item.index}, label ${classLabel(item.label, classNames)}, ${item.attackResultId}`,
    original: toRgba(item.original, item.shape),
    perturbation: toRgba(p.values, item.shape),
    adversarial: toRgba(item.adversarial, item.shape),
    perturbationNote: p.maxAbs > 0 ? `perturbation ×${p.gain.toFixed(1)} (max |δ| ${p.maxAbs.toFixed(3)})` : 'no perturbation',
    exits,
  };
}

export function galleryViews(r: Results): GalleryView[] {
  return r.gallery.map((g) => galleryView(g, r.model.exitNames, r.samples.find((s) => s.index === g.index), r.model.classNames));
}
