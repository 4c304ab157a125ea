// What the results panel reads the latest Results of each model file from. The panel keeps no results of its own:
// after a reload or when it is hidden and shown again it asks its source, so nothing is recomputed. Keys are
// model-file URIs as strings (`uri.toString()`). In the editor the source is the results store
// (src/extension/results/results-store.ts, persisted under `.dynn/results/`); tests use an in-memory one.
import type { Results } from '../../protocol/results';

export interface Disposable {
  dispose(): void;
}

export interface ResultsSource {
  get(fileKey: string): Results | undefined;
  set(fileKey: string, results: Results): void;
  /** Called with the key whose results changed. */
  onDidChange(listener: (fileKey: string) => void): Disposable;
}
