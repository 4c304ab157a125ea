// Test tools for the real-VS-Code suites: Node 24, code-server, Chromium and playwright-core.
//
// Usage:  node test/harness/tools.js          ensure everything, print the paths and timings
//         const { ensureTools } = require('./tools'); const t = ensureTools();  ->  { node, codeServer, chromium }
//
// Node 24 and code-server live in a cache folder outside the project (each with its own package.json, never in
// the extension's dependencies), by default ~/.cache/dynn-lens-test-tools, overridable with DYNN_TEST_TOOLS.
// Every step checks first and skips when the tool is present and working, so a warm run costs well under a
// second. code-server's postinstall refuses any Node but 24, so its install runs npm under Node 24 with
// npm_config_nodedir pointing at Node 24's headers (its native module argon2 is built from source). Every child
// gets an environment built by child-env.js, never the outer `npm test`'s npm_* variables. A failed install keeps
// its log next to the tool's folder (<tools>/<tool>-install.log), removes the half-installed folder, and says how
// to retry.
// Chromium comes from Debian (`apt-get install chromium`, when root); the browser is never downloaded by
// Playwright. Set CHROMIUM_PATH to use another Chromium build.
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawnSync } = require('child_process');
const { childEnv } = require('./child-env');

const NODE_MAJOR = 24;
const CODE_SERVER_VERSION = '4.139.1';
const CODE_SERVER_BUILD_DEPS = ['build-essential', 'python3', 'pkg-config', 'libkrb5-dev'];
const CHROMIUM_CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser'];
const PROJECT_ROOT = path.resolve(__dirname, '..', '..');

function toolsDir() {
  return process.env.DYNN_TEST_TOOLS || path.join(os.homedir(), '.cache', 'dynn-lens-test-tools');
}

function log(message) {
  process.stderr.write(`[tools] ${message}\n`);
}

/** Runs `fn`, logging how long it took; returns its result. */
function timed(what, fn) {
  const start = Date.now();
  const result = fn();
  log(`${what}: ${((Date.now() - start) / 1000).toFixed(1)} s`);
  return result;
}

/** Runs a command to completion; throws with its tail of output when it fails. */
function run(cmd, args, options = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, env: childEnv(), ...options });
  if (r.error) throw new Error(`${cmd} ${args.join(' ')}: ${r.error.message}`);
  if (r.status !== 0) {
    const tail = `${r.stdout || ''}${r.stderr || ''}`.trim().split('\n').slice(-30).join('\n');
    throw new Error(`${cmd} ${args.join(' ')} exited with ${r.status}:\n${tail}`);
  }
  return r.stdout || '';
}

function isRoot() {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

/** Installs Debian packages when root; otherwise throws an error that names what to install. */
function aptInstall(packages, why) {
  if (!isRoot()) {
    throw new Error(`${why} needs the Debian packages ${packages.join(' ')}; run as root: apt-get install -y ${packages.join(' ')}`);
  }
  if (!fs.existsSync('/usr/bin/apt-get')) {
    throw new Error(`${why} needs ${packages.join(' ')}, and this machine has no apt-get: install them with its package manager`);
  }
  const env = childEnv({ DEBIAN_FRONTEND: 'noninteractive' });
  timed('apt-get update', () => run('apt-get', ['update', '-q'], { env }));
  timed(`apt-get install ${packages.join(' ')}`, () => run('apt-get', ['install', '-y', '-q', ...packages], { env }));
}

function debInstalled(pkg) {
  const r = spawnSync('dpkg-query', ['-W', '-f=${Status}', pkg], { encoding: 'utf8' });
  return r.status === 0 && r.stdout.includes('install ok installed');
}

/**
 * The npm CLI script to run under another Node: the one that ships with that Node when `home` has it, else the
 * npm this harness was started with (found next to our own Node, not through the outer npm's npm_execpath).
 */
function npmCliPath(home) {
  const candidates = [
    home && path.join(home, 'lib', 'node_modules', 'npm', 'bin', 'npm-cli.js'),
    path.resolve(path.dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'bin', 'npm-cli.js'),
    process.env.npm_execpath,
  ];
  const found = candidates.find((p) => p && p.endsWith('npm-cli.js') && fs.existsSync(p));
  if (!found) throw new Error(`cannot find npm-cli.js (looked at ${candidates.filter(Boolean).join(', ')})`);
  return found;
}

/**
 * `npm install` in `dir` under `nodeBin`, its whole output in <dir>-install.log. On failure the half-installed
 * folder is removed (the next run starts clean) and the error names the log and how to retry.
 */
function npmInstall(what, dir, nodeBin, npmCli, env) {
  const logFile = `${dir}-install.log`;
  const out = fs.openSync(logFile, 'w');
  const start = Date.now();
  const r = spawnSync(nodeBin, [npmCli, 'install', '--no-audit', '--no-fund'], { cwd: dir, env, stdio: ['ignore', out, out] });
  const seconds = ((Date.now() - start) / 1000).toFixed(1);
  fs.writeSync(out, `\nEXIT ${r.status ?? r.error?.message} after ${seconds} s\n`);
  fs.closeSync(out);
  log(`npm install ${what}: ${seconds} s, exit ${r.status}`);
  if (r.status === 0) return;
  fs.rmSync(dir, { recursive: true, force: true });
  const tail = fs.readFileSync(logFile, 'utf8').trim().split('\n').slice(-20).join('\n');
  throw new Error(
    `installing ${what} failed (exit ${r.status ?? r.error?.message}); the full log is ${logFile}.\n` +
      `Fix the cause shown below, then run \`npm test\` (or \`node test/harness/tools.js\`) again: it starts this step afresh.\n${tail}`,
  );
}

function writePackageJson(dir, name, deps) {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name, private: true, dependencies: deps }, null, 2));
}

