// The shipped artifact, as a user gets it: `npm run package`'s production build packed by vsce into a VSIX. The
// bundled CLI runs from the unpacked VSIX in a temporary folder where no node_modules can be reached (validate,
// then a tiny train + check), and the VSIX installed into code-server activates and runs its worker from the
// installed files (test/package/host). Run by `npm test` as the "shipped package" stage, after the other suites:
// the production build replaces dist/. DYNN_VSIX=FILE tests that VSIX instead of building one.
import * as assert from 'assert';
import { spawnSync, type SpawnSyncReturns } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { tinyMnistModel } from '../fixtures/tiny-mnist';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const HARNESS = path.join(ROOT, 'test', 'harness');
const MIN = 60_000;

interface ZipFile {
  readEntry(): void;
  openReadStream(entry: ZipEntry, cb: (err: Error | null, stream: NodeJS.ReadableStream) => void): void;
  on(event: 'entry', cb: (entry: ZipEntry) => void): void;
  on(event: 'end', cb: () => void): void;
  on(event: 'error', cb: (err: Error) => void): void;
}
interface ZipEntry {
  fileName: string;
}
interface Yauzl {
  open(file: string, options: { lazyEntries: boolean }, cb: (err: Error | null, zip: ZipFile) => void): void;
}
interface Counts {
  passed: number;
  failed: number;
  failures: { title: string; message: string }[];
}

/** vsce's own zip reader (a dependency of @vscode/vsce), so the test needs no unzip program. */
function yauzl(): Yauzl {
  const vsce = path.dirname(require.resolve('@vscode/vsce/package.json'));
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(require.resolve('yauzl', { paths: [vsce] })) as Yauzl;
}

/** Extracts every file of `zipFile` below `dir`; refuses an entry that would land outside it. */
function unzip(zipFile: string, dir: string): Promise<string[]> {
  const names: string[] = [];
  return new Promise((resolve, reject) => {
    yauzl().open(zipFile, { lazyEntries: true }, (err, zip) => {
      if (err) return reject(err);
      zip.on('error', reject);
      zip.on('end', () => resolve(names));
      zip.on('entry', (entry) => {
        const target = path.resolve(dir, entry.fileName);
        if (!target.startsWith(dir + path.sep)) return reject(new Error(`zip entry outside the folder: ${entry.fileName}`));
        if (entry.fileName.endsWith('/')) return zip.readEntry();
        names.push(entry.fileName);
        fs.mkdirSync(path.dirname(target), { recursive: true });
        zip.openReadStream(entry, (e, stream) => {
          if (e) return reject(e);
          stream.pipe(fs.createWriteStream(target)).on('finish', () => zip.readEntry()).on('error', reject);
        });
      });
      zip.readEntry();
    });
  });
}

function run(cmd: string, args: string[], options: { cwd: string; env?: NodeJS.ProcessEnv; timeout?: number }): SpawnSyncReturns<string> {
  return spawnSync(cmd, args, { cwd: options.cwd, env: options.env ?? process.env, encoding: 'utf8', timeout: options.timeout ?? 5 * MIN });
}

