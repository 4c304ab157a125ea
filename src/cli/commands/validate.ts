// `dynn-lens validate FILE...`: the editor's checks headless: parse, schema, shapes and cost (src/modelfile) plus the
// design rules (src/advice). Exit 1 when any error (or, with --fail-on warning, any warning) was found.
import * as path from 'node:path';
import { advise } from '../../advice';
import { analyzeText } from '../../modelfile';
import { LIMITS } from '../../modelfile/limits';
import type { Diagnostic } from '../../modelfile/types';
import { UsageError, type Command } from '../command';
import { countBySeverity, summary, toJson, toText, type FileReport } from '../report';
import { host } from '../../protocol/host';

/** UTF-8 needs at most 4 bytes per UTF-16 pair, so a file this large surely exceeds the text limit. */
const MAX_READ_BYTES = 4 * LIMITS.maxFileBytes;

function unreadable(message: string): Diagnostic {
  return { severity: 'error', code: 'cli/unreadable-file', message, span: { start: 0, end: 0 }, source: 'cli' };
}

function describeReadError(e: unknown): string {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case 'ENOENT':
      return 'file not found';
    case 'EISDIR':
      return 'is a directory, not a model file';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    default:
      return `cannot read the file: ${e instanceof Error ? e.message : String(e)}`;
  }
}

export async function validateFile(file: string, cwd: string): Promise<FileReport> {
  const absolute = path.resolve(cwd, file);
  let text: string;
  try {
    const stat = await host().fs.stat(absolute);
    if (stat.isDirectory()) return { file, diagnostics: [unreadable(`${file}: is a directory, not a model file`)] };
    if (stat.size > MAX_READ_BYTES) {
      return { file, diagnostics: [unreadable(`${file}: ${stat.size} bytes is larger than a model file can be (${LIMITS.maxFileBytes} characters)`)] };
    }
    text = await host().fs.readTextFile(absolute);
  } catch (e) {
    return { file, diagnostics: [unreadable(`${file}: ${describeReadError(e)}`)] };
  }
  const analysis = analyzeText(text, { fileName: absolute });
  const diagnostics = [...analysis.diagnostics, ...advise(analysis, text, { fileName: absolute })];
  diagnostics.sort((a, b) => a.span.start - b.span.start || a.span.end - b.span.end);
  return { file, text, diagnostics };
}

export const validateCommand: Command = {
  name: 'validate',
  summary: 'Check model files: syntax, schema, shapes, cost and design advice',
  usage: 'validate FILE [FILE...] [--json] [--fail-on error|warning]',
  description: [
    'Reads each *.dynn.yaml / *.dynn.json file and reports what the editor would show: parse and schema errors,',
    'shape and cost problems, and design advice (docs/rules.md). Positions are 1-based line:column in text output',
    'and 0-based {line, character} ranges (as in VS Code) with --json; with several files each JSON entry has `file`.',
    'Exit code: 0 clean, 1 when an error (or a finding at the --fail-on level) was found, 2 for wrong arguments.',
  ].join('\n'),
  options: {
    json: { type: 'boolean', description: 'Print the diagnostics as a JSON array' },
    'fail-on': { type: 'string', valueName: 'LEVEL', description: 'Exit 1 on findings at this level or worse: error (default) or warning' },
  },
  async run({ values, positionals, io }) {
    if (positionals.length === 0) throw new UsageError('no model file given');
    const failOn = values['fail-on'] ?? 'error';
    if (failOn !== 'error' && failOn !== 'warning') throw new UsageError(`--fail-on must be 'error' or 'warning', not '${String(failOn)}'`);
    const reports: FileReport[] = [];
    for (const file of positionals) reports.push(await validateFile(file, io.cwd));
    if (values.json === true) io.stdout.write(`${JSON.stringify(toJson(reports), null, 2)}\n`);
    else {
      io.stdout.write(toText(reports));
      io.stderr.write(`${summary(reports)}\n`);
    }
    const counts = countBySeverity(reports);
    return counts.error > 0 || (failOn === 'warning' && counts.warning > 0) ? 1 : 0;
  },
};
