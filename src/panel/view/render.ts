// Builds the results page from a PanelView: a header that every tab shares (title, stale banner, sanity flags,
// provenance), then tabs of real buttons with arrow-key navigation.
import type { Results } from '../../protocol/results';
import { galleryViews, Rgba } from '../model/gallery';
import type { Heatmap } from '../model/transfer';
import type { PanelView } from '../model/viewModel';
import { chartFigure, DrawnChart } from './charts';
import { h } from './dom';
import type { Theme } from './theme';
import { table } from './table';

export interface PageActions {
  /** Absent in the standalone report, where nothing can be applied or exported. */
  applySuggestion?(id: string): void;
  exportReport?(format: 'html' | 'markdown'): void;
  onTabChange(tab: string): void;
}

export interface Page {
  element: HTMLElement;
  /** Draws the charts; call once the page is attached. */
  draw(theme: Theme): DrawnChart[];
  setStale(stale: boolean): void;
  setApplyResult(suggestionId: string, ok: boolean, message: string): void;
}


function heatmap(m: Heatmap): HTMLElement {
  const cells = m.cells.map((row, i) =>
    h('tr', {}, h('th', { scope: 'row' }, m.rowLabels[i] ?? ''), row.map((c) => {
      const td = h('td', { class: `heat${c.row === c.col ? ' diagonal' : ''}`, title: c.label, 'aria-label': c.label, 'data-value': String(c.value) }, c.text);
      // A custom property set through the CSSOM (allowed by the CSP); the stylesheet mixes it with the theme colour.
      td.style.setProperty('--heat', c.intensity.toFixed(3));
      return td;
    })),
  );
  return h(
    'figure',
    { class: 'heatmap', 'data-heatmap': m.id },
    h('table', {}, h('caption', {}, m.caption), h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, `${m.rowHeader} ↓ / ${m.colHeader} →`), m.colLabels.map((l) => h('th', { scope: 'col' }, l)))), h('tbody', {}, cells)),
    h('figcaption', {}, m.note),
  );
}

function imageCanvas(img: Rgba, role: string, label: string): HTMLCanvasElement {
  const canvas = h('canvas', { width: String(img.width), height: String(img.height), 'data-gallery': role, role: 'img', 'aria-label': label, class: 'pixels' });
  const ctx = canvas.getContext('2d');
  if (ctx) ctx.putImageData(new ImageData(new Uint8ClampedArray(img.data), img.width, img.height), 0, 0);
  return canvas;
}

function gallery(results: Results): HTMLElement {
  if (results.gallery.length === 0) return h('p', { class: 'empty' }, 'No gallery images in these results (the gallery is kept for built-in image data only).');
  return h(
    'div',
    { class: 'gallery' },
    galleryViews(results).map((g) =>
      h(
        'figure',
        { class: 'gallery-item', 'data-gallery-item': g.key },
        h(
          'div',
          { class: 'gallery-images' },
          h('div', {}, imageCanvas(g.original, 'original', `original, ${g.caption}`), h('span', {}, 'original')),
          h('div', {}, imageCanvas(g.perturbation, 'perturbation', g.perturbationNote), h('span', {}, g.perturbationNote)),
          h('div', {}, imageCanvas(g.adversarial, 'adversarial', `adversarial, ${g.caption}`), h('span', {}, 'adversarial')),
        ),
        h('figcaption', {}, g.caption),
        h(
          'table',
          { class: 'exits' },
          h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'exit'), h('th', { scope: 'col' }, 'clean'), h('th', { scope: 'col' }, 'adversarial'))),
          h('tbody', {}, g.exits.map((e) => h('tr', {}, h('th', { scope: 'row' }, e.exit), h('td', { class: `${e.cleanCorrect ? 'right' : 'wrong'}${e.answeredClean ? ' answered' : ''}` }, e.clean, e.answeredClean ? ' ◀ answered' : ''), h('td', { class: `${e.adversarialCorrect ? 'right' : 'wrong'}${e.answeredAdversarial ? ' answered' : ''}` }, e.adversarial, e.answeredAdversarial ? ' ◀ answered' : '')))),
        ),
      ),
    ),
  );
}

