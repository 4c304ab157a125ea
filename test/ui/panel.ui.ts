// UI: the design loop as a person drives it. Pick the backend in the palette, run a check from the code lens of a
// small model, wait for the results panel, check that its charts drew what they should (non-empty canvases with
// the expected data-datasets) and that the gallery draws the digits of the results, export a report, and keep screenshots of the
// panel in the dark and light themes.
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import type { FrameLocator } from 'playwright-core';
import { workbench } from './session';
import type { Workbench } from './workbench';
import { galleryViews, type GalleryView } from '../../src/panel/model/gallery';
import type { Results } from '../../src/protocol/results';
import { tinyMnistModel } from '../fixtures/tiny-mnist';

const MODEL_FILE = 'ui-tiny.dynn.yaml';
const MODEL = tinyMnistModel({ name: 'ui-tiny', comment: 'UI-test model: trains and attacks in seconds.', threshold: 0.2, epochs: 1, samples: 40, pgdEps: [0.1, 0.2] });

interface CanvasFacts {
  datasets: string[] | null;
  width: number;
  height: number;
  /** Pixels with some opacity: 0 means nothing was drawn. */
  painted: number;
}

/** What each visible canvas of the webview holds (runs in the webview's frame; typed by hand, no DOM lib here). */
function canvasFacts(webview: FrameLocator, selector: string): Promise<CanvasFacts[]> {
  return webview.locator(selector).evaluateAll((elements) => {
    interface Ctx2d { getImageData(x: number, y: number, w: number, h: number): { data: ArrayLike<number> } }
    interface CanvasEl { width: number; height: number; offsetParent: unknown; getAttribute(n: string): string | null; getContext(k: '2d'): Ctx2d | null }
    return (elements as unknown as CanvasEl[])
      .filter((c) => c.offsetParent !== null)
      .map((c) => {
        const data = c.width > 0 && c.height > 0 ? c.getContext('2d')?.getImageData(0, 0, c.width, c.height).data : undefined;
        let painted = 0;
        if (data) for (let i = 3; i < data.length; i += 4) if ((data[i] ?? 0) > 0) painted++;
        const raw = c.getAttribute('data-datasets');
        return { datasets: raw === null ? null : (JSON.parse(raw) as string[]), width: c.width, height: c.height, painted };
      });
  });
}

interface GalleryPixels {
  key: string;
  canvases: { role: string; width: number; height: number; visible: boolean; data: number[] }[];
}

/** The RGBA bytes every gallery canvas holds, per gallery item in page order (runs in the webview's frame). */
function galleryPixels(webview: FrameLocator): Promise<GalleryPixels[]> {
  return webview.locator('[data-gallery-item]').evaluateAll((items) => {
    interface Ctx2d { getImageData(x: number, y: number, w: number, h: number): { data: ArrayLike<number> } }
    interface CanvasEl { width: number; height: number; offsetParent: unknown; getAttribute(n: string): string | null; getContext(k: '2d'): Ctx2d | null }
    interface ItemEl { getAttribute(n: string): string | null; querySelectorAll(s: string): ArrayLike<CanvasEl> }
    return (items as unknown as ItemEl[]).map((item) => ({
      key: item.getAttribute('data-gallery-item') ?? '',
      canvases: Array.from(item.querySelectorAll('canvas[data-gallery]')).map((c) => ({
        role: c.getAttribute('data-gallery') ?? '',
        width: c.width,
        height: c.height,
        visible: c.offsetParent !== null,
        data: Array.from(c.getContext('2d')?.getImageData(0, 0, c.width, c.height).data ?? []),
      })),
    }));
  });
}

