// The real WASM backend can start once per process (one module, one thread pool), so tests that need it, or need
// a particular thread count, run their body in a fresh Node with the compiled engine.
import { spawnSync } from 'child_process';
import * as path from 'path';

const OUT_SRC = path.join(__dirname, '..', '..', '..', 'src');

/**
 * Runs `body` (an async function body with `tf`, `backend` (src/engine/backend), `threads` (src/platform/node/wasmThreads)
 * and `rows` (src/engine/rows) in scope) in a fresh Node; returns its last stdout line as JSON.
 */
export function child(body: string, env: Record<string, string> = {}, timeoutMs = 60_000): { result: Record<string, unknown>; status: number | null; stderr: string } {
  const engine = (name: string): string => JSON.stringify(path.join(OUT_SRC, 'engine', name));
  const script = `
    require(${JSON.stringify(path.join(OUT_SRC, 'platform', 'node'))}).useNodeHost();
    const tf = require('@tensorflow/tfjs');
    const backend = require(${engine('backend')});
    const threads = require(${JSON.stringify(path.join(OUT_SRC, 'platform', 'node', 'wasmThreads'))});
    const rows = require(${engine('rows')});
    (async () => { ${body} })().catch((e) => { console.log(JSON.stringify({ error: String(e && e.stack || e) })); process.exitCode = 1; });`;
  // No process.exit in the script: the child must end on its own, so a pool thread that held it open would time out.
  const run = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: timeoutMs, cwd: path.join(OUT_SRC, '..', '..'), env: { ...process.env, ...env } });
  const lines = run.stdout.trim().split('\n');
  return { result: JSON.parse(lines[lines.length - 1] ?? '{}') as Record<string, unknown>, status: run.status, stderr: run.stderr };
}
