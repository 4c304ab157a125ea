// The panel's gallery: a few images the strongest attack turned from right to wrong, with every exit's answer on
// the clean and the adversarial version. Pixels are mapped from the model's input range into [0, 1].
import type { ModelSpec } from '../modelfile/types';
import type { AttackPassOutput } from './attackPass';
import { isAccuracyAttack } from './figures';
import type { ExitRecording } from './recording';
import type { AttackResult, GalleryItem } from '../protocol/results';

function exitAnswers(rec: ExitRecording, sample: number): { prediction: number; confidence: number }[] {
  return rec.probs.map((p) => {
    let prediction = 0;
    let confidence = -Infinity;
    for (let c = 0; c < rec.classes; c++) {
      const v = p[sample * rec.classes + c] ?? -Infinity;
      if (v > confidence) {
        confidence = v;
        prediction = c;
      }
    }
    return { prediction, confidence: Math.min(1, Math.max(0, confidence)) };
  });
}

function toUnit(values: readonly number[], range: readonly [number, number]): number[] {
  const [lo, hi] = range;
  const span = hi - lo;
  return values.map((v) => Math.min(1, Math.max(0, span > 0 ? (v - lo) / span : 0)));
}

/** The attack whose examples the gallery shows: the lowest robust accuracy among accuracy attacks, then any. */
export function strongestAttack<T extends { result: AttackResult; out: AttackPassOutput }>(outcomes: readonly T[]): T | undefined {
  const withImages = outcomes.filter((o) => o.out.gallery.length > 0);
  const accuracyAttacks = withImages.filter((o) => isAccuracyAttack(o.result.kind));
  const pool = accuracyAttacks.length > 0 ? accuracyAttacks : withImages;
  return pool.reduce<T | undefined>((best, o) => (best === undefined || o.result.robustAccuracy < best.result.robustAccuracy ? o : best), undefined);
}

export function buildGallery(
  outcomes: readonly { result: AttackResult; out: AttackPassOutput }[],
  clean: ExitRecording,
  labels: Int32Array,
  spec: ModelSpec,
): GalleryItem[] {
  if (spec.input.shape.length !== 3) return [];
  const chosen = strongestAttack(outcomes);
  if (chosen === undefined) return [];
  const range = spec.input.range ?? [0, 1];
  return chosen.out.gallery.map((g) => ({
    index: g.index,
    attackResultId: chosen.result.id,
    label: labels[g.index] ?? -1,
    shape: [...spec.input.shape],
    original: toUnit(g.original, range),
    adversarial: toUnit(g.adversarial, range),
    cleanExits: exitAnswers(clean, g.index),
    adversarialExits: exitAnswers(chosen.out.recording, g.index),
  }));
}
