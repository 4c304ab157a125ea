// Schema-driven completion for YAML model files. JSON model files get theirs from VS Code's JSON service
// (the `jsonValidation` contribution), so this provider is registered for language `dynn` only and skips JSON.
import * as vscode from 'vscode';
import { spanToRange } from '../adapters';
import type { ModelAnalyzer } from './analyzer';
import { isJsonModel } from './document-analyses';
import { guarded, type Log } from '../log';

export const YAML_SELECTOR: vscode.DocumentFilter = { language: 'dynn' };
/** ':' offers values right after a key, ' ' after "key: " or "- "; the core returns nothing in comments. */
export const COMPLETION_TRIGGERS = [':', ' '];

export class YamlCompletionProvider implements vscode.CompletionItemProvider {
  constructor(
    private readonly analyzer: ModelAnalyzer,
    private readonly log: Log,
  ) {}

  provideCompletionItems(doc: vscode.TextDocument, position: vscode.Position): vscode.CompletionItem[] {
    if (isJsonModel(doc)) return [];
    return guarded(this.log, 'Completion', [], () => {
      const text = doc.getText();
      const { kind, items, replace } = this.analyzer.completions(text, doc.offsetAt(position));
      const range = spanToRange(doc, replace);
      // Right after "key:" or "-" YAML needs a space before the inserted text.
      const pad = /[:-]/.test(text.charAt(replace.start - 1)) ? ' ' : '';
      return items.map((entry, i) => {
        const item = new vscode.CompletionItem(entry.label, kind === 'key' ? vscode.CompletionItemKind.Property : vscode.CompletionItemKind.Value);
        if (entry.detail) item.detail = entry.detail;
        if (entry.documentation) item.documentation = new vscode.MarkdownString(entry.documentation);
        // Snippet syntax ($1, ${1:x}) in the core's insert text becomes tab stops.
        const insert = pad + (entry.insertText ?? entry.label);
        item.insertText = /\$(\d|\{\d)/.test(insert) ? new vscode.SnippetString(insert) : insert;
        item.range = range;
        item.sortText = String(i).padStart(4, '0');
        return item;
      });
    });
  }
}
