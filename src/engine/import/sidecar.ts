// The sidecar that turns an ONNX or TF.js Layers model into a DyNN model is a model file in our format with `import:`
// instead of `backbone:`/`exits:` (see docs/import.md); the spec module parses and checks it like any model file:
//   dynn: 1
//   input: { shape: [28, 28, 1], range: [0, 1] }
//   classes: 10
//   import: { model: keras/model.json, outputs: [exit1, exit2, final] }
//   policy: { kind: maxProb, threshold: 0.9 }
import { analyzeText, LineIndex } from '../../modelfile';
import type { PolicyKind } from '../../modelfile/types';
import { ImportError } from './errors';

export interface ImportSidecar {
  name: string;
  /** The .onnx file or model.json, relative to the sidecar's folder. */
  model: string;
  /** Exit name per model output, in output order; the last is the final classifier, 'final'. */
  outputs: string[];
  /** Per-exit thresholds (final excluded) when given; default the policy threshold. */
  thresholds?: number[];
  /** Normalisation applied inside the model, per input channel (or one value for all). */
  normalize?: { mean: number[]; std: number[] };
  /** The static twin's model file, relative to the sidecar's folder. */
  static?: string;
  inputShape: number[];
  inputRange: [number, number];
  classes: number;
  policy: { kind: PolicyKind; threshold: number; patience: number };
}

/** Parses and checks a sidecar; `file` is the (workspace-relative) name used in errors. */
export function parseImportSidecar(text: string, file: string): ImportSidecar {
  const analysis = analyzeText(text, { fileName: file });
  const errors = analysis.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length > 0 || analysis.spec === undefined) {
    const lines = new LineIndex(text);
    const where = (offset: number): string => `line ${lines.positionAt(offset).line + 1}`;
    throw new ImportError(errors.map((d) => `${where(d.span.start)}: ${d.message}`).join('; ') || 'not a valid model file', file);
  }
  const spec = analysis.spec;
  const imp = spec.import;
  if (imp === undefined) throw new ImportError("has no 'import' section: it is a model defined by layers, not a sidecar of an imported model", file);
  return {
    name: spec.name,
    model: imp.model,
    outputs: [...imp.outputs],
    ...(imp.thresholds !== undefined ? { thresholds: [...imp.thresholds] } : {}),
    ...(imp.normalize !== undefined ? { normalize: { mean: [...imp.normalize.mean], std: [...imp.normalize.std] } } : {}),
    ...(imp.static !== undefined ? { static: imp.static } : {}),
    inputShape: [...spec.input.shape],
    inputRange: spec.input.range ?? [0, 1],
    classes: spec.classes,
    policy: { kind: spec.policy.kind, threshold: spec.policy.threshold, patience: spec.policy.patience },
  };
}
