// The extension's log: a LogOutputChannel, so the user picks the level with "Developer: Set Log Level".
import { inspect } from 'util';
import * as vscode from 'vscode';

/** Lines kept in memory for `recent()` (the channel itself keeps everything). */
const RECENT_LINES = 500;

export class Log implements vscode.Disposable {
  private readonly channel: vscode.LogOutputChannel;
  private readonly lines: string[] = [];

  constructor(name: string) {
    this.channel = vscode.window.createOutputChannel(name, { log: true });
  }

  trace(message: string): void {
    this.channel.trace(message);
  }
  debug(message: string): void {
    this.channel.debug(message);
  }
  info(message: string): void {
    this.keep('info', message);
    this.channel.info(message);
  }
  warn(message: string): void {
    this.keep('warn', message);
    this.channel.warn(message);
  }
  /** Logs an error with its stack; `what` says what was being done. */
  error(what: string, err?: unknown): void {
    const text = err === undefined ? what : `${what}: ${err instanceof Error ? (err.stack ?? err.message) : inspect(err)}`;
    this.keep('error', text);
    this.channel.error(text);
  }

  /** The latest info, warning and error lines, oldest first (what the API shows to tests and bug reports). */
  recent(): readonly string[] {
    return this.lines;
  }

  private keep(level: string, message: string): void {
    this.lines.push(`[${level}] ${message}`);
    if (this.lines.length > RECENT_LINES) this.lines.splice(0, this.lines.length - RECENT_LINES);
  }

  show(): void {
    this.channel.show(true);
  }

  dispose(): void {
    this.channel.dispose();
  }
}

/** Runs `fn`; on an exception logs it and returns `fallback`, so a provider never throws into the host. */
export function guarded<T>(log: Log, what: string, fallback: T, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    log.error(what, err);
    return fallback;
  }
}
