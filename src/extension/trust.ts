// Workspace trust: in an untrusted workspace DyNN Lens parses, validates and advises, nothing more. Commands that
// load weights, train or run checks stay registered (so the palette explains why) but refuse to run.
import * as vscode from 'vscode';

export function untrustedMessage(action: string): string {
  return `DyNN Lens: ${action} needs a trusted workspace, because it loads model weights and runs code on them. Trust this workspace (Workspaces: Manage Workspace Trust) and run it again. Diagnostics, hovers and quick fixes keep working meanwhile.`;
}

const refused = new vscode.EventEmitter<string>();
/** Fires with the message each time a guarded command refuses to run; the extension logs it. */
export const onDidRefuse = refused.event;

/**
 * Wraps a command that would load weights or run checks: in an untrusted workspace it shows why it refuses and
 * resolves to undefined without calling `run`.
 */
export function whenTrusted<A extends unknown[], R>(action: string, run: (...args: A) => Promise<R>): (...args: A) => Promise<R | undefined> {
  return async (...args: A) => {
    if (!vscode.workspace.isTrusted) {
      const message = untrustedMessage(action);
      refused.fire(message);
      void vscode.window.showWarningMessage(message, 'Manage Workspace Trust').then((choice) => {
        if (choice) void vscode.commands.executeCommand('workbench.trust.manage');
      });
      return undefined;
    }
    return run(...args);
  };
}
