// Mutation testing (`npm run mutation`; not part of `npm test`: it takes about an hour on 2 cores).
// Scope: the attacks, the engine's dynamic inference and exit policy, and the studies' metrics. Only the unit test
// files about these run, and per-test coverage runs only the tests that reach each mutant. The clear-text report
// ends with the mutation score per folder and per file; the HTML report goes to reports/mutation/.
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  packageManager: 'npm',
  testRunner: 'mocha',
  // Stryker mutates the TypeScript sources in a sandbox copy, then this compiles them (with every mutant
  // switchable at run time) to the out/ folder the mocha specs load.
  buildCommand: 'tsc -p . --outDir out',
  mutate: [
    'src/attacks/**/*.ts',
    '!src/attacks/index.ts',
    '!src/attacks/types.ts',
    'src/engine/network.ts',
    'src/engine/executed.ts',
    'src/engine/policy.ts',
    'src/engine/rows.ts',
    'src/studies/metrics.ts',
    'src/studies/figures.ts',
  ],
  mochaOptions: {
    'no-config': true, // not .mocharc.json: it lists every unit test
    require: ['out/test/unit/setup-host.js'], // the Node host the core reaches the machine through
    spec: [
      'out/test/unit/attacks/*.test.js',
      'out/test/unit/engine/network.test.js',
      'out/test/unit/engine/executed.test.js',
      'out/test/unit/engine/policy.test.js',
      'out/test/unit/engine/rows.test.js',
      'out/test/unit/studies/metrics.test.js',
      'out/test/unit/studies/check.test.js',
    ],
  },
  thresholds: { high: 80, low: 60, break: null },
  coverageAnalysis: 'perTest',
  // Bounded on a 2-core machine: two test processes, and a mutant that loops is stopped after 1.5x its tests'
  // normal time plus 5 s (loops in the attack steps are the common case). Static mutants (module-level constants)
  // would each rerun every test; they are left out of the run and reported as ignored.
  concurrency: 2,
  timeoutMS: 5_000,
  timeoutFactor: 1.5,
  ignoreStatic: true,
  // The sandbox copies the project; build outputs, caches and reports are not needed there.
  ignorePatterns: ['out', 'dist', '.dynn', 'test-output', 'reports', '*.vsix', '.vscode-test'],
  reporters: ['clear-text', 'progress', 'html', 'json'],
  htmlReporter: { fileName: 'reports/mutation/mutation.html' },
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  clearTextReporter: { allowColor: false, logTests: false, reportScoreTable: true },
  tempDirName: '.stryker-tmp',
  cleanTempDir: true,
};
