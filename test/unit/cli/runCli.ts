// Runs the dynn-lens CLI in-process and captures what it prints and its exit code.
import { main } from '../../../src/cli/cli';
import type { Command } from '../../../src/cli/command';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

export async function runCli(argv: string[], cwd: string, commands?: readonly Command[]): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const io = { stdout: { write: (s: string) => (stdout += s) }, stderr: { write: (s: string) => (stderr += s) }, cwd };
  const code = commands ? await main(argv, io, commands) : await main(argv, io);
  return { code, stdout, stderr };
}
