// The results panel's controller: one webview panel per model file, a strict CSP, checked messages both ways,
// and a serializer so a reloaded window gets its panels back from the results store without recomputing.
// The webview keeps nothing alive while hidden (no retainContextWhenHidden): it posts "ready" each time its
// script starts and the controller replays the stored results.
import * as vscode from 'vscode';
import type { Suggestion } from '../../protocol/results';
import { buildPanelHtml } from '../../panel/host/html';
import type { ReportFormat } from '../../protocol/panel-messages';
import { createNonce } from '../../panel/host/nonce';
import { buildHtmlReport, buildMarkdownReport } from '../../panel/host/report';
import { PanelSession, SessionLog } from '../../panel/host/session';
import type { ResultsSource } from '../../panel/host/results-source';

/** What the panel logs through; the editor's `Log` fits. */
export type PanelLog = SessionLog;

export interface ResultsPanelHandlers {
  /**
   * Applies a suggestion's change (a JSON path and value) to the model file as an undoable edit. Rejects with an
   * Error whose message the panel shows when the change cannot be made.
   */
  applySuggestion(fileUri: vscode.Uri, suggestion: Suggestion): Promise<void>;
  /** The spec hash of the model file as it is now (open document or disk); undefined when it cannot be parsed. */
  currentSpecHash(fileUri: vscode.Uri): Promise<string | undefined>;
}

export interface ResultsPanelServices {
  extensionUri: vscode.Uri;
  store: ResultsSource;
  handlers: ResultsPanelHandlers;
  log: PanelLog;
}

/** What the webview keeps in its state (see src/panel/view/main.ts): enough to find its file again. */
interface SerializedState {
  fileKey?: unknown;
}

const SPEC_HASH_DEBOUNCE_MS = 400;

export class ResultsPanel {
  static readonly viewType = 'dynnLens.results';
  private static services: ResultsPanelServices | undefined;
  private static readonly open = new Map<string, ResultsPanel>();

  private readonly session: PanelSession;
  private readonly disposables: vscode.Disposable[] = [];
  private specHashTimer: ReturnType<typeof setTimeout> | undefined;

  /**
   * Call once during activation: registers the serializer (panels come back after a reload), replays results
   * when the store changes and refreshes the stale banner while the model file is edited.
   */
  static register(context: vscode.ExtensionContext, services: ResultsPanelServices): vscode.Disposable {
    ResultsPanel.services = services;
    const subscriptions: vscode.Disposable[] = [
      vscode.window.registerWebviewPanelSerializer(ResultsPanel.viewType, {
        deserializeWebviewPanel: (panel: vscode.WebviewPanel, state: unknown) => {
          const key = typeof state === 'object' && state !== null ? (state as SerializedState).fileKey : undefined;
          if (typeof key !== 'string' || key === '') {
            services.log.warn('Results panel restored without a model file in its state; closing it.');
            panel.dispose();
            return Promise.resolve();
          }
          let fileUri: vscode.Uri;
          try {
            fileUri = vscode.Uri.parse(key, true);
          } catch (err) {
            services.log.error(`Results panel restored with an unreadable file key ${JSON.stringify(key)}`, err);
            panel.dispose();
            return Promise.resolve();
          }
          ResultsPanel.attach(panel, fileUri, services);
          return Promise.resolve();
        },
      }),
      services.store.onDidChange((fileKey) => {
        const panel = ResultsPanel.open.get(fileKey);
        if (panel) void panel.session.replay();
      }),
      vscode.workspace.onDidChangeTextDocument((e) => ResultsPanel.open.get(e.document.uri.toString())?.scheduleSpecHash()),
      { dispose: () => ResultsPanel.disposeAll() },
    ];
    const all = vscode.Disposable.from(...subscriptions);
    context.subscriptions.push(all);
    return all;
  }

  /** Shows the results of `fileUri`, reusing its panel when one is open. */
  static show(fileUri: vscode.Uri, column: vscode.ViewColumn = vscode.ViewColumn.Beside): ResultsPanel {
    const services = ResultsPanel.requireServices();
    const existing = ResultsPanel.open.get(fileUri.toString());
    if (existing) {
      try {
        existing.panel.reveal(column);
        return existing;
      } catch (err) {
        // Closed in the window but its dispose event has not arrived yet: forget it and open a new one.
        services.log.warn(`Results panel of ${fileUri.toString()} was already closed (${err instanceof Error ? err.message : String(err)}); opening a new one.`);
        existing.dispose();
      }
    }
    const panel = vscode.window.createWebviewPanel(ResultsPanel.viewType, ResultsPanel.titleFor(fileUri), { viewColumn: column, preserveFocus: true }, ResultsPanel.options(services.extensionUri));
    return ResultsPanel.attach(panel, fileUri, services);
  }

  /** Re-checks whether the shown results still match the model file (the editor may call this after a save). */
  static refreshSpecHash(fileUri: vscode.Uri): void {
    ResultsPanel.open.get(fileUri.toString())?.scheduleSpecHash();
  }

