// UI smoke test: the extension in VS Code (code-server) in Chromium, driven as a person would.
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
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

  it('renders the model file in the light theme too', async () => {
    await wb.openFile('small.dynn.yaml');
    const file = await wb.screenshot('model-file-light', { theme: 'light' });
    assert.ok(fs.statSync(file).size > 10_000, `screenshot ${file} looks empty`);
    await wb.setTheme('dark');
  });
});
