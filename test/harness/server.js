// Starts and stops code-server (VS Code in the browser) for the integration and UI suites.
//
// Usage:
//   const { startServer } = require('./server');
//   const server = await startServer(tools);          // tools from ensureTools() in ./tools.js
//   ... server.origin is http://127.0.0.1:PORT ...
//   await server.stop();
//   const untrusted = await startServer(tools, { trust: false });   // workspace trust enforced (restricted mode)
//   const shipped = await startServer(tools, { install: ['x.vsix'] }); // the VSIX installed into its extensions folder
//
// The server listens on loopback only, on a free port, with a throw-away profile: user data, extensions, config
// and the XDG folders all live in one temp folder that stop() removes. It is started in its own process group
// (detached = setsid) because it spawns children (extension hosts, file watchers); stop() kills that whole group.
// Every server still running is also killed when this process exits, or on SIGINT/SIGTERM, so a failed or
// timed-out suite never leaves one behind. `--vscode-option enable-smoke-test-driver` makes the workbench honour
// the `payload` URL parameter (extension development path, extension tests path).
'use strict';
const fs = require('fs');
const http = require('http');
const net = require('net');
const os = require('os');
const path = require('path');
const { spawn, spawnSync } = require('child_process');
const { childEnv } = require('./child-env');

const HOST = '127.0.0.1';
const HEALTH_TIMEOUT_MS = 30_000;
const STOP_GRACE_MS = 5_000;
const PROFILE_SETTINGS = {
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
  'chat.disableAIFeatures': true,
  'extensions.ignoreRecommendations': true,
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
};
// With workspace trust enforced ({ trust: false }): never show the startup trust dialog, so every folder opens in
// restricted mode without a modal over the workbench, and no trust banner covers the editor in screenshots.
const UNTRUSTED_SETTINGS = {
  'security.workspace.trust.enabled': true,
  'security.workspace.trust.startupPrompt': 'never',
  'security.workspace.trust.banner': 'never',
  'security.workspace.trust.emptyWindow': false,
};

/** Process group ids of servers still running. */
const live = new Set();

function killGroup(pgid, signal) {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false; // already gone
  }
}

process.on('exit', () => {
  for (const pgid of live) killGroup(pgid, 'SIGKILL');
});
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    for (const pgid of live) killGroup(pgid, 'SIGKILL');
    live.clear();
    process.exit(signal === 'SIGINT' ? 130 : 143);
  });
}

/** A port that was free a moment ago on loopback. */
function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, HOST, () => {
      const { port } = /** @type {import('net').AddressInfo} */ (srv.address());
      srv.close(() => resolve(port));
    });
  });
}