export function buildPage(view: PanelView, results: Results, fileLabel: string, actions: PageActions, initialTab: string | undefined): Page {
  const figures: ReturnType<typeof chartFigure>[] = [];
  const fig = (f: ReturnType<typeof chartFigure>): HTMLElement => {
    figures.push(f);
    return f.element;
  };

  const stale = h('div', { class: 'banner stale', role: 'alert', 'data-banner': 'stale' }, 'These results were computed from an earlier version of the model file (spec hash differs). Run the check again to refresh them.');
  stale.hidden = !view.stale;

  const flags = view.flags.length === 0
    ? h('p', { class: 'flags ok', 'data-flags': '0' }, 'No sanity flags: gradients were usable and the attacks beat random noise.')
    : h('section', { class: 'flags', role: 'alert', 'data-flags': String(view.flags.length), 'aria-label': 'Sanity flags' },
        h('h2', {}, `Sanity flags (${view.flags.length})`),
        h('ul', {}, view.flags.map((f) => h('li', { class: `flag ${f.severity}`, 'data-flag': f.code }, h('strong', {}, `${f.severity === 'error' ? 'Error' : 'Warning'} ${f.code}`), ` (${f.source}): ${f.message}`))));

  const provenance = h('details', { class: 'provenance', open: '' }, h('summary', {}, 'Provenance'), h('dl', {}, view.provenance.flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)])));

  const tools = actions.exportReport
    ? h('div', { class: 'toolbar' }, (['html', 'markdown'] as const).map((format) => {
        const b = h('button', { type: 'button', 'data-export': format }, format === 'html' ? 'Export HTML report' : 'Export Markdown report');
        b.addEventListener('click', () => actions.exportReport?.(format));
        return b;
      }))
    : null;

  const status = h('p', { class: 'status', role: 'status' });
  const suggestionButtons = new Map<string, HTMLButtonElement>();

  const tabs: { id: string; label: string; body: (HTMLElement | null)[] }[] = [
    { id: 'overview', label: 'Overview', body: [table(view.clean), view.ensemble ? table(view.ensemble) : null, results.attacks.length > 0 ? table(view.attacks) : h('p', { class: 'empty' }, 'No attacks were run.'), view.findings ? table(view.findings) : null] },
    { id: 'robustness', label: 'Robustness', body: [fig(chartFigure(view.robustAccuracy))] },
    {
      id: 'exits',
      label: 'Exits and cost',
      body: [fig(chartFigure(view.exitDistribution)), fig(chartFigure(view.flops)), fig(chartFigure(view.eec)), table(view.perExit), view.hijack ? table(view.hijack) : null, view.gates ? table(view.gates) : null],
    },
    {
      id: 'transfer',
      label: 'Transfer',
      body: [view.transfer.length === 0 ? h('p', { class: 'empty' }, 'No transfer study in these results.') : h('div', { class: 'heatmaps' }, view.transfer.map(heatmap)), view.efficiency ? table(view.efficiency) : null],
    },
    {
      id: 'sweeps',
      label: 'Sweeps and suggestions',
      body: [
        ...(view.sweeps.length === 0 ? [h('p', { class: 'empty' }, 'No design sweep in these results.')] : view.sweeps.map((s) => fig(chartFigure(s, { 'data-sweep': s.id })))),
        view.trainingChart ? fig(chartFigure(view.trainingChart)) : null,
        view.training ? table(view.training) : null,
        view.suggestions.length === 0
          ? h('p', { class: 'empty' }, 'No suggestions.')
          : h('ol', { class: 'suggestions' }, view.suggestions.map((s) => {
              let button: HTMLButtonElement | null = null;
              if (actions.applySuggestion) {
                button = h('button', { type: 'button', class: 'apply', 'data-apply': s.id, 'aria-label': `Apply: ${s.title}` }, 'Apply');
                button.addEventListener('click', () => {
                  if (!button) return;
                  button.disabled = true;
                  status.textContent = `Applying “${s.title}”…`;
                  actions.applySuggestion?.(s.id);
                });
                suggestionButtons.set(s.id, button);
              }
              return h(
                'li',
                { 'data-suggestion': s.id },
                h('div', { class: 'suggestion-head' }, h('strong', {}, s.title), button),
                h('p', {}, `${s.target}: `, h('code', {}, s.change)),
                s.effects.length > 0
                  ? h('table', { class: 'effects' }, h('thead', {}, h('tr', {}, ['measured', 'before', 'after'].map((c) => h('th', { scope: 'col' }, c)))), h('tbody', {}, s.effects.map((e) => h('tr', {}, h('th', { scope: 'row' }, e.metric), h('td', {}, e.before), h('td', {}, e.after)))))
                  : null,
              );
            })),
        status,
      ],
    },
    { id: 'gallery', label: 'Gallery', body: [gallery(results)] },
  ];

  const tabList = h('div', { role: 'tablist', 'aria-label': 'Result views', class: 'tabs' });
  const panels: HTMLElement[] = [];
  const buttons: HTMLButtonElement[] = [];
  const select = (index: number, focus: boolean): void => {
    buttons.forEach((b, i) => {
      const on = i === index;
      b.setAttribute('aria-selected', String(on));
      b.tabIndex = on ? 0 : -1;
      const panel = panels[i];
      if (panel) panel.hidden = !on;
    });
    const chosen = buttons[index];
    if (focus) chosen?.focus();
    const id = tabs[index]?.id;
    if (id) actions.onTabChange(id);
  };
  tabs.forEach((t, i) => {
    const b = h('button', { type: 'button', role: 'tab', id: `tab-${t.id}`, 'aria-controls': `panel-${t.id}`, 'data-tab': t.id }, t.label);
    b.addEventListener('click', () => select(i, false));
    b.addEventListener('keydown', (e) => {
      const last = tabs.length - 1;
      const next = e.key === 'ArrowRight' ? (i === last ? 0 : i + 1) : e.key === 'ArrowLeft' ? (i === 0 ? last : i - 1) : e.key === 'Home' ? 0 : e.key === 'End' ? last : -1;
      if (next >= 0) {
        e.preventDefault();
        select(next, true);
      }
    });
    buttons.push(b);
    tabList.appendChild(b);
    panels.push(h('section', { role: 'tabpanel', id: `panel-${t.id}`, 'aria-labelledby': `tab-${t.id}`, tabindex: '0', 'data-panel': t.id }, t.body));
  });
  const start = Math.max(0, tabs.findIndex((t) => t.id === initialTab));

  const element = h(
    'div',
    { class: 'page', 'data-results-hash': results.model.specHash },
    h('header', {}, h('h1', {}, view.title), h('p', { class: 'file' }, fileLabel), stale, flags, provenance, tools),
    tabList,
    panels,
  );
  select(start, false);

  return {
    element,
    draw: (theme) => figures.map((f) => f.draw(theme)),
    setStale: (isStale) => {
      stale.hidden = !isStale;
    },
    setApplyResult: (id, ok, message) => {
      const b = suggestionButtons.get(id);
      if (b) {
        b.disabled = ok;
        if (ok) b.textContent = 'Applied';
      }
      status.textContent = message;
    },
  };
}
