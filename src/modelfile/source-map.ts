// Where each node of the document sits in the text: path -> key span and value span.
import type { NodePath, Span } from './types';

export interface NodeLocation {
  key?: Span;
  value: Span;
}

export class SourceMap {
  private readonly entries = new Map<string, NodeLocation>();

  static keyOf(path: NodePath): string {
    return path.map((p) => (typeof p === 'number' ? `#${p}` : `.${p}`)).join('');
  }

  set(path: NodePath, loc: NodeLocation): void {
    this.entries.set(SourceMap.keyOf(path), loc);
  }

  get(path: NodePath): NodeLocation | undefined {
    return this.entries.get(SourceMap.keyOf(path));
  }

  /** The nearest located ancestor-or-self of `path` (a default-filled node has no text of its own). */
  nearest(path: NodePath): { path: NodePath; loc: NodeLocation } | undefined {
    for (let n = path.length; n >= 0; n--) {
      const p = path.slice(0, n);
      const loc = this.get(p);
      if (loc) return { path: p, loc };
    }
    return undefined;
  }
}
