// What the paper-matrix panel does with its webview's messages, apart from VS Code: post the matrix on "ready",
// open the results of a cell the webview names by index (looked up in the controller's own copy of the matrix,
// never a path from the webview), and check every message both ways.
import { parseFromWebview, parseToWebview, type ToWebview } from '../../protocol/panel-messages';
import type { MatrixCell, PaperMatrix } from '../../protocol/matrix';
import type { SessionLog } from './session';

export interface MatrixSessionPorts {
  matrix: PaperMatrix;
  post(message: ToWebview): PromiseLike<boolean>;
  openCell(cell: MatrixCell): Promise<void>;
  showError(message: string): void;
  log: SessionLog;
}

export class MatrixSession {
  constructor(private readonly ports: MatrixSessionPorts) {}

  async receive(raw: unknown): Promise<void> {
    const parsed = parseFromWebview(raw);
    if (!parsed.ok) {
      this.ports.log.warn(`Paper matrix panel ignored a message: ${parsed.error}`);
      return;
    }
    const m = parsed.message;
    try {
      switch (m.type) {
        case 'ready':
          await this.post({ type: 'matrix', matrix: this.ports.matrix });
          break;
        case 'openCell': {
          const cell = this.ports.matrix.cells[m.index];
          if (cell === undefined) {
            this.ports.log.warn(`Paper matrix panel: no cell ${m.index} (the matrix has ${this.ports.matrix.cells.length})`);
            return;
          }
          await this.ports.openCell(cell);
          break;
        }
        case 'webviewError':
          this.ports.log.warn(`Paper matrix panel (webview): ${m.message}`);
          break;
        default:
          this.ports.log.warn(`Paper matrix panel ignored "${m.type}": it belongs to the results panel`);
      }
    } catch (err) {
      this.ports.log.error(`Paper matrix panel: handling "${m.type}" failed`, err);
      this.ports.showError(err instanceof Error ? err.message : String(err));
    }
  }

  private async post(m: ToWebview): Promise<void> {
    const checked = parseToWebview(m);
    if (!checked.ok) {
      this.ports.log.error(`Paper matrix panel: not sending ${m.type}: ${checked.error}`);
      this.ports.showError(`the paper matrix cannot be shown: ${checked.error}`);
      return;
    }
    if (!(await this.ports.post(checked.message))) this.ports.log.info('Paper matrix panel: matrix not delivered (webview hidden or closed)');
  }
}