describe('UI: check from a code lens, results panel, report, themes', function () {
  let wb: Workbench;

  before(async function () {
    this.timeout(120_000);
    wb = await workbench();
    fs.writeFileSync(path.join(wb.workspaceDir, MODEL_FILE), MODEL);
  });

  afterEach(async function () {
    if (this.currentTest?.state === 'failed') await wb.screenshot(`FAILED-${this.currentTest.fullTitle()}`).catch(() => undefined);
  });

  it('picks the wasm backend through Select Backend', async () => {
    // Opening a model file activates the extension (and lets the workbench finish loading its contributions).
    await wb.openFile(MODEL_FILE);
    await wb.codeLensTexts();
    await wb.runCommand('DyNN: Select Backend');
    const row = wb.page.locator('.quick-input-widget .quick-input-list .monaco-list-row', { hasText: 'WebAssembly with SIMD' }).first();
    await row.waitFor({ state: 'visible', timeout: 10_000 });
    await row.click();
    const settings = path.join(wb.workspaceDir, '.vscode', 'settings.json');
    const deadline = Date.now() + 10_000;
    while (!/"dynn\.backend":\s*"wasm"/.test(fs.readFileSync(settings, 'utf8'))) {
      if (Date.now() > deadline) throw new Error(`dynn.backend not written to ${settings}: ${fs.readFileSync(settings, 'utf8')}`);
      await wb.page.waitForTimeout(200);
    }
  });

  it('runs a check from the Check lens and shows the results panel with drawn charts', async function () {
    this.timeout(240_000);
    const lenses = await wb.codeLensTexts();
    assert.ok(lenses.some((l) => /MFLOPs|kFLOPs|FLOPs/.test(l)), lenses.join(' | '));
    const check = wb.page.locator('.monaco-editor .codelens-decoration a', { hasText: /^\s*Check\s*$/ }).first();
    await check.click();
    // When the check ends the lenses carry the measured figures and the panel opens beside the file.
    const deadline = Date.now() + 200_000;
    let measured = await wb.codeLensTexts();
    while (!measured.some((l) => /clean acc \d+%/.test(l) && /40 samples/.test(l))) {
      if (Date.now() > deadline) throw new Error(`no measured figures on the lenses: ${measured.join(' | ')}`);
      await wb.page.waitForTimeout(500);
      measured = await wb.codeLensTexts();
    }
    await wb.webview().locator('[data-results-hash]').waitFor({ state: 'attached', timeout: 30_000 });
    assert.ok(measured.some((l) => /exit here · hijack \d+% at eps 0\.2/.test(l)), measured.join(' | '));

    const tabs = await wb.webview().locator('[data-tab]').all();
    assert.ok(tabs.length >= 3, `only ${tabs.length} tabs`);
    const drawn: CanvasFacts[] = [];
    for (const tab of tabs) {
      await tab.click();
      await wb.page.waitForTimeout(400); // chart.js animates its first frame
      drawn.push(...(await canvasFacts(wb.webview(), 'canvas[data-datasets]')));
    }
    const labels = drawn.map((c) => c.datasets ?? []);
    const robustness = drawn.find((c) => c.datasets?.includes('pgd (L∞): dynamic'));
    assert.ok(robustness, `no robustness chart among ${JSON.stringify(labels)}`);
    assert.ok(robustness.datasets?.includes('pgd (L∞): final exit'), JSON.stringify(robustness.datasets));
    const exits = drawn.find((c) => c.datasets?.includes('exit exit1') && c.datasets.includes('exit final'));
    assert.ok(exits, `no exit-distribution chart among ${JSON.stringify(labels)}`);
    for (const c of drawn) {
      assert.ok(c.width > 0 && c.height > 0, `an empty canvas: ${JSON.stringify(c)}`);
      assert.ok(c.painted > 100, `a chart drew nothing: ${JSON.stringify(c)}`);
    }
  });

  it('shows adversarial digits in the gallery: the canvases hold the digits of the results, pixel for pixel', async () => {
    await wb.webview().locator('[data-tab="gallery"]').click();
    const items = wb.webview().locator('[data-gallery-item]');
    await items.first().waitFor({ state: 'visible', timeout: 10_000 });
    // What the panel was given: the results the check wrote to .dynn/results/, as the webview turns them into pixels.
    const results = JSON.parse(fs.readFileSync(path.join(wb.workspaceDir, '.dynn', 'results', 'ui-tiny.json'), 'utf8')) as Results;
    const expected = galleryViews(results);
    assert.ok(expected.length > 0, 'the check kept no gallery images');
    const shown = await galleryPixels(wb.webview());
    assert.deepStrictEqual(shown.map((g) => g.key), expected.map((g) => g.key));
    shown.forEach((g, i) => {
      const want = expected[i] as GalleryView;
      for (const role of ['original', 'perturbation', 'adversarial'] as const) {
        const canvas = g.canvases.find((c) => c.role === role);
        assert.ok(canvas, `${g.key}: no ${role} canvas`);
        assert.deepStrictEqual([canvas.width, canvas.height], [28, 28], `${g.key} ${role}`);
        assert.ok(canvas.visible, `${g.key}: the ${role} canvas is not displayed`);
        const differing = canvas.data.findIndex((v, k) => v !== want[role].data[k]);
        assert.strictEqual(differing, -1, `${g.key} ${role}: byte ${differing} is ${canvas.data[differing]}, the results give ${want[role].data[differing]}`);
      }
      // A digit, not a flat or noisy square: black background, white strokes, many grey levels.
      const grey = (g.canvases.find((c) => c.role === 'original')?.data ?? []).filter((_, k) => k % 4 === 0);
      assert.strictEqual(Math.min(...grey), 0, `${g.key}: no black background`);
      assert.ok(Math.max(...grey) >= 200, `${g.key}: no bright stroke`);
      assert.ok(grey.filter((v) => v === 0).length > 28 * 28 * 0.5, `${g.key}: mostly not background`);
      assert.ok(new Set(grey).size > 10, `${g.key}: ${new Set(grey).size} grey levels`);
    });
  });

  it('saves screenshots of the panel in the dark and light themes', async () => {
    const gallery = await wb.screenshot('results-panel-gallery-dark', { theme: 'dark' });
    await wb.webview().locator('[data-tab]', { hasText: 'Robustness' }).click();
    await wb.webview().locator('[data-panel]:not([hidden]) canvas[data-datasets]').first().scrollIntoViewIfNeeded();
    await wb.page.waitForTimeout(600);
    const dark = await wb.screenshot('results-panel-dark');
    const light = await wb.screenshot('results-panel-light', { theme: 'light' });
    // The charts re-theme with the workbench: the light screenshot must differ from the dark one.
    await wb.page.waitForTimeout(600);
    const relit = await wb.screenshot('results-panel-light');
    for (const f of [gallery, dark, light, relit]) assert.ok(fs.statSync(f).size > 20_000, `${f} looks empty`);
    assert.notDeepStrictEqual(fs.readFileSync(dark), fs.readFileSync(relit));
    await wb.setTheme('dark');
  });

  it("sweeps the thresholds from the palette and applies a suggestion with the panel's Apply button", async function () {
    this.timeout(200_000);
    await wb.runCommand('View: Focus First Editor Group');
    await wb.runCommand('DyNN: Sweep Exit Thresholds');
    // The panel replays the new results when the store changes; the sweep tab lists the measured suggestions.
    await wb.webview().locator('[data-tab]', { hasText: 'Sweeps' }).click();
    await wb.webview().locator('button[data-apply]').first().waitFor({ state: 'visible', timeout: 180_000 });
    await wb.screenshot('results-panel-suggestions');
    // Removing the only exit would break the file's hijack check: the editor refuses it and the panel says why.
    const removal = wb.webview().locator('button[data-apply][aria-label^="Apply: remove exit1"]');
    if ((await removal.count()) > 0) {
      await removal.click();
      await wb.webview().getByText(/Could not apply: .*would leave the file with an error/).first().waitFor({ state: 'visible', timeout: 10_000 });
    }
    const apply = wb.webview().locator('button[data-apply][aria-label*="threshold"]').first();
    await apply.click();
    // The edit lands in the model file (undoably): its figures are now stale.
    const deadline = Date.now() + 20_000;
    let lenses = await wb.codeLensTexts();
    while (!lenses.some((l) => l.includes('(stale)'))) {
      if (Date.now() > deadline) throw new Error(`the applied suggestion did not mark the figures stale: ${lenses.join(' | ')}`);
      await wb.page.waitForTimeout(300);
      lenses = await wb.codeLensTexts();
    }
    await wb.webview().locator('[data-banner="stale"]').waitFor({ state: 'visible', timeout: 10_000 });
    await wb.screenshot('results-panel-after-apply');
    await wb.runCommand('View: Focus First Editor Group');
    await wb.page.keyboard.press('Control+Z');
    const restored = Date.now() + 20_000;
    while ((await wb.codeLensTexts()).some((l) => l.includes('(stale)'))) {
      if (Date.now() > restored) throw new Error('undo did not restore the measured design');
      await wb.page.waitForTimeout(300);
    }
  });

  it('compares with adversarial training from the palette: both trainings in the panel, and the recipe applies', async function () {
    this.timeout(240_000);
    const resultsFile = path.join(wb.workspaceDir, '.dynn', 'results', 'ui-tiny.json');
    const before = fs.statSync(resultsFile).mtimeMs;
    await wb.runCommand('View: Focus First Editor Group');
    await wb.runCommand('DyNN: Compare with Adversarial Training');
    await wb.webview().locator('[data-tab]', { hasText: 'Sweeps' }).click();
    const table = wb.webview().locator('[data-table="training"]');
    await table.waitFor({ state: 'visible', timeout: 200_000 });
    assert.ok(fs.statSync(resultsFile).mtimeMs > before, 'the study wrote new results');
    const results = JSON.parse(fs.readFileSync(resultsFile, 'utf8')) as Results;
    const c = results.training;
    assert.ok(c, 'the results hold the comparison');
    assert.equal(c.file, 'clean');
    // The table shows this run's figures: the clean accuracy of each training, as the results file has them.
    const cleanRow = table.locator('tr', { hasText: 'clean accuracy (dynamic)' });
    assert.deepStrictEqual(await cleanRow.locator('td').allTextContents(), [
      `${(100 * c.clean.cleanAccuracy).toFixed(1)}%`,
      `${(100 * c.adversarial.cleanAccuracy).toFixed(1)}%`,
      `${(100 * (c.adversarial.cleanAccuracy - c.clean.cleanAccuracy) >= 0 ? '+' : '')}${(100 * (c.adversarial.cleanAccuracy - c.clean.cleanAccuracy)).toFixed(1)} points`,
    ]);
    const datasets = async (id: string): Promise<string[]> => {
      const canvas = wb.webview().locator(`canvas[data-chart="${id}"][data-datasets]`);
      await canvas.waitFor({ state: 'attached', timeout: 10_000 });
      return JSON.parse((await canvas.getAttribute('data-datasets')) ?? '[]') as string[];
    };
    assert.deepStrictEqual(await datasets('training'), ['clean training (the file)', 'adversarial training (proposed)']);
    assert.ok((await datasets('sweep-0')).includes('adversarially trained: designs'), 'the sweep draws both trainings');
    await table.scrollIntoViewIfNeeded();
    await wb.screenshot('results-panel-adversarial-training');
    // On this model the recipe raises the PGD figure by about 20 points: the study suggests it, and Apply adds it.
    const apply = wb.webview().locator('button[data-apply][aria-label^="Apply: train adversarially"]');
    await apply.click();
    await wb.runCommand('View: Focus First Editor Group');
    await wb.runCommand('File: Save');
    const model = path.join(wb.workspaceDir, MODEL_FILE);
    const saved = Date.now() + 15_000;
    while (!/adversarial: \{eps: 0\.1, step: 0\.025, steps: 5, loss: average, fraction: 0\.5\}/.test(fs.readFileSync(model, 'utf8'))) {
      if (Date.now() > saved) throw new Error(`the recipe did not land in the file: ${fs.readFileSync(model, 'utf8')}`);
      await wb.page.waitForTimeout(250);
    }
    await wb.page.keyboard.press('Control+Z');
    await wb.runCommand('File: Save');
    const restored = Date.now() + 15_000;
    while (fs.readFileSync(model, 'utf8').includes('adversarial:')) {
      if (Date.now() > restored) throw new Error('undo did not remove the recipe');
      await wb.page.waitForTimeout(250);
    }
  });

  it('exports a Markdown report through the command and the save dialog', async () => {
    // The model is open beside the panel: focus its editor so the command acts on it.
    await wb.runCommand('View: Focus First Editor Group');
    await wb.runCommand('DyNN: Export Report');
    const md = wb.page.locator('.quick-input-widget .quick-input-list .monaco-list-row', { hasText: 'Markdown' }).first();
    await md.waitFor({ state: 'visible', timeout: 10_000 });
    await md.click();
    // code-server's save dialog is a quick input holding the proposed path: accept it.
    const input = wb.page.locator('.quick-input-widget .quick-input-box input');
    await input.waitFor({ state: 'visible', timeout: 10_000 });
    await wb.page.waitForTimeout(500);
    await wb.page.keyboard.press('Enter');
    const report = path.join(wb.workspaceDir, 'ui-tiny.report.md');
    const deadline = Date.now() + 15_000;
    while (!fs.existsSync(report)) {
      if (Date.now() > deadline) throw new Error(`no report at ${report}; workspace holds ${fs.readdirSync(wb.workspaceDir).join(', ')}`);
      await wb.page.waitForTimeout(250);
    }
    const text = fs.readFileSync(report, 'utf8');
    assert.match(text, /ui-tiny/);
    assert.match(text, /pgd/);
  });
});
