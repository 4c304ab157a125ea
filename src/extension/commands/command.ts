// The shape of every command: a factory that takes the extension's context and returns the handler, so commands
// share its log, settings, analyses and runner instead of globals.
import type { Ctx } from '../ctx';

export type CommandFactory = (ctx: Ctx) => (...args: unknown[]) => unknown;
