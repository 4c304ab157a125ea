// Self-test of the test harness: the in-host runner (test/integration/index.ts) and the harness's reading of its
// report (test/harness/report.js) must turn a failing test into a failure, never into a silent pass.
// The runner runs in a child Node process so its mocha instance cannot disturb the one running this file.
import * as assert from 'assert';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

/** out/test/unit/harness -> project root. */
const ROOT = path.resolve(__dirname, '..', '..', '..', '..');
const RUNNER = path.join(ROOT, 'out', 'test', 'integration', 'index.js');

interface Counts { passed: number; failed: number; failures: { title: string; message: string }[] }
interface ReportModule {
  readReport(file: string): Counts & { report: string };
  judge(exitCode: number | undefined, summary: Counts | undefined, problem?: string): Counts;
  countLine(counts: Counts): string;
}
// eslint-disable-next-line @typescript-eslint/no-require-imports
const report = require(path.join(ROOT, 'test', 'harness', 'report.js')) as ReportModule;

let dir: string;

/** Runs the in-host runner's runAndCheck() over `files` in plain Node; returns its exit code. */
function runRunner(files: string[], reportFile: string): { status: number | null; stderr: string } {
  const script = `require(${JSON.stringify(RUNNER)}).runAndCheck(${JSON.stringify({ files, reportFile })})` +
    '.then(() => process.exit(0), (e) => { console.error(e.message); process.exit(1); });';
  const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 30_000 });
  return { status: r.status, stderr: r.stderr };
}

function writeTest(name: string, body: string): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, body);
  return file;
}

describe('harness self-test: the in-host runner and its report', () => {
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dynn-harness-selftest-'));
  });
  afterEach(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('counts a deliberately failing test as failed, with its title and message, and exits non-zero', () => {
    const files = [
      writeTest('a.test.js', "describe('good', () => { it('passes', () => {}); });"),
      writeTest('b.test.js', "const assert = require('assert');\n" +
        "describe('bad', () => { it('fails on purpose', () => { assert.strictEqual(1 + 1, 3, 'arithmetic broke'); }); });"),
    ];
    const reportFile = path.join(dir, 'report.json');
    const r = runRunner(files, reportFile);
    assert.strictEqual(r.status, 1);
    assert.match(r.stderr, /1 integration test\(s\) failed/);
    const summary = report.readReport(reportFile);
    assert.strictEqual(summary.passed, 1);
    assert.strictEqual(summary.failed, 1);
    assert.deepStrictEqual(summary.failures.map((f) => f.title), ['bad fails on purpose']);
    assert.match(summary.failures[0]!.message, /arithmetic broke/);
    assert.match(summary.report, /1 passing/);
    assert.match(summary.report, /1 failing/);
    assert.strictEqual(report.countLine(report.judge(r.status ?? undefined, summary)), '1 passed, 1 failed');
  });

  it('passes a passing suite and exits zero', () => {
    const files = [writeTest('a.test.js', "describe('good', () => { it('passes', () => {}); it('also', async () => {}); });")];
    const reportFile = path.join(dir, 'report.json');
    const r = runRunner(files, reportFile);
    assert.strictEqual(r.status, 0, r.stderr);
    assert.strictEqual(report.countLine(report.judge(0, report.readReport(reportFile))), '2 passed, 0 failed');
  });

  it('turns a test file that does not load into a failure', () => {
    const files = [writeTest('broken.test.js', "require('./no-such-module');")];
    const reportFile = path.join(dir, 'report.json');
    const r = runRunner(files, reportFile);
    assert.strictEqual(r.status, 1);
    const summary = report.readReport(reportFile);
    assert.strictEqual(summary.failed, 1);
    assert.match(summary.failures[0]!.message, /no-such-module/);
  });

  it('fails a run where no test ran', () => {
    const files = [writeTest('empty.test.js', '// nothing here\n')];
    const r = runRunner(files, path.join(dir, 'report.json'));
    assert.strictEqual(r.status, 1);
    assert.match(r.stderr, /no integration test ran/);
  });

  it('judges a missing report, or a non-zero exit with no failed test, as a failure', () => {
    assert.throws(() => report.readReport(path.join(dir, 'missing.json')), /wrote no report at .*missing\.json/);
    fs.writeFileSync(path.join(dir, 'garbage.json'), '{"passed": "many"}');
    assert.throws(() => report.readReport(path.join(dir, 'garbage.json')), /not a runner summary/);
    assert.deepStrictEqual(report.judge(undefined, undefined, 'timed out').failures, [{ title: 'test run', message: 'timed out' }]);
    const hidden = report.judge(1, { passed: 3, failed: 0, failures: [] });
    assert.strictEqual(report.countLine(hidden), '3 passed, 1 failed');
    assert.strictEqual(report.judge(0, { passed: 0, failed: 0, failures: [] }).failed, 1);
  });
});
