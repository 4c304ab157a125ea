// Quick fixes: each DyNN Lens diagnostic in the request is matched (by code, range and message) to the finding of
// the current analysis, whose fixes become undoable WorkspaceEdits.
import * as vscode from 'vscode';
import { fixToWorkspaceEdit, sameFinding, SOURCE } from '../adapters';
import type { DocumentAnalyses } from './document-analyses';
import { guarded, type Log } from '../log';

export class ModelQuickFixProvider implements vscode.CodeActionProvider {
  static readonly metadata: vscode.CodeActionProviderMetadata = { providedCodeActionKinds: [vscode.CodeActionKind.QuickFix] };

  constructor(
    private readonly analyses: DocumentAnalyses,
    private readonly log: Log,
  ) {}

  provideCodeActions(doc: vscode.TextDocument, _range: vscode.Range, context: vscode.CodeActionContext): vscode.CodeAction[] {
    const ours = context.diagnostics.filter((d) => d.source === SOURCE);
    if (ours.length === 0) return [];
    if (context.only && !vscode.CodeActionKind.QuickFix.intersects(context.only)) return [];
    return guarded(this.log, 'Quick fixes', [], () => {
      const { findings } = this.analyses.get(doc);
      const actions: vscode.CodeAction[] = [];
      for (const diagnostic of ours) {
        const finding = findings.find((f) => sameFinding(doc, diagnostic, f));
        const fixes = finding?.fixes ?? [];
        for (const fix of fixes) {
          const action = new vscode.CodeAction(fix.title, vscode.CodeActionKind.QuickFix);
          action.diagnostics = [diagnostic];
          action.edit = fixToWorkspaceEdit(doc, doc.uri, fix);
          action.isPreferred = fixes.length === 1;
          actions.push(action);
        }
      }
      return actions;
    });
  }
}
