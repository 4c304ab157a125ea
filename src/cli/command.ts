// The verb framework: a command declares its options once; parsing, help and usage errors are handled here.
import type { CliIO } from './io';

export const TOOL = 'dynn-lens';

export interface OptionSpec {
  type: 'string' | 'boolean';
  short?: string;
  multiple?: boolean;
  /** Shown in help for string options, e.g. `--fail-on LEVEL`. */
  valueName?: string;
  description: string;
}

export type OptionValues = Record<string, string | boolean | (string | boolean)[] | undefined>;

export interface CommandInput {
  values: OptionValues;
  positionals: string[];
  io: CliIO;
}

export interface Command {
  name: string;
  /** One line for the tool's command list. */
  summary: string;
  /** Synopsis after the tool name, e.g. `validate FILE [FILE...] [--json]`. */
  usage: string;
  /** Paragraphs shown by `<command> --help`. */
  description: string;
  options: Record<string, OptionSpec>;
  /** Returns the process exit code. */
  run(input: CommandInput): Promise<number>;
}

/** Wrong arguments: reported with a pointer to --help, exit code 2. */
export class UsageError extends Error {}

function optionLabel(name: string, spec: OptionSpec): string {
  const long = `--${name}${spec.type === 'string' ? ` ${spec.valueName ?? 'VALUE'}` : ''}`;
  return spec.short ? `-${spec.short}, ${long}` : `    ${long}`;
}

export function formatOptions(options: Record<string, OptionSpec>): string {
  const rows = Object.entries(options).map(([name, spec]) => [optionLabel(name, spec), spec.description] as const);
  const width = Math.max(...rows.map(([label]) => label.length));
  return rows.map(([label, text]) => `  ${label.padEnd(width)}  ${text}`).join('\n');
}

export const HELP_OPTION: OptionSpec = { type: 'boolean', short: 'h', description: 'Show this help' };

export function commandHelp(command: Command): string {
  return [
    `Usage: ${TOOL} ${command.usage}`,
    '',
    command.description,
    '',
    'Options:',
    formatOptions({ ...command.options, help: HELP_OPTION }),
    '',
  ].join('\n');
}
