// Shared pieces for opening the VS Code workbench of a running code-server in headless Chromium.
//
// Usage:
//   const { prepareWorkspace, workbenchUrl, launchBrowser, PROJECT_ROOT } = require('./workbench');
//   const ws = prepareWorkspace();                 // temp copy of test/fixtures/workspace + examples/
//   const ws2 = prepareWorkspace({ settings: { 'dynn.backend': 'wasm' } });   // plus .vscode/settings.json
//   const url = workbenchUrl(server, { folder: ws.dir, extensionTestsPath, env: { KEY: 'value' } });
//   const browser = await launchBrowser(tools);    // playwright-core Browser on Debian's Chromium
//   ... ws.remove();
//
// The workspace is a throw-away copy so tests may edit files; example model files are copied in at run time
// (into examples/ inside it, keeping their relative data paths) rather than duplicated in the fixture folder.
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { childEnv } = require('./child-env');

const PROJECT_ROOT = path.resolve(__dirname, '..', '..');
const FIXTURE_WORKSPACE = path.join(PROJECT_ROOT, 'test', 'fixtures', 'workspace');
const EXAMPLES = path.join(PROJECT_ROOT, 'examples');
/** The extension folder to load; DYNN_EXTENSION_PATH points elsewhere (e.g. to try the harness on another build). */
const EXTENSION_PATH = process.env.DYNN_EXTENSION_PATH ? path.resolve(process.env.DYNN_EXTENSION_PATH) : PROJECT_ROOT;

const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

/**
 * @param {{ settings?: Record<string, unknown> }} [options] `settings`: written as the folder's .vscode/settings.json
 * @returns {{ dir: string, remove(): void }}
 */
function prepareWorkspace(options = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dynn-workspace-'));
  fs.cpSync(FIXTURE_WORKSPACE, dir, { recursive: true });
  if (fs.existsSync(EXAMPLES)) fs.cpSync(EXAMPLES, path.join(dir, 'examples'), { recursive: true });
  if (options.settings) {
    fs.mkdirSync(path.join(dir, '.vscode'), { recursive: true });
    fs.writeFileSync(path.join(dir, '.vscode', 'settings.json'), JSON.stringify(options.settings, null, 2));
  }
  return { dir, remove: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/**
 * The workbench URL for a folder, with the smoke-test `payload`: the extension under development, and
 * optionally a tests module that the extension host loads and runs (`run()`), with extra environment variables.
 * Paths must be vscode-remote URIs on the server's authority: the workbench ignores file: URIs here.
 * @param {{ origin: string, port: number }} server
 * @param {{ folder: string, extensionDevelopmentPath?: string, extensionTestsPath?: string, env?: Record<string, string> }} options
 */
function workbenchUrl(server, options) {
  const authority = new URL(server.origin).host;
  const remote = (p) => `vscode-remote://${authority}${path.resolve(p)}`;
  const payload = [['extensionDevelopmentPath', remote(options.extensionDevelopmentPath || EXTENSION_PATH)]];
  if (options.extensionTestsPath) payload.push(['extensionTestsPath', remote(options.extensionTestsPath)]);
  if (options.env) payload.push(['extensionEnvironment', JSON.stringify(options.env)]);
  return `${server.origin}/?folder=${encodeURIComponent(options.folder)}&payload=${encodeURIComponent(JSON.stringify(payload))}`;
}

/**
 * Headless Chromium through playwright-core (never Playwright's own browser download).
 * @param {{ chromium: string }} tools
 * @returns {Promise<import('playwright-core').Browser>}
 */
async function launchBrowser(tools) {
  const { chromium } = require('playwright-core');
  // Chromium's crash handler and caches follow XDG_*: keep them out of the home folder too.
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'dynn-chromium-'));
  const env = childEnv({ XDG_CONFIG_HOME: home, XDG_CACHE_HOME: home });
  let browser;
  try {
    browser = await chromium.launch({ executablePath: tools.chromium, headless: true, args: CHROMIUM_ARGS, env });
  } catch (err) {
    fs.rmSync(home, { recursive: true, force: true });
    throw new Error(`could not start Chromium (${tools.chromium}): ${err instanceof Error ? err.message : String(err)}`);
  }
  browser.once('disconnected', () => fs.rmSync(home, { recursive: true, force: true }));
  return browser;
}

/** Files the extension must have been built into before a suite runs; throws naming the build command. */
function requireBuilt(files, buildCommand) {
  const missing = files.filter((f) => !fs.existsSync(path.isAbsolute(f) ? f : path.join(PROJECT_ROOT, f)));
  if (missing.length > 0) throw new Error(`missing ${missing.join(', ')}: build first (${buildCommand})`);
}

module.exports = { PROJECT_ROOT, EXTENSION_PATH, prepareWorkspace, workbenchUrl, launchBrowser, requireBuilt };