/** Node 24 from the npm registry (`npm i node@24`): the binary and its headers, in <tools>/node24. */
function ensureNode() {
  const dir = path.join(toolsDir(), 'node24');
  const home = path.join(dir, 'node_modules', 'node', 'node_modules', `node-${process.platform}-${process.arch}`);
  const bin = path.join(home, 'bin', 'node');
  const works = () => {
    if (!fs.existsSync(bin)) return false;
    const r = spawnSync(bin, ['--version'], { encoding: 'utf8' });
    return r.status === 0 && r.stdout.startsWith(`v${NODE_MAJOR}.`);
  };
  if (works()) return { bin, home };
  log(`installing Node ${NODE_MAJOR} into ${dir} (log: ${dir}-install.log)`);
  fs.rmSync(dir, { recursive: true, force: true });
  writePackageJson(dir, 'node24', { node: `^${NODE_MAJOR}` });
  npmInstall(`node@${NODE_MAJOR}`, dir, process.execPath, npmCliPath(), childEnv());
  if (!works()) throw new Error(`npm installed node@${NODE_MAJOR} but ${bin} does not run; delete ${dir} and run npm test again`);
  return { bin, home };
}

/** Runs `code-server --version` with a throw-away config so the check writes nothing into the home folder. */
function codeServerVersion(nodeBin, entry) {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dynn-cs-check-'));
  try {
    const env = childEnv({ XDG_CONFIG_HOME: tmp, XDG_DATA_HOME: tmp, XDG_CACHE_HOME: tmp });
    const r = spawnSync(nodeBin, [entry, '--config', path.join(tmp, 'config.yaml'), '--version'], { encoding: 'utf8', env });
    // It logs "Wrote default config file" on stdout first; the version is the line that starts with a digit.
    return r.status === 0 ? r.stdout.split('\n').find((line) => /^\d+\.\d+\.\d+ /.test(line)) : undefined;
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

/** code-server from the npm registry, installed under Node 24 into <tools>/code-server. */
function ensureCodeServer(node) {
  const dir = path.join(toolsDir(), 'code-server');
  const entry = path.join(dir, 'node_modules', 'code-server', 'out', 'node', 'entry.js');
  const works = () => fs.existsSync(entry) && (codeServerVersion(node.bin, entry) || '').startsWith(CODE_SERVER_VERSION);
  if (works()) return { entry, dir };
  const missing = CODE_SERVER_BUILD_DEPS.filter((p) => !debInstalled(p));
  if (missing.length > 0) aptInstall(missing, 'building code-server (native module argon2)');
  log(`installing code-server@${CODE_SERVER_VERSION} into ${dir} (2 to 8 minutes, longer on a busy machine; log: ${dir}-install.log)`);
  fs.rmSync(dir, { recursive: true, force: true });
  writePackageJson(dir, 'dynn-lens-code-server', { 'code-server': CODE_SERVER_VERSION });
  // Node 24 first on PATH (postinstall scripts run `node`), and its headers for the native module argon2.
  const env = childEnv({
    PATH: `${path.dirname(node.bin)}${path.delimiter}${process.env.PATH || ''}`,
    npm_config_nodedir: node.home,
  });
  npmInstall(`code-server@${CODE_SERVER_VERSION}`, dir, node.bin, npmCliPath(node.home), env);
  if (!works()) {
    throw new Error(`npm installed code-server@${CODE_SERVER_VERSION} but \`code-server --version\` does not answer ${CODE_SERVER_VERSION}; log: ${dir}-install.log; delete ${dir} and run npm test again`);
  }
  return { entry, dir };
}

/** Debian's Chromium (or CHROMIUM_PATH); installed with apt-get when missing and root. */
function ensureChromium() {
  if (process.env.CHROMIUM_PATH) {
    if (!fs.existsSync(process.env.CHROMIUM_PATH)) throw new Error(`CHROMIUM_PATH=${process.env.CHROMIUM_PATH} does not exist`);
    return process.env.CHROMIUM_PATH;
  }
  const present = () => CHROMIUM_CANDIDATES.find((p) => fs.existsSync(p));
  if (!present()) aptInstall(['chromium'], 'the browser tests');
  const found = present();
  if (!found) throw new Error(`apt-get installed chromium but none of ${CHROMIUM_CANDIDATES.join(', ')} exists`);
  return found;
}

function ensurePlaywright() {
  try {
    return require.resolve('playwright-core', { paths: [PROJECT_ROOT] });
  } catch {
    throw new Error('playwright-core is missing from node_modules: run `npm ci` in the project folder');
  }
}

/**
 * Ensures every tool; returns their paths.
 * @returns {{ node: string, nodeHome: string, codeServer: string, chromium: string, playwright: string }}
 */
function ensureTools() {
  const start = Date.now();
  const node = ensureNode();
  const codeServer = ensureCodeServer(node);
  const chromium = ensureChromium();
  const playwright = ensurePlaywright();
  log(`tools ready in ${((Date.now() - start) / 1000).toFixed(1)} s (${toolsDir()})`);
  return { node: node.bin, nodeHome: node.home, codeServer: codeServer.entry, chromium, playwright };
}

/** Where Vulkan ICD files of SwiftShader (a software Vulkan driver) are known to live: Debian's and Fedora's Chromium. */
const SWIFTSHADER_ICDS = ['/usr/lib/chromium/vk_swiftshader_icd.json', '/usr/lib64/chromium-browser/vk_swiftshader_icd.json', '/usr/lib/chromium-browser/vk_swiftshader_icd.json'];

/**
 * The environment that gives Dawn (the `webgpu` package) an adapter on a machine without a GPU: SwiftShader's
 * Vulkan driver, which Chromium ships with its own Vulkan loader (libvulkan.so.1) in the same folder. DYNN_VK_ICD
 * names another ICD file. The loader reads both variables when the process starts, so they are for a child
 * process. Returns undefined when no ICD file is found (the caller skips and says so).
 * @returns {{ env: { VK_ICD_FILENAMES: string, LD_LIBRARY_PATH: string }, icd: string } | undefined}
 */
function swiftShaderEnv() {
  const icd = [process.env.DYNN_VK_ICD, ...SWIFTSHADER_ICDS].find((p) => p && fs.existsSync(p));
  if (!icd) return undefined;
  const dir = path.dirname(icd);
  const libs = [dir, process.env.LD_LIBRARY_PATH].filter(Boolean).join(path.delimiter);
  return { env: { VK_ICD_FILENAMES: icd, LD_LIBRARY_PATH: libs }, icd };
}

module.exports = { ensureTools, toolsDir, swiftShaderEnv, CODE_SERVER_VERSION };

if (require.main === module) {
  try {
    console.log(JSON.stringify(ensureTools(), null, 2));
  } catch (err) {
    console.error(`[tools] ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  }
}
