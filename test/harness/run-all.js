// `npm test`: every check the project has, in order, ending with one line "N passed, N failed".
//
// Usage:  npm test                 (what .ci/run runs after npm ci)
//         node test/harness/run-all.js
//         node test/harness/run-all.js unit UI     (only the stages whose names have these words; the others
//                                                   are listed as not run, so a partial run is never mistaken)
//
// Stages: lint, type-check (root, the webview's tsconfig, and the core without Node's types), build (webpack dev bundles, tsc to out/), the test tools
// (test/harness/tools.js; before the unit tests, whose WebGPU tests need Chromium's SwiftShader), unit tests (mocha), the integration suite (mocha in a real VS Code extension host under code-server), the same
// host on an untrusted workspace (integration-untrusted.js), the UI suite
// (Playwright + Chromium against code-server) and the shipped package (test/package/vsix.test.ts). Every stage runs even when an earlier one failed, so one run shows
// everything that is broken. A lint/type/build stage that fails counts as one failed item, named; test stages add
// their test counts, read from the JSON file they write to $DYNN_COUNT_FILE. A stage that cannot run (a missing
// tool, a timeout) is a failure with its reason, never a silent skip. Each stage runs in its own process group
// with a hard time limit, and is killed as a group when it overruns or when this process is interrupted.
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawn } = require('child_process');
const { childEnv } = require('./child-env');

const ROOT = path.resolve(__dirname, '..', '..');
const bin = (name) => path.join(ROOT, 'node_modules', '.bin', name);
const node = process.execPath;
const MIN = 60_000;

const STAGES = [
  { name: 'lint', cmd: bin('eslint'), args: ['src', 'test'], timeout: 10 * MIN },
  // The layering of docs/architecture.md (test/architecture/dependency-cruiser.cjs); today's known violations are
  // listed in known-violations.json, and any other fails.
  {
    name: 'architecture',
    cmd: bin('depcruise'),
    args: ['src', '--config', 'test/architecture/dependency-cruiser.cjs', '--ignore-known', 'test/architecture/known-violations.json'],
    timeout: 5 * MIN,
  },
  { name: 'type-check', cmd: bin('tsc'), args: ['-p', '.', '--noEmit'], timeout: 5 * MIN },
  { name: 'type-check webview', cmd: bin('tsc'), args: ['-p', 'src/panel/view', '--noEmit'], timeout: 5 * MIN },
  // The core without Node's types: a Buffer, process or setImmediate in protocol..studies fails here.
  { name: 'type-check core', cmd: bin('tsc'), args: ['-p', 'test/architecture/tsconfig.core.json'], timeout: 5 * MIN },
  { name: 'build: webpack', cmd: bin('webpack'), args: ['--mode', 'development'], timeout: 10 * MIN, clean: 'dist' },
  { name: 'build: tsc', cmd: bin('tsc'), args: ['-p', '.', '--outDir', 'out'], timeout: 5 * MIN, clean: 'out' },
  // Node 24, code-server and Chromium (whose SwiftShader Vulkan driver gives the WebGPU unit tests an adapter):
  // minutes on a fresh machine, under a second after. Before the unit tests, so those never skip for want of it.
  { name: 'test tools', cmd: node, args: [path.join(__dirname, 'tools.js')], timeout: 20 * MIN },
  // DYNN_REQUIRE_WEBGPU: in this suite a missing WebGPU adapter fails the WebGPU tests instead of skipping them.
  { name: 'unit tests', cmd: bin('mocha'), args: ['--reporter', path.join(__dirname, 'count-reporter.js')], timeout: 30 * MIN, counts: true, env: { DYNN_REQUIRE_WEBGPU: '1' } },
  { name: 'integration tests', cmd: node, args: [path.join(__dirname, 'integration.js')], timeout: 8 * MIN, counts: true },
  // The same host with workspace trust enforced: restricted mode refuses to train or run checks (~10 s).
  { name: 'integration tests (untrusted workspace)', cmd: node, args: [path.join(__dirname, 'integration-untrusted.js')], timeout: 8 * MIN, counts: true },
  { name: 'UI tests', cmd: node, args: [path.join(__dirname, 'ui.js')], timeout: 10 * MIN, counts: true },
  // The VSIX as shipped (test/package): production build + vsce, the bundled CLI run from the unpacked VSIX, the
  // VSIX installed into code-server (~2 min). Last, because its production build replaces dist/.
  { name: 'shipped package', cmd: bin('mocha'), args: ['--no-config', '--timeout', String(12 * MIN), '--reporter', path.join(__dirname, 'count-reporter.js'), 'out/test/package/*.test.js'], timeout: 15 * MIN, counts: true },
];

