// Model templates: the entries of snippets/dynn.code-snippets, read as data so the "New Model" command and the
// unit tests use exactly what the snippet picker offers. Pure: no `vscode`.

export interface ModelTemplate {
  /** The snippet's key, e.g. "SDN early-exit CNN (MNIST)". */
  name: string;
  prefix: string;
  description: string;
  /** Snippet text with tab stops and placeholders. */
  body: string;
}

/** Parses a .code-snippets file; throws with what is wrong and where when an entry is malformed. */
export function parseTemplates(json: string, source = 'snippets'): ModelTemplate[] {
  let data: unknown;
  try {
    data = JSON.parse(json);
  } catch (err) {
    throw new Error(`${source}: not valid JSON (${err instanceof Error ? err.message : String(err)})`);
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) throw new Error(`${source}: expected an object of snippets`);
  return Object.entries(data as Record<string, unknown>).map(([name, value]) => {
    const entry = value as { prefix?: unknown; description?: unknown; body?: unknown };
    const body = Array.isArray(entry.body) && entry.body.every((l) => typeof l === 'string') ? entry.body.join('\n') : entry.body;
    if (typeof body !== 'string') throw new Error(`${source}: snippet "${name}" has no string or string-array body`);
    const prefix: unknown = Array.isArray(entry.prefix) ? (entry.prefix as unknown[])[0] : entry.prefix;
    if (typeof prefix !== 'string') throw new Error(`${source}: snippet "${name}" has no prefix`);
    return { name, prefix, description: typeof entry.description === 'string' ? entry.description : '', body };
  });
}

/**
 * The text a snippet produces when every placeholder keeps its default: `${1:x}` -> x, `${1|a,b|}` -> a,
 * `$1` / `${1}` / `$0` -> nothing, `\$` -> $. Variables (`$TM_FILENAME`) are not used by our templates and are
 * rejected so a test notices if one slips in.
 */
export function expandDefaults(body: string): string {
  let out = '';
  let i = 0;
  while (i < body.length) {
    const ch = body[i];
    if (ch === '\\' && i + 1 < body.length && '$}\\'.includes(body[i + 1]!)) {
      out += body[i + 1];
      i += 2;
      continue;
    }
    if (ch !== '$') {
      out += ch;
      i += 1;
      continue;
    }
    const rest = body.slice(i);
    const bare = /^\$(\d+)/.exec(rest) ?? /^\$\{(\d+)\}/.exec(rest);
    if (bare) {
      i += bare[0].length;
      continue;
    }
    const choice = /^\$\{\d+\|([^,|]*)[,|]/.exec(rest);
    if (choice) {
      out += choice[1];
      const close = body.indexOf('|}', i);
      if (close < 0) throw new Error(`Unclosed choice at offset ${i}`);
      i = close + 2;
      continue;
    }
    const placeholder = /^\$\{\d+:/.exec(rest);
    if (placeholder) {
      // Find the matching brace, allowing nested placeholders inside the default.
      let depth = 1;
      let j = i + placeholder[0].length;
      const start = j;
      while (j < body.length && depth > 0) {
        if (body[j] === '\\') j += 1;
        else if (body[j] === '{') depth += 1;
        else if (body[j] === '}') depth -= 1;
        j += 1;
      }
      if (depth !== 0) throw new Error(`Unclosed placeholder at offset ${i}`);
      out += expandDefaults(body.slice(start, j - 1));
      i = j;
      continue;
    }
    throw new Error(`Unsupported snippet syntax at offset ${i}: ${rest.slice(0, 20)}`);
  }
  return out;
}
