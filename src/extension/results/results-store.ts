// The one source of truth for measured results: the latest `Results` of each model file (keyed by the file's
// URI string), persisted under `.dynn/results/<model-name>.json` in the file's workspace folder. Code lens figures,
// result diagnostics and the results panel all read from here; checks (and files written by the CLI, through a
// file watcher) write here.
import * as path from 'path';
import * as vscode from 'vscode';
import { parseResultsText } from '../../protocol/results-check';
import type { ResultsSource } from '../../panel/host/results-source';
import type { Results } from '../../protocol/results';
import { resultsFileName, writeResults } from '../../studies/resultsFiles';
import type { Log } from '../log';

/** Where results of the model `modelName` in the folder of `fileUri` live; undefined outside a workspace. */
export function resultsFileUri(fileUri: vscode.Uri, modelName: string): vscode.Uri | undefined {
  const folder = vscode.workspace.getWorkspaceFolder(fileUri);
  return folder ? vscode.Uri.joinPath(folder.uri, '.dynn', 'results', resultsFileName(modelName)) : undefined;
}

/** Reads and checks a results file; throws with what is wrong and where. */
export async function readResultsFile(uri: vscode.Uri): Promise<Results> {
  return parseResultsText(new TextDecoder().decode(await vscode.workspace.fs.readFile(uri)), uri.fsPath);
}

export class ModelResultsStore implements ResultsSource, vscode.Disposable {
  private readonly byFile = new Map<string, Results>();
  /**
   * Results files a run wrote and this store recorded from the run's answer, with their modification time then:
   * the file watcher's echo of that write is not read a second time.
   */
  private readonly ownWrites = new Map<string, number>();
  private readonly changed = new vscode.EventEmitter<string>();
  /** Fires with the key (model file URI string) whose results changed. */
  readonly onDidChange = this.changed.event;

  constructor(private readonly log: Log) {}

  get(fileKey: string): Results | undefined {
    return this.byFile.get(fileKey);
  }

  /** Replaces the results of a model file in memory (no disk write; see `record`). */
  set(fileKey: string, results: Results): void {
    this.byFile.set(fileKey, results);
    this.changed.fire(fileKey);
  }

  /** Forgets the results of a model file in memory (the file under .dynn/results/ stays). */
  clear(uri: vscode.Uri): void {
    if (this.byFile.delete(uri.toString())) this.changed.fire(uri.toString());
  }

  resultsFor(uri: vscode.Uri): Results | undefined {
    return this.byFile.get(uri.toString());
  }

  /**
   * Stores new results of `fileUri` and persists them (atomically) under `.dynn/results/`, unless `persistedAt`
   * says the producer already wrote that file. Returns the file written or found.
   */
  record(fileUri: vscode.Uri, results: Results, persistedAt?: string): string | undefined {
    this.set(fileUri.toString(), results);
    if (persistedAt !== undefined) {
      void this.noteOwnWrite(vscode.Uri.file(persistedAt));
      return persistedAt;
    }
    const target = resultsFileUri(fileUri, results.model.name);
    if (!target || target.scheme !== 'file') return undefined;
    const root = path.dirname(path.dirname(path.dirname(target.fsPath)));
    return writeResults(root, results, target.fsPath);
  }

  private async noteOwnWrite(file: vscode.Uri): Promise<void> {
    try {
      this.ownWrites.set(file.fsPath, (await vscode.workspace.fs.stat(file)).mtime);
    } catch {
      this.ownWrites.delete(file.fsPath); // gone already: a later file there is someone else's
    }
  }

  /** Whether `file` is still exactly the results file a recorded run wrote (then the store holds its results). */
  async isOwnWrite(file: vscode.Uri): Promise<boolean> {
    const known = this.ownWrites.get(file.fsPath);
    if (known === undefined) return false;
    try {
      return (await vscode.workspace.fs.stat(file)).mtime === known;
    } catch {
      return false;
    }
  }

  /**
   * Loads the persisted results of the model `modelName` in `fileUri`'s workspace folder when the store holds
   * none (or `force`). Results of another model file of the same name are ignored. Never throws: a bad file is
   * logged and ignored.
   */
  async loadPersisted(fileUri: vscode.Uri, modelName: string, force = false): Promise<Results | undefined> {
    const key = fileUri.toString();
    if (!force && this.byFile.has(key)) return this.byFile.get(key);
    const source = resultsFileUri(fileUri, modelName);
    if (!source) return undefined;
    try {
      await vscode.workspace.fs.stat(source);
    } catch {
      return undefined; // never measured
    }
    try {
      const results = await readResultsFile(source);
      const relative = vscode.workspace.asRelativePath(fileUri, false);
      if (results.model.name !== modelName || (results.model.file !== '' && results.model.file !== relative)) {
        this.log.debug(`${source.fsPath} belongs to ${results.model.file || results.model.name}, not ${relative}`);
        return undefined;
      }
      const known = this.byFile.get(key);
      if (known && known.provenance.date === results.provenance.date && known.model.specHash === results.model.specHash) return known;
      this.set(key, results);
      this.log.info(`Loaded results of ${relative} from ${vscode.workspace.asRelativePath(source)} (${results.provenance.date})`);
      return results;
    } catch (err) {
      this.log.warn(`Ignoring ${source.fsPath}: ${err instanceof Error ? err.message : String(err)}`);
      return undefined;
    }
  }

  dispose(): void {
    this.byFile.clear();
    this.changed.dispose();
  }
}
