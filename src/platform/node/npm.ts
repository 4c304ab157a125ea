// Running npm for the installs into the extension's storage (GPU backends, data sets): one place that starts it,
// streams its lines to the caller and keeps the last ones for the error message.
import { spawn } from 'node:child_process';

export interface NpmRunOptions {
  /** Each non-empty line npm prints (stdout and stderr), as it comes. */
  onLine?: (line: string) => void;
  signal?: AbortSignal;
}

/** Lines of npm's output an error message quotes. */
const TAIL_LINES = 15;

/** Runs `command args` in `cwd`; resolves with its exit code and last output lines (rejects only if it cannot start). */
export async function runNpm(command: string, args: readonly string[], cwd: string, options: NpmRunOptions = {}): Promise<{ code: number | null; tail: string[] }> {
  const tail: string[] = [];
  const code = await new Promise<number | null>((resolve, reject) => {
    const child = spawn(command, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], shell: process.platform === 'win32', ...(options.signal ? { signal: options.signal } : {}) });
    const collect = (chunk: Buffer): void => {
      for (const line of chunk.toString('utf8').split(/\r?\n/)) {
        if (line.trim() === '') continue;
        tail.push(line);
        if (tail.length > TAIL_LINES) tail.shift();
        options.onLine?.(line);
      }
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    child.on('error', reject);
    child.on('close', resolve);
  });
  return { code, tail };
}