function healthy(origin) {
  return new Promise((resolve) => {
    const req = http.get(`${origin}/healthz`, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
    req.setTimeout(2_000, () => req.destroy());
  });
}

function tail(file, lines = 30) {
  try {
    return fs.readFileSync(file, 'utf8').trim().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/**
 * Starts code-server and waits until /healthz answers. By default workspace trust is off (every folder is
 * trusted); `{ trust: false }` leaves it on, so the workbench opens folders untrusted (restricted mode).
 * @param {{ node: string, codeServer: string }} tools
 * `install` lists VSIX files installed into the throw-away extensions folder (`extensionsDir`) before it starts.
 * @param {{ trust?: boolean, install?: string[] }} [options]
 * @returns {Promise<{ port: number, origin: string, tmp: string, extensionsDir: string, logFile: string, logTail(): string, stop(): Promise<void> }>}
 */
async function startServer(tools, options = {}) {
  const trustAll = options.trust !== false;
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dynn-code-server-'));
  const port = await freePort();
  const origin = `http://${HOST}:${port}`;
  const dirs = { userData: 'user-data', extensions: 'extensions', xdgConfig: 'xdg-config', xdgData: 'xdg-data', xdgCache: 'xdg-cache' };
  for (const d of Object.values(dirs)) fs.mkdirSync(path.join(tmp, d));
  // A quiet profile: no welcome page, no chat side bar, nothing fetched, so screenshots show the extension.
  fs.mkdirSync(path.join(tmp, dirs.userData, 'User'), { recursive: true });
  fs.writeFileSync(path.join(tmp, dirs.userData, 'User', 'settings.json'), JSON.stringify(trustAll ? PROFILE_SETTINGS : { ...PROFILE_SETTINGS, ...UNTRUSTED_SETTINGS }, null, 2));
  const config = path.join(tmp, 'config.yaml');
  fs.writeFileSync(config, `bind-addr: ${HOST}:${port}\nauth: none\ncert: false\n`);
  const logFile = path.join(tmp, 'code-server.log');
  const log = fs.openSync(logFile, 'w');
  const args = [
    tools.codeServer,
    '--auth', 'none',
    '--bind-addr', `${HOST}:${port}`,
    '--config', config,
    '--user-data-dir', path.join(tmp, dirs.userData),
    '--extensions-dir', path.join(tmp, dirs.extensions),
    '--disable-telemetry',
    '--disable-update-check',
    ...(trustAll ? ['--disable-workspace-trust'] : []),
    '--vscode-option', 'enable-smoke-test-driver',
  ];
  const env = childEnv({
    XDG_CONFIG_HOME: path.join(tmp, dirs.xdgConfig),
    XDG_DATA_HOME: path.join(tmp, dirs.xdgData),
    XDG_CACHE_HOME: path.join(tmp, dirs.xdgCache),
  });
  // Extensions installed before the server starts, the way a user installs a VSIX (`--install-extension`).
  for (const vsix of options.install || []) {
    const installed = spawnSync(tools.node, [tools.codeServer, '--config', config, '--user-data-dir', path.join(tmp, dirs.userData), '--extensions-dir', path.join(tmp, dirs.extensions), '--install-extension', vsix], { env, encoding: 'utf8', timeout: 120_000 });
    if (installed.status !== 0) {
      fs.closeSync(log);
      fs.rmSync(tmp, { recursive: true, force: true });
      throw new Error(`code-server could not install ${vsix} (${installed.error ? installed.error.message : `exit code ${installed.status}`}):\n${installed.stdout}${installed.stderr}`);
    }
  }
  const child = spawn(tools.node, args, { detached: true, stdio: ['ignore', log, log], env });
  fs.closeSync(log);
  const pgid = child.pid;
  if (pgid === undefined) throw new Error(`code-server did not start (${tools.codeServer})`);
  live.add(pgid);
  let exited = false;
  const exitedPromise = new Promise((resolve) => child.once('exit', () => { exited = true; resolve(); }));

  let stopped = false;
  async function stop() {
    if (stopped) return;
    stopped = true;
    if (!exited && killGroup(pgid, 'SIGTERM')) {
      let timer;
      await Promise.race([exitedPromise, new Promise((r) => { timer = setTimeout(r, STOP_GRACE_MS); })]);
      clearTimeout(timer);
    }
    killGroup(pgid, 'SIGKILL'); // the extension host and watchers may outlive the main process
    live.delete(pgid);
    fs.rmSync(tmp, { recursive: true, force: true });
  }

  const deadline = Date.now() + HEALTH_TIMEOUT_MS;
  while (!(await healthy(origin))) {
    if (exited || Date.now() > deadline) {
      const why = exited ? `exited with ${child.exitCode}` : `did not answer ${origin}/healthz within ${HEALTH_TIMEOUT_MS / 1000} s`;
      const logText = tail(logFile);
      await stop();
      throw new Error(`code-server ${why}. Its log:\n${logText}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return { port, origin, tmp, extensionsDir: path.join(tmp, dirs.extensions), logFile, logTail: () => tail(logFile), stop };
}

module.exports = { startServer, HOST };
