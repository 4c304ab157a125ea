#!/usr/bin/env node
// `npm run bench`: runs every test/bench/*.bench.ts (compiled to out/ by tsc) in one process and prints one JSON
// document. Speed goals live here, never in timed tests. Each bench module exports `bench(): Promise<object>`.
'use strict';
const fs = require('fs');
const path = require('path');
const { execFileSync } = require('child_process');

const root = path.join(__dirname, '..', '..');
const only = process.argv.slice(2);

function compile() {
  // tsc emits even when unrelated files have type errors; the bench reads the emitted JS.
  try {
    execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', root], { stdio: 'ignore' });
  } catch {
    /* type errors are reported by `npm test`; the emitted JS is what we run */
  }
}

async function main() {
  compile();
  require(path.join(root, 'out', 'src', 'platform', 'node')).useNodeHost();
  const outDir = path.join(root, 'out', 'test', 'bench');
  const names = fs
    .readdirSync(path.join(__dirname))
    .filter((f) => f.endsWith('.bench.ts'))
    .map((f) => f.replace(/\.ts$/, ''))
    .filter((n) => only.length === 0 || only.some((o) => n.startsWith(o)))
    .sort();
  const report = { date: new Date().toISOString(), node: process.version, cpus: require('os').cpus().length, results: {} };
  for (const name of names) {
    const started = Date.now();
    process.stderr.write(`bench: ${name} ...\n`);
    try {
      const mod = require(path.join(outDir, `${name}.js`));
      report.results[name.replace(/\.bench$/, '')] = { ...(await mod.bench()), benchSeconds: (Date.now() - started) / 1000 };
    } catch (err) {
      report.results[name.replace(/\.bench$/, '')] = { error: String((err && err.stack) || err) };
    }
  }
  process.stdout.write(JSON.stringify(report, null, 2) + '\n');
}

main().catch((err) => {
  process.stderr.write(String((err && err.stack) || err) + '\n');
  process.exit(1);
});
