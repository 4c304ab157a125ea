// An in-memory ResultsSource for the panel's tests: the latest Results per key, and change listeners that are all
// called even when one throws (as VS Code's EventEmitter does for the real store).
import type { Disposable, ResultsSource } from '../../../src/panel/host/results-source';
import type { Results } from '../../../src/protocol/results';

export class MemoryResults implements ResultsSource {
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
