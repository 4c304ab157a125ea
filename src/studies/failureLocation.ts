// Where in the model file a failed run's problem belongs. A data, memory, weight-cache or attack-request failure
// is reported by the engine with what went wrong (and, for data, which file); this module turns that into the node
// of the model file the user should look at: the `data.train` value naming the missing file, `train.batchSize` for
// a memory refusal, the attack's entry in `checks.attacks`, or the model's `name` for its weight cache. Pure: the
// worker classifies errors with it, the editor and the CLI locate them with it.
import { LineIndex } from '../modelfile/lines';
import type { Analysis, NodePath, Span } from '../modelfile/types';
import type { RunFailure } from '../protocol/run-failure';

export interface FailureLocation {
  /** The node the failure belongs to ([] is the whole document). */
  path: NodePath;
  span: Span;
}

/** `attack 'x' ...`: how every attack-specific CheckInputError message starts (src/studies/check.ts planOf). */
const ATTACK_ID_IN_MESSAGE = /^attack '([^']+)'/;

/**
 * Classifies an error thrown by a run by its name (errors may come from another bundle, so `instanceof` is not
 * reliable) and keeps the fields that locate it. `InvalidParamsError` wrapping a CheckInputError (the worker's study
 * jobs do that) is classified from its message.
 */
export function classifyFailure(err: unknown): RunFailure {
  if (!(err instanceof Error)) return { kind: 'other' };
  const fields = err as Error & { file?: unknown; attackId?: unknown };
  const file = typeof fields.file === 'string' && fields.file !== '' ? fields.file : undefined;
  switch (err.name) {
    case 'DataError':
      return { kind: 'data', ...(file !== undefined ? { file } : {}) };
    case 'MemoryError':
      return { kind: 'memory' };
    case 'CacheError':
      return { kind: 'cache', ...(file !== undefined ? { file } : {}) };
    // The pretrained model a sidecar imports (src/engine/import): its file is the sidecar, model.json or a shard.
    case 'ImportError':
      return { kind: 'import', ...(file !== undefined ? { file } : {}) };
    case 'CheckInputError':
    case 'InvalidParamsError': {
      const attackId = typeof fields.attackId === 'string' ? fields.attackId : ATTACK_ID_IN_MESSAGE.exec(err.message)?.[1];
      if (err.name === 'InvalidParamsError' && attackId === undefined) return { kind: 'other' };
      return { kind: 'check-input', ...(attackId !== undefined ? { attackId } : {}) };
    }
    default:
      return { kind: 'other' };
  }
}

/** Workspace-relative paths compared as the user would: '/' separators, no './', no trailing '/'. */
function normalPath(p: string): string {
  return p.trim().replace(/\\/g, '/').replace(/^(\.\/)+/, '').replace(/\/+$/, '');
}

const DATA_FILE_KEYS = ['train', 'test', 'trainLabels', 'testLabels'] as const;

/** The data key whose value names `file` (exactly, or as the folder holding it for image sets). */
function dataKeyFor(analysis: Analysis, file: string): string | undefined {
  const data = analysis.spec?.data;
  if (data === undefined || data.source === 'mnist' || data.source === 'fashion-mnist') return undefined;
  const target = normalPath(file);
  const named = DATA_FILE_KEYS.flatMap((key) => {
    const v = data[key];
    return typeof v === 'string' && v.trim() !== '' ? [{ key, value: normalPath(v) }] : [];
  });
  return (named.find((n) => n.value === target) ?? named.find((n) => target.startsWith(`${n.value}/`)))?.key;
}

/** Engine data errors about the model itself (input.shape, classes) name 'model file' or 'mnist' as their file. */
function modelNodeOfDataMessage(message: string): NodePath | undefined {
  if (/input\.shape/.test(message)) return ['input', 'shape'];
  if (/input\.range/.test(message)) return ['input', 'range'];
  if (/\bclasses\b/.test(message)) return ['classes'];
  return undefined;
}

function attackPath(analysis: Analysis, attackId: string | undefined): NodePath {
  const attacks = analysis.spec?.checks.attacks;
  if (attackId !== undefined && attacks !== undefined) {
    const i = attacks.findIndex((a) => a.id === attackId);
    if (i >= 0) return ['checks', 'attacks', i];
  }
  return ['checks', 'attacks'];
}

/** The node a failure belongs to, most specific first (the locator falls back to its ancestors). */
export function failureNode(failure: RunFailure, analysis: Analysis, message = ''): NodePath {
  switch (failure.kind) {
    case 'data': {
      const key = failure.file !== undefined ? dataKeyFor(analysis, failure.file) : undefined;
      if (key !== undefined) return ['data', key];
      return modelNodeOfDataMessage(message) ?? ['data'];
    }
    case 'memory':
      return ['train', 'batchSize'];
    case 'check-input':
      return attackPath(analysis, failure.attackId);
    case 'import':
      if (/'import\.outputs'/.test(message)) return ['import', 'outputs'];
      return modelNodeOfDataMessage(message) ?? ['import', 'model'];
    case 'cache':
    case 'other':
      return ['name'];
  }
}

/**
 * The span in the model file a failure belongs to: the value of the failure's node, or of its nearest ancestor
 * written in the file (a default-filled `train.batchSize` points at `train`), else the start of the document.
 */
export function locateFailure(failure: RunFailure, analysis: Analysis, message = ''): FailureLocation {
  const node = failureNode(failure, analysis, message);
  for (let n = node.length; n > 0; n--) {
    const path = node.slice(0, n);
    const loc = analysis.locate(path);
    if (loc) return { path, span: loc.value };
  }
  return { path: [], span: { start: 0, end: 0 } };
}

/** `file:line:col` (1-based, as `validate` prints) of an offset in `text`. */
export function positionText(file: string, text: string, offset: number): string {
  const at = new LineIndex(text).positionAt(offset);
  return `${file}:${at.line + 1}:${at.character + 1}`;
}

/** The CLI's line for a failed run: `model-file:line:col: error: message`. */
export function locatedErrorLine(file: string, text: string, location: FailureLocation, message: string): string {
  return `${positionText(file, text, location.span.start)}: error: ${message}`;
}
