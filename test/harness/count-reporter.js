// Mocha reporter: mocha's spec output, plus the counts written as JSON to $DYNN_COUNT_FILE for run-all.js.
//
// Usage:  DYNN_COUNT_FILE=/tmp/counts.json npx mocha --reporter test/harness/count-reporter.js
// The file holds { passed, failed, failures: [{ title, message }] }, the same shape the other suites write.
'use strict';
const Mocha = require('mocha');
const { writeCounts } = require('./report');

const { EVENT_RUN_END, EVENT_TEST_FAIL } = Mocha.Runner.constants;

class CountReporter extends Mocha.reporters.Spec {
  constructor(runner, options) {
    super(runner, options);
    const failures = [];
    runner.on(EVENT_TEST_FAIL, (test, err) => {
      failures.push({ title: test.fullTitle(), message: err instanceof Error ? err.message : String(err) });
    });
    runner.once(EVENT_RUN_END, () => {
      const stats = runner.stats || { passes: 0, failures: 0 };
      writeCounts({ passed: stats.passes, failed: stats.failures, failures });
    });
  }
}

module.exports = CountReporter;
