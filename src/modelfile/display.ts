// Showing text that came from a user's file (model names, keys, layer and exit names, paths, ZIP member names):
// one function per kind of output, used at every place such text is written. A hostile file must not be able to
// drive the terminal (escape sequences that retitle, clear or fake output), or inject markup into a report.
// Lives in src/modelfile because every front door (CLI, reports, editor) already depends on it.

/**
 * Control characters a terminal acts on: C0 (including ESC, BEL, CR, LF, TAB), DEL, C1, and the Unicode line
 * separators and bidirectional overrides that can reorder or split what the reader sees.
 */
const TERMINAL_CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

function unicodeEscape(c: string): string {
  return `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
}

/** Text for one line of terminal output: every control character becomes visible (`ESC` -> `\u001b`). */
export function forTerminal(s: string): string {
  return s.replace(TERMINAL_CONTROL, unicodeEscape);
}

/** Several lines of terminal output: each line through forTerminal, the line breaks kept. */
export function linesForTerminal(s: string): string {
  return s.split('\n').map(forTerminal).join('\n');
}

/** Text for an HTML text node or a double-quoted attribute. */
export function forHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

/** Markdown punctuation that can make emphasis, links, images, code, headings, table cells or strike-through
 *  inline (`!` and `(` do nothing once `[` is escaped). */
const MARKDOWN_SPECIAL = /[\\`*_[\]#|~]/g;

/**
 * Text for inline Markdown, including a table cell: HTML special characters become entities (so no tag or entity of
 * the text survives, raw HTML being allowed in Markdown), Markdown punctuation is backslash-escaped, line breaks
 * become spaces and other control characters are shown as in forTerminal.
 */
export function forMarkdown(s: string): string {
  return forTerminal(
    s
      .replace(/\r\n?|\n/g, ' ')
      .replace(/&/g, '&amp;')
      .replace(/</g, '&lt;')
      .replace(/>/g, '&gt;')
      .replace(MARKDOWN_SPECIAL, (c) => `\\${c}`),
  );
}
