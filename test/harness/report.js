// Reading the suites' results back and turning them into counts.
//
// Usage:
//   const { readReport, judge, writeCounts, countLine } = require('./report');
//   const summary = readReport(file);              // the JSON the in-host runner wrote (test/integration/index.ts)
//   const counts = judge(exitCode, summary);       // { passed, failed, failures: [{ title, message }] }
//   process.exitCode = finish(counts);            // prints failures, then "N passed, N failed" or, under
//                                                  // run-all.js, writes the counts to $DYNN_COUNT_FILE
'use strict';
const fs = require('fs');

/** Reads and checks a runner summary; throws an error that names the file and what is wrong. */
function readReport(file) {
  let text;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    throw new Error(`the test runner wrote no report at ${file} (the extension host did not reach or finish run())`);
  }
  let data;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new Error(`the report at ${file} is not JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
  const isCount = (v) => Number.isInteger(v) && v >= 0;
  if (!data || !isCount(data.passed) || !isCount(data.failed) || !Array.isArray(data.failures) || typeof data.report !== 'string') {
    throw new Error(`the report at ${file} is not a runner summary (needs passed, failed, failures, report)`);
  }
  return data;
}

/**
 * Combines the runner's exit code with its summary, so neither can hide a failure: a non-zero exit with no
 * failed test, or a missing summary, counts as one failure with the reason.
 * @param {number | undefined} exitCode
 * @param {{ passed: number, failed: number, failures: { title: string, message: string }[] } | undefined} summary
 * @param {string} [problem] why there is no summary or exit code
 */
function judge(exitCode, summary, problem) {
  if (!summary) {
    return { passed: 0, failed: 1, failures: [{ title: 'test run', message: problem || `no summary (exit code ${exitCode})` }] };
  }
  const counts = { passed: summary.passed, failed: summary.failed, failures: [...summary.failures] };
  if (exitCode !== 0 && counts.failed === 0) {
    counts.failed = 1;
    counts.failures.push({ title: 'test run', message: problem || `the runner exited with ${exitCode} although no test failed` });
  }
  if (exitCode === 0 && counts.passed + counts.failed === 0) {
    counts.failed = 1;
    counts.failures.push({ title: 'test run', message: 'no test ran' });
  }
  return counts;
}

/**
 * After a host run: reads and prints the report the runner wrote in `reportDir`, removes that folder, and judges
 * the exit code and the report together (a report that cannot be read becomes the problem, unless there is one).
 */
function collect(reportFile, reportDir, exitCode, problem) {
  let summary;
  try {
    summary = readReport(reportFile);
    console.log(summary.report);
  } catch (err) {
    problem = problem || (err instanceof Error ? err.message : String(err));
  }
  fs.rmSync(reportDir, { recursive: true, force: true });
  return judge(exitCode, summary, problem);
}

function countLine(counts) {
  return `${counts.passed} passed, ${counts.failed} failed`;
}

function printFailures(counts) {
  for (const f of counts.failures) console.log(`FAILED: ${f.title}: ${f.message}`);
}

/** Hands the counts to run-all.js (which sets DYNN_COUNT_FILE); a no-op when run on its own. */
function writeCounts(counts) {
  const file = process.env.DYNN_COUNT_FILE;
  if (file) fs.writeFileSync(file, JSON.stringify(counts));
}

/**
 * Ends a suite run: prints the failures and hands the counts on. Run alone, it prints "N passed, N failed";
 * under run-all.js the counts go to its file instead, so `npm test` ends with exactly one such line.
 */
function finish(counts) {
  printFailures(counts);
  if (process.env.DYNN_COUNT_FILE) writeCounts(counts);
  else console.log(countLine(counts));
  return counts.failed > 0 ? 1 : 0;
}

module.exports = { readReport, judge, collect, countLine, printFailures, writeCounts, finish };
