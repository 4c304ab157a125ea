// Suggestions with what they were measured to change, ready to list with an "Apply" button.
import type { Results, Suggestion } from '../../protocol/results';
import { jsonPath, metric } from './format';

export interface SuggestionView {
  id: string;
  title: string;
  target: string;
  change: string;
  effects: { metric: string; before: string; after: string; delta: number }[];
}

export function suggestionView(s: Suggestion): SuggestionView {
  const names = [...new Set([...Object.keys(s.before), ...Object.keys(s.after)])];
  return {
    id: s.id,
    title: s.title,
    target: `${s.target.kind} ${s.target.name}`,
    change: `${jsonPath(s.change.path)} = ${JSON.stringify(s.change.value) ?? 'undefined'}`,
    effects: names.map((name) => {
      const before = s.before[name];
      const after = s.after[name];
      return {
        metric: name,
        before: before === undefined ? '–' : metric(name, before),
        after: after === undefined ? '–' : metric(name, after),
        delta: before !== undefined && after !== undefined ? after - before : NaN,
      };
    }),
  };
}

export function suggestionViews(r: Results): SuggestionView[] {
  return r.suggestions.map(suggestionView);
}
