// Chart colours from the editor's theme. media/panel.css maps --vscode-* variables to --dl-* ones with
// fallbacks for the standalone report; here we read the resolved values and follow theme switches.

export interface Theme {
  foreground: string;
  muted: string;
  grid: string;
  background: string;
  palette: string[];
  front: string;
  current: string;
  fontFamily: string;
  highContrast: boolean;
}

const PALETTE_VARS = ['--dl-c1', '--dl-c2', '--dl-c3', '--dl-c4', '--dl-c5', '--dl-c6'];

export function readTheme(): Theme {
  const style = getComputedStyle(document.body);
  const get = (name: string, fallback: string): string => style.getPropertyValue(name).trim() || fallback;
  const foreground = get('--dl-fg', '#1f1f1f');
  return {
    foreground,
    muted: get('--dl-muted', foreground),
    grid: get('--dl-grid', 'rgba(128, 128, 128, 0.35)'),
    background: get('--dl-bg', '#ffffff'),
    palette: PALETTE_VARS.map((v, i) => get(v, ['#1a85ff', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b'][i] ?? foreground)),
    front: get('--dl-front', '#d62728'),
    current: get('--dl-current', '#ff7f0e'),
    fontFamily: get('--dl-font', 'sans-serif'),
    highContrast: document.body.classList.contains('vscode-high-contrast') || document.body.classList.contains('vscode-high-contrast-light'),
  };
}

/** Calls `onChange` when VS Code switches theme (it swaps vscode-light / vscode-dark / vscode-high-contrast on body). */
export function observeTheme(onChange: () => void): MutationObserver {
  const observer = new MutationObserver((mutations) => {
    if (mutations.some((m) => m.attributeName === 'class')) onChange();
  });
  observer.observe(document.body, { attributes: true, attributeFilter: ['class'] });
  return observer;
}
