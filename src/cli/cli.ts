// `dynn-lens <command> [options]`: finds the verb, parses its options with node:util parseArgs (strict), prints
// help, and maps usage mistakes to exit code 2. In-process and testable: all I/O goes through `io`.
import { parseArgs } from 'node:util';
import { commandHelp, formatOptions, HELP_OPTION, TOOL, UsageError, type Command, type OptionValues } from './command';
import { COMMANDS } from './commands';
import { terminalOutput, type CliIO } from './io';
import { TOOL_VERSION } from '../protocol/version';

export type { CliIO } from './io';

const TOOL_OPTIONS = {
  help: { ...HELP_OPTION, description: 'Show this help' },
  version: { type: 'boolean', short: 'v', description: 'Print the version' },
} as const;

export function toolHelp(commands: readonly Command[] = COMMANDS): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return [
    `Usage: ${TOOL} <command> [options]`,
    '',
    'Design robust dynamic neural networks (early exits, gates) from the command line.',
    '',
    'Commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Options:',
    formatOptions(TOOL_OPTIONS),
    '',
    `Run \`${TOOL} <command> --help\` for the options of one command.`,
    '',
  ].join('\n');
}

export async function main(argv: string[], processIo: CliIO, commands: readonly Command[] = COMMANDS): Promise<number> {
  const io: CliIO = { ...processIo, stdout: terminalOutput(processIo.stdout), stderr: terminalOutput(processIo.stderr) };
  const [verb, ...rest] = argv;
  if (verb === undefined) {
    io.stderr.write(toolHelp(commands));
    return 2;
  }
  if (verb === '--help' || verb === '-h' || verb === 'help') {
    io.stdout.write(toolHelp(commands));
    return 0;
  }
  if (verb === '--version' || verb === '-v') {
    io.stdout.write(`${TOOL_VERSION}\n`);
    return 0;
  }
  const command = commands.find((c) => c.name === verb);
  if (!command) {
    const what = verb.startsWith('-') ? `unknown option '${verb}'` : `unknown command '${verb}'`;
    io.stderr.write(`${TOOL}: ${what}. Commands: ${commands.map((c) => c.name).join(', ')}. Run \`${TOOL} --help\`.\n`);
    return 2;
  }
  let values: OptionValues;
  let positionals: string[];
  try {
    const parsed = parseArgs({
      args: rest,
      options: { ...command.options, help: HELP_OPTION },
      allowPositionals: true,
      strict: true,
    });
    values = parsed.values;
    positionals = parsed.positionals;
  } catch (e) {
    io.stderr.write(`${TOOL} ${command.name}: ${e instanceof Error ? e.message : String(e)}\nRun \`${TOOL} ${command.name} --help\`.\n`);
    return 2;
  }
  if (values.help === true) {
    io.stdout.write(commandHelp(command));
    return 0;
  }
  try {
    return await command.run({ values, positionals, io });
  } catch (e) {
    if (e instanceof UsageError) {
      io.stderr.write(`${TOOL} ${command.name}: ${e.message}\nRun \`${TOOL} ${command.name} --help\`.\n`);
      return 2;
    }
    // Commands report expected failures themselves; anything here is a bug, said plainly rather than as a stack.
    io.stderr.write(`${TOOL} ${command.name}: internal error: ${e instanceof Error ? e.message : String(e)}\n`);
    return 1;
  }
}
