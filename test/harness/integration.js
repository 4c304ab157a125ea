// The integration suite: mocha inside a real VS Code extension host (code-server), driven from headless Chromium.
//
// Usage:  npm run test:integration            (builds first through pretest:integration)
//         node test/harness/integration.js    (expects dist/extension.js and out/test/integration/index.js)
//         DYNN_INTEGRATION_GREP=WebGPU node test/harness/integration.js   (only the tests whose title matches)
//         const { runIntegration } = require('./integration'); const counts = await runIntegration();
//         runIntegration({ name, testsEntry, trust: false, workspace: { settings } })   (see integration-untrusted.js)
//         runIntegration({ name, testsEntry, install: [vsix], extensionDevelopmentPath, env })  (test/package: the
//                        packaged extension, installed into code-server, next to a development folder that only
//                        carries the tests)
//
// Opens the workbench on a temp copy of the fixture workspace with the smoke-test payload: the extension under
// development plus out/test/integration/index.js as the extension tests path. The workbench calls
// window.codeAutomationExit(code) when the runner's run() settles; the runner's report file (named through
// extensionEnvironment) gives the spec report and counts, printed here. A hard timeout (DYNN_INTEGRATION_TIMEOUT_MS,
// default 6 minutes) stops the browser and the server and reports a failure saying so.
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { ensureTools, swiftShaderEnv } = require('./tools');
const { startServer } = require('./server');
const { PROJECT_ROOT, EXTENSION_PATH, prepareWorkspace, workbenchUrl, launchBrowser, requireBuilt } = require('./workbench');
const { collect, judge, finish } = require('./report');

const TESTS_ENTRY = 'out/test/integration/index.js';
const TIMEOUT_MS = Number(process.env.DYNN_INTEGRATION_TIMEOUT_MS) || 6 * 60_000;

/** Resolves with the host's exit code, or rejects after `ms`. */
function waitForExit(exitPromise, ms, name) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`the ${name} did not finish within ${ms / 1000} s; stopped the browser and code-server`)), ms);
  });
  return Promise.race([exitPromise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Runs one in-host mocha suite: `testsEntry` is the runner module (its run() picks the test files), `trust: false`
 * starts code-server with workspace trust enforced so the folder opens untrusted, `workspace` writes extra files
 * (see prepareWorkspace), `name` labels the messages, `install` lists VSIX files code-server installs before it
 * starts, `extensionDevelopmentPath` replaces the project folder as the extension under development, and `env`
 * adds variables for the tests (DYNN_INSTALLED_EXTENSIONS names the extensions folder). The defaults are the
 * normal integration suite.
 * @param {{ name?: string, testsEntry?: string, trust?: boolean, workspace?: { settings?: Record<string, unknown> }, install?: string[], extensionDevelopmentPath?: string, env?: Record<string, string> }} [options]
 * @returns {Promise<{ passed: number, failed: number, failures: { title: string, message: string }[] }>}
 */
async function runIntegration(options = {}) {
  const name = options.name || 'integration suite';
  const testsEntry = options.testsEntry || TESTS_ENTRY;
  requireBuilt(options.extensionDevelopmentPath ? [testsEntry] : [path.join(EXTENSION_PATH, 'dist', 'extension.js'), testsEntry], 'npm run pretest:integration');
  const tools = ensureTools(); // may take minutes on a fresh machine, so the clock starts after it
  const started = Date.now();
  // Last resort if even stopping hangs: the server's exit handler still kills its process group.
  setTimeout(() => {
    console.error(`${name}: still running ${TIMEOUT_MS / 1000 + 60} s after start; exiting`);
    process.exit(1);
  }, TIMEOUT_MS + 60_000).unref();
  const reportDir = fs.mkdtempSync(path.join(os.tmpdir(), 'dynn-integration-'));
  const reportFile = path.join(reportDir, 'report.json');
  const workspace = prepareWorkspace(options.workspace);
  let server;
  let browser;
  let exitCode;
  let problem;
  try {
    server = await startServer(tools, { trust: options.trust !== false, install: options.install });
    browser = await launchBrowser(tools);
    const page = await browser.newPage();
    let onExit;
    const exited = new Promise((resolve) => { onExit = resolve; });
    await page.exposeFunction('codeAutomationExit', (code) => { onExit(Number(code)); });
    const url = workbenchUrl(server, {
      folder: workspace.dir,
      extensionDevelopmentPath: options.extensionDevelopmentPath,
      extensionTestsPath: path.resolve(PROJECT_ROOT, testsEntry),
      // SwiftShader's Vulkan (when Chromium ships it) gives the worker a WebGPU adapter on a machine without a GPU.
      env: {
        ...swiftShaderEnv()?.env,
        ...(process.env.DYNN_INTEGRATION_GREP ? { DYNN_INTEGRATION_GREP: process.env.DYNN_INTEGRATION_GREP } : {}),
        ...options.env,
        DYNN_TEST_REPORT: reportFile,
        DYNN_INSTALLED_EXTENSIONS: server.extensionsDir,
      },
    });
    await page.goto(url);
    exitCode = await waitForExit(exited, TIMEOUT_MS, name);
  } catch (err) {
    problem = err instanceof Error ? err.message : String(err);
    if (server) problem += `\ncode-server log (last lines):\n${server.logTail()}`;
  } finally {
    if (browser) await browser.close().catch(() => undefined);
    if (server) await server.stop();
    workspace.remove();
  }
  const counts = collect(reportFile, reportDir, exitCode, problem);
  console.log(`${name}: ${((Date.now() - started) / 1000).toFixed(1)} s, host exit code ${exitCode ?? 'none'}`);
  return counts;
}

module.exports = { runIntegration };

if (require.main === module) {
  runIntegration()
    .catch((err) => judge(undefined, undefined, err instanceof Error ? err.message : String(err)))
    .then((counts) => { process.exitCode = finish(counts); });
}
