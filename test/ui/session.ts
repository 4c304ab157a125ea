// One code-server + one headless Chromium page for the whole UI run, shared by every *.ui.ts file.
//
//   import { workbench } from './session';
//   before(async () => { wb = await workbench(); });
//
// test/harness/ui.js runs the UI files with mocha and calls closeSession() at the end (also on its hard timeout).
// The workbench opens a temp copy of test/fixtures/workspace (with examples/ copied in) and loads the extension
// from the project folder through the smoke-test payload (no packaging, no install).
import * as path from 'path';
import type { Browser } from 'playwright-core';
import { Workbench } from './workbench';

/** The plain-Node harness modules (test/harness/*.js), typed for what this file uses. */
interface Tools { node: string; codeServer: string; chromium: string }
interface Server { origin: string; port: number; tmp: string; logTail(): string; stop(): Promise<void> }
interface Harness {
  tools: { ensureTools(): Tools };
  server: { startServer(tools: Tools): Promise<Server> };
  workbench: {
    PROJECT_ROOT: string;
    prepareWorkspace(): { dir: string; remove(): void };
    workbenchUrl(server: Server, options: { folder: string }): string;
    launchBrowser(tools: Tools): Promise<Browser>;
  };
}

/** out/test/ui -> project root (this file is compiled to out/test/ui/session.js). */
const PROJECT_ROOT = path.resolve(__dirname, '..', '..', '..');
export const OUTPUT_DIR = path.join(PROJECT_ROOT, 'test-output', 'ui');
/** The extension folder the workbench loads (test/harness/workbench.js reads the same variable). */
export const EXTENSION_PATH = process.env.DYNN_EXTENSION_PATH ? path.resolve(process.env.DYNN_EXTENSION_PATH) : PROJECT_ROOT;

function loadHarness(): Harness {
  const load = (name: string): unknown => require(path.join(PROJECT_ROOT, 'test', 'harness', `${name}.js`)); // eslint-disable-line @typescript-eslint/no-require-imports
  return { tools: load('tools'), server: load('server'), workbench: load('workbench') } as Harness;
}

interface Session {
  wb: Workbench;
  close(): Promise<void>;
}

let session: Promise<Session> | undefined;

async function start(): Promise<Session> {
  const h = loadHarness();
  const tools = h.tools.ensureTools();
  const workspace = h.workbench.prepareWorkspace();
  let server: Server | undefined;
  let browser: Browser | undefined;
  const close = async () => {
    if (browser) await browser.close().catch(() => undefined);
    if (server) await server.stop();
    workspace.remove();
  };
  try {
    server = await h.server.startServer(tools);
    browser = await h.workbench.launchBrowser(tools);
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    page.setDefaultTimeout(30_000);
    await page.goto(h.workbench.workbenchUrl(server, { folder: workspace.dir }));
    const wb = new Workbench(page, workspace.dir, OUTPUT_DIR);
    await wb.ready();
    return { wb, close };
  } catch (err) {
    const log = server ? `\ncode-server log (last lines):\n${server.logTail()}` : '';
    await close();
    throw new Error(`could not open the workbench: ${err instanceof Error ? err.message : String(err)}${log}`);
  }
}

/** The shared workbench, started on first use. */
export function workbench(): Promise<Workbench> {
  session ??= start();
  return session.then((s) => s.wb);
}

/** Stops the browser and code-server and removes the temp workspace; safe to call more than once. */
export async function closeSession(): Promise<void> {
  const current = session;
  session = undefined;
  if (!current) return;
  const s = await current.catch(() => undefined);
  if (s) await s.close();
}
