// The results panel's script. In VS Code it talks to the controller through postMessage (every message checked
// by src/panel/messages.ts); in the standalone HTML report it reads the Results embedded in the page.
import { FromWebview, isStale, parseToWebview, REPORT_DATA_ID, resultsEnvelopeProblem, ToWebview } from '../../protocol/panel-messages';
import type { Results } from '../../protocol/results';
import { buildPanelView } from '../model/viewModel';
import { restyle, DrawnChart } from './charts';
import { clear, h } from './dom';
import { buildPage, Page, PageActions } from './render';
import { buildMatrixPage } from './matrixView';
import { observeTheme, readTheme } from './theme';

interface VsCodeApi {
  postMessage(message: FromWebview): void;
  getState(): unknown;
  setState(state: PanelState): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

/** What the webview keeps across hide/show and reloads: which file it shows, and the open tab. */
interface PanelState {
  fileKey?: string;
  tab?: string;
}

const app = document.getElementById('app');
let drawn: DrawnChart[] = [];
let page: Page | undefined;
let shownHash: string | undefined;

function render(results: Results, fileLabel: string, currentSpecHash: string | null, actions: PageActions, tab: string | undefined): void {
  if (!app) return;
  for (const d of drawn) d.chart.destroy();
  drawn = [];
  clear(app);
  page = buildPage(buildPanelView(results, currentSpecHash), results, fileLabel, actions, tab);
  shownHash = results.model.specHash;
  app.appendChild(page.element);
  drawn = page.draw(readTheme());
}

function showMessage(title: string, text: string): void {
  if (!app) return;
  for (const d of drawn) d.chart.destroy();
  drawn = [];
  page = undefined;
  shownHash = undefined;
  clear(app);
  app.appendChild(h('div', { class: 'page' }, h('h1', {}, title), h('p', { class: 'empty', 'data-empty': '' }, text)));
}

observeTheme(() => restyle(drawn, readTheme()));
// The standalone report follows the system's light/dark preference (media/panel.css) instead of a theme class.
window.matchMedia('(prefers-color-scheme: dark)').addEventListener('change', () => restyle(drawn, readTheme()));

function startReport(dataElement: HTMLElement): void {
  let data: unknown;
  try {
    data = JSON.parse(dataElement.textContent ?? '');
  } catch (e) {
    showMessage('Report data unreadable', `The embedded results are not JSON: ${String(e)}`);
    return;
  }
  const problem = resultsEnvelopeProblem(data);
  if (problem !== undefined) {
    showMessage('Report data malformed', problem);
    return;
  }
  const results = data as Results;
  render(results, results.model.file, null, { onTabChange: () => undefined }, undefined);
}

/** The saved state, keeping only fields of the right type (it survives reloads and versions of this script). */
function readState(raw: unknown): PanelState {
  const state: PanelState = {};
  if (typeof raw === 'object' && raw !== null) {
    const { fileKey, tab } = raw as Record<string, unknown>;
    if (typeof fileKey === 'string') state.fileKey = fileKey;
    if (typeof tab === 'string') state.tab = tab;
  }
  return state;
}

function startPanel(vscode: VsCodeApi): void {
  const state = readState(vscode.getState());
  const post = (m: FromWebview): void => vscode.postMessage(m);
  const actions: PageActions = {
    applySuggestion: (suggestionId) => post({ type: 'applySuggestion', suggestionId }),
    exportReport: (format) => post({ type: 'exportReport', format }),
    onTabChange: (tab) => {
      state.tab = tab;
      vscode.setState(state);
    },
  };

  const handle = (m: ToWebview): void => {
    switch (m.type) {
      case 'show':
        state.fileKey = m.fileKey;
        vscode.setState(state);
        render(m.results, m.fileLabel, m.currentSpecHash, actions, state.tab);
        break;
      case 'empty':
        state.fileKey = m.fileKey;
        vscode.setState(state);
        showMessage(m.fileLabel, m.message);
        break;
      case 'specHash':
        if (page && shownHash !== undefined) page.setStale(isStale(shownHash, m.currentSpecHash));
        break;
      case 'applyResult':
        page?.setApplyResult(m.suggestionId, m.ok, m.message);
        break;
      case 'matrix':
        if (!app) break;
        for (const d of drawn) d.chart.destroy();
        drawn = [];
        page = undefined;
        shownHash = undefined;
        clear(app);
        app.appendChild(buildMatrixPage(m.matrix, (index) => post({ type: 'openCell', index })));
        break;
    }
  };

  window.addEventListener('message', (event: MessageEvent<unknown>) => {
    const parsed = parseToWebview(event.data);
    if (!parsed.ok) {
      console.warn(`DyNN Lens panel ignored a message: ${parsed.error}`);
      post({ type: 'webviewError', message: `ignored a message: ${parsed.error}` });
      return;
    }
    try {
      handle(parsed.message);
    } catch (e) {
      post({ type: 'webviewError', message: `failed to show ${parsed.message.type}: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}` });
    }
  });
  window.addEventListener('error', (e) => post({ type: 'webviewError', message: `${e.message} at ${e.filename}:${e.lineno}` }));
  post({ type: 'ready' });
}

const reportData = document.getElementById(REPORT_DATA_ID);
if (reportData) startReport(reportData);
else if (typeof acquireVsCodeApi === 'function') startPanel(acquireVsCodeApi());
else showMessage('DyNN Lens', 'This page needs VS Code or embedded report data.');
