// Finds the commands the README and docs/*.md show: every line of a ```sh / ```console / ```bash / ```shell block
// (a line that starts with a space continues the one before, as in the README's synopsis; `# ...` comments and
// `$ ` prompts dropped; `a && b` split), and every inline code span in prose that starts with the tool's name or
// with `--fail-under`.
import * as fs from 'fs';
import * as path from 'path';

export interface DocCommand {
  /** The command as the document shows it (whitespace collapsed). */
  text: string;
  /** Where it is shown, `README.md:131`. */
  where: string;
  kind: 'block' | 'inline';
}

const SHELL_BLOCK = /^```(sh|console|bash|shell)\s*$/;
const TOOL = /^(npx dynn-lens|dynn-lens|node bin\/dynn-lens\.js)(\s|$)/;

function dropComment(line: string): string {
  // Commands in the docs quote nothing, so the first ` #` starts a comment.
  const at = line.search(/(^|\s)#/);
  return at < 0 ? line : line.slice(0, at);
}

export function commandsIn(markdown: string, file: string): DocCommand[] {
  const out: DocCommand[] = [];
  const lines = markdown.split('\n');
  let fence: string | undefined;
  let pending: { text: string; line: number } | undefined;
  const flush = (): void => {
    if (pending) {
      for (const part of pending.text.split('&&')) {
        const text = part.trim().replace(/\s+/g, ' ');
        if (text !== '') out.push({ text, where: `${file}:${pending.line}`, kind: 'block' });
      }
    }
    pending = undefined;
  };
  lines.forEach((raw, i) => {
    if (fence === undefined) {
      const open = /^```(\w*)/.exec(raw);
      if (open) {
        fence = SHELL_BLOCK.test(raw) ? 'shell' : 'other';
        return;
      }
      // Inline spans outside code blocks.
      for (const m of raw.matchAll(/`([^`]+)`/g)) {
        const span = (m[1] as string).trim();
        if (TOOL.test(span) || span.startsWith('--fail-under ')) out.push({ text: span.replace(/\s+/g, ' '), where: `${file}:${i + 1}`, kind: 'inline' });
      }
      return;
    }
    if (raw.startsWith('```')) {
      if (fence === 'shell') flush();
      fence = undefined;
      return;
    }
    if (fence !== 'shell') return;
    const line = dropComment(raw.replace(/^\$ /, ''));
    if (line.trim() === '') return flush();
    if (/^\s/.test(line) && pending) pending.text += ` ${line.trim()}`;
    else {
      flush();
      pending = { text: line.trim(), line: i + 1 };
    }
  });
  return out;
}

/** README.md and every docs/*.md of the project. */
export function projectDocs(root: string): { file: string; text: string }[] {
  const docs = fs.readdirSync(path.join(root, 'docs')).filter((f) => f.endsWith('.md')).sort().map((f) => `docs/${f}`);
  return ['README.md', ...docs].map((file) => ({ file, text: fs.readFileSync(path.join(root, file), 'utf8') }));
}

/** The argv after the tool's name, or undefined when `text` does not run dynn-lens. */
export function toolArgs(text: string): string[] | undefined {
  const m = TOOL.exec(text);
  return m ? text.slice(m[0].length).trim().split(' ').filter((a) => a !== '') : undefined;
}

/**
 * A synopsis (`check FILE [--attack ID]... [--json OUT]`) as one concrete command line: every optional part
 * included once, `...` dropped, each metavariable (an upper-case word, or `METRIC=VALUE`) replaced by its value.
 * Throws on a metavariable without a value, so a new one in the docs cannot slip through untested.
 */
export function instantiate(args: readonly string[], values: Readonly<Record<string, string>>): string[] {
  return args.map((a) => {
    const bare = a.replace(/^[[(]+/, '').replace(/(\.\.\.|[\])])+$/, '').replace(/\.\.\.$/, '');
    if (/^[A-Z][A-Z_]*(=[A-Z_]+)?$/.test(bare)) {
      const v = values[bare];
      if (v === undefined) throw new Error(`no value for the metavariable ${bare}`);
      return v;
    }
    return bare;
  });
}
