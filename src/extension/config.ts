// Typed view of the `dynn.*` settings. Every read is validated, so a hand-edited settings.json with a wrong type
// falls back to the default instead of reaching the providers.
import * as vscode from 'vscode';
import { DEFAULT_RESULT_LIMITS, type ResultLimits } from '../advice/resultFindings';

export const BACKENDS = ['auto', 'tensorflow-gpu', 'webgpu', 'tensorflow', 'wasm', 'cpu'] as const;
export type BackendSetting = (typeof BACKENDS)[number];

export interface DynnSettings {
  /** Delay after the last keystroke before a model file is re-analysed, in milliseconds. */
  diagnosticsDebounceMs: number;
  codeLensEnabled: boolean;
  /** TF.js backend for training and checks (the worker); the editor itself never runs TF.js. */
  backend: BackendSetting;
  /** Threads of the WASM backend in the worker; 0 = every core up to 4 (read when the worker starts). */
  wasmThreads: number;
  /** Limits above which measured results become warnings (`dynn.limits.*`). */
  limits: ResultLimits;
}

export const DEFAULT_SETTINGS: Readonly<DynnSettings> = {
  diagnosticsDebounceMs: 250,
  codeLensEnabled: true,
  backend: 'auto',
  wasmThreads: 0,
  limits: { ...DEFAULT_RESULT_LIMITS },
};

/** A number in [min, max] from the settings, or the fallback when the setting is missing or not a number. */
function boundedNumber(value: unknown, min: number, max: number, fallback: number): number {
  return typeof value === 'number' && Number.isFinite(value) ? Math.min(max, Math.max(min, value)) : fallback;
}

/** Reads and validates the settings from a section; exported so tests can feed it any configuration. */
export function readSettings(section: Pick<vscode.WorkspaceConfiguration, 'get'>): DynnSettings {
  const debounce = section.get<unknown>('diagnostics.debounceMs');
  const lens = section.get<unknown>('codeLens.enabled');
  const backend = section.get<unknown>('backend');
  const wasmThreads = section.get<unknown>('wasmThreads');
  const hijack = section.get<unknown>('limits.hijackRate');
  const slowdown = section.get<unknown>('limits.slowdownCostIncrease');
  return {
    diagnosticsDebounceMs:
      typeof debounce === 'number' && Number.isFinite(debounce) ? Math.min(5000, Math.max(0, Math.round(debounce))) : DEFAULT_SETTINGS.diagnosticsDebounceMs,
    codeLensEnabled: typeof lens === 'boolean' ? lens : DEFAULT_SETTINGS.codeLensEnabled,
    backend: (BACKENDS as readonly unknown[]).includes(backend) ? (backend as BackendSetting) : DEFAULT_SETTINGS.backend,
    wasmThreads: Math.round(boundedNumber(wasmThreads, 0, 64, DEFAULT_SETTINGS.wasmThreads)),
    limits: {
      hijackRate: boundedNumber(hijack, 0, 1, DEFAULT_RESULT_LIMITS.hijackRate),
      slowdownCostIncrease: boundedNumber(slowdown, 0, 100, DEFAULT_RESULT_LIMITS.slowdownCostIncrease),
    },
  };
}

export class Config implements vscode.Disposable {
  private current: DynnSettings;
  private readonly changed = new vscode.EventEmitter<DynnSettings>();
  private readonly subscription: vscode.Disposable;
  /** Fires with the new settings after any `dynn.*` setting changed. */
  readonly onDidChange = this.changed.event;

  constructor() {
    this.current = readSettings(vscode.workspace.getConfiguration('dynn'));
    this.subscription = vscode.workspace.onDidChangeConfiguration((e) => {
      if (!e.affectsConfiguration('dynn')) return;
      this.current = readSettings(vscode.workspace.getConfiguration('dynn'));
      this.changed.fire(this.current);
    });
  }

  get settings(): Readonly<DynnSettings> {
    return this.current;
  }

  dispose(): void {
    this.subscription.dispose();
    this.changed.dispose();
  }
}
