// What a command may touch of the outside world. Tests pass string buffers; main.ts passes the process's.
export interface Output {
  write(chunk: string): unknown;
}

export interface CliIO {
  stdout: Output;
  stderr: Output;
  /** Directory relative file arguments are resolved against. */
  cwd: string;
}
