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

/** What a stat says about a path. */
export interface HostStats {
  readonly size: number;
  isFile(): boolean;
  isDirectory(): boolean;
  isSymbolicLink(): boolean;
}

/**
 * The file system, with Node's names and meaning (a stat follows links, an lstat does not). The synchronous calls
 * serve confinement checks and atomic writes that must not interleave; reads of user data are asynchronous.
 */
export interface HostFs {
  existsSync(p: string): boolean;
  statSync(p: string): HostStats;
  lstatSync(p: string): HostStats;
  realpathSync(p: string): string;
  readlinkSync(p: string): string;
  readFileSync(p: string): Uint8Array;
  /** `flag: 'wx'` refuses an existing file. */
  writeFileSync(p: string, data: string | Uint8Array, options?: { flag?: string }): void;
  mkdirSync(p: string, options?: { recursive?: boolean }): void;
  /** Creates a new folder named `prefix` plus random characters; returns its path. */
  mkdtempSync(prefix: string): string;
  renameSync(from: string, to: string): void;
  rmSync(p: string, options?: { recursive?: boolean; force?: boolean }): void;
  stat(p: string): Promise<HostStats>;
  realpath(p: string): Promise<string>;
  readFile(p: string): Promise<Uint8Array>;
  /** A file's text as UTF-8 (a byte-order mark is kept, as Node keeps it). */
  readTextFile(p: string): Promise<string>;
  /** The names in a folder, in no particular order. */
  readdir(p: string): Promise<string[]>;
}

/** The threaded WASM start, prepared by the host (src/platform/node/wasmThreads.ts) around tf.setBackend('wasm'). */
export interface WasmThreadsBridge {
  /** Puts back what the start changed (globals the glue reads); the worker class stays for later threads. */
  restore(): void;
  /** The bridge's own error while the backend started, if any (TF.js reports only that the start failed). */
  readonly lastError: string | undefined;
  /** Ends every pool worker started so far (after a failed start, whose workers would otherwise linger). */
  stopWorkers(): Promise<void>;
}

/** Where TF.js backends come from on this host: installed native packages, WASM binaries, threads, devices. */
export interface HostBackends {
  /** The entry file of an installed package (also looked for under `searchPaths`); undefined when not installed. */
  resolvePackage(pkg: string, searchPaths?: readonly string[]): string | undefined;
  /** Loads a package file that resolvePackage found and returns its exports. */
  load(file: string): unknown;
  /** False only when the host can tell that no CUDA device is present. */
  hasCudaDevice(): boolean;
  /** Folder holding the tfjs-backend-wasm *.wasm files (`explicit` first); undefined when none is found. */
  findWasmDir(explicit?: string): string | undefined;
  /** Logical processor cores. */
  cpuCount(): number;
  /** Prepares the threaded WASM build for `threads` threads; call right before tf.setBackend('wasm'). */
  startWasmThreads(threads: number): WasmThreadsBridge;
  /**
   * WebGPU for this process through Dawn (the `webgpu` package, also looked for under `searchPaths`): on the first
   * call it loads the package and installs `navigator.gpu` and the WebGPU globals (GPUBufferUsage...) in this process
   * only; later calls return the same object. Resolves to why not when the package is missing or fails to load.
   */
  openWebGpu(searchPaths?: readonly string[]): Promise<{ gpu: unknown; version: string; platform: string } | { error: string }>;
}

export interface Host {
  readonly path: HostPath;
  readonly fs: HostFs;
  readonly backends: HostBackends;
  /** Hex sha256 of a string (as UTF-8) or of bytes: cache keys, integrity manifests, model and data identity. */
  sha256(data: string | Uint8Array): string;
  /** Hex sha256 of a file's bytes, read as a stream (a data file may be a gigabyte; it is never held whole). */
  sha256File(file: string): Promise<string>;
  /** Inflates raw DEFLATE data; fails rather than produce more than `maxOutputLength` bytes. */
  inflateRaw(raw: Uint8Array, maxOutputLength: number): Uint8Array;
  /** The first `want` bytes of inflated raw DEFLATE data, inflating `step` compressed bytes at a time and no more. */
  inflateRawHead(raw: Uint8Array, want: number, step: number): Promise<Uint8Array>;
  /** Bytes of memory the host has free now. */
  freeMemory(): number;
  /** The folder of the built-in MNIST digits (the `mnist` package's layout); undefined when the host has none. */
  mnistDir(): string | undefined;
  /** Decodes a PNG file's bytes to 8-bit RGBA (PNG needs zlib, so the decoder lives with the host). */
  decodePng(bytes: Uint8Array): { width: number; height: number; rgba: Uint8Array };
  /** An environment setting (e.g. DYNN_WASM_THREADS); undefined when unset or when the host has none. */
  env(name: string): string | undefined;
  /** The runtime's own versions for provenance (on Node: `{ node: '20.x' }`). */
  runtimeVersions(): Record<string, string>;
  /** Resolves after the host's event loop has had a turn (progress, cancel and pings get through). */
  yieldTurn(): Promise<void>;
}

/** The error code of a failed file operation ('ENOENT', 'EACCES', ...): hosts report file errors the way Node does. */
export function errorCode(e: unknown): string | undefined {
  const code = (e as { code?: unknown } | null | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
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
