// Helpers for UI tests: drive the VS Code workbench (code-server) in Chromium the way a person would.
//
//   const wb = await workbench();                       // from ./session: one server + browser for the whole run
//   await wb.openFile('small.dynn.yaml');               // Quick Open (Control+P), waits for the active tab
//   await wb.runCommand('View: Toggle Problems');       // command palette (F1)
//   const lenses = await wb.codeLensTexts();
//   const text = await wb.webview().locator('body').innerText();   // content of the active webview
//   await wb.screenshot('results-light', { theme: 'light' });      // PNG under test-output/ui/
//
// Selectors are VS Code 1.139's; they are kept here so a workbench update means one file to fix.
import * as fs from 'fs';
import * as path from 'path';
import type { Frame, FrameLocator, Page } from 'playwright-core';

export const SELECTORS = {
  workbench: '.monaco-workbench',
  quickInput: '.quick-input-widget',
  quickInputBox: '.quick-input-widget .quick-input-box input',
  quickInputRow: '.quick-input-widget .quick-input-list .monaco-list-row',
  activeTab: '.tabs-container .tab.active',
  editor: '.editor-instance .monaco-editor',
  codeLens: '.monaco-editor .codelens-decoration',
  errorSquiggle: '.monaco-editor .squiggly-error',
  problemsStatus: '#status\\.problems',
  notification: '.notification-toast .notification-list-item-message',
  webview: 'iframe.webview.ready',
} as const;

export type Theme = 'light' | 'dark';
const THEME_LABELS: Record<Theme, string> = { light: 'Light Modern', dark: 'Dark Modern' };
const THEME_BODY_CLASS: Record<Theme, string> = { light: 'vs', dark: 'vs-dark' };

export class Workbench {
  constructor(
    readonly page: Page,
    /** Absolute path of the (temporary) workspace folder that is open. */
    readonly workspaceDir: string,
    /** Where screenshots go. */
    readonly outputDir: string,
  ) {}

  /** Waits for the workbench to be drawn. */
  async ready(timeoutMs = 60_000): Promise<void> {
    await this.page.locator(SELECTORS.workbench).waitFor({ state: 'visible', timeout: timeoutMs });
  }

  /** Opens a workspace file through Quick Open and waits until its tab is the active one. */
  async openFile(relativePath: string): Promise<void> {
    const name = path.basename(relativePath);
    await this.page.keyboard.press('Control+P');
    const input = this.page.locator(SELECTORS.quickInputBox);
    await input.waitFor({ state: 'visible' });
    await input.fill(relativePath);
    // Click the matching row: Enter could hit a stale first row before the list is filtered.
    const row = this.page.locator(SELECTORS.quickInputRow, { hasText: name }).first();
    await row.waitFor({ state: 'visible', timeout: 20_000 });
    await row.click();
    await this.page.locator(SELECTORS.activeTab, { hasText: name }).waitFor({ state: 'visible', timeout: 20_000 });
    await this.page.locator(SELECTORS.editor).first().waitFor({ state: 'visible' });
  }

  /** Opens the command palette (F1) and lists the visible rows matching `filter`. */
  async paletteEntries(filter: string): Promise<string[]> {
    await this.openPalette(filter);
    const rows = this.page.locator(SELECTORS.quickInputRow);
    await rows.first().waitFor({ state: 'visible', timeout: 10_000 }).catch(() => undefined);
    const texts = await rows.allInnerTexts();
    await this.page.keyboard.press('Escape');
    return texts.map((t) => t.split('\n')[0]!.trim());
  }

  /** Runs a command by its palette title (e.g. 'View: Toggle Problems'); fails if the palette has no such row. */
  async runCommand(title: string): Promise<void> {
    await this.openPalette(title);
    const row = this.page.locator(SELECTORS.quickInputRow).filter({ hasText: title }).first();
    try {
      await row.waitFor({ state: 'visible', timeout: 10_000 });
    } catch {
      const seen = await this.page.locator(SELECTORS.quickInputRow).allInnerTexts();
      await this.page.keyboard.press('Escape');
      throw new Error(`the command palette has no command "${title}" (rows shown: ${seen.join(' | ') || 'none'})`);
    }
    await row.click();
  }

