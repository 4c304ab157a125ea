// A sidecar (a model file with `import:`) declares its exits as the imported model's outputs, not as `exits:`
// entries. The studies reason about exits through spec.exits (policy thresholds, the attack's exit decider, the
// sweep's design grid), so for an imported model they use this view: one ExitSpec per output before the final one,
// with the sidecar's per-exit threshold. The exits have no layers in our format, so no `after` and no head.
import type { ExitSpec, ModelSpec, NodePath } from '../modelfile/types';
import type { StudyName } from '../protocol/study-names';

/** Studies that craft on or evaluate the static twin, which an imported model does not have. */
export const TWIN_STUDIES: readonly StudyName[] = ['transfer', 'efficiency'];

/** The spec as the studies read it: an imported model's internal outputs become its exits. */
export function withImportedExits(spec: ModelSpec): ModelSpec {
  const imp = spec.import;
  if (imp === undefined) return spec;
  const exits: ExitSpec[] = imp.outputs.slice(0, -1).map((name, i) => ({
    name,
    after: '',
    head: [],
    ...(imp.thresholds?.[i] !== undefined ? { threshold: imp.thresholds[i] } : {}),
    path: [...imp.path, 'outputs', i],
  }));
  return { ...spec, exits };
}

/**
 * Where the file sets exit `i`'s threshold, for a one-edit suggestion: `exits[i].threshold` for a built model,
 * `import.thresholds[i]` for an imported one that lists thresholds. An imported model without the list has no
 * single value to edit (adding the list is several values), so no path.
 */
export function exitThresholdPath(spec: ModelSpec, i: number): NodePath | undefined {
  if (spec.import !== undefined) return spec.import.thresholds !== undefined ? [...spec.import.path, 'thresholds', i] : undefined;
  const exit = spec.exits[i];
  return exit === undefined ? undefined : [...exit.path, 'threshold'];
}

/** The node whose removal removes exit `i`; an imported model's outputs are fixed by its graph, so none. */
export function exitRemovalPath(spec: ModelSpec, i: number): NodePath | undefined {
  if (spec.import !== undefined) return undefined;
  const exit = spec.exits[i];
  return exit === undefined ? undefined : [...exit.path];
}

/** Why a study cannot run on an imported model, or undefined when it can (twin studies need `import.static`; nothing
 *  imported is trained here). */
export function importedStudyRefusal(spec: ModelSpec, study: StudyName): string | undefined {
  if (spec.import !== undefined && study === 'adversarial-training') {
    return `'${spec.name}' is an imported model, trained elsewhere: the adversarial-training study trains the file's network two ways, which needs a network built from the file (train it adversarially where it was trained, and import both)`;
  }
  if (spec.import === undefined || spec.import.static !== undefined || !TWIN_STUDIES.includes(study)) return undefined;
  return `an imported model has no static twin: the '${study}' study compares the DyNN with the same backbone trained without exits, and '${spec.name}' was trained elsewhere; name that backbone, trained separately, as 'import.static' (or run --study sweep, which needs no twin)`;
}

/** The studies a `study` run does by default on this model: all, except those an imported model cannot run. */
export function defaultStudiesFor(spec: ModelSpec, all: readonly StudyName[]): StudyName[] {
  return all.filter((s) => importedStudyRefusal(spec, s) === undefined);
}
