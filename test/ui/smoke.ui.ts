// UI smoke test: the extension in VS Code (code-server) in Chromium, driven as a person would.
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { PNG } from 'pngjs';
import { EXTENSION_PATH, workbench } from './session';
import type { Workbench } from './workbench';

interface ContributedCommand { command: string; title: string; category?: string }

/** Palette titles of the commands the manifest contributes ("Category: Title"). */
function contributedCommandTitles(): string[] {
  const manifest = JSON.parse(fs.readFileSync(path.join(EXTENSION_PATH, 'package.json'), 'utf8')) as {
    contributes?: { commands?: ContributedCommand[] };
  };
  return (manifest.contributes?.commands ?? []).map((c) => (c.category ? `${c.category}: ${c.title}` : c.title));
}

/** `editor.background` of the themes Workbench.setTheme picks: Light Modern and Dark Modern (VS Code's theme-defaults). */
const THEME_EDITOR_BACKGROUND: Record<'light' | 'dark', string> = { light: '#ffffff', dark: '#1f1f1f' };

/**
 * The colour of the editor's empty area in a screenshot: the most common colour of a 40x20 patch just below the
 * file's last line (left of the minimap), when it covers at least 95% of the patch; otherwise the patch's colours,
 * so a failure shows what was there.
 */
async function editorBackground(wb: Workbench, screenshot: string): Promise<string> {
  const editor = wb.page.locator('.editor-instance .monaco-editor').first();
  const box = await editor.locator('.overflow-guard').first().boundingBox();
  assert.ok(box, 'no editor on the page');
  const lineBottoms = await editor.locator('.view-lines .view-line').evaluateAll((lines) =>
    (lines as unknown as { getBoundingClientRect(): { bottom: number } }[]).map((l) => l.getBoundingClientRect().bottom));
  const below = Math.max(box.y, ...lineBottoms) + 10;
  assert.ok(below + 20 <= box.y + box.height, `no empty editor area below the text (editor ${JSON.stringify(box)}, text ends at ${below - 10})`);
  const png = PNG.sync.read(fs.readFileSync(screenshot));
  const scale = png.width / (wb.page.viewportSize()?.width ?? png.width);
  const counts = new Map<string, number>();
  const x0 = Math.round((box.x + box.width * 0.4) * scale);
  const y0 = Math.round(below * scale);
  for (let y = y0; y < y0 + 20 * scale; y++) {
    for (let x = x0; x < x0 + 40 * scale; x++) {
      const i = (y * png.width + x) * 4;
      const hex = `#${[png.data[i], png.data[i + 1], png.data[i + 2]].map((v) => (v ?? 0).toString(16).padStart(2, '0')).join('')}`;
      counts.set(hex, (counts.get(hex) ?? 0) + 1);
    }
  }
  const total = [...counts.values()].reduce((a, b) => a + b, 0);
  const [top, n] = [...counts.entries()].sort((a, b) => b[1] - a[1])[0] ?? ['none', 0];
  return n >= 0.95 * total ? top : JSON.stringify([...counts.entries()].slice(0, 8));
}

describe('UI smoke: the extension in VS Code in a browser', function () {
  let wb: Workbench;

  before(async function () {
    this.timeout(120_000);
    wb = await workbench();
  });

  afterEach(async function () {
    if (this.currentTest?.state === 'failed') {
      await wb.screenshot(`FAILED-${this.currentTest.fullTitle()}`).catch(() => undefined);
    }
  });

  it('shows code lenses on a model file', async () => {
    await wb.openFile('small.dynn.yaml');
    const lenses = await wb.codeLensTexts();
    assert.ok(lenses.some((l) => /FLOPs/.test(l)), `no cost lens among: ${lenses.join(' | ')}`);
    await wb.screenshot('model-file-codelens');
  });

  it('shows an error for a file with broken YAML, squiggle and Problems count', async () => {
    await wb.openFile('broken-syntax.dynn.yaml');
    await wb.page.locator('.monaco-editor .squiggly-error').first().waitFor({ state: 'attached', timeout: 30_000 });
    const counts = await wb.waitForErrors();
    assert.ok(counts.errors >= 1);
  });

  it('runs a command from the palette: Problems lists the broken file', async () => {
    await wb.runCommand('View: Focus Problems');
    const problems = wb.page.locator('.markers-panel .monaco-list-row', { hasText: 'broken-syntax.dynn.yaml' });
    await problems.first().waitFor({ state: 'visible', timeout: 20_000 });
    await wb.screenshot('problems-panel');
  });

  it("runs the extension's Show Log command: the Output panel shows its log", async () => {
    await wb.runCommand('DyNN: Show Log');
    // The channel may already hold many lines (other UI tests ran checks) and scrolls to the end, so look for any
    // line of our log format rather than the first one. Monaco draws spaces as no-break spaces, hence \s.
    const log = wb.page.locator('.part.panel .view-lines', { hasText: /\[(info|warning|error)\]\s/ });
    await log.first().waitFor({ state: 'visible', timeout: 20_000 });
    await wb.screenshot('output-log');
  });

  it("lists the extension's commands in the palette", async () => {
    const titles = contributedCommandTitles();
    assert.ok(titles.length > 0, 'package.json contributes no command');
    const missing: string[] = [];
    for (const title of titles) {
      const rows = await wb.paletteEntries(title);
      if (!rows.some((r) => r.includes(title))) missing.push(title);
    }
    assert.deepStrictEqual(missing, [], 'contributed commands missing from the palette');
  });

  it('renders the model file in the light theme too: the editor background takes each theme colour', async () => {
    await wb.openFile('small.dynn.yaml');
    const light = await wb.screenshot('model-file-light', { theme: 'light' });
    assert.deepStrictEqual(await editorBackground(wb, light), THEME_EDITOR_BACKGROUND.light);
    const dark = await wb.screenshot('model-file-dark', { theme: 'dark' });
    assert.deepStrictEqual(await editorBackground(wb, dark), THEME_EDITOR_BACKGROUND.dark);
  });
});
