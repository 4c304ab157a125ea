// Every problem with the user's data (or the built-in set) is reported as a DataError: a message that says what
// was expected, the file it concerns, and optional detail. Loaders never let a raw exception escape.
import { errorCode } from '../../protocol/host';


export class DataError extends Error {
  override readonly name = 'DataError';
  /** Workspace-relative (or package-relative) file the problem concerns. */
  readonly file: string;
  readonly detail?: string;

  constructor(message: string, file: string, detail?: string) {
    super(`${file}: ${message}`);
    this.file = file;
    if (detail !== undefined) this.detail = detail;
  }
}

export function isDataError(e: unknown): e is DataError {
  return e instanceof DataError;
}

/** Turns a Node fs error into a DataError naming the file; anything else is rethrown as is. */
export function fsError(e: unknown, file: string): DataError {
  const code = errorCode(e);
  if (code === 'ENOENT') return new DataError('file or folder not found', file);
  if (code === 'EACCES' || code === 'EPERM') return new DataError('permission denied', file);
  if (code === 'EISDIR') return new DataError('expected a file but found a folder', file);
  if (code === 'ENOTDIR') return new DataError('expected a folder but found a file', file);
  return new DataError(`cannot read (${code ?? (e instanceof Error ? e.message : String(e))})`, file);
}
