// Offset <-> line/character conversion for adapters (CLI output, tests). The core works on UTF-16 offsets only;
// positions are 0-based and count UTF-16 code units, as VS Code does. Line breaks: \n, \r\n and \r.

export interface Position {
  line: number;
  character: number;
}

export class LineIndex {
  /** Offset of the first character of each line. */
  private readonly starts: number[] = [0];
  /** Offset just past the last character of each line (before its line break). */
  private readonly ends: number[] = [];
  private readonly length: number;

  constructor(text: string) {
    this.length = text.length;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c !== 10 && c !== 13) continue;
      this.ends.push(i);
      if (c === 13 && text.charCodeAt(i + 1) === 10) i++;
      this.starts.push(i + 1);
    }
    this.ends.push(text.length);
  }

  get lineCount(): number {
    return this.starts.length;
  }

  positionAt(offset: number): Position {
    const o = Math.max(0, Math.min(Math.floor(offset), this.length));
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((this.starts[mid] ?? 0) <= o) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo, character: o - (this.starts[lo] ?? 0) };
  }

  /** Clamps like VS Code: a line past the end maps to the text's end, a character past the line to its end. */
  offsetAt(pos: Position): number {
    if (pos.line < 0) return 0;
    if (pos.line >= this.starts.length) return this.length;
    const start = this.starts[pos.line] ?? 0;
    const end = this.ends[pos.line] ?? this.length;
    return Math.min(start + Math.max(0, Math.floor(pos.character)), end);
  }
}
