// Reading a model file for a check: the file must parse, pass the schema and have no semantic errors.
import { analyzeText } from '../modelfile';
import { LIMITS } from '../modelfile/limits';
import { LineIndex } from '../modelfile/lines';
import type { Analysis, ModelSpec } from '../modelfile/types';
import { errorCode, host } from '../protocol/host';

/** The file cannot be checked: unreadable, or it has errors (the message lists them with line:column). */
export class ModelFileError extends Error {
  override readonly name = 'ModelFileError';
  constructor(
    message: string,
    readonly file: string,
  ) {
    super(message);
  }
}

export interface LoadedModelFile {
  spec: ModelSpec;
  specHash: string;
  /** Path relative to the workspace root ('/' separators). */
  file: string;
  absolute: string;
}

export async function readModelFile(file: string, workspaceRoot: string): Promise<LoadedModelFile> {
  const absolute = host().path.resolve(workspaceRoot, file);
  let text: string;
  try {
    const stat = await host().fs.stat(absolute);
    if (stat.isDirectory()) throw new ModelFileError(`${file}: is a directory, not a model file`, file);
    if (stat.size > 4 * LIMITS.maxFileBytes) throw new ModelFileError(`${file}: ${stat.size} bytes is larger than a model file can be`, file);
    text = await host().fs.readTextFile(absolute);
  } catch (err) {
    if (err instanceof ModelFileError) throw err;
    const code = errorCode(err);
    throw new ModelFileError(`${file}: ${code === 'ENOENT' ? 'file not found' : `cannot read the file (${err instanceof Error ? err.message : String(err)})`}`, file);
  }
  return modelFromText(text, absolute, workspaceRoot, file);
}

/**
 * A model from its text (read from disk, or an editor's unsaved buffer): analysed, refused with its errors listed at
 * line:column, and named by its workspace-relative path. `file` is how messages name the file.
 */
export function modelFromText(text: string, absolute: string, workspaceRoot: string, file: string): LoadedModelFile {
  return checkedModel(analyzeText(text, { fileName: absolute }), text, absolute, workspaceRoot, file);
}

/**
 * The one way from an analysed model file to what a run needs (spec, hash, workspace-relative path): the CLI and the
 * worker analyse the text first (modelFromText), the editor passes the analysis it already keeps for the document.
 * A file with errors is refused with them listed at line:column.
 */
export function checkedModel(analysis: Analysis, text: string, absolute: string, workspaceRoot: string, file: string): LoadedModelFile {
  const errors = analysis.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length > 0 || analysis.spec === undefined || analysis.specHash === undefined) {
    const lines = new LineIndex(text);
    const listed = errors.slice(0, 10).map((d) => {
      const at = lines.positionAt(d.span.start);
      return `  ${file}:${at.line + 1}:${at.character + 1}: ${d.message} [${d.code}]`;
    });
    const more = errors.length > 10 ? [`  ... and ${errors.length - 10} more`] : [];
    throw new ModelFileError(`${file}: the model has ${errors.length || 'unresolved'} error${errors.length === 1 ? '' : 's'}; fix ${errors.length === 1 ? 'it' : 'them'} first (the Problems view or 'dynn-lens validate' lists all):\n${[...listed, ...more].join('\n')}`, file);
  }
  const relative = host().path.relative(workspaceRoot, absolute).split(host().path.sep).join('/');
  return { spec: analysis.spec, specHash: analysis.specHash, file: relative, absolute };
}