  /**
   * Writes a report of the stored results of `fileUri` where the user chooses. Usable from a command as well as
   * from the panel's buttons.
   */
  static async exportReport(fileUri: vscode.Uri, format: ReportFormat): Promise<void> {
    const { store, extensionUri, log } = ResultsPanel.requireServices();
    const results = store.get(fileUri.toString());
    if (!results) {
      void vscode.window.showWarningMessage(`DyNN Lens: no results for ${vscode.workspace.asRelativePath(fileUri)} yet; run a check first.`);
      return;
    }
    const base = fileUri.path.split('/').pop()?.replace(/\.dynn\.(ya?ml|json)$/i, '') ?? 'model';
    const ext = format === 'html' ? 'html' : 'md';
    const target = await vscode.window.showSaveDialog({
      defaultUri: vscode.Uri.joinPath(fileUri, '..', `${base}.report.${ext}`),
      filters: format === 'html' ? { 'HTML report': ['html'] } : { 'Markdown report': ['md'] },
      saveLabel: 'Export report',
    });
    if (!target) return;
    const text = format === 'html' ? buildHtmlReport(results, await ResultsPanel.reportAssets(extensionUri)) : buildMarkdownReport(results);
    await vscode.workspace.fs.writeFile(target, new TextEncoder().encode(text));
    log.info(`Results report written to ${target.toString()}`);
    void vscode.window.showInformationMessage(`DyNN Lens: report written to ${vscode.workspace.asRelativePath(target)}.`);
  }

  private constructor(
    private readonly panel: vscode.WebviewPanel,
    private readonly fileUri: vscode.Uri,
    services: ResultsPanelServices,
  ) {
    this.session = new PanelSession({
      fileKey: fileUri.toString(),
      fileLabel: vscode.workspace.asRelativePath(fileUri),
      results: services.store,
      post: (m) => panel.webview.postMessage(m),
      currentSpecHash: () => services.handlers.currentSpecHash(fileUri),
      applySuggestion: (suggestion) => services.handlers.applySuggestion(fileUri, suggestion),
      confirmStaleApply: async (suggestion) =>
        (await vscode.window.showWarningMessage(
          `The model file changed since these results were measured; "${suggestion.title}" may no longer fit. Apply anyway?`,
          { modal: true },
          'Apply anyway',
        )) === 'Apply anyway',
      exportReport: (format) => ResultsPanel.exportReport(fileUri, format),
      showError: (text) => void vscode.window.showErrorMessage(`DyNN Lens: ${text}`),
      log: services.log,
    });
  }

  private static attach(panel: vscode.WebviewPanel, fileUri: vscode.Uri, services: ResultsPanelServices): ResultsPanel {
    const key = fileUri.toString();
    ResultsPanel.open.get(key)?.panel.dispose();
    const controller = new ResultsPanel(panel, fileUri, services);
    ResultsPanel.open.set(key, controller);
    panel.title = ResultsPanel.titleFor(fileUri);
    panel.webview.options = ResultsPanel.options(services.extensionUri);
    panel.webview.html = ResultsPanel.html(panel.webview, services.extensionUri);
    controller.disposables.push(
      panel.webview.onDidReceiveMessage((raw: unknown) => void controller.session.receive(raw)),
      panel.onDidDispose(() => controller.dispose()),
    );
    return controller;
  }

  private static options(extensionUri: vscode.Uri): vscode.WebviewOptions & vscode.WebviewPanelOptions {
    return {
      enableScripts: true,
      enableCommandUris: false,
      localResourceRoots: [vscode.Uri.joinPath(extensionUri, 'dist'), vscode.Uri.joinPath(extensionUri, 'media')],
    };
  }

  private static html(webview: vscode.Webview, extensionUri: vscode.Uri): string {
    return buildPanelHtml({
      cspSource: webview.cspSource,
      nonce: createNonce(),
      scriptUri: webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'dist', 'webview.js')).toString(),
      styleUri: webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'media', 'panel.css')).toString(),
      title: 'DyNN Lens results',
    });
  }

  private static titleFor(fileUri: vscode.Uri): string {
    return `Results: ${fileUri.path.split('/').pop() ?? fileUri.toString()}`;
  }

  private static async reportAssets(extensionUri: vscode.Uri): Promise<{ webviewJs: string; css: string }> {
    const read = async (...parts: string[]): Promise<string> => {
      const uri = vscode.Uri.joinPath(extensionUri, ...parts);
      try {
        return new TextDecoder().decode(await vscode.workspace.fs.readFile(uri));
      } catch (err) {
        throw new Error(`cannot read ${parts.join('/')} from the extension (${err instanceof Error ? err.message : String(err)}); is the extension built?`);
      }
    };
    return { webviewJs: await read('dist', 'webview.js'), css: await read('media', 'panel.css') };
  }

  private static requireServices(): ResultsPanelServices {
    if (!ResultsPanel.services) throw new Error('ResultsPanel.register must be called during activation before the panel is shown');
    return ResultsPanel.services;
  }

  private static disposeAll(): void {
    for (const p of [...ResultsPanel.open.values()]) p.panel.dispose();
    ResultsPanel.services = undefined;
  }

  private get key(): string {
    return this.fileUri.toString();
  }

  private scheduleSpecHash(): void {
    if (this.specHashTimer !== undefined) clearTimeout(this.specHashTimer);
    this.specHashTimer = setTimeout(() => {
      this.specHashTimer = undefined;
      void this.session.refreshSpecHash();
    }, SPEC_HASH_DEBOUNCE_MS);
  }

  private dispose(): void {
    if (this.specHashTimer !== undefined) clearTimeout(this.specHashTimer);
    if (ResultsPanel.open.get(this.key) === this) ResultsPanel.open.delete(this.key);
    for (const d of this.disposables.splice(0)) d.dispose();
  }
}
