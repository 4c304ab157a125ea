// Every problem with an imported model (sidecar, model.json, weight shards) names the file it concerns.
export class ImportError extends Error {
  override readonly name = 'ImportError';
  constructor(
    message: string,
    /** Workspace-relative file the problem concerns. */
    readonly file: string,
  ) {
    super(`${file}: ${message}`);
  }
}
