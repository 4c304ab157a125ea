// Where the results panel finds the latest Results of each model file. The panel keeps no results of its own:
// after a reload or when it is hidden and shown again it asks the store, so nothing is recomputed.
// Keys are model-file URIs as strings (`uri.toString()`). Persistence under `.dynn/results/` is the owner's
// business; `MemoryResultsStore` is the in-process map such an owner can wrap or replace.
import type { Results } from '../../protocol/results';

export interface Disposable {
  dispose(): void;
}

export interface ResultsStore {
  get(fileKey: string): Results | undefined;
  set(fileKey: string, results: Results): void;
  /** Called with the key whose results changed. */
  onDidChange(listener: (fileKey: string) => void): Disposable;
}

export class MemoryResultsStore implements ResultsStore {
  private readonly byFile = new Map<string, Results>();
  private readonly listeners = new Set<(fileKey: string) => void>();

  get(fileKey: string): Results | undefined {
    return this.byFile.get(fileKey);
  }

  set(fileKey: string, results: Results): void {
    this.byFile.set(fileKey, results);
    // A listener that throws must not keep the others from hearing about the change.
    const errors: unknown[] = [];
    for (const listener of [...this.listeners]) {
      try {
        listener(fileKey);
      } catch (e) {
        errors.push(e);
      }
    }
    if (errors.length > 0) throw new AggregateError(errors, `${errors.length} results listener(s) failed for ${fileKey}`);
  }

  onDidChange(listener: (fileKey: string) => void): Disposable {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }
}
