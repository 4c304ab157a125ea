// What one open results panel does with the messages of its webview, apart from VS Code: replay the stored
// results on "ready", apply a suggestion found in its own copy of the results (never one sent by the webview),
// export, and check every outgoing message. src/extension/results/results-panel.ts supplies the ports.
import type { Suggestion } from '../../protocol/results';
import { parseFromWebview, parseToWebview, ReportFormat, ToWebview } from '../../protocol/panel-messages';
import type { ResultsSource } from './results-source';

export interface SessionLog {
  info(message: string): void;
  warn(message: string): void;
  error(what: string, err?: unknown): void;
}

export interface SessionPorts {
  /** The model file's key in the store (its URI as a string) and how to name it to the user. */
  fileKey: string;
  fileLabel: string;
  results: Pick<ResultsSource, 'get'>;
  /** Resolves false when the webview did not take the message (hidden or closed). */
  post(message: ToWebview): PromiseLike<boolean>;
  /** The file's spec hash now; undefined when it cannot be read or parsed. */
  currentSpecHash(): Promise<string | undefined>;
  applySuggestion(suggestion: Suggestion): Promise<void>;
  /** Asks whether to apply a suggestion measured on an earlier version of the file. */
  confirmStaleApply(suggestion: Suggestion): Promise<boolean>;
  exportReport(format: ReportFormat): Promise<void>;
  /** Tells the user about a failure the webview cannot show. */
  showError(message: string): void;
  log: SessionLog;
}

const message = (err: unknown): string => (err instanceof Error ? err.message : String(err));

export class PanelSession {
  constructor(private readonly ports: SessionPorts) {}

  /** Handles one raw message from the webview; malformed or unknown messages are logged and ignored. */
  async receive(raw: unknown): Promise<void> {
    const parsed = parseFromWebview(raw);
    if (!parsed.ok) {
      this.ports.log.warn(`Results panel ignored a message: ${parsed.error}`);
      return;
    }
    const m = parsed.message;
    try {
      switch (m.type) {
        case 'ready':
          await this.replay();
          break;
        case 'applySuggestion':
          await this.apply(m.suggestionId);
          break;
        case 'exportReport':
          await this.ports.exportReport(m.format);
          break;
        case 'webviewError':
          this.ports.log.warn(`Results panel (webview): ${m.message}`);
          break;
        case 'openCell':
          this.ports.log.warn('Results panel ignored openCell: it belongs to the paper-matrix panel');
          break;
      }
    } catch (err) {
      this.ports.log.error(`Results panel: handling "${m.type}" failed`, err);
      this.ports.showError(message(err));
    }
  }

  /** Posts the stored results, or why there are none. */
  async replay(): Promise<void> {
    const { fileKey, fileLabel } = this.ports;
    const results = this.ports.results.get(fileKey);
    if (!results) {
      await this.post({ type: 'empty', fileKey, fileLabel, message: 'No results for this model yet. Run a check (or a study) on it and they appear here.' });
      return;
    }
    const currentSpecHash = (await this.hashNow()) ?? null;
    await this.post({ type: 'show', fileKey, fileLabel, results, currentSpecHash });
  }

  /** Tells the webview the file's current hash, so the stale banner follows edits. */
  async refreshSpecHash(): Promise<void> {
    await this.post({ type: 'specHash', currentSpecHash: (await this.hashNow()) ?? null });
  }

  private async hashNow(): Promise<string | undefined> {
    try {
      return await this.ports.currentSpecHash();
    } catch (err) {
      this.ports.log.error(`Results panel: spec hash of ${this.ports.fileKey}`, err);
      return undefined;
    }
  }

  private async apply(suggestionId: string): Promise<void> {
    const results = this.ports.results.get(this.ports.fileKey);
    const suggestion = results?.suggestions.find((s) => s.id === suggestionId);
    if (!results || !suggestion) {
      await this.post({ type: 'applyResult', suggestionId, ok: false, message: `Suggestion ${suggestionId} is not in the current results.` });
      return;
    }
    const now = await this.hashNow();
    if (now !== undefined && now !== results.model.specHash && !(await this.ports.confirmStaleApply(suggestion))) {
      await this.post({ type: 'applyResult', suggestionId, ok: false, message: 'Not applied: the model file changed since these results were measured.' });
      return;
    }
    try {
      await this.ports.applySuggestion(suggestion);
    } catch (err) {
      this.ports.log.error(`Results panel: applying suggestion ${suggestionId}`, err);
      await this.post({ type: 'applyResult', suggestionId, ok: false, message: `Could not apply: ${message(err)}` });
      return;
    }
    await this.post({ type: 'applyResult', suggestionId, ok: true, message: `Applied “${suggestion.title}”. Run the check again to measure the new design.` });
  }

  /** Every outgoing message passes the check the webview applies, so malformed stored results never reach it. */
  private async post(m: ToWebview): Promise<void> {
    const checked = parseToWebview(m);
    if (!checked.ok) {
      this.ports.log.error(`Results panel: not sending ${m.type} for ${this.ports.fileKey}: ${checked.error}`);
      if (m.type === 'show') {
        await this.post({ type: 'empty', fileKey: m.fileKey, fileLabel: m.fileLabel, message: `The stored results cannot be shown: ${checked.error}` });
      }
      return;
    }
    // Not delivered means hidden or closed: the webview asks again with "ready" when it comes back.
    if (!(await this.ports.post(checked.message))) this.ports.log.info(`Results panel: ${m.type} not delivered to ${this.ports.fileKey} (webview hidden or closed)`);
  }
}
