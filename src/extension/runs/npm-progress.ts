// An npm install into the extension's storage as the user sees it: a cancellable notification that shows npm's
// latest line, with every line in the log. Used by the GPU backend and data set installs.
import * as vscode from 'vscode';
import type { NpmRunOptions } from '../../platform/node/npm';
import type { Log } from '../log';

export function withNpmProgress<T>(log: Log, title: string, run: (options: NpmRunOptions) => Promise<T>): Thenable<T> {
  return vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title, cancellable: true }, async (progress, token) => {
    const abort = new AbortController();
    const sub = token.onCancellationRequested(() => abort.abort());
    try {
      return await run({
        signal: abort.signal,
        onLine: (line) => {
          log.info(`[npm] ${line}`);
          progress.report({ message: line.slice(0, 80) });
        },
      });
    } finally {
      sub.dispose();
    }
  });
}
