// The in-host runner of the installed-VSIX check (test/package/vsix.test.ts): VS Code's extension host loads this
// module (extensionTestsPath) and awaits `run()`, which runs the tests beside it with the integration runner.
import { REPORT_ENV, findTestFiles, runAndCheck } from '../../integration/index';

export async function run(): Promise<void> {
  await runAndCheck({ files: findTestFiles(__dirname), reportFile: process.env[REPORT_ENV], timeoutMs: 120_000 });
}
