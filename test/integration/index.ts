// The in-host test runner: VS Code's extension host loads this module (extensionTestsPath) and awaits `run()`.
//
// It runs mocha over every out/test/integration/**/*.test.js beside it. The host's console is not visible from
// outside under code-server, so mocha's spec report and a JSON summary are written to the file named by the
// environment variable DYNN_TEST_REPORT (passed in through the workbench's extensionEnvironment, or
// extensionTestsEnv under @vscode/test-electron). `run()` rejects when a test failed, which the workbench turns
// into a non-zero exit code. This module does not import `vscode`, so its runner also works in plain Node
// (the harness self-test in test/unit/harness uses that).
import * as fs from 'fs';
import * as path from 'path';
import { format } from 'util';
import Mocha from 'mocha';

export const REPORT_ENV = 'DYNN_TEST_REPORT';
/** Set (through the harness's DYNN_INTEGRATION_GREP) to run only the matching tests. */
export const GREP_ENV = 'DYNN_INTEGRATION_GREP';

export interface FailureSummary {
  title: string;
  message: string;
}

/** What the runner writes to the report file (JSON); the harness reads it back. */
export interface SuiteSummary {
  passed: number;
  failed: number;
  pending: number;
  failures: FailureSummary[];
  /** Mocha's spec report, as it would have printed it. */
  report: string;
}

export interface SuiteOptions {
  files: string[];
  /** Where to write the JSON summary; nothing is written when undefined. */
  reportFile?: string;
  timeoutMs?: number;
  /** Runs only the tests whose full title matches (mocha --grep). */
  grep?: string;
}

/** Every *.test.js below `dir`, sorted so runs are repeatable. */
export function findTestFiles(dir: string): string[] {
  const found: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) found.push(...findTestFiles(full));
    else if (entry.isFile() && entry.name.endsWith('.test.js')) found.push(full);
  }
  return found.sort();
}

/** Writes atomically so the harness never reads half a report. */
function writeReport(file: string, summary: SuiteSummary): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(summary, null, 2));
  fs.renameSync(tmp, file);
}

function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}

/** Runs mocha over `files` with the spec reporter, capturing its output; never throws for failing tests. */
export async function runSuite(options: SuiteOptions): Promise<SuiteSummary> {
  const lines: string[] = [];
  const base = Mocha.reporters.Base as unknown as { consoleLog: (...args: unknown[]) => void; useColors: boolean };
  const originalLog = base.consoleLog;
  base.consoleLog = (...args: unknown[]) => { lines.push(format(...args)); };
  base.useColors = false;
  const failures: FailureSummary[] = [];
  let summary: SuiteSummary;
  try {
    const mocha = new Mocha({ ui: 'bdd', reporter: 'spec', color: false, timeout: options.timeoutMs ?? 60_000, ...(options.grep ? { grep: options.grep } : {}) });
    for (const file of options.files) mocha.addFile(file);
    await mocha.loadFilesAsync();
    const stats = await new Promise<Mocha.Stats>((resolve) => {
      const runner = mocha.run(() => resolve(runner.stats ?? { passes: 0, failures: 0, pending: 0 } as Mocha.Stats));
      runner.on('fail', (test: Mocha.Runnable, err: unknown) => {
        failures.push({ title: test.fullTitle(), message: errorMessage(err) });
      });
    });
    summary = { passed: stats.passes, failed: stats.failures, pending: stats.pending, failures, report: lines.join('\n') };
  } catch (err) {
    // A test file that does not load (syntax error, missing module) is a failure, not a crash of the host.
    failures.push({ title: 'loading the test files', message: errorMessage(err) });
    summary = { passed: 0, failed: failures.length, pending: 0, failures, report: lines.join('\n') };
  } finally {
    base.consoleLog = originalLog;
  }
  if (options.reportFile) writeReport(options.reportFile, summary);
  return summary;
}

/** Runs the suite and rejects when anything failed (so the host reports a non-zero exit code). */
export async function runAndCheck(options: SuiteOptions): Promise<SuiteSummary> {
  const summary = await runSuite(options);
  if (summary.failed > 0) throw new Error(`${summary.failed} integration test(s) failed`);
  if (summary.passed === 0) throw new Error('no integration test ran');
  return summary;
}

/** Entry point called by VS Code's extension host. */
export async function run(): Promise<void> {
  const grep = process.env[GREP_ENV];
  await runAndCheck({ files: findTestFiles(__dirname), reportFile: process.env[REPORT_ENV], timeoutMs: 60_000, ...(grep ? { grep } : {}) });
}