let current; // the running stage's child, killed as a group on interrupt

function killGroup(child, signal) {
  try {
    process.kill(-child.pid, signal);
  } catch {
    // already gone
  }
}

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    if (current) killGroup(current, 'SIGTERM');
    console.log(`\ninterrupted (${signal}): stopped the running stage`);
    process.exit(1);
  });
}

/** Runs one stage with inherited output; resolves with its exit code, or a reason it has none. */
function runStage(stage, env) {
  return new Promise((resolve) => {
    const child = spawn(stage.cmd, stage.args, { cwd: ROOT, env, stdio: 'inherit', detached: true });
    current = child;
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(child, 'SIGTERM'); // the suites stop their code-server and browser on SIGTERM
      setTimeout(() => killGroup(child, 'SIGKILL'), 15_000).unref();
    }, stage.timeout);
    child.once('error', (err) => {
      clearTimeout(timer);
      current = undefined;
      resolve({ code: undefined, reason: `could not start ${stage.cmd}: ${err.message}` });
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      current = undefined;
      killGroup(child, 'SIGKILL'); // anything the stage left running in its group
      if (timedOut) resolve({ code, reason: `timed out after ${stage.timeout / MIN} min` });
      else resolve({ code, reason: code === 0 ? undefined : signal ? `killed by ${signal}` : `exit code ${code}` });
    });
  });
}

function readCounts(file) {
  try {
    const c = JSON.parse(fs.readFileSync(file, 'utf8'));
    if (Number.isInteger(c.passed) && Number.isInteger(c.failed) && Array.isArray(c.failures)) return c;
  } catch {
    // no or bad file: handled by the caller
  }
  return undefined;
}

async function main() {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dynn-run-all-'));
  const failedItems = []; // names of failed stages and tests, for the summary
  let passed = 0;
  let failed = 0;
  const started = Date.now();
  const wanted = process.argv.slice(2).map((w) => w.toLowerCase());
  const stages = wanted.length === 0 ? STAGES : STAGES.filter((st) => wanted.some((w) => st.name.toLowerCase().split(/\W+/).includes(w)));
  const notRun = STAGES.filter((st) => !stages.includes(st)).map((st) => st.name);
  if (notRun.length > 0) console.log(`running only: ${stages.map((st) => st.name).join(', ')}; NOT run: ${notRun.join(', ')}`);
  for (const stage of stages) {
    console.log(`\n===== ${stage.name}: ${[path.basename(stage.cmd), ...stage.args.map((a) => path.relative(ROOT, a) || a)].join(' ')}`);
    if (stage.clean) fs.rmSync(path.join(ROOT, stage.clean), { recursive: true, force: true }); // no stale output
    const countFile = path.join(tmp, `${stage.name.replace(/\W+/g, '-')}.json`);
    const stageStart = Date.now();
    const { code, reason } = await runStage(stage, childEnv({ DYNN_COUNT_FILE: countFile, FORCE_COLOR: '0', ...stage.env }));
    const seconds = ((Date.now() - stageStart) / 1000).toFixed(1);
    if (!stage.counts) {
      if (reason) {
        failed += 1;
        failedItems.push(`${stage.name} (${reason})`);
      }
      console.log(`===== ${stage.name}: ${reason ? `FAILED (${reason})` : 'ok'} in ${seconds} s`);
      continue;
    }
    const counts = readCounts(countFile);
    if (!counts) {
      failed += 1;
      failedItems.push(`${stage.name} (reported no counts; ${reason || 'exit code 0'})`);
      console.log(`===== ${stage.name}: FAILED, no counts (${reason || 'exit code 0'}) in ${seconds} s`);
      continue;
    }
    passed += counts.passed;
    failed += counts.failed;
    for (const f of counts.failures) failedItems.push(`${stage.name}: ${f.title}`);
    if (reason && counts.failed === 0) {
      failed += 1;
      failedItems.push(`${stage.name} (${reason} with no failed test)`);
    }
    console.log(`===== ${stage.name}: passed ${counts.passed}, failed ${counts.failed}${reason ? ` (${reason})` : ''} in ${seconds} s`);
  }
  fs.rmSync(tmp, { recursive: true, force: true });
  console.log(`\n===== all stages in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  if (notRun.length > 0) console.log(`NOT run (on request): ${notRun.join(', ')}`);
  for (const item of failedItems) console.log(`FAILED: ${item}`);
  console.log(`${passed} passed, ${failed} failed`);
  process.exitCode = failed > 0 ? 1 : 0;
}

void main();