function must(r: SpawnSyncReturns<string>, what: string): string {
  assert.strictEqual(r.status, 0, `${what} failed (${r.error?.message ?? `exit code ${String(r.status)}`}):\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

/** The VSIX `npm run package` writes, built here into `dir` (production webpack build, then vsce). */
function buildVsix(dir: string): string {
  const bin = (name: string): string => path.join(ROOT, 'node_modules', '.bin', name);
  must(run(bin('webpack'), ['--mode', 'production'], { cwd: ROOT, timeout: 10 * MIN }), 'webpack --mode production');
  const out = path.join(dir, 'dynn-lens.vsix');
  must(run(bin('vsce'), ['package', '--no-dependencies', '--allow-missing-repository', '--no-rewrite-relative-links', '--out', out], { cwd: ROOT }), 'vsce package');
  return out;
}

/** Folders from `dir` up to the root that hold a node_modules folder (Node's module resolution would look there). */
function reachableNodeModules(dir: string): string[] {
  const found: string[] = [];
  for (let d = dir; ; d = path.dirname(d)) {
    if (fs.existsSync(path.join(d, 'node_modules'))) found.push(path.join(d, 'node_modules'));
    if (path.dirname(d) === d) return found;
  }
}

describe('the shipped VSIX', function () {
  this.timeout(12 * MIN);
  const version = (JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
  let tmp: string;
  let vsix: string;
  let extension: string; // the unpacked VSIX's extension/ folder
  let workspace: string;
  // The CLI's environment: no NODE_PATH, and a home folder without ~/.node_modules or ~/.node_libraries.
  let env: NodeJS.ProcessEnv;
  const cli = (args: string[]): SpawnSyncReturns<string> => run(process.execPath, [path.join(extension, 'bin', 'dynn-lens.js'), ...args], { cwd: workspace, env });

  before(async function () {
    this.timeout(12 * MIN);
    tmp = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'dynn-shipped-')));
    vsix = process.env.DYNN_VSIX ? path.resolve(process.env.DYNN_VSIX) : buildVsix(tmp);
    const names = await unzip(vsix, path.join(tmp, 'vsix'));
    assert.ok(names.includes('extension/package.json'), `not a VSIX: ${names.slice(0, 5).join(', ')}`);
    extension = path.join(tmp, 'vsix', 'extension');
    workspace = path.join(tmp, 'workspace');
    fs.mkdirSync(path.join(workspace, 'home'), { recursive: true });
    env = { ...process.env, HOME: path.join(workspace, 'home'), DYNN_WASM_THREADS: '2' };
    delete env.NODE_PATH;
  });

  after(() => {
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('unpacks outside the project, where no node_modules folder is reachable', () => {
    assert.deepStrictEqual(reachableNodeModules(extension), []);
    const r = run(process.execPath, ['-e', "require.resolve('@tensorflow/tfjs')"], { cwd: extension, env });
    assert.notStrictEqual(r.status, 0, 'TF.js resolves from the unpacked VSIX, so the test would not show a missing dependency');
  });

  it("runs the bundled CLI from package.json's bin: --version and validate on the shipped examples", () => {
    assert.strictEqual(must(cli(['--version']), 'dynn-lens --version').trim(), version);
    const examples = fs.readdirSync(path.join(extension, 'examples')).filter((f) => f.endsWith('.dynn.yaml')).map((f) => path.join(extension, 'examples', f));
    assert.ok(examples.length >= 3, examples.join(', '));
    const ok = cli(['validate', ...examples]);
    assert.strictEqual(ok.status, 0, ok.stderr + ok.stdout);
    assert.match(ok.stderr, new RegExp(`^${examples.length} files: 0 errors, \\d+ warnings`, 'm'));
    fs.writeFileSync(path.join(workspace, 'bad.dynn.yaml'), 'dynn: 1\ninput:\n  shape: [28, 28, 1]\nclasses: 10\nbackbone:\n  - {type: conv2d, filters: 4, kernl: 3}\n');
    const bad = cli(['validate', 'bad.dynn.yaml']);
    assert.strictEqual(bad.status, 1, bad.stderr + bad.stdout);
    assert.match(bad.stdout, /^bad\.dynn\.yaml:6:\d+: error: .*kernl/m);
  });

  it('trains and checks a tiny model with the bundled CLI on the bundled WASM backend and digits', () => {
    fs.writeFileSync(path.join(workspace, 'tiny.dynn.yaml'), tinyMnistModel({ name: 'shipped-tiny', threshold: 0.5, epochs: 1, samples: 16, pgdEps: [0.1] }));
    const train = must(cli(['train', 'tiny.dynn.yaml']), 'dynn-lens train');
    assert.match(train, /weights: trained this run \(1 epoch on \d+ samples/);
    assert.match(train, /backend wasm \(.*tfjs-node not installed; wasm: wasm with SIMD, 2 threads\)/);
    assert.match(train, /^ {2}final +accuracy +\d+\.\d%/m);
    const check = must(cli(['check', 'tiny.dynn.yaml', '--json', 'report.json', '--fail-under', 'clean-accuracy=0.1']), 'dynn-lens check');
    assert.match(check, /^pgd +0\.1 /m);
    const results = JSON.parse(fs.readFileSync(path.join(workspace, 'report.json'), 'utf8')) as { provenance: { backend: string; samples: number }; attacks: { id: string }[] };
    assert.strictEqual(results.provenance.backend, 'wasm');
    assert.strictEqual(results.provenance.samples, 16);
    assert.deepStrictEqual(results.attacks.map((a) => a.id), ['pgd@0.1', 'hijack@0.2']);
    // Everything it wrote is inside the workspace.
    assert.ok(fs.existsSync(path.join(workspace, '.dynn', 'results', 'shipped-tiny.json')));
    assert.deepStrictEqual(fs.readdirSync(path.join(workspace, 'home')), []);
  });

  it('installs into code-server and activates from the installed files (the host suite in test/package/host)', async () => {
    // Development folder of this run: a manifest without code, so the host runs the tests next to the
    // installed extension instead of the project's.
    const probe = path.join(tmp, 'probe');
    fs.mkdirSync(probe);
    fs.writeFileSync(path.join(probe, 'package.json'), JSON.stringify({ name: 'dynn-lens-vsix-probe', publisher: 'dynn-lens-test', version: '0.0.0', engines: { vscode: '^1.100.0' } }));
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { runIntegration } = require(path.join(HARNESS, 'integration.js')) as { runIntegration: (o: object) => Promise<Counts> };
    const counts = await runIntegration({
      name: 'installed VSIX',
      testsEntry: 'out/test/package/host/index.js',
      install: [vsix],
      extensionDevelopmentPath: probe,
      env: { DYNN_EXPECTED_VERSION: version },
    });
    assert.deepStrictEqual(counts.failures, []);
    assert.strictEqual(counts.failed, 0);
    assert.strictEqual(counts.passed, 3);
  });
});
