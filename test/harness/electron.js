// The integration suite under desktop VS Code, through @vscode/test-electron (downloads VS Code on first use).
//
// Usage:  npm run test:electron               (builds first through pretest:electron)
//         node test/harness/electron.js       (VSCODE_VERSION=1.100.0 to test the minimum supported version)
//
// For desktops that can reach VS Code's download servers; CI and machines without that access use
// test/harness/integration.js (code-server) instead, which runs the same out/test/integration suite. The
// runner inside the host writes its report to DYNN_TEST_REPORT, read back here exactly as there.
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { PROJECT_ROOT, EXTENSION_PATH, prepareWorkspace, requireBuilt } = require('./workbench');
const { collect, judge, finish } = require('./report');

async function runElectron() {
  requireBuilt([path.join(EXTENSION_PATH, 'dist', 'extension.js'), 'out/test/integration/index.js'], 'npm run pretest:electron');
  const { runTests, TestRunFailedError } = require('@vscode/test-electron');
  const reportDir = fs.mkdtempSync(path.join(os.tmpdir(), 'dynn-electron-'));
  const reportFile = path.join(reportDir, 'report.json');
  const workspace = prepareWorkspace();
  let exitCode;
  let problem;
  try {
    exitCode = await runTests({
      version: process.env.VSCODE_VERSION || 'stable',
      extensionDevelopmentPath: EXTENSION_PATH,
      extensionTestsPath: path.join(PROJECT_ROOT, 'out', 'test', 'integration', 'index.js'),
      extensionTestsEnv: { DYNN_TEST_REPORT: reportFile },
      launchArgs: [workspace.dir, '--disable-extensions', '--disable-workspace-trust', '--user-data-dir', path.join(reportDir, 'user-data')],
    });
  } catch (err) {
    // runTests rejects with a TestRunFailedError (VS Code ran and exited non-zero), or with another error when
    // VS Code could not be downloaded or started.
    if (err instanceof TestRunFailedError) exitCode = err.code ?? 1;
    else problem = `@vscode/test-electron could not run VS Code: ${err instanceof Error ? err.message : String(err)}`;
  } finally {
    workspace.remove();
  }
  return collect(reportFile, reportDir, exitCode, problem);
}

module.exports = { runElectron };

if (require.main === module) {
  runElectron()
    .catch((err) => judge(undefined, undefined, err instanceof Error ? err.message : String(err)))
    .then((counts) => { process.exitCode = finish(counts); });
}
