// Multi-threaded WebAssembly in Node. tfjs-backend-wasm ships a threaded build (XNNPACK on a pthread pool) but
// turns it off in Node (tfjs issue 3830): its Emscripten glue starts the pool's workers from Blob URLs, which
// Node's worker_threads cannot load, and it sizes the pool as half the logical cores (one thread on a 2-core
// machine). This module bridges exactly those two points while the backend starts: it keeps the text of the Blobs
// the glue creates, starts the workers from files in a private temporary folder, and tells the glue how many
// threads to use. Workers never keep the process alive. Anything unexpected makes the start fail, and the backend
// chooser then starts the single-threaded build instead (src/engine/backend.ts), saying why. The core reaches it
// through the host (src/platform/node/backends.ts).
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { builtinModules, createRequire } from 'module';
import { Worker as NodeWorker, type WorkerOptions } from 'worker_threads';
import type { WasmThreadsBridge } from '../../protocol/host';

/** The os module itself (a namespace import is a read-only copy): the glue calls its cpus(). */
const nodeOs = createRequire(__filename)('os') as { cpus: () => os.CpuInfo[] };

/**
 * What the worker needs before it evaluates the glue's main script: the glue's free names. Under webpack the glue
 * calls __webpack_require__("fs") (named module ids, webpack.config.js); in the package's own Node build Rollup
 * hoisted them as require$$N, whose modules are read from that file's header. Throws when the text loads anything
 * but a Node built-in, so a changed glue fails here, on the main thread, instead of inside a pool thread.
 */
export function mainScriptPreamble(factoryText: string, scriptFile: string, rollupHeader: string | undefined): string {
  const lines = ['var __webpack_require__ = require;', 'var commonjsGlobal = globalThis;', `var _scriptDir = ${JSON.stringify(scriptFile)};`];
  for (const m of factoryText.matchAll(/__webpack_require__\(([^)]*)\)/g)) {
    const id = /^\s*(?:\/\*.*?\*\/\s*)?"([a-z_]+)"\s*$/.exec(m[1] as string)?.[1];
    if (id === undefined || !builtinModules.includes(id)) {
      throw new Error(`the threaded WASM glue loads module ${(m[1] as string).trim()}, not a Node built-in by name`);
    }
  }
  const hoisted = new Map<string, string>();
  for (const m of (rollupHeader ?? '').matchAll(/^var (require\$\$\d+) = require\('([a-z_]+)'\);$/gm)) hoisted.set(m[1] as string, m[2] as string);
  const used = new Set(factoryText.match(/\brequire\$\$\d+\b/g) ?? []);
  for (const name of used) {
    const module = hoisted.get(name);
    if (module === undefined) throw new Error(`the threaded WASM glue uses ${name}, which this tfjs-backend-wasm build does not define`);
    lines.push(`var ${name} = require(${JSON.stringify(module)});`);
  }
  return lines.join('\n') + '\n';
}

/**
 * Prepares the globals the threaded glue reads, for `threads` threads. Call right before tf.setBackend('wasm')
 * and restore() right after it settles. `packageFile` is the tfjs-backend-wasm module Node resolved, when any.
 */
