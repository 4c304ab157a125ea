// The one adapter from a measured suggestion ({path, value}) to an undoable WorkspaceEdit of the model file: the
// results panel's "Apply", the Apply Suggestion command and the result quick fixes' subject all go through here.
import * as vscode from 'vscode';
import { detectFormat } from '../../advice/format';
import type { ResultSubject } from '../../advice/resultFindings';
import { suggestionEdits } from '../../advice/suggestionEdit';
import type { Suggestion } from '../../protocol/results';
import { fixToWorkspaceEdit } from '../adapters';
import type { DocumentAnalyses, DocumentAnalysis } from '../language/document-analyses';
import type { Log } from '../log';

/** The model file as the result findings and suggestion edits read it; undefined when it does not parse now. */
export function resultSubject(doc: vscode.TextDocument, entry: DocumentAnalysis): ResultSubject | undefined {
  const spec = entry.analysis.spec;
  if (!spec) return undefined;
  const text = doc.getText();
  return { spec, specHash: entry.analysis.specHash, text, format: detectFormat(text, doc.fileName), locate: (p) => entry.analysis.locate(p) };
}

/** Applies a measured suggestion to the model file as one undoable edit; throws with the reason it cannot. */
export async function applySuggestion(fileUri: vscode.Uri, suggestion: Suggestion, analyses: DocumentAnalyses, log: Log): Promise<void> {
  const doc = await vscode.workspace.openTextDocument(fileUri);
  const subject = resultSubject(doc, analyses.get(doc));
  if (!subject) throw new Error(`${vscode.workspace.asRelativePath(fileUri)} does not parse into a model now; fix its errors first`);
  const made = suggestionEdits(subject, suggestion.change);
  if (!made.ok) throw new Error(`cannot apply "${suggestion.title}": ${made.error}`);
  const edit = fixToWorkspaceEdit(doc, fileUri, { title: suggestion.title, edits: made.edits });
  if (!(await vscode.workspace.applyEdit(edit))) throw new Error(`VS Code refused the edit for "${suggestion.title}"`);
  log.info(`Applied suggestion "${suggestion.title}" to ${vscode.workspace.asRelativePath(fileUri)}`);
}
