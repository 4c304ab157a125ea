// Editor-side speed: activation time in a real extension host (goal <= 150 ms, TF.js not loaded) and the time to
// parse, validate and advise on a 300-line model file (goal <= 30 ms).
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { execFileSync } from 'child_process';
import { analyzeText } from '../../src/modelfile';
import { advise } from '../../src/advice';
import { bigModel } from '../fixtures/big-model';

const root = path.resolve(__dirname, '..', '..', '..');

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function analyseAndAdvise(): Record<string, unknown> {
  const text = bigModel(20);
  const run = (): number => {
    const t = process.hrtime.bigint();
    const analysis = analyzeText(text, { fileName: 'big.dynn.yaml' });
    advise(analysis, text, { fileName: 'big.dynn.yaml' });
    return Number(process.hrtime.bigint() - t) / 1e6;
  };
  const firstMs = run(); // includes compiling the schema validator once per process
  const times = Array.from({ length: 30 }, run);
  return { lines: text.split('\n').length, firstCallMs: firstMs, medianMs: median(times), minMs: Math.min(...times), goalMs: 30 };
}

interface HarnessServer { origin: string; port: number; stop: () => Promise<void> }

async function activation(): Promise<Record<string, unknown>> {
  /* eslint-disable @typescript-eslint/no-require-imports */
  const { ensureTools } = require(path.join(root, 'test/harness/tools.js')) as { ensureTools: () => { chromium: string } };
  const { startServer } = require(path.join(root, 'test/harness/server.js')) as { startServer: (t: unknown) => Promise<HarnessServer> };
  const { workbenchUrl, launchBrowser } = require(path.join(root, 'test/harness/workbench.js')) as {
    workbenchUrl: (s: HarnessServer, o: Record<string, unknown>) => string;
    launchBrowser: (t: unknown) => Promise<import('playwright-core').Browser>;
  };
  /* eslint-enable @typescript-eslint/no-require-imports */
  // Measure what ships: the production bundle of the extension.
  execFileSync(process.execPath, [require.resolve('webpack-cli/bin/cli.js'), '--mode', 'production', '--config-name', 'extension'], { cwd: root, stdio: 'ignore' });
  const tools = ensureTools();
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dynn-bench-activation-'));
  const workspace = path.join(tmp, 'empty-workspace');
  fs.mkdirSync(workspace);
  const out = path.join(tmp, 'activation.json');
  const server = await startServer(tools);
  const browser = await launchBrowser(tools);
  try {
    const page = await browser.newPage();
    let onExit: (code: number) => void = () => undefined;
    const exited = new Promise<number>((resolve) => { onExit = resolve; });
    await page.exposeFunction('codeAutomationExit', (code: number) => onExit(code));
    await page.goto(workbenchUrl(server, {
      folder: workspace,
      extensionTestsPath: path.join(root, 'out/test/bench/host/activation.js'),
      env: { DYNN_BENCH_OUT: out },
    }));
    const code = await Promise.race([exited, new Promise<number>((_, reject) => setTimeout(() => reject(new Error('activation bench timed out after 120 s')), 120_000))]);
    if (code !== 0 || !fs.existsSync(out)) throw new Error(`the host run failed with exit code ${code}`);
    return { ...(JSON.parse(fs.readFileSync(out, 'utf8')) as Record<string, unknown>), goalMs: 150, bundle: 'dist/extension.js' };
  } finally {
    await browser.close().catch(() => undefined);
    await server.stop();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

export async function bench(): Promise<Record<string, unknown>> {
  const result: Record<string, unknown> = { analyseAndAdvise300Lines: analyseAndAdvise() };
  try {
    result.activation = await activation();
  } catch (err) {
    result.activation = { error: err instanceof Error ? err.message : String(err) };
  }
  return result;
}