  /**
   * Opens the command palette and types `>text`. When a webview holds the focus, it forwards F1 to the workbench,
   * and the palette can open and close again as the focus settles; so the page takes the focus first, and a palette
   * that vanished before it could be typed into is opened again (at most three times).
   */
  private async openPalette(text: string): Promise<void> {
    const input = this.page.locator(SELECTORS.quickInputBox);
    for (let attempt = 1; ; attempt++) {
      // Runs in the page; typed by hand because the test code is compiled without the DOM library.
      await this.page.evaluate(() => {
        const doc = (globalThis as unknown as { document: { activeElement: { tagName: string; blur(): void } | null } }).document;
        if (doc.activeElement?.tagName === 'IFRAME') doc.activeElement.blur();
      });
      await this.page.keyboard.press('F1');
      try {
        await input.waitFor({ state: 'visible', timeout: 10_000 });
        await input.fill(`>${text}`, { timeout: 5_000 });
        return;
      } catch (err) {
        if (attempt >= 3) throw err;
        await this.page.keyboard.press('Escape');
        await this.page.waitForTimeout(500);
      }
    }
  }

  /** Texts of the code lenses in the visible editors, waiting until at least one shows. */
  async codeLensTexts(timeoutMs = 30_000): Promise<string[]> {
    const lenses = this.page.locator(SELECTORS.codeLens);
    await lenses.first().waitFor({ state: 'visible', timeout: timeoutMs });
    // Runs in the page; typed by hand because the test code is compiled without the DOM library.
    await this.page.waitForFunction((sel) => {
      const doc = (globalThis as unknown as { document: { querySelectorAll(s: string): ArrayLike<{ textContent: string | null }> } }).document;
      return Array.from(doc.querySelectorAll(sel)).some((e) => (e.textContent ?? '').trim().length > 0);
    }, SELECTORS.codeLens, { timeout: timeoutMs });
    return (await lenses.allInnerTexts()).map((t) => t.trim()).filter((t) => t.length > 0);
  }

  /** Error and warning counts from the status bar's Problems item. */
  async problemCounts(): Promise<{ errors: number; warnings: number }> {
    const label = (await this.page.locator(SELECTORS.problemsStatus).getAttribute('aria-label')) ?? '';
    const count = (word: string) => Number(new RegExp(`${word}: (\\d+)`, 'i').exec(label)?.[1] ?? 'NaN');
    return { errors: count('Errors'), warnings: count('Warnings') };
  }

  /** Waits for the status bar to count at least one error; returns the counts. */
  async waitForErrors(timeoutMs = 30_000): Promise<{ errors: number; warnings: number }> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const counts = await this.problemCounts();
      if (counts.errors > 0) return counts;
      if (Date.now() > deadline) throw new Error(`no error counted in the status bar after ${timeoutMs} ms (${JSON.stringify(counts)})`);
      await this.page.waitForTimeout(250);
    }
  }

  /** Texts of the notification toasts on screen. */
  async notifications(): Promise<string[]> {
    return this.page.locator(SELECTORS.notification).allInnerTexts();
  }

  /** The active webview's content (two iframes deep), for locators. */
  webview(): FrameLocator {
    return this.page.frameLocator(SELECTORS.webview).frameLocator('#active-frame');
  }

  /** The active webview's content frame, for `evaluate`; waits until it exists. */
  async webviewFrame(timeoutMs = 30_000): Promise<Frame> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const frame = this.page.frames().find((f) => f.name() === 'active-frame');
      if (frame) return frame;
      if (Date.now() > deadline) throw new Error(`no webview content frame after ${timeoutMs} ms`);
      await this.page.waitForTimeout(250);
    }
  }

  /** Switches the color theme through the palette and waits for the workbench to repaint in it. */
  async setTheme(theme: Theme): Promise<void> {
    await this.runCommand('Preferences: Color Theme');
    const input = this.page.locator(SELECTORS.quickInputBox);
    await input.fill(THEME_LABELS[theme]);
    const row = this.page.locator(SELECTORS.quickInputRow, { hasText: THEME_LABELS[theme] }).first();
    await row.waitFor({ state: 'visible' });
    await row.click();
    await this.page.locator(`${SELECTORS.workbench}.${THEME_BODY_CLASS[theme]}`).waitFor({ state: 'attached', timeout: 10_000 });
  }

  /** Saves a PNG of the page as <outputDir>/<name>.png, optionally after switching the theme; returns its path. */
  async screenshot(name: string, options: { theme?: Theme } = {}): Promise<string> {
    if (options.theme) await this.setTheme(options.theme);
    fs.mkdirSync(this.outputDir, { recursive: true });
    const file = path.join(this.outputDir, `${name.replace(/[^A-Za-z0-9_.-]+/g, '-')}.png`);
    await this.page.screenshot({ path: file });
    return file;
  }
}