export function installWasmThreads(threads: number, packageFile: string | undefined): WasmThreadsBridge {
  if (typeof SharedArrayBuffer === 'undefined') throw new Error('this Node has no SharedArrayBuffer');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dynn-wasm-threads-'));
  // Workers read their scripts when they start, which may be at any time while the process lives.
  process.once('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  const rollupHeader = packageFile !== undefined && fs.existsSync(packageFile) ? fs.readFileSync(packageFile, 'utf8').slice(0, 4000) : undefined;
  const texts = new WeakMap<Blob, string>();
  const byUrl = new Map<string, string>();
  let files = 0;
  const writeScript = (text: string): string => {
    const file = path.join(dir, `script-${files++}.js`);
    fs.writeFileSync(file, text, { mode: 0o600 });
    return file;
  };
  const started: NodeWorker[] = [];
  let lastError: string | undefined;
  // The glue makes a fresh Blob URL for each worker it starts; they all hold the same worker script.
  let workerFile: string | undefined;

  const OriginalBlob = globalThis.Blob;
  // Kept as a descriptor so restore() puts back the very same function.
  const createObjectURLDescriptor = Object.getOwnPropertyDescriptor(URL, 'createObjectURL');
  const originalCreateObjectURL = URL.createObjectURL.bind(URL);
  const originalCpus = nodeOs.cpus;

  class RecordingBlob extends OriginalBlob {
    constructor(parts?: ConstructorParameters<typeof Blob>[0], options?: ConstructorParameters<typeof Blob>[1]) {
      super(parts ?? [], options);
      if (parts !== undefined && parts.every((p) => typeof p === 'string')) texts.set(this, parts.join(''));
    }
  }

  /** A worker_threads Worker that starts from the recorded Blob text and never holds the process open. */
  class PoolWorker extends NodeWorker {
    constructor(url: string | URL, options?: WorkerOptions) {
      const text = byUrl.get(String(url));
      if (workerFile === undefined) {
        if (text === undefined) throw new Error(`the threaded WASM glue asked for an unknown worker script ${String(url)}`);
        workerFile = writeScript(text);
      }
      super(workerFile, options);
      super.unref();
      started.push(this);
    }
    override ref(): void {
      // The glue refs a worker while it runs a thread; a pool thread runs for the life of the backend.
    }
    override postMessage(message: unknown, transfer?: Parameters<NodeWorker['postMessage']>[1]): void {
      const m = message as { cmd?: string; urlOrBlob?: unknown } | null;
      if (m?.cmd === 'load' && m.urlOrBlob instanceof OriginalBlob) {
        let file: string;
        try {
          const text = texts.get(m.urlOrBlob);
          if (text === undefined) throw new Error('the threaded WASM glue sent a main script this bridge did not record');
          file = mainScriptFile(text);
        } catch (err) {
          lastError = err instanceof Error ? err.message : String(err);
          throw err;
        }
        super.postMessage({ ...m, urlOrBlob: file }, transfer);
        return;
      }
      super.postMessage(message, transfer);
    }
  }
  let mainScript: { text: string; file: string } | undefined;
  const mainScriptFile = (text: string): string => {
    if (mainScript?.text !== text) {
      const file = path.join(dir, 'main.js');
      fs.writeFileSync(file, mainScriptPreamble(text, file, rollupHeader) + text, { mode: 0o600 });
      mainScript = { text, file };
    }
    return mainScript.file;
  };

  globalThis.Blob = RecordingBlob;
  URL.createObjectURL = (blob: Blob): string => {
    const url = originalCreateObjectURL(blob);
    const text = texts.get(blob);
    if (text !== undefined) byUrl.set(url, text);
    return url;
  };
  // The glue assigns the global Worker when it starts; it must get the pool worker above.
  Object.defineProperty(globalThis, 'Worker', { configurable: true, get: () => PoolWorker, set: () => undefined });
  // backend.cc sizes the pool as half the logical cores it is told about.
  const realCount = originalCpus().length;
  nodeOs.cpus = (): os.CpuInfo[] => {
    const cpus = originalCpus();
    return Array.from({ length: threads * 2 }, (_, i) => cpus[i % Math.max(1, realCount)] as os.CpuInfo);
  };
  return {
    get lastError(): string | undefined {
      return lastError;
    },
    restore(): void {
      globalThis.Blob = OriginalBlob;
      if (createObjectURLDescriptor !== undefined) Object.defineProperty(URL, 'createObjectURL', createObjectURLDescriptor);
      nodeOs.cpus = originalCpus;
    },
    async stopWorkers(): Promise<void> {
      Reflect.deleteProperty(globalThis, 'Worker');
      // Ref'd while they end: an unref'd worker's exit does not keep the event loop, and this promise, alive.
      await Promise.all(started.splice(0).map((w) => (NodeWorker.prototype.ref.call(w), w.terminate())));
    },
  };
}

/** The file Node loads for tfjs-backend-wasm outside a bundle (its Rollup build), if resolvable. */
export function wasmPackageFile(): string | undefined {
  try {
    return createRequire(__filename).resolve('@tensorflow/tfjs-backend-wasm');
  } catch {
    return undefined;
  }
}
