// WebGPU tests run in a child Node whose Vulkan loader sees SwiftShader (software Vulkan, shipped with Chromium):
// the loader reads VK_ICD_FILENAMES and LD_LIBRARY_PATH only when a process starts. test/harness/tools.js finds
// the driver (DYNN_VK_ICD overrides). SwiftShader is ~100x slower than WASM: tiny models, few samples.
import * as path from 'path';
import { child } from './child';

const TOOLS = path.join(__dirname, '..', '..', '..', '..', 'test', 'harness', 'tools.js');

/** The environment that gives Dawn an adapter here, or undefined when this machine has no SwiftShader driver. */
export function swiftShaderEnv(): Record<string, string> | undefined {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const tools = require(TOOLS) as { swiftShaderEnv(): { env: Record<string, string> } | undefined };
  return tools.swiftShaderEnv()?.env;
}

/** Runs `body` (see child()) in a Node that sees the GPU adapter of this machine or SwiftShader's. */
export function gpuChild(body: string, timeoutMs = 300_000): ReturnType<typeof child> {
  return child(body, swiftShaderEnv() ?? {}, timeoutMs);
}

let adapter: { found: boolean; why?: string; adapter?: Record<string, unknown> } | undefined;

/** Asks a child for the adapter once per test process; the answer says why when there is none. */
export function webGpuAdapter(): { found: boolean; why?: string; adapter?: Record<string, unknown> } {
  if (adapter === undefined) {
    const webgpu = JSON.stringify(path.join(__dirname, '..', '..', '..', 'src', 'engine', 'webgpu'));
    const run = gpuChild(`console.log(JSON.stringify(await require(${webgpu}).probeWebGpu()));`, 60_000);
    adapter = run.status === 0 ? (run.result as typeof adapter & object) : { found: false, why: `the probe failed: ${run.stderr.slice(-400)}` };
  }
  return adapter;
}

/** Skips the calling suite, saying why, when no WebGPU adapter exists even with SwiftShader's environment. */
export function requireWebGpuAdapter(ctx: Mocha.Context): void {
  const a = webGpuAdapter();
  if (a.found) return;
  // npm test sets DYNN_REQUIRE_WEBGPU after installing Chromium: there, no adapter is a failure, not a skip.
  if (process.env.DYNN_REQUIRE_WEBGPU === '1') throw new Error(`no WebGPU adapter: ${a.why ?? 'unknown'} (npm test installs Chromium for SwiftShader's Vulkan driver; DYNN_VK_ICD names another ICD file)`);
  console.log(`      (skipped: no WebGPU adapter on this machine: ${a.why ?? 'unknown'}; install Chromium for SwiftShader or set DYNN_VK_ICD)`);
  ctx.skip();
}
