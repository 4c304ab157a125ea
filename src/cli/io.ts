// What a command may touch of the outside world. Tests pass string buffers; main.ts passes the process's.
import { linesForTerminal } from '../modelfile/display';

export interface Output {
  write(chunk: string): unknown;
  /** Set by a terminal (process.stderr): progress is then redrawn in place. */
  isTTY?: boolean;
  /** Writes a terminal control sequence of the CLI's own (the progress bar's redraw) as it is. */
  control?(sequence: string): unknown;
}

export interface CliIO {
  stdout: Output;
  stderr: Output;
  /** Directory relative file arguments are resolved against. */
  cwd: string;
}

/**
 * The output every command writes to: model names, keys, paths and member names come from user files, so each
 * chunk goes through linesForTerminal (control characters shown as `\u001b`, line breaks kept). JSON stays valid:
 * the escapes it gets are JSON escapes of the same characters.
 */
export function terminalOutput(out: Output): Output {
  return {
    write: (chunk) => out.write(linesForTerminal(chunk)),
    control: (sequence) => out.write(sequence),
    ...(out.isTTY === true ? { isTTY: true } : {}),
  };
}
