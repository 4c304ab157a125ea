// The UI suite: mocha in plain Node over out/test/ui/**/*.ui.js; the tests drive VS Code (code-server) in
// headless Chromium through test/ui/session.ts and test/ui/workbench.ts.
//
// Usage:  npm run test:ui                     (builds first through pretest:ui)
//         node test/harness/ui.js [filter]    (expects dist/extension.js and out/test/ui/; filter = mocha --grep)
//         const { runUi } = require('./ui'); const counts = await runUi();
//
// One server and one browser serve every UI file; they are stopped when mocha ends, and on the hard timeout
// (DYNN_UI_TIMEOUT_MS, default 8 minutes), which reports a failure saying so. Screenshots go to test-output/ui/.
'use strict';
const fs = require('fs');
const path = require('path');
const Mocha = require('mocha');
const { ensureTools } = require('./tools');
const { PROJECT_ROOT, EXTENSION_PATH, requireBuilt } = require('./workbench');
const { finish } = require('./report');

const UI_DIR = path.join(PROJECT_ROOT, 'out', 'test', 'ui');
const TIMEOUT_MS = Number(process.env.DYNN_UI_TIMEOUT_MS) || 8 * 60_000;

function findUiFiles(dir) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) return findUiFiles(full);
    return e.isFile() && e.name.endsWith('.ui.js') ? [full] : [];
  }).sort();
}

/** @returns {Promise<{ passed: number, failed: number, failures: { title: string, message: string }[] }>} */
async function runUi(grep) {
  requireBuilt([path.join(EXTENSION_PATH, 'dist', 'extension.js'), path.join(UI_DIR, 'session.js')], 'npm run pretest:ui');
  ensureTools(); // may take minutes on a fresh machine: before the clock and mocha's timeouts start
  const started = Date.now();
  const files = findUiFiles(UI_DIR);
  const session = require(path.join(UI_DIR, 'session.js'));
  const mocha = new Mocha({ reporter: 'spec', timeout: 90_000, ...(grep ? { grep } : {}) });
  for (const f of files) mocha.addFile(f);
  const failures = [];
  let timer;
  const timedOut = new Promise((resolve) => {
    timer = setTimeout(() => resolve('timeout'), TIMEOUT_MS);
  });
  // Last resort if even stopping hangs: the server's exit handler still kills its process group.
  setTimeout(() => {
    console.error(`UI suite: still running ${TIMEOUT_MS / 1000 + 60} s after start; exiting`);
    process.exit(1);
  }, TIMEOUT_MS + 60_000).unref();
  try {
    await mocha.loadFilesAsync();
    let runner;
    const finished = new Promise((resolve) => {
      runner = mocha.run(() => resolve('done'));
      runner.on('fail', (test, err) => failures.push({ title: test.fullTitle(), message: err instanceof Error ? err.message : String(err) }));
    });
    const outcome = await Promise.race([finished, timedOut]);
    const stats = runner.stats || { passes: 0, failures: 0 };
    const counts = { passed: stats.passes, failed: stats.failures, failures };
    if (outcome === 'timeout') {
      runner.abort();
      counts.failed += 1;
      counts.failures.push({ title: 'UI suite', message: `did not finish within ${TIMEOUT_MS / 1000} s; stopped the browser and code-server` });
    }
    if (counts.passed + counts.failed === 0) {
      counts.failed = 1;
      counts.failures.push({ title: 'UI suite', message: `no UI test ran (files: ${files.length})` });
    }
    return counts;
  } catch (err) {
    return { passed: 0, failed: 1, failures: [{ title: 'UI suite', message: err instanceof Error ? err.message : String(err) }] };
  } finally {
    clearTimeout(timer);
    await session.closeSession();
    console.log(`UI suite: ${((Date.now() - started) / 1000).toFixed(1)} s; screenshots in ${path.relative(PROJECT_ROOT, session.OUTPUT_DIR)}/`);
  }
}

module.exports = { runUi };

if (require.main === module) {
  runUi(process.argv[2])
    .catch((err) => ({ passed: 0, failed: 1, failures: [{ title: 'UI suite', message: err instanceof Error ? err.message : String(err) }] }))
    .then((counts) => {
      // exit() rather than exitCode: a test left hanging in the page after a timeout must not keep the process alive.
      process.exit(finish(counts));
    });
}
