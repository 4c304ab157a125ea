// The untrusted-workspace suite: the same in-host mocha run as integration.js, but code-server enforces workspace
// trust (no --disable-workspace-trust, startup prompt off), so the folder opens in restricted mode and the
// extension host sees `vscode.workspace.isTrusted === false`.
//
// Usage:  npm run test:untrusted                   (builds first through pretest:untrusted)
//         node test/harness/integration-untrusted.js
//
// Runs out/test/integration-untrusted/index.js, which runs only the tests beside it (the normal integration run
// never loads them). The workspace is a fresh temp copy of the fixture folder whose .vscode/settings.json sets a
// restricted setting (`dynn.backend`, which restricted mode must ignore) next to an unrestricted one
// (`dynn.diagnostics.debounceMs`, which it must still apply), so the tests can tell the two apart.
'use strict';
const { runIntegration } = require('./integration');
const { judge, finish } = require('./report');

const WORKSPACE_SETTINGS = {
  'dynn.backend': 'wasm',
  'dynn.diagnostics.debounceMs': 123,
};

function runUntrusted() {
  return runIntegration({
    name: 'untrusted-workspace suite',
    testsEntry: 'out/test/integration-untrusted/index.js',
    trust: false,
    workspace: { settings: WORKSPACE_SETTINGS },
  });
}

module.exports = { runUntrusted, WORKSPACE_SETTINGS };

if (require.main === module) {
  runUntrusted()
    .catch((err) => judge(undefined, undefined, err instanceof Error ? err.message : String(err)))
    .then((counts) => { process.exitCode = finish(counts); });
}
