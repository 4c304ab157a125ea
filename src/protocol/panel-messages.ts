// Messages between the results panel's controller (extension side) and its webview, with one validator per
// direction. Both sides import this file, so a message is defined once; anything that does not validate is
// dropped and logged by the receiver, never acted on.
import { RESULTS_VERSION, type Results } from './results';
import { checkPaperMatrix, type PaperMatrix } from './matrix';

/** Extension -> webview. */
export type ToWebview =
  /** Results for the panel's model file; `currentSpecHash` is the file's hash now (null when it cannot be read). */
  | { type: 'show'; fileKey: string; fileLabel: string; results: Results; currentSpecHash: string | null }
  /** No results stored for the file yet. */
  | { type: 'empty'; fileKey: string; fileLabel: string; message: string }
  /** The model file changed: the banner compares this hash with the shown results'. */
  | { type: 'specHash'; currentSpecHash: string | null }
  /** Outcome of an "Apply" the webview asked for. */
  | { type: 'applyResult'; suggestionId: string; ok: boolean; message: string }
  /** The paper matrix (the matrix panel): a grid of cells, each opening its model's results. */
  | { type: 'matrix'; matrix: PaperMatrix };

/** Id of the element that holds the Results embedded in a standalone HTML report. */
export const REPORT_DATA_ID = 'dynn-results';

export type ReportFormat = 'html' | 'markdown';

/** Webview -> extension. */
export type FromWebview =
  /** The script has loaded and listens: the controller replays the stored results. */
  | { type: 'ready' }
  /** Apply a suggestion by id; the controller looks it up in its own copy of the results. */
  | { type: 'applySuggestion'; suggestionId: string }
  | { type: 'exportReport'; format: ReportFormat }
  /** An error inside the webview, for the extension's log. */
  | { type: 'webviewError'; message: string }
  /** Open the results of the matrix cell at this index (the controller looks the file up in its own copy). */
  | { type: 'openCell'; index: number };

export type Parsed<T> = { ok: true; message: T } | { ok: false; error: string };

const MAX_TEXT = 10_000;
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const text = (v: unknown): v is string => typeof v === 'string' && v.length <= MAX_TEXT;
const hash = (v: unknown): v is string | null => v === null || text(v);
const bad = <T>(error: string): Parsed<T> => ({ ok: false, error });

export function parseFromWebview(value: unknown): Parsed<FromWebview> {
  if (!isObject(value)) return bad('message from the webview is not an object');
  switch (value.type) {
    case 'ready':
      return { ok: true, message: { type: 'ready' } };
    case 'applySuggestion':
      if (!text(value.suggestionId) || value.suggestionId === '') return bad('applySuggestion: suggestionId must be a non-empty string');
      return { ok: true, message: { type: 'applySuggestion', suggestionId: value.suggestionId } };
    case 'exportReport':
      if (value.format !== 'html' && value.format !== 'markdown') return bad('exportReport: format must be "html" or "markdown"');
      return { ok: true, message: { type: 'exportReport', format: value.format } };
    case 'webviewError':
      if (typeof value.message !== 'string') return bad('webviewError: message must be a string');
      return { ok: true, message: { type: 'webviewError', message: value.message.slice(0, MAX_TEXT) } };
    case 'openCell':
      if (typeof value.index !== 'number' || !Number.isInteger(value.index) || value.index < 0 || value.index > 10_000) return bad('openCell: index must be an integer from 0');
      return { ok: true, message: { type: 'openCell', index: value.index } };
    default:
      return bad(`unknown message type ${JSON.stringify(value.type) ?? '(none)'} from the webview`);
  }
}

export function parseToWebview(value: unknown): Parsed<ToWebview> {
  if (!isObject(value)) return bad('message to the webview is not an object');
  switch (value.type) {
    case 'show': {
      if (!text(value.fileKey) || !text(value.fileLabel)) return bad('show: fileKey and fileLabel must be strings');
      if (!hash(value.currentSpecHash)) return bad('show: currentSpecHash must be a string or null');
      const problem = resultsEnvelopeProblem(value.results);
      if (problem !== undefined) return bad(`show: ${problem}`);
      return {
        ok: true,
        message: { type: 'show', fileKey: value.fileKey, fileLabel: value.fileLabel, results: value.results as Results, currentSpecHash: value.currentSpecHash },
      };
    }
    case 'empty':
      if (!text(value.fileKey) || !text(value.fileLabel) || !text(value.message)) return bad('empty: fileKey, fileLabel and message must be strings');
      return { ok: true, message: { type: 'empty', fileKey: value.fileKey, fileLabel: value.fileLabel, message: value.message } };
    case 'specHash':
      if (!hash(value.currentSpecHash)) return bad('specHash: currentSpecHash must be a string or null');
      return { ok: true, message: { type: 'specHash', currentSpecHash: value.currentSpecHash } };
    case 'applyResult':
      if (!text(value.suggestionId) || typeof value.ok !== 'boolean' || !text(value.message)) return bad('applyResult: needs suggestionId, ok and message');
      return { ok: true, message: { type: 'applyResult', suggestionId: value.suggestionId, ok: value.ok, message: value.message } };
    case 'matrix': {
      const problems = checkPaperMatrix(value.matrix);
      if (problems.length > 0) return bad(`matrix: malformed: ${problems.slice(0, 5).join('; ')}`);
      return { ok: true, message: { type: 'matrix', matrix: value.matrix as PaperMatrix } };
    }
    default:
      return bad(`unknown message type ${JSON.stringify(value.type) ?? '(none)'} for the webview`);
  }
}

/**
 * What the webview checks of Results its host sends (or a report embeds): that they are a Results document of this
 * version. The full check (checkResults, the published schema) ran where they entered the editor: the results store
 * or the worker's answer. The webview's strict CSP forbids the compiled schema validator (ajv generates code).
 */
export function resultsEnvelopeProblem(value: unknown): string | undefined {
  if (!isObject(value)) return 'results: expected an object';
  if (value.version !== RESULTS_VERSION) return `results.version: expected ${RESULTS_VERSION}, got ${JSON.stringify(value.version) ?? 'nothing'}`;
  if (!isObject(value.model) || !Array.isArray(value.model.exitNames)) return 'results.model: expected an object with exitNames';
  return undefined;
}

/** Whether the shown results were computed from a different version of the model file. */
export function isStale(resultsSpecHash: string, currentSpecHash: string | null): boolean {
  return currentSpecHash !== null && currentSpecHash !== resultsSpecHash;
}
