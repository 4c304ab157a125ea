// The in-host runner of the untrusted-workspace suite (test/harness/integration-untrusted.js): the same runner as
// test/integration/index.ts, over the *.test.js beside this file only, so neither suite loads the other's tests.
import { findTestFiles, REPORT_ENV, runAndCheck } from '../integration/index';

/** Entry point called by VS Code's extension host. */
export async function run(): Promise<void> {
  await runAndCheck({ files: findTestFiles(__dirname), reportFile: process.env[REPORT_ENV], timeoutMs: 60_000 });
}
