// What the core needs from the machine it runs on (files, hashing, memory), as one small interface, in the style
// of tfjs-core's platforms/: the core (protocol, modelfile, advice, engine, attacks, studies) never imports Node;
// each entry point (worker, CLI, extension, tests) hands it an implementation once, before any core code runs
// (src/platform/node for Node). Errors from file operations carry Node's `code` ('ENOENT', 'EEXIST', ...), which
// the core turns into messages.

/** Path arithmetic of the host (separators and absolute paths differ between Windows and POSIX). */
export interface HostPath {
  readonly sep: string;
  join(...parts: string[]): string;
  resolve(...parts: string[]): string;
  relative(from: string, to: string): string;
  dirname(p: string): string;
  basename(p: string): string;
  isAbsolute(p: string): boolean;
}

export interface Host {
  readonly path: HostPath;
  /** Hex sha256 of a string (as UTF-8) or of bytes. */
  sha256(data: string | Uint8Array): string;
}

let current: Host | undefined;

/** Installs the host; entry points call this once at start-up. */
export function setHost(h: Host): void {
  current = h;
}

/** The installed host; throws when an entry point forgot to install one (a programming error, never user input). */
export function host(): Host {
  if (current === undefined) throw new Error('DyNN Lens: no host installed; the entry point must call setHost() (src/platform/node) before using the core');
  return current;
}
